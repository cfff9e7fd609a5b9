import Foundation
import Testing
@testable import GradStore

/// `RunStore.insertRuns` on a server: a group of training steps costs a fixed number of
/// statements, and the history reads back exactly as SQLite's, where every value is a row.
@Suite(.enabled(if: PostgresTestDatabase.isConfigured, PostgresTestDatabase.disabledReason))
struct PostgresRunGroupTests {
    struct History {
        let testStore: TestStore
        var store: RunStore { testStore.store }
        let sessionID: Int64
        let cellID: Int64
        /// (id, shape) of each param.
        let params: [(Int64, [Int])]

        init(_ backend: StoreBackend = .postgresql) throws {
            testStore = try backend.open()
            let store = testStore.store
            let sessionID = try store.beginSession(kind: .batch, notebook: "group.grad",
                                                   startedAt: Date(timeIntervalSince1970: 1_700_000_000))
            let cellID = try store.beginCell(sessionID: sessionID, executionCount: 1, source: "train(J)")
            let shapes: [[Int]] = [[2, 16], [16], [16, 16], [16], [16, 2], [2], [], [0]]
            params = try shapes.enumerated().map { index, shape in
                (try store.insertNode(NodeRecord(sessionID: sessionID, cellID: cellID, name: "p\(index)", op: "param",
                                                 inputs: [], shape: shape, isParam: true)), shape)
            }
            self.sessionID = sessionID
            self.cellID = cellID
        }

