import Foundation
import GradSession
import GradStore
import Testing

/// What a train() call records under each `%record` policy (SPEC §3): summaries at every step,
/// checkpoints (params in full and the optimizer state) at the first, every K-th and the last
/// finished step; and the replay of any step, between checkpoints by re-execution.
@Suite struct TrainingHistoryTests {
    func makeSession() throws -> Session {
        try Session(store: RunStore(path: ":memory:"), kind: .batch, notebook: nil)
    }

    func run(_ session: Session, _ source: String) throws {
        let result = session.execute(source)
        try #require(result.status == .ok, "\(source)\n\(result.errorText ?? "")")
    }

    func rows(_ session: Session, _ sql: String) throws -> [[SQLValue]] {
        try session.store.query(sql).rows
    }

    func text(of result: CellResult) -> String {
        result.outputs.compactMap { output -> String? in
            switch output {
            case .display(let rich): return rich.plain
            case .stdout(let text), .stderr(let text): return text
            default: return nil
            }
        }.joined(separator: "\n")
    }

    /// A classifier with a one-element param `scale` beside its tensor params.
    static let classifier = """
    X, labels = moons(30, noise=0.1, seed=7)
    W1 = param(randn(2, 6, seed=8) * 0.5)
    b1 = param(zeros(6))
    W2 = param(randn(6, 2, seed=9) * 0.5)
    scale = param(1)
    hidden = tanh(X @ W1 + b1)
    logits = scale * (hidden @ W2)
    loss = cross_entropy(logits, labels)
    """

    func checkpointSteps(_ session: Session) throws -> [Int64] {
        try rows(session, "SELECT step FROM checkpoints WHERE train_id = (SELECT max(train_id) FROM train_steps) ORDER BY step")
            .compactMap { $0.first?.integerValue }
    }

