import Foundation
import Testing
@testable import GradStore

/// Benchmark-style tests: they print recording throughput next to a raw-SQLite baseline measured
/// in the same process (the machine's load varies a lot) and assert only that the rows arrived.
@Suite(.serialized) struct InsertThroughputBenchmark {
    static func format(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }

    /// Rows of `columns` REALs inserted with a bare prepared statement, one transaction per `perTransaction` rows.
    static func rawBaseline(rows: Int, perTransaction: Int, blobBytes: Int = 0) throws -> Double {
        let directory = try TemporaryDirectory()
        let database = try Database(path: directory.path("raw.db"))
        try database.execute("CREATE TABLE t(run_id INTEGER NOT NULL, node_id INTEGER NOT NULL, value REAL, grad REAL, data BLOB)")
        let blob = [UInt8](repeating: 7, count: blobBytes)
        let start = Date()
        var inserted = 0
        while inserted < rows {
            try database.transaction {
                let statement = try database.cachedStatement("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)")
                for row in inserted..<min(inserted + perTransaction, rows) {
                    statement.reset()
                    try statement.bind(Int64(row / perTransaction), at: 1)
                    try statement.bind(Int64(row % perTransaction), at: 2)
                    try statement.bind(sin(Double(row)), at: 3)
                    try statement.bind(cos(Double(row)), at: 4)
                    if blobBytes > 0 { try statement.bind(blob: blob, at: 5) } else { try statement.bindNull(at: 5) }
                    try statement.step()
                }
            }
            inserted += perTransaction
        }
        return Date().timeIntervalSince(start)
    }

    @Test func scalarValuesPerSecond() throws {
        let directory = try TemporaryDirectory()
        let store = try RunStore(path: directory.path("bench.db"))
        let sessionID = try store.beginSession(kind: .batch, notebook: nil)
        let nodeCount = 1000
        var nodeIDs: [Int64] = []
        try store.transaction {
            for index in 0..<nodeCount {
                nodeIDs.append(try store.insertNode(NodeRecord(sessionID: sessionID, cellID: nil, name: "n\(index)",
                                                               op: "add", inputs: [], shape: [], isParam: false)))
            }
        }
        let runs = 200
        var values: [ValueRecord] = nodeIDs.enumerated().map { index, id in
            ValueRecord(nodeID: id, shape: [], value: .full([sin(Double(index + 1))]), grad: .full([cos(Double(index + 1))]))
        }
        let start = Date()
        for run in 0..<runs {
            values[0].value = .full([Double(run)])
            _ = try store.insertRun(RunRecord(sessionID: sessionID, cellID: nil, kind: .backward, target: "n0"),
                                    nodeIDs: nodeIDs, values: values)
        }
        let seconds = Date().timeIntervalSince(start)
        let rows = runs * nodeCount
        let baseline = try InsertThroughputBenchmark.rawBaseline(rows: rows, perTransaction: nodeCount)
        let format = InsertThroughputBenchmark.format
        print("""
            [bench] scalar rows (value+grad each, 1000-row runs, one transaction per run): \
            \(format(Double(rows) / seconds / 1e6, 2)) M rows/s = \(format(Double(2 * rows) / seconds / 1e6, 2)) M values/s; \
            raw SQLite baseline on this machine now: \(format(Double(rows) / baseline / 1e6, 2)) M rows/s
            """)
        #expect(try store.query("SELECT count(*) FROM run_values").rows == [[.integer(Int64(rows))]])
    }