        /// The server database's name (for another session of the test's own).
        var databaseName: String {
            get throws { try #require(testStore.database).name }
        }

        var connection: PostgresConnection {
            get throws { try #require(store.connection as? PostgresConnection) }
        }

        /// Training steps between checkpoints (summaries of every param, some gradients absent,
        /// odd doubles and text) and, every `checkpointEvery` steps, one with params in full.
        func runs(_ count: Int, checkpointEvery: Int? = nil) -> [(RunStore.NewRun, CheckpointRecord?)] {
            let trainID: Int64? = nil
            return (0..<count).map { step in
                let full = checkpointEvery.map { step % $0 == 0 } ?? false
                let values = params.enumerated().map { index, param -> ValueRecord in
                    let (nodeID, shape) = param
                    let numel = shape.reduce(1, *)
                    let elements = (0..<numel).map { Double(step * 31 + index) / 7 - Double($0) * 1e-3 }
                    if full {
                        return ValueRecord(nodeID: nodeID, shape: shape, value: .full(elements), grad: .full(elements.map { -$0 }))
                    }
                    let odd: [Double?] = [.nan, .infinity, -.infinity, 0.1, -0.0, 1e-300, nil, 2.0000000000000004]
                    let summary = TensorSummary(numel: numel, min: odd[(step + index) % odd.count],
                                                max: numel == 0 ? nil : elements.max(), mean: Double(step) / 3, l2: Double(index) * 1.5)
                    return ValueRecord(nodeID: nodeID, shape: shape, value: .summary(summary),
                                       grad: index % 3 == 0 ? nil : .summary(TensorSummary(summarizing: elements)))
                }
                let record = RunRecord(sessionID: sessionID, cellID: cellID, kind: .train,
                                       target: step % 5 == 0 ? "J, \"quoted\" {x} \\ NULL" : "J", targetNodeID: params[0].0,
                                       step: step, loss: step % 7 == 3 ? .nan : 1 / Double(step + 1),
                                       startedAt: Date(timeIntervalSince1970: 1_700_000_000 + Double(step) / 1000),
                                       durationMs: step % 4 == 0 ? nil : 0.25, trainID: trainID, recordPolicy: .params)
                let checkpoint = full ? CheckpointRecord(optimizerSteps: step, buffers: []) : nil
                return (RunStore.NewRun(record: record, nodeIDs: params.map(\.0), values: values), checkpoint)
            }
        }

        func table(_ sql: String) throws -> [[SQLValue]] {
            try store.query(sql).rows
        }
    }

    @Test func aGroupOfStepsIsOneStatementWithTheirSummaries() throws {
        let history = try History()
        let runs = history.runs(49).map(\.0)
        // The first group also stores the graph (a row per node), as a train() call's first step does.
        _ = try history.store.insertRuns([runs[0]])
        try history.store.reserveIDs(48, for: .run)
        let connection = try history.connection
        let sentBefore = connection.writesSentAhead
        let ids = try history.store.insertRuns(Array(runs[1...]))
        #expect(connection.writesSentAhead - sentBefore == 1)
        #expect(ids.count == 48 && ids == ids.sorted())
        #expect(try history.table("SELECT count(*) FROM run").first == [.integer(49)])
        // A step's summaries are its run row's, and read back as a value row per param.
        #expect(try history.table("SELECT count(*) FROM value").first == [.integer(0)])
        #expect(try history.table("SELECT count(*) FROM value_rows").first == [.integer(49 * 8)])
        #expect(try history.table("SELECT count(*) FROM run_values").first == [.integer(49 * 8)])
    }

    /// A checkpoint's params in full go into its run row too: the group is two statements, its
    /// new tensors and its runs, and `value` gets no row. A value that the arrays cannot hold (a
    /// gradient without a value) is a row of `value`, in the same transaction.
    @Test func aGroupWithCheckpointsIsItsTensorsAndItsRuns() throws {
        let history = try History()
        let runs = history.runs(11, checkpointEvery: 5).map(\.0)
        _ = try history.store.insertRuns([runs[0]])
        let connection = try history.connection
        let sentBefore = connection.writesSentAhead
        _ = try history.store.insertRuns(Array(runs[1...]))
        #expect(connection.writesSentAhead - sentBefore == 2)
        #expect(try history.table("SELECT count(*) FROM value").first == [.integer(0)])
        #expect(try history.table("SELECT count(*) FROM value_rows").first == [.integer(11 * 8)])
        // Steps 0, 5 and 10: tensors (six params) and a scalar (p6) in full; the others neither.
        #expect(try history.table("""
            SELECT step, cardinality(summary_tensor_ids), cardinality(summary_scalars) FROM run
            WHERE summary_tensor_ids IS NOT NULL OR summary_scalars IS NOT NULL ORDER BY step
            """) == [0, 5, 10].map { [.integer($0), .integer(16), .integer(16)] })
        #expect(try history.table("SELECT count(*) FROM value_rows WHERE value_storage = 2 AND grad_storage = 2").first
                == [.integer(3 * 8)])

        let gradientOnly = RunStore.NewRun(
            record: RunRecord(sessionID: history.sessionID, cellID: history.cellID, kind: .backward, target: "J", recordPolicy: .scalars),
            nodeIDs: history.params.map(\.0),
            values: [ValueRecord(nodeID: history.params[6].0, shape: [], value: .full([2.5]), grad: nil),
                     ValueRecord(nodeID: history.params[1].0, shape: [16], value: nil, grad: .full((0..<16).map(Double.init)))])
        let before = connection.writesSentAhead
        let runID = try #require(try history.store.insertRuns([gradientOnly]).first)
        #expect(connection.writesSentAhead - before == 3)
        #expect(try history.table("SELECT node_id, value_storage, grad_storage FROM value WHERE run_id = \(runID)")
                == [[.integer(history.params[1].0), .null, .integer(2)]])
        #expect(try history.table("SELECT node_id, value, value_json FROM value_rows WHERE run_id = \(runID) AND value_storage = 2")
                == [[.integer(history.params[6].0), .real(2.5), .text("2.5")]])
    }

    /// Groups with checkpoints (full tensors, a tensor row reused) and single runs on the server
    /// read back as SQLite's rows, run by run: same ids, same value rows, same views.
    @Test func groupsReadBackAsSQLitesRows() throws {
        let server = try History()
        let file = try History(.sqlite)
        let runs = server.runs(40, checkpointEvery: 9)
        var serverIDs: [Int64] = []
        for group in [0..<1, 1..<23, 23..<24, 24..<40] {
            if group.count == 1 {
                let (run, checkpoint) = runs[group.lowerBound]
                let runID = try server.store.insertRun(run.record, nodeIDs: run.nodeIDs, values: run.values)
                if let checkpoint { try server.store.insertCheckpoint(runID: runID, checkpoint) }
                serverIDs.append(runID)
                continue
            }
            try server.store.reserveIDs(group.count, for: .run)
            serverIDs += try server.store.insertRuns(runs[group].map(\.0)) { index, runID in
                if let checkpoint = runs[group.lowerBound + index].1 { try server.store.insertCheckpoint(runID: runID, checkpoint) }
            }
        }
        var fileIDs: [Int64] = []
        for (run, checkpoint) in file.runs(40, checkpointEvery: 9) {
            let runID = try file.store.insertRun(run.record, nodeIDs: run.nodeIDs, values: run.values)
            if let checkpoint { try file.store.insertCheckpoint(runID: runID, checkpoint) }
            fileIDs.append(runID)
        }
        #expect(serverIDs == fileIDs)
        let valueColumns = "run_id, node_id, shape, numel, value_storage, grad_storage, value, value_json, value_tensor_id, "
            + "value_min, value_max, value_mean, value_l2, grad, grad_json, grad_tensor_id, grad_min, grad_max, grad_mean, grad_l2"
        let runColumns = "id, session_id, cell_id, kind, target, target_node_id, step, loss, started_at, duration_ms, graph_id, "
            + "train_id, replay_of, record_policy, steps"
        for (serverQuery, fileQuery) in [
            ("SELECT \(runColumns) FROM run ORDER BY id", "SELECT \(runColumns) FROM run ORDER BY id"),
            ("SELECT \(valueColumns) FROM value_rows ORDER BY run_id, node_id", "SELECT \(valueColumns) FROM value ORDER BY run_id, node_id"),
            ("SELECT id, shape, data, json FROM tensor ORDER BY id", "SELECT id, shape, data, json FROM tensor ORDER BY id"),
            ("SELECT run_id, optimizer_steps FROM checkpoint ORDER BY run_id", "SELECT run_id, optimizer_steps FROM checkpoint ORDER BY run_id"),
            ("SELECT * FROM runs ORDER BY run_id", "SELECT * FROM runs ORDER BY run_id"),
            ("SELECT * FROM run_values ORDER BY run_id, node_id", "SELECT * FROM run_values ORDER BY run_id, node_id"),
            ("SELECT * FROM param_history ORDER BY 1, 2, 3", "SELECT * FROM param_history ORDER BY 1, 2, 3"),
        ] {
            let expected = try file.table(fileQuery)
            #expect(!expected.isEmpty, "\(fileQuery)")
            #expect(try server.table(serverQuery) == expected, "\(serverQuery)")
        }
        // What the store reads back (replay's input) is the same too.
        for runID in fileIDs {
            #expect(try server.store.values(ofRun: runID) == file.store.values(ofRun: runID), "run \(runID)")
        }
    }

    /// A train() call's steps and the backward run recorded after it use two graphs, in turn:
    /// neither is looked up again (on a server, two round trips each time).
    @Test func runsWhoseGraphsAlternateWaitOnlyForTheirIdsAndCommit() throws {
        let history = try History()
        let connection = try history.connection
        let graphs = [history.params.map(\.0), Array(history.params.map(\.0).prefix(3))]
        var awaited: [Int] = []
        for index in 0..<6 {
            let before = connection.answersAwaited
            let record = RunRecord(sessionID: history.sessionID, cellID: history.cellID, kind: .backward, target: "J")
            _ = try history.store.insertRun(record, nodeIDs: graphs[index % 2], values: [])
            awaited.append(connection.answersAwaited - before)
        }
        // The first run of each graph stores it; after that: the ids, then the commit.
        #expect(awaited.dropFirst(2).allSatisfy { $0 == 2 }, "\(awaited)")
        #expect(try history.table("SELECT count(*) FROM graph").first == [.integer(2)])
    }

    /// The server plans a group's INSERT once, not at every group (a custom plan per execution
    /// would win the server's comparison forever: it knows how many rows unnest() returns).
    @Test func aGroupsInsertsArePlannedOnce() throws {
        let history = try History()
        let runs = history.runs(40, checkpointEvery: 9).map(\.0)
        for start in stride(from: 0, to: runs.count, by: 5) {
            _ = try history.store.insertRuns(Array(runs[start..<(start + 5)]))
        }
        let plans = try history.table("""
            SELECT sum(generic_plans), sum(custom_plans) FROM pg_prepared_statements
            WHERE statement LIKE 'INSERT INTO run(%' OR statement LIKE 'INSERT INTO value(%' OR statement LIKE 'INSERT INTO tensor(%'
            """)
        // Eight groups' runs, and the tensors of the five with a checkpoint (whose values are in
        // their run rows: no INSERT INTO value).
        #expect(plans == [[.integer(8 + 5), .integer(0)]], "\(plans)")
    }

    @Test func aGroupWithABadStepStoresNothing() throws {
        let history = try History()
        var runs = history.runs(10).map(\.0)
        runs[6].values[1] = ValueRecord(nodeID: history.params[1].0, shape: [16],
                                        value: .summary(TensorSummary(numel: 3, min: 0, max: 1, mean: 0.5, l2: 1)), grad: nil)
        try history.store.reserveIDs(runs.count, for: .run)
        let error = try #require(throws: StoreError.self) { try history.store.insertRuns(runs) }
        #expect("\(error)".contains("summary of 3 elements for shape [16]"))
        #expect(try history.table("SELECT count(*) FROM run").first == [.integer(0)])
        #expect(try history.table("SELECT count(*) FROM value_rows").first == [.integer(0)])
        // The store goes on: the good steps alone are stored.
        runs.remove(at: 6)
        #expect(try history.store.insertRuns(runs).count == 9)
        #expect(try history.table("SELECT count(*) FROM value_rows").first == [.integer(9 * 8)])
    }
}
