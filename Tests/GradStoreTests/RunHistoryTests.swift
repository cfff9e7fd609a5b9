import Foundation
import Testing
@testable import GradStore

@Suite struct RunHistoryTests {
    @Test(arguments: StoreBackend.all)
    func redefinitionKeepsEachRunsOwnGraph(on backend: StoreBackend) throws {
        let history = try backend.open()
        let store = history.store
        let seed = try SeedRecording.record(into: store)
        // x = 3: a new definition of x; J's definition is unchanged but now reads the new x.
        let newX = try store.insertNode(NodeRecord(sessionID: seed.sessionID, cellID: nil, name: "x", op: "const",
                                                   inputs: [], shape: [], isParam: false, expr: "3", leafValue: [3]))
        var ids = seed.nodeIDs
        ids["x"] = newX
        let secondRun = try store.insertRun(
            RunRecord(sessionID: seed.sessionID, cellID: nil, kind: .backward, target: "J"),
            nodeIDs: Array(ids.values), values: [])
        let first = try store.nodes(ofRun: seed.runID)
        let second = try store.nodes(ofRun: secondRun)
        #expect(first.first { $0.name == "x" }?.leafValue == [-2])
        #expect(second.first { $0.name == "x" }?.leafValue == [3])
        #expect(first.count == 8 && second.count == 8)
        // Both definitions of x are rows of `nodes`; each run's graph names one.
        #expect(try store.query("SELECT count(*) FROM nodes WHERE name = 'x'").rows == [[.integer(2)]])
        let changed = try store.query("""
            SELECT b.name FROM run_nodes AS b
            LEFT JOIN run_nodes AS a ON a.run_id = ?1 AND a.node_id = b.node_id
            WHERE b.run_id = ?2 AND a.node_id IS NULL
            """, arguments: [.integer(seed.runID), .integer(secondRun)])
        #expect(changed.rows == [[.text("x")]])
        // The second run recorded nothing, so x = 3 comes from its definition (not a param),
        // while the params are not recorded anywhere for that run.
        let snapshot = try store.snapshot(ofRun: secondRun)
        #expect(snapshot.leavesNotStoredInFull.map(\.name).sorted() == ["b", "w"])
    }

    @Test(arguments: StoreBackend.all)
    func trainingStepsShareOneGraphAndReuseUnchangedTensors(on backend: StoreBackend) throws {
        let opened = try backend.open()
        let store = opened.store
        let sessionID = try store.beginSession(kind: .batch, notebook: nil)
        let X = try store.insertNode(NodeRecord(sessionID: sessionID, cellID: nil, name: "X", op: "const", inputs: [],
                                                shape: [2, 2], isParam: false, leafValue: [1, 2, 3, 4]))
        let W = try store.insertNode(NodeRecord(sessionID: sessionID, cellID: nil, name: "W", op: "param", inputs: [],
                                                shape: [2], isParam: true, leafValue: [0.5, -0.5]))
        let L = try store.insertNode(NodeRecord(sessionID: sessionID, cellID: nil, name: "L", op: "mse", inputs: ["X", "W"],
                                                shape: [], isParam: false, expr: "mse(X @ W, 0)"))
        let trainID = try store.beginTrain(TrainRecord(sessionID: sessionID, cellID: nil, target: "L",
                                                       optimizerJSON: #"{"name":"sgd","lr":0.1}"#, steps: 3))
        // As a caller writing steps on its training thread would: bytes now, JSON afterwards.
        store.defersTrainingJSON = true
        var w = [0.5, -0.5]
        var expected: [[SQLValue]] = []
        for step in 0..<3 {
            let grad = [w[0] * 2, w[1] * 2]
            expected.append([.integer(Int64(step)), .text("W"), .text(try TensorJSON.encode(shape: [2], elements: w)),
                             .text(try TensorJSON.encode(shape: [2], elements: grad)),
                             .real(TensorSummary(summarizing: grad).l2)])
            _ = try store.insertRun(
                RunRecord(sessionID: sessionID, cellID: nil, kind: .train, target: "L", step: step,
                          loss: w[0] * w[0] + w[1] * w[1], trainID: trainID, recordPolicy: .params),
                nodeIDs: [L, W, X],
                values: [ValueRecord(nodeID: X, shape: [2, 2], value: .full([1, 2, 3, 4]), grad: nil),
                         ValueRecord(nodeID: W, shape: [2], value: .full(w), grad: .full(grad)),
                         ValueRecord(nodeID: L, shape: [], value: .full([w[0] * w[0] + w[1] * w[1]]), grad: .full([1]))])
            w = [w[0] - 0.1 * grad[0], w[1] - 0.1 * grad[1]]
        }
        #expect(try store.query("SELECT count(*) FROM graph").rows == [[.integer(1)]])
        // X once, W's value and grad at each of 3 steps.
        #expect(try store.query("SELECT count(*) FROM tensor").rows == [[.integer(7)]])
        // Training steps wrote bytes only; finishing the statement writes the JSON.
        #expect(try store.query("SELECT count(*) FROM run_values WHERE value_stored = 'full' AND value_json IS NULL").rows
                == [[.integer(6)]])
        try store.flushDeferredJSON()
        #expect(try store.query("SELECT count(*) FROM tensor WHERE json IS NULL").rows == [[.integer(0)]])
        let params = try store.query("""
            SELECT step, name, value_json, grad_json, grad_norm FROM param_history WHERE train_id = ?1 ORDER BY step
            """, arguments: [.integer(trainID)])
        #expect(params.rows == expected)
        #expect(params.rows[1][2] == .text("[0.4,-0.4]"))
        let steps = try store.query("SELECT step, loss, optimizer FROM train_steps ORDER BY step")
        #expect(steps.rows.map { $0[0] } == [.integer(0), .integer(1), .integer(2)])
        #expect(steps.rows.first?[2] == .text(#"{"name":"sgd","lr":0.1}"#))
        let runs = try store.runs(sessionID: sessionID, limit: 2)
        #expect(runs.map(\.step) == [1, 2])
        #expect(runs.allSatisfy { $0.kind == .train && $0.trainID == trainID && $0.optimizerJSON != nil })
    }

    @Test func jsonLeftBehindByADeadProcessIsWrittenOnTheNextOpen() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("crashed.db")
        do {
            let store = try RunStore(path: path)
            store.defersTrainingJSON = true
            let sessionID = try store.beginSession(kind: .batch, notebook: nil)
            let W = try store.insertNode(NodeRecord(sessionID: sessionID, cellID: nil, name: "W", op: "param", inputs: [],
                                                    shape: [2], isParam: true, leafValue: [1, 2]))
            _ = try store.insertRun(RunRecord(sessionID: sessionID, cellID: nil, kind: .train, target: "W", step: 0),
                                    nodeIDs: [W], values: [ValueRecord(nodeID: W, shape: [2], value: .full([1, 2]), grad: nil)])
            // As if the process died here: nothing flushes.
            store.hasDeferredJSON = false
        }
        let reader = try RunStore(path: path, mode: .readOnly)
        #expect(try reader.query("SELECT value_json, value_stored FROM run_values").rows == [[.null, .text("full")]])
        let reopened = try RunStore(path: path)
        #expect(try reopened.query("SELECT value_json FROM run_values").rows == [[.text("[1,2]")]])
        #expect(try reader.query("SELECT value_json FROM run_values").rows == [[.text("[1,2]")]])
    }

