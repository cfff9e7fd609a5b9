import Foundation
@testable import GradStore

/// A history with every kind of row `gradbook copy` moves: the seed's backward run (session
/// 1); a kernel session that trains with checkpoints, optimizer state, a dataset tensor shared
/// by every step and a NaN (session 2); and a replay session whose runs cite session 1's run,
/// graph and nodes (session 3).
struct CopyFixture {
    let seed: SeedRecording
    let trainingSession: Int64
    let trainingRuns: [Int64]
    let replaySession: Int64
    let replayRun: Int64

    static func record(into store: RunStore) throws -> CopyFixture {
        let seed = try SeedRecording.record(into: store)
        try store.endSession(seed.sessionID)
        let (trainingSession, trainingRuns) = try recordTraining(into: store)
        let replaySession = try store.beginSession(kind: .batch, notebook: nil, engineRevision: 1)
        let replayRun = try recordReplay(of: seed, in: replaySession, store: store)
        try store.endSession(replaySession)
        return CopyFixture(seed: seed, trainingSession: trainingSession, trainingRuns: trainingRuns,
                           replaySession: replaySession, replayRun: replayRun)
    }

    /// A replay of the seed's run, recorded as `gradbook replay` records one: the original's
    /// graph, target node and node ids, and `replay_of` naming it.
    static func recordReplay(of seed: SeedRecording, in sessionID: Int64, store: RunStore) throws -> Int64 {
        let values = SeedRecording.nodes.map { node in
            ValueRecord(nodeID: seed.nodeIDs[node.0] ?? 0, shape: [], value: .full([node.6]), grad: .full([node.7]))
        }
        return try store.insertRun(
            RunRecord(sessionID: sessionID, cellID: nil, kind: .replay, target: "J", targetNodeID: seed.nodeIDs["J"],
                      loss: 2, durationMs: 0.02, replayOf: seed.runID, recordPolicy: .params),
            nodeIDs: Array(seed.nodeIDs.values), values: values)
    }

    static func recordTraining(into store: RunStore) throws -> (session: Int64, runs: [Int64]) {
        let sessionID = try store.beginSession(kind: .kernel, notebook: "train.ipynb", engineRevision: 1)
        let defineCell = try store.beginCell(sessionID: sessionID, executionCount: 1, source: "X = [[1, 2], [3, 4], [5, 6]]\nW = param([0.5, -0.25])")
        let dataset = [1.0, 2, 3, 4, 5, 6]
        let x = try store.insertNode(NodeRecord(sessionID: sessionID, cellID: defineCell, name: "X", op: "leaf", inputs: [], shape: [3, 2],
                                                isParam: false, expr: "[[1, 2], [3, 4], [5, 6]]", leafValue: dataset))
        let w = try store.insertNode(NodeRecord(sessionID: sessionID, cellID: defineCell, name: "W", op: "param", inputs: [], shape: [2],
                                                isParam: true, expr: "param([0.5, -0.25])", leafValue: [0.5, -0.25]))
        try store.finishCell(defineCell, status: .ok, error: nil, outputsJSON: "[]", durationMs: 0.5)
        let trainCell = try store.beginCell(sessionID: sessionID, executionCount: 2, source: "L = sum(X @ W)\ntrain(L, steps=4)")
        let y = try store.insertNode(NodeRecord(sessionID: sessionID, cellID: trainCell, name: "y", op: "matmul", inputs: ["X", "W"], shape: [3],
                                                isParam: false, expr: "X @ W"))
        let loss = try store.insertNode(NodeRecord(sessionID: sessionID, cellID: trainCell, name: "L", op: "sum", inputs: ["y"], shape: [],
                                                   isParam: false, expr: "sum(X @ W)", attributesJSON: "{\"axis\":null}"))
        let trainID = try store.beginTrain(TrainRecord(sessionID: sessionID, cellID: trainCell, target: "L",
                                                       optimizerJSON: "{\"name\":\"adam\",\"lr\":0.1}", steps: 4, checkpointEvery: 2))
        var runs: [Int64] = []
        var weights = [0.5, -0.25]
        for step in 0..<4 {
            let isCheckpoint = step % 2 == 0 || step == 3
            let outputs = [weights[0] + 2 * weights[1], 3 * weights[0] + 4 * weights[1], 5 * weights[0] + 6 * weights[1]]
            let total = outputs.reduce(0, +)
            let gradient = [9.0, 12.0]
            let param: TensorData = isCheckpoint ? .full(weights) : .summary(TensorSummary(summarizing: weights))
            let grad: TensorData = isCheckpoint ? .full(gradient) : .summary(TensorSummary(summarizing: gradient))
            let values = [
                // The dataset is the same tensor at every step: stored once, referenced again.
                ValueRecord(nodeID: x, shape: [3, 2], value: .full(dataset), grad: nil),
                ValueRecord(nodeID: w, shape: [2], value: param, grad: grad),
                ValueRecord(nodeID: y, shape: [3], value: .summary(TensorSummary(summarizing: outputs)), grad: nil),
                ValueRecord(nodeID: loss, shape: [], value: .full([total]), grad: .full([1])),
            ]
            let runID = try store.transaction {
                let runID = try store.insertRun(
                    RunRecord(sessionID: sessionID, cellID: trainCell, kind: .train, target: "L", targetNodeID: loss, step: step,
                              loss: total, durationMs: 0.1, trainID: trainID, recordPolicy: .params, steps: 5),
                    nodeIDs: [x, w, y, loss], values: values)
                if isCheckpoint {
                    let buffers = step == 0 ? [] : [
                        OptimizerBufferRecord(nodeID: w, slot: "exp_avg", shape: [2], elements: [-0.0, .leastNonzeroMagnitude]),
                        OptimizerBufferRecord(nodeID: w, slot: "exp_avg_sq", shape: [2], elements: [.infinity, 81]),
                    ]
                    try store.insertCheckpoint(runID: runID, CheckpointRecord(optimizerSteps: step, buffers: buffers))
                }
                return runID
            }
            runs.append(runID)
            weights = weights.enumerated().map { $0.element - 0.1 * gradient[$0.offset] }
        }
        try store.finishCell(trainCell, status: .ok, error: nil, outputsJSON: "[{\"output_type\":\"stream\",\"name\":\"stdout\",\"text\":\"trained\"}]",
                             durationMs: 3.25)
        // A forward run whose loss is NaN: stored NULL, its JSON null.
        let nanCell = try store.beginCell(sessionID: sessionID, executionCount: 3, source: "z = 0/0")
        let z = try store.insertNode(NodeRecord(sessionID: sessionID, cellID: nanCell, name: "z", op: "div", inputs: [], shape: [],
                                                isParam: false, expr: "0/0"))
        runs.append(try store.insertRun(RunRecord(sessionID: sessionID, cellID: nanCell, kind: .forward, target: "z", targetNodeID: z,
                                                  loss: .nan, recordPolicy: .all, steps: 1),
                                        nodeIDs: [z], values: [ValueRecord(nodeID: z, shape: [], value: .full([.nan]), grad: nil)]))
        try store.finishCell(nanCell, status: .error, error: "z is NaN", outputsJSON: nil, durationMs: nil)
        try store.endSession(sessionID)
        return (sessionID, runs)
    }
}