    @Test func trainingStepRecording() throws {
        // moons_mlp-shaped: 6 params (337 elements), a 100x2 dataset, 100x16 activations.
        let directory = try TemporaryDirectory()
        let store = try RunStore(path: directory.path("train.db"))
        let sessionID = try store.beginSession(kind: .batch, notebook: nil)
        let shapes: [(String, [Int], Bool)] = [
            ("X", [100, 2], false), ("W1", [16, 2], true), ("b1", [16], true), ("h1", [100, 16], false),
            ("W2", [16, 16], true), ("b2", [16], true), ("h2", [100, 16], false), ("W3", [1, 16], true),
            ("b3", [1], true), ("score", [100, 1], false), ("loss", [], false),
        ]
        var ids: [Int64] = []
        for (name, shape, isParam) in shapes {
            ids.append(try store.insertNode(NodeRecord(sessionID: sessionID, cellID: nil, name: name, op: "op",
                                                       inputs: [], shape: shape, isParam: isParam)))
        }
        let trainID = try store.beginTrain(TrainRecord(sessionID: sessionID, cellID: nil, target: "loss",
                                                       optimizerJSON: #"{"name":"sgd","lr":1}"#, steps: 100))
        var random = TestRandom(state: 7)
        func tensor(_ shape: [Int]) -> [Double] {
            (0..<(TensorJSON.elementCount(of: shape) ?? 0)).map { _ in Double(random.next() % 10_000) / 7919 - 0.5 }
        }
        let dataset = tensor([100, 2])
        let steps = 100
        // The engine hands over full tensors; the recorder summarizes the large ones (timed).
        let stepsData: [[(value: [Double], grad: [Double])]] = (0..<steps).map { _ in
            shapes.map { (name, shape, _) in (name == "X" ? dataset : tensor(shape), tensor(shape)) }
        }
        let start = Date()
        for step in 0..<steps {
            var values: [ValueRecord] = []
            for (index, (name, shape, isParam)) in shapes.enumerated() {
                let (value, grad) = stepsData[step][index]
                let valueInFull = isParam || name == "X" || shape.isEmpty
                let gradInFull = isParam || shape.isEmpty
                values.append(ValueRecord(
                    nodeID: ids[index], shape: shape,
                    value: valueInFull ? .full(value) : .summary(TensorSummary(summarizing: value)),
                    grad: gradInFull ? .full(grad) : .summary(TensorSummary(summarizing: grad))))
            }
            _ = try store.insertRun(RunRecord(sessionID: sessionID, cellID: nil, kind: .train, target: "loss",
                                              step: step, loss: 1, trainID: trainID, recordPolicy: .params),
                                    nodeIDs: ids, values: values)
        }
        let elapsed = Date().timeIntervalSince(start)
        let flushStart = Date()
        try store.flushDeferredJSON()
        let flush = Date().timeIntervalSince(flushStart)
        // Same transactions with the same row count (11 values + 12 tensors + 1 run) and bytes.
        let baseline = try InsertThroughputBenchmark.rawBaseline(rows: steps * 24, perTransaction: 24, blobBytes: 240)
        let format = InsertThroughputBenchmark.format
        print("""
            [bench] train step recording (moons_mlp shapes, %record params, file DB, one transaction per step): \
            \(format(elapsed / Double(steps) * 1e6, 1)) µs/step; JSON written after training: \
            \(format(flush / Double(steps) * 1e6, 1)) µs/step; raw SQLite baseline, same transactions: \
            \(format(baseline / Double(steps) * 1e6, 1)) µs/step
            """)
        // The dataset never changed: one tensor row for all steps.
        let datasetRows = try store.query(
            "SELECT count(DISTINCT v.value_tensor_id) FROM value AS v JOIN node AS n ON n.id = v.node_id WHERE n.name = 'X'").rows
        #expect(datasetRows == [[.integer(1)]])
        #expect(try store.query("SELECT count(*) FROM train_steps WHERE train_id = ?1", arguments: [.integer(trainID)]).rows
                == [[.integer(Int64(steps))]])
        #expect(try store.query("SELECT count(*) FROM tensor WHERE json IS NULL").rows == [[.integer(0)]])
    }

    @Test func tensorValuesPerSecond() throws {
        let store = try RunStore(path: ":memory:")
        let sessionID = try store.beginSession(kind: .batch, notebook: nil)
        let nodeID = try store.insertNode(NodeRecord(sessionID: sessionID, cellID: nil, name: "W", op: "param",
                                                     inputs: [], shape: [64, 64], isParam: true))
        var random = TestRandom(state: 11)
        let runs = 50
        let tensors = (0..<runs).map { _ in (0..<4096).map { _ in Double(random.next() >> 11) / 9007199254740992.0 } }
        var timings: [String] = []
        for deferred in [true, false] {
            store.defersTrainingJSON = deferred
            let start = Date()
            for run in 0..<runs {
                _ = try store.insertRun(RunRecord(sessionID: sessionID, cellID: nil, kind: .train, target: "W", step: run),
                                        nodeIDs: [nodeID],
                                        values: [ValueRecord(nodeID: nodeID, shape: [64, 64], value: .full(tensors[run]), grad: nil)])
            }
            let seconds = Date().timeIntervalSince(start)
            timings.append("\(deferred ? "bytes now, JSON later" : "bytes + JSON now"): "
                           + InsertThroughputBenchmark.format(Double(runs * 4096) / seconds / 1e6) + " M values/s")
        }
        try store.flushDeferredJSON()
        print("[bench] 64x64 tensor values: " + timings.joined(separator: "; "))
        #expect(try store.query("SELECT count(*) FROM tensor WHERE json IS NOT NULL").rows == [[.integer(Int64(2 * runs))]])
    }
}
