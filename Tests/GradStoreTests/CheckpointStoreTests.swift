import Foundation
import Testing
@testable import GradStore

/// Training checkpoints in the store: a step's optimizer state written with the step by the
/// writer thread, read back exactly, found from any later step, and shown by the views.
@Suite struct CheckpointStoreTests {
    /// Steps 0..<count of one train() call on `history`'s param W (shape [2, 3]); the steps in
    /// `checkpoints` carry an Adam-like state whose buffers hold awkward bit patterns.
    static func train(_ history: ParamHistory, count: Int, checkpoints: Set<Int>) throws -> [Int64] {
        let writer = try TrainingWriter(store: history.store)
        var random = TestRandom(state: 0x1234_5678)
        for step in 0..<count {
            let elements = (0..<6).map { Double(step) + Double($0) / 8 }
            let isCheckpoint = checkpoints.contains(step)
            let value: TensorData = isCheckpoint ? .full(elements) : .summary(TensorSummary(summarizing: elements))
            var buffers: [OptimizerBufferRecord] = []
            if isCheckpoint && step > 0 {
                // -0.0, a subnormal, infinities and arbitrary patterns must come back as they went in.
                let awkward = [-0.0, Double.leastNonzeroMagnitude, .infinity, -.infinity] + (0..<2).map { _ in random.anyDouble() }
                buffers = [OptimizerBufferRecord(nodeID: history.nodeID, slot: "exp_avg", shape: [2, 3], elements: awkward),
                           OptimizerBufferRecord(nodeID: history.nodeID, slot: "exp_avg_sq", shape: [2, 3], elements: elements)]
            }
            let train = step == 0 ? TrainRecord(sessionID: history.sessionID, cellID: nil, target: "W",
                                                optimizerJSON: "{\"name\":\"adam\",\"lr\":0.1}", steps: count, checkpointEvery: 4) : nil
            try writer.submit(TrainingWriter.Step(
                train: train,
                run: RunRecord(sessionID: history.sessionID, cellID: nil, kind: .train, target: "W", step: step, loss: Double(step),
                               recordPolicy: .params),
                nodeIDs: [history.nodeID],
                values: [ValueRecord(nodeID: history.nodeID, shape: [2, 3], value: value, grad: value)],
                checkpoint: isCheckpoint ? CheckpointRecord(optimizerSteps: step, buffers: buffers) : nil))
        }
        return try writer.finish()
    }