/// Every public view of a history with its ids replaced by what identifies a row in any
/// history: a session by its uid, a cell, node, train or run by its session's uid and its rank
/// within that session, a graph by its members. Two histories holding the same sessions give
/// the same rows, however each numbered them.
struct CanonicalViews: Equatable, CustomStringConvertible {
    /// view -> its rows as text, sorted.
    var views: [String: [String]]

    static let idColumns: [String: String] = [
        "session_id": "session", "cell_id": "cell", "node_id": "node", "target_node_id": "node",
        "run_id": "run", "replay_of": "run", "train_id": "train", "graph_id": "graph",
    ]

    init(_ store: RunStore) throws {
        var names: [String: [Int64: String]] = ["session": [:]]
        for row in try store.query("SELECT id, uid FROM session", allowWrites: false).rows {
            names["session"]?[row[0].integerValue ?? 0] = row[1].textValue ?? "?"
        }
        for table in ["cell", "node", "train", "run"] {
            var ranks: [Int64: Int] = [:]
            var tableNames: [Int64: String] = [:]
            for row in try store.query("SELECT id, session_id FROM \(table) ORDER BY id", allowWrites: false).rows {
                let session = row[1].integerValue ?? 0
                let rank = ranks[session, default: 0]
                ranks[session] = rank + 1
                tableNames[row[0].integerValue ?? 0] = "\(names["session"]?[session] ?? "?")#\(rank)"
            }
            names[table] = tableNames
        }
        var members: [Int64: [String]] = [:]
        for row in try store.query("SELECT graph_id, node_id FROM graph_node", allowWrites: false).rows {
            members[row[0].integerValue ?? 0, default: []].append(names["node"]?[row[1].integerValue ?? 0] ?? "?")
        }
        names["graph"] = members.mapValues { "{" + $0.sorted().joined(separator: ",") + "}" }

        views = [:]
        for (view, _) in try store.viewColumns() {
            let result = try store.query("SELECT * FROM \(view)", allowWrites: false)
            views[view] = result.rows.map { row in
                zip(result.columns, row).map { column, value in
                    if let table = CanonicalViews.idColumns[column], let id = value.integerValue {
                        return "\(column)=\(names[table]?[id] ?? "missing \(table) \(id)")"
                    }
                    return "\(column)=\(value)"
                }.joined(separator: " | ")
            }.sorted()
        }
    }

    init(views: [String: [String]]) {
        self.views = views
    }

    /// The rows of both, view by view (a target that held `other` before the copy).
    func adding(_ other: CanonicalViews) -> CanonicalViews {
        CanonicalViews(views: views.merging(other.views) { ($0 + $1).sorted() })
    }

    var rowCount: Int { views.values.map(\.count).reduce(0, +) }

    var description: String {
        views.keys.sorted().map { "\($0): \(views[$0]?.count ?? 0) rows" }.joined(separator: ", ")
    }
}