    func stepRun(_ session: Session, _ step: Int) throws -> Int64 {
        try #require(try rows(session, "SELECT run_id FROM train_steps WHERE train_id = (SELECT max(train_id) FROM train_steps) AND step = \(step)")
            .first?.first?.integerValue)
    }

    @Test func theDefaultPolicyStoresSummariesAndCheckpointsWithTheOptimizerState() throws {
        let session = try makeSession()
        try run(session, Self.classifier)
        try run(session, "train(loss, steps=25, lr=0.05, optimizer=\"adam\", checkpoint_every=10)")
        #expect(try checkpointSteps(session) == [0, 10, 20, 24])
        #expect(try rows(session, "SELECT checkpoint_every, optimizer_steps FROM checkpoints ORDER BY step").map { $0.map(\.integerValue) }
                == [[10, 0], [10, 10], [10, 20], [10, 24]])
        // Only params have value rows in a training step: summaries between checkpoints (the
        // one-element `scale` in full), everything in full at checkpoints.
        let stored = try rows(session, """
            SELECT r.is_checkpoint, v.name, v.value_stored, v.grad_stored, count(*)
            FROM train_steps AS r JOIN run_values AS v USING (run_id)
            GROUP BY 1, 2, 3, 4 ORDER BY 1, 2
            """).map { $0.map(\.displayText) }
        #expect(stored == [
            ["0", "W1", "summary", "summary", "21"], ["0", "W2", "summary", "summary", "21"],
            ["0", "b1", "summary", "summary", "21"], ["0", "scale", "full", "full", "21"],
            ["1", "W1", "full", "full", "4"], ["1", "W2", "full", "full", "4"],
            ["1", "b1", "full", "full", "4"], ["1", "scale", "full", "full", "4"],
        ])
        // Norms at every step; full tensors only at checkpoints (and the one-element param, always).
        #expect(try rows(session, "SELECT count(*), count(grad_norm), count(value_norm), count(grad_json) FROM param_history WHERE kind = 'train'")
                == [[.integer(100), .integer(100), .integer(100), .integer(16 + 21)]])
        // Adam's two moments per param once it has stepped; none before its first step.
        #expect(try rows(session, "SELECT step, state_tensors FROM checkpoints ORDER BY step").map { $0.map(\.integerValue) }
                == [[0, 0], [10, 8], [20, 8], [24, 8]])
        #expect(try rows(session, "SELECT DISTINCT slot FROM optimizer_state ORDER BY slot").map { $0.map(\.displayText) }
                == [["exp_avg"], ["exp_avg_sq"]])
        #expect(try rows(session, "SELECT sum(is_checkpoint), count(*) FROM train_steps") == [[.integer(4), .integer(25)]])
    }

    @Test func aTrainStatementSaysHowLongItsEndWaitedForTheWriter() throws {
        let session = try makeSession()
        try run(session, Self.classifier)
        #expect(session.lastTrainingWriteWait == nil)
        // A monotonic clock, as the session's: the wall clock may be set back meanwhile.
        let started = ProcessInfo.processInfo.systemUptime
        try run(session, "train(loss, steps=3, lr=0.05)")
        let elapsed = ProcessInfo.processInfo.systemUptime - started
        let wait = try #require(session.lastTrainingWriteWait)
        #expect(wait >= 0 && wait <= elapsed)
    }

    @Test func theIntervalComesFromTheRecordMagicUnlessTrainSetsIt() throws {
        let session = try makeSession()
        try run(session, Self.classifier)
        let shown = session.execute("%record params --checkpoint-every 7")
        #expect(shown.status == .ok)
        #expect(text(of: shown).contains("%record params --checkpoint-every 7"), "\(text(of: shown))")
        #expect(session.checkpointEvery == 7)
        try run(session, "train(loss, steps=16, lr=0.05)")
        #expect(try checkpointSteps(session) == [0, 7, 14, 15])
        try run(session, "train(loss, steps=5, lr=0.05, checkpoint_every=2)")
        #expect(try checkpointSteps(session) == [0, 2, 4])
        try run(session, "%record --checkpoint-every=3")
        #expect(session.recordPolicy == .params && session.checkpointEvery == 3)

        for (bad, message) in [("%record params --checkpoint-every 0", "--checkpoint-every takes a whole number of steps of at least 1, not '0'"),
                               ("%record params --checkpoint-every", "not ''"),
                               ("%record sometimes", "%record takes all, params, scalars or none, not 'sometimes'")] {
            let result = session.execute(bad)
            #expect(result.status == .error && result.errorText?.contains(message) == true, "\(bad): \(result.errorText ?? "")")
        }
        #expect(session.checkpointEvery == 3)
        let badArgument = session.execute("train(loss, steps=5, checkpoint_every=0)")
        #expect(badArgument.status == .error && badArgument.errorText?.contains("checkpoint_every") == true, "\(badArgument.errorText ?? "")")
    }

    @Test func recordAllKeepsEverythingAndScalarsKeepsNoCheckpoints() throws {
        let session = try makeSession()
        try run(session, Self.classifier)
        try run(session, "%record all\ntrain(loss, steps=6, lr=0.05, optimizer=\"momentum\", checkpoint_every=4)")
        #expect(try checkpointSteps(session) == [0, 4, 5])
        #expect(try rows(session, """
            SELECT count(*), sum(value_stored = 'full') FROM run_values
            WHERE run_id IN (SELECT run_id FROM train_steps WHERE train_id = (SELECT max(train_id) FROM train_steps))
            """) == [[.integer(6 * 9), .integer(6 * 9)]])
        // Momentum keeps one buffer per param once it has stepped.
        #expect(try rows(session, "SELECT step, state_tensors FROM checkpoints ORDER BY step").map { $0.map(\.integerValue) }
                == [[0, 0], [4, 4], [5, 4]])

        try run(session, "%record scalars\ntrain(loss, steps=3, lr=0.05)")
        #expect(try checkpointSteps(session) == [])
        #expect(try rows(session, "SELECT checkpoint_every FROM train ORDER BY id DESC LIMIT 1") == [[.null]])
        let step = try stepRun(session, 1)
        let refused = session.execute("%rerun \(step)")
        #expect(refused.errorText?.contains("the param 'W1' (shape [2, 6]) was not stored in full in that run (it was recorded under %record scalars)") == true,
                "\(refused.errorText ?? "")")
    }

    @Test func anInterruptMakesTheLastFinishedStepACheckpoint() throws {
        let session = try makeSession()
        try run(session, Self.classifier)
        // Ctrl-C once seven steps are done: the training stops before step 7.
        session.progressHandler = { [interrupt = session.interrupt] progress in
            if progress.step == 7 && !progress.finished { interrupt.raise() }
        }
        let result = session.execute("train(loss, steps=50, lr=0.05, optimizer=\"adam\")")
        #expect(result.status == .error && result.errorName == "KeyboardInterrupt", "\(result.errorText ?? "")")
        #expect(try rows(session, "SELECT count(*), max(step) FROM train_steps") == [[.integer(7), .integer(6)]])
        #expect(try checkpointSteps(session) == [0, 6])
        let report = try Replayer.replay(run: try stepRun(session, 6), store: session.store, recording: nil)
        #expect(report.isIdentical && report.reexecution == nil, "\(report.text)")
        let middle = try Replayer.replay(run: try stepRun(session, 4), store: session.store, recording: nil)
        #expect(middle.isIdentical && middle.reexecution?.checkpointStep == 0, "\(middle.text)")
    }

    @Test func aTrainingThatFailsKeepsItsLastFinishedStepAsACheckpoint() throws {
        let session = try makeSession()
        // w steps [0, 0] → [1, 1] → [2, 2] → [3, 3]; one_hot of 3 in 3 classes fails in the
        // forward pass after step 2's update.
        try run(session, "w = param([0, 0])\nJ = sum(one_hot(w, 3)) * 0 - sum(w)")
        let result = session.execute("train(J, steps=10, lr=1)")
        #expect(result.status == .error && result.errorText?.contains("not a class index") == true, "\(result.errorText ?? "")")
        #expect(try rows(session, "SELECT step, loss FROM train_steps ORDER BY step") == [
            [.integer(0), .real(0)], [.integer(1), .real(-2)], [.integer(2), .real(-4)],
        ])
        #expect(try checkpointSteps(session) == [0, 2])
        let report = try Replayer.replay(run: try stepRun(session, 1), store: session.store, recording: nil)
        #expect(report.isIdentical && report.reexecution != nil, "\(report.text)")
    }

    @Test func everyStepReplaysAndStoreKeepsTheStepInFull() throws {
        let session = try makeSession()
        try run(session, Self.classifier)
        try run(session, "train(loss, steps=12, lr=0.1, optimizer=\"momentum\", weight_decay=0.01, lr_end=0.02, checkpoint_every=5)")
        #expect(try checkpointSteps(session) == [0, 5, 10, 11])
        let cache = ReplayCache()
        for step in 0..<12 {
            let report = try Replayer.replay(run: try stepRun(session, step), store: session.store, recording: nil, cache: cache)
            #expect(report.isIdentical, "step \(step): \(report.text)")
            #expect(report.reexecution?.checkpointStep == ([0, 5, 10, 11].contains(step) ? nil : step / 5 * 5), "step \(step)")
        }
        let step = try stepRun(session, 8)
        let rerun = session.execute("%rerun \(step) --store")
        #expect(rerun.status == .ok, "\(rerun.errorText ?? "")")
        #expect(text(of: rerun).contains("re-executed from the checkpoint at step 5 (run \(try stepRun(session, 5))): 3 steps before this one"),
                "\(text(of: rerun))")
        let replay = try #require(try rows(session, "SELECT max(run_id) FROM runs WHERE kind = 'replay'").first?.first?.integerValue)
        // Every named node of the step in full, readable with SQL.
        #expect(try rows(session, "SELECT count(*), sum(value_stored = 'full'), count(grad_json), min(record_policy) FROM run_values JOIN runs USING (run_id) WHERE run_id = \(replay)")
                == [[.integer(9), .integer(9), .integer(8), .text("all")]])
        #expect(try rows(session, "SELECT r.step, r.replay_of FROM runs AS r WHERE run_id = \(replay)") == [[.integer(8), .integer(step)]])
        // The summaries the training stored are those of the stored full tensors.
        #expect(try rows(session, """
            SELECT count(*) FROM run_values AS f JOIN run_values AS s ON s.run_id = \(step) AND s.node_id = f.node_id
            WHERE f.run_id = \(replay) AND f.grad_l2 IS s.grad_l2 AND f.value_mean IS s.value_mean AND f.value_max IS s.value_max
            """) == [[.integer(4)]])
        #expect(session.execute("%rerun \(step) --store extra").errorText?.contains("%rerun takes one run id") == true)
    }

    @Test func theFirstReexecutedStepThatDiffersIsNamed() throws {
        let session = try makeSession()
        try run(session, Self.classifier)
        try run(session, "train(loss, steps=10, lr=0.05, optimizer=\"adam\")")
        let third = try stepRun(session, 3)
        _ = try session.store.query("""
            UPDATE value SET grad_l2 = grad_l2 * 2 WHERE run_id = \(third) AND node_id = (SELECT node_id FROM nodes WHERE name = 'W2')
            """, allowWrites: true)
        let report = try Replayer.replay(run: try stepRun(session, 6), store: session.store, recording: nil)
        #expect(!report.isIdentical && report.comparisons.isEmpty)
        let difference = try #require(report.reexecution?.firstDifference)
        #expect(difference.step == 3 && difference.runID == third && difference.name == "W2" && difference.quantity == "gradient")
        #expect(report.text.contains("DIFFERENT: re-executed from the checkpoint at step 0 (run \(try stepRun(session, 0))), step 3 (run \(third)) differs first: gradient of W2: summary L2 norm: stored "),
                "\(report.text)")
        // Before the tampered step, nothing differs.
        #expect(try Replayer.replay(run: try stepRun(session, 2), store: session.store, recording: nil).isIdentical)
        let second = try stepRun(session, 2)
        _ = try session.store.query("UPDATE run SET loss = loss + 1e-9 WHERE id = \(second)", allowWrites: true)
        let loss = try Replayer.replay(run: try stepRun(session, 5), store: session.store, recording: nil)
        #expect(loss.reexecution?.firstDifference?.name == "loss" && loss.reexecution?.firstDifference?.step == 2, "\(loss.text)")
        #expect(loss.text.contains("step 2 (run \(second)) differs first: the loss: stored "), "\(loss.text)")
        let rerun = session.execute("%rerun \(try stepRun(session, 7))")
        #expect(rerun.status == .error)
        #expect(rerun.errorText?.contains("differs from the stored run at step 2 (run \(second)), loss") == true, "\(rerun.errorText ?? "")")
        #expect(try rows(session, "SELECT count(*) FROM runs WHERE kind = 'replay'") == [[.integer(0)]])
    }

    @Test func aMissingCheckpointIsSaid() throws {
        let session = try makeSession()
        try run(session, Self.classifier)
        try run(session, "train(loss, steps=6, lr=0.05)")
        let first = try stepRun(session, 0)
        _ = try session.store.query("DELETE FROM optimizer_state WHERE run_id = \(first); DELETE FROM checkpoint WHERE run_id = \(first);",
                                    allowWrites: true)
        let step = try stepRun(session, 3)
        let error = try #require(throws: ReplayError.self) { try Replayer.replay(run: step, store: session.store, recording: nil) }
        let trainID = try #require(try rows(session, "SELECT max(train_id) FROM train_steps").first?.first?.integerValue)
        #expect(error.description == "cannot replay run \(step): it is step 3 of a train() call (train_id \(trainID)) recorded under %record params with the param 'W1' (shape [2, 6]) as a summary, and no checkpoint of that call is stored at or before step 3 to re-execute it from; train under %record params (the default, with checkpoints) or %record all to make its steps replayable")
    }
}