    @Test func aCheckpointsStateComesBackBitForBitAndIsFoundFromLaterSteps() throws {
        let history = try ParamHistory(shape: [2, 3])
        let runs = try Self.train(history, count: 10, checkpoints: [0, 4, 8, 9])
        let store = history.store
        let stored = try #require(try store.checkpoint(ofRun: runs[4]))
        #expect(stored.step == 4 && stored.runID == runs[4] && stored.record.optimizerSteps == 4)
        #expect(stored.record.buffers.map(\.slot) == ["exp_avg", "exp_avg_sq"])
        let awkward = try #require(stored.record.buffers.first?.elements)
        #expect(awkward[0].sign == .minus && awkward[0] == 0 && awkward[1] == Double.leastNonzeroMagnitude && awkward[2] == .infinity)
        var random = TestRandom(state: 0x1234_5678)
        let expected = [-0.0, Double.leastNonzeroMagnitude, .infinity, -.infinity] + (0..<2).map { _ in random.anyDouble() }
        #expect(awkward.map(\.bitPattern) == expected.map(\.bitPattern))
        #expect(try store.checkpoint(ofRun: runs[3]) == nil)
        #expect(try store.checkpoint(ofRun: runs[0])?.record == CheckpointRecord(optimizerSteps: 0, buffers: []))

        let trainID = try #require(try store.run(runs[0])?.trainID)
        #expect(try store.latestCheckpoint(trainID: trainID, atOrBefore: 7)?.step == 4)
        #expect(try store.latestCheckpoint(trainID: trainID, atOrBefore: 4)?.step == 4)
        #expect(try store.latestCheckpoint(trainID: trainID, atOrBefore: 3)?.step == 0)
        #expect(try store.latestCheckpoint(trainID: trainID + 1, atOrBefore: 3) == nil)
        #expect(try store.checkpointInterval(ofTrain: trainID) == 4)
        #expect(try store.trainingSteps(trainID: trainID, steps: 2...5).compactMap(\.step) == [2, 3, 4, 5])

        // The public views: checkpoints lists them, train_steps flags them.
        #expect(try store.query("SELECT train_id, step, run_id, optimizer_steps, state_tensors, checkpoint_every FROM checkpoints ORDER BY step").rows
                == [0, 4, 8, 9].map { step in
                    [.integer(trainID), .integer(Int64(step)), .integer(runs[step]), .integer(Int64(step)), .integer(step == 0 ? 0 : 2), .integer(4)]
                })
        #expect(try store.query("SELECT group_concat(is_checkpoint, '') FROM (SELECT is_checkpoint FROM train_steps ORDER BY step)").rows
                == [[.text("1000100011")]])
        #expect(try store.query("SELECT count(*) FROM param_history WHERE value_json IS NULL AND grad_norm IS NOT NULL").rows == [[.integer(6)]])
    }

    @Test func aStateThatDoesNotFitItsShapeIsRefusedWithTheStep() throws {
        let history = try ParamHistory(shape: [2, 3])
        let run = try history.store.insertRun(
            RunRecord(sessionID: history.sessionID, cellID: nil, kind: .train, target: "W", step: 0),
            nodeIDs: [history.nodeID], values: [])
        let bad = CheckpointRecord(optimizerSteps: 1, buffers: [
            OptimizerBufferRecord(nodeID: history.nodeID, slot: "exp_avg", shape: [2, 3], elements: [1, 2]),
        ])
        #expect(throws: StoreError.self) { try history.store.insertCheckpoint(runID: run, bad) }
        #expect(try history.store.query("SELECT count(*) FROM checkpoint").rows == [[.integer(0)]])
        let unknownSlot = CheckpointRecord(optimizerSteps: 1, buffers: [
            OptimizerBufferRecord(nodeID: history.nodeID, slot: "velocity", shape: [1], elements: [1]),
        ])
        #expect(throws: SQLiteError.self) { try history.store.insertCheckpoint(runID: run, unknownSlot) }
        #expect(try history.store.query("SELECT count(*) FROM checkpoint").rows == [[.integer(0)]])
    }

    /// A history written before checkpoints existed is upgraded: its rows stay, its train()
    /// calls have no interval and no checkpoints, and the views read as before.
    @Test func aHistoryFromBeforeCheckpointsGainsThemWithoutLosingARow() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("before-checkpoints.db")
        let version = try #require(SchemaMigrator.gradbook.migrations.first { $0.name == "training checkpoints" }?.version)
        do {
            let database = try Database(path: path)
            try SchemaMigrator(migrations: SchemaMigrator.gradbook.migrations.filter { $0.version < version }).migrate(database)
            let time = "'2026-11-27T04:31:12.345Z'"
            try database.execute("""
                INSERT INTO session(id, kind, notebook, started_at) VALUES (1, 'batch', 'train.grad', \(time));
                INSERT INTO node(id, session_id, name, op, inputs, shape, is_param, expr, defined_at)
                    VALUES (1, 1, 'w', 'param', '[]', '[]', 1, 'param(2)', \(time));
                INSERT INTO train(id, session_id, target, optimizer, steps, started_at) VALUES (1, 1, 'w', '{"name":"sgd","lr":0.1}', 2, \(time));
                INSERT INTO run(id, session_id, kind, target, target_node_id, step, loss, started_at, train_id, record_policy)
                    VALUES (1, 1, 'train', 'w', 1, 0, 4, \(time), 1, 'params'), (2, 1, 'train', 'w', 1, 1, 2.56, \(time), 1, 'params');
                INSERT INTO value(run_id, node_id, shape, numel, value_storage, grad_storage, value, value_json, grad, grad_json)
                    VALUES (1, 1, '[]', 1, 2, 2, 2.0, '2', 4.0, '4'), (2, 1, '[]', 1, 2, 2, 1.6, '1.6', 3.2, '3.2');
                """)
        }
        let store = try RunStore(path: path)
        #expect(store.schemaVersion == SchemaMigrator.gradbook.latestVersion)
        #expect(try store.query("SELECT step, loss, is_checkpoint FROM train_steps ORDER BY step").rows
                == [[.integer(0), .real(4), .integer(0)], [.integer(1), .real(2.56), .integer(0)]])
        #expect(try store.query("SELECT step, value, grad FROM param_history ORDER BY step").rows
                == [[.integer(0), .real(2), .real(4)], [.integer(1), .real(1.6), .real(3.2)]])
        #expect(try store.query("SELECT checkpoint_every FROM train").rows == [[.null]])
        #expect(try store.query("SELECT count(*) FROM checkpoints").rows == [[.integer(0)]])
        #expect(try store.checkpointInterval(ofTrain: 1) == nil)
        #expect(try store.query("PRAGMA foreign_key_check").rows.isEmpty)
        #expect(try store.query("PRAGMA integrity_check").rows == [[.text("ok")]])
    }
}