    @Test(arguments: StoreBackend.all)
    func summariesAreStoredForLargeTensors(on backend: StoreBackend) throws {
        let history = try backend.open()
        let store = history.store
        let sessionID = try store.beginSession(kind: .batch, notebook: nil)
        let H = try store.insertNode(NodeRecord(sessionID: sessionID, cellID: nil, name: "H", op: "relu", inputs: [],
                                                shape: [2, 3], isParam: false))
        let elements: [Double] = [0, 1, 2, 3, 4, -10]
        let runID = try store.insertRun(
            RunRecord(sessionID: sessionID, cellID: nil, kind: .backward, target: "H"), nodeIDs: [H],
            values: [ValueRecord(nodeID: H, shape: [2, 3], value: .summary(TensorSummary(summarizing: elements)), grad: nil)])
        let row = try store.query("""
            SELECT shape, value, value_json, value_stored, grad_stored, numel, value_min, value_max, value_mean, value_l2
            FROM run_values WHERE run_id = ?1
            """, arguments: [.integer(runID)]).rows
        #expect(row == [[.text("[2,3]"), .null, .null, .text("summary"), .null, .integer(6), .real(-10), .real(4),
                         .real(0), .real((130.0).squareRoot())]])
        let read = try store.values(ofRun: runID)
        #expect(read == [ValueRecord(nodeID: H, shape: [2, 3], value: .summary(TensorSummary(summarizing: elements)),
                                     grad: nil, name: "H")])
    }

    @Test(arguments: StoreBackend.all)
    func scalarEdgeValuesRoundTripExactly(on backend: StoreBackend) throws {
        let history = try backend.open()
        let store = history.store
        let sessionID = try store.beginSession(kind: .batch, notebook: nil)
        let edge: [Double] = [-0.0, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, 0.1 + 0.2, 1e308]
        var ids: [Int64] = []
        for index in edge.indices {
            ids.append(try store.insertNode(NodeRecord(sessionID: sessionID, cellID: nil, name: "s\(index)", op: "const",
                                                       inputs: [], shape: [], isParam: false)))
        }
        let runID = try store.insertRun(
            RunRecord(sessionID: sessionID, cellID: nil, kind: .forward, target: nil), nodeIDs: ids,
            values: zip(ids, edge).map { ValueRecord(nodeID: $0, shape: [], value: .full([$1]), grad: .full([-$1])) })
        let read = try store.values(ofRun: runID)
        // Every bit survives except a NaN's sign and payload (JSON null; the REAL is NULL).
        func bits(_ value: Double?) -> UInt64? { value.map { $0.isNaN ? Double.nan.bitPattern : $0.bitPattern } }
        #expect(read.map { bits($0.value?.elements?.first) } == edge.map { bits($0) })
        #expect(read.map { bits($0.grad?.elements?.first) } == edge.map { bits(-$0) })
        let json = try store.query("SELECT value_json FROM run_values WHERE run_id = ?1 ORDER BY node_id",
                                   arguments: [.integer(runID)]).rows.map { $0[0] }
        #expect(json == ["-0", "null", "9e999", "-9e999", "5e-324", "0.30000000000000004", "1e+308"].map { .text($0) })
        // NaN cannot be a REAL: the value column is NULL while value_json says null.
        #expect(try store.query("SELECT value FROM run_values WHERE name = 's1'").rows == [[.null]])
    }

    @Test(arguments: StoreBackend.all)
    func historyServesTailRangeAndSearch(on backend: StoreBackend) throws {
        let history = try backend.open()
        let store = history.store
        let first = try store.beginSession(kind: .repl, notebook: nil)
        for (count, source) in [(1, "x = 1"), (2, "y = x + 1"), (3, "x = 1")] {
            let cell = try store.beginCell(sessionID: first, executionCount: count, source: source)
            try store.finishCell(cell, status: .ok, error: nil, outputsJSON: nil, durationMs: 1)
        }
        let second = try store.beginSession(kind: .repl, notebook: nil)
        let failing = try store.beginCell(sessionID: second, executionCount: 1, source: "z = y * q")
        try store.finishCell(failing, status: .error, error: "1:9: unknown name q", outputsJSON: nil, durationMs: 1)
        _ = try store.beginCell(sessionID: second, executionCount: 2, source: "backward z")

        #expect(try store.history(.tail(count: 2)).map(\.source) == ["z = y * q", "backward z"])
        #expect(try store.history(.tail(count: 10)).count == 5)
        #expect(try store.history(.tail(count: 10, unique: true)).map(\.source)
                == ["y = x + 1", "x = 1", "z = y * q", "backward z"])
        #expect(try store.history(.range(sessionID: first, start: 2, stop: nil)).map(\.executionCount) == [2, 3])
        #expect(try store.history(.range(sessionID: first, start: 1, stop: 3)).map(\.source) == ["x = 1", "y = x + 1"])
        #expect(try store.history(.search(pattern: "x*", count: 10)).map(\.executionCount) == [1, 3])
        #expect(try store.history(.search(pattern: "x*", count: 10, unique: true)).count == 1)
        #expect(try store.history(.search(pattern: "*z*", count: 1)).map(\.source) == ["backward z"])
        let failed = try #require(store.history(.search(pattern: "z = *", count: 1)).first)
        #expect(failed.status == .error && failed.sessionID == second)
        #expect(try store.query("SELECT status, error FROM cells WHERE cell_id = ?1", arguments: [.integer(failing)]).rows
                == [[.text("error"), .text("1:9: unknown name q")]])
    }

    @Test(arguments: StoreBackend.all)
    func sessionsAndCellsRecordTheirLifecycle(on backend: StoreBackend) throws {
        let history = try backend.open()
        let store = history.store
        let sessionID = try store.beginSession(kind: .kernel, notebook: "lesson.ipynb")
        let cellID = try store.beginCell(sessionID: sessionID, executionCount: 4, source: "1 + 1")
        #expect(try store.query("SELECT status, outputs FROM cells").rows == [[.null, .null]])
        let outputs = #"[{"output_type":"execute_result","execution_count":4,"data":{"text/plain":"2"},"metadata":{}}]"#
        try store.finishCell(cellID, status: .ok, error: nil, outputsJSON: outputs, durationMs: 0.25)
        try store.endSession(sessionID)
        // (JSON functions are each database's own: the outputs are compared as the text stored.)
        let cell = try store.query("SELECT execution_count, status, duration_ms, outputs FROM cells")
        #expect(cell.rows == [[.integer(4), .text("ok"), .real(0.25), .text(outputs)]])
        let session = try #require(try store.session(sessionID))
        #expect(session.kind == .kernel && session.notebook == "lesson.ipynb" && session.endedAt != nil)
        // Outputs that are not JSON break the schema's check (SQLiteError or PostgresError): refused, nothing changed.
        #expect(throws: (any Error).self) {
            try store.finishCell(cellID, status: .ok, error: nil, outputsJSON: "not json", durationMs: nil)
        }
        #expect(try store.query("SELECT outputs FROM cells").rows == [[.text(outputs)]])
    }
}
