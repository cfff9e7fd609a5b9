import Foundation
import GradSession
import GradStore
import Testing

/// Replay (`%rerun`, `Replayer`) and run diffs (`%diff`, `RunDiffer`) over real sessions.
@Suite struct ReplayTests {
    static let seed = """
    x = -2
    w = param(2)
    b = param(8)
    y = 2
    c = w * x
    a = c + b
    d = a - y
    J = 0.5 * d^2
    """

    /// A small classifier: tensor params, a dataset leaf, class labels that the backward pass
    /// does not reach (cross_entropy is not differentiable in its labels).
    static let classifier = """
    X, labels = moons(40, noise=0.1, seed=4)
    W1 = param(randn(2, 8, seed=5) * 0.5)
    b1 = param(zeros(8))
    W2 = param(randn(8, 2, seed=6) * 0.5)
    b2 = param(zeros(2))
    hidden = tanh(X @ W1 + b1)
    logits = hidden @ W2 + b2
    loss = cross_entropy(logits, labels) + 0.001 * sum(W1 * W1)
    """

    func makeSession(path: String = ":memory:") throws -> Session {
        try Session(store: RunStore(path: path), kind: .batch, notebook: nil)
    }

    func run(_ session: Session, _ source: String) throws {
        let result = session.execute(source)
        try #require(result.status == .ok, "\(source)\n\(result.errorText ?? "")")
    }

    func integers(_ session: Session, _ sql: String) throws -> [Int64] {
        try session.store.query(sql).rows.compactMap { $0.first?.integerValue }
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

    func latestRun(_ session: Session, kind: String) throws -> Int64 {
        try #require(try integers(session, "SELECT max(run_id) FROM runs WHERE kind = '\(kind)'").first)
    }

    @Test func seedBackwardReplaysBitForBitAndIsRecordedAsAReplay() throws {
        let session = try makeSession()
        try run(session, Self.seed)
        try run(session, "backward J")
        let original = try latestRun(session, kind: "backward")
        let result = session.execute("%rerun \(original)")
        #expect(result.status == .ok, "\(result.errorText ?? "")")
        #expect(text(of: result).contains("identical bit for bit: 8 gradients and 8 values"), "\(text(of: result))")
        let replay = try latestRun(session, kind: "replay")
        let row = try session.store.query("SELECT replay_of, target, session_id, cell_id IS NOT NULL, graph_id FROM runs WHERE run_id = \(replay)").rows
        let graph = try session.store.query("SELECT graph_id FROM runs WHERE run_id = \(original)").rows
        #expect(row == [[.integer(original), .text("J"), .integer(session.sessionID), .integer(1), graph[0][0]]])
        // The replay's rows hold the same gradients, exactly (compared as stored JSON text).
        let same = try integers(session, """
            SELECT count(*) FROM run_values AS r JOIN run_values AS o ON o.run_id = \(original) AND o.node_id = r.node_id
            WHERE r.run_id = \(replay) AND o.grad_json IS r.grad_json AND o.value_json IS r.value_json
            """)
        #expect(same == [8])
        // Without an argument, %rerun replays the session's latest backward or train run.
        let latest = session.execute("%rerun")
        #expect(latest.status == .ok)
        #expect(text(of: latest).contains("run \(original) (backward J)"), "\(text(of: latest))")
    }

    @Test func everyBackwardAndTrainingStepOfAClassifierReplaysIdentically() throws {
        let session = try makeSession()
        try run(session, Self.classifier)
        try run(session, "backward loss")
        try run(session, "train(loss, steps=12, lr=0.05, optimizer=\"adam\")")
        try run(session, "train(loss, steps=5, lr=0.1, optimizer=\"momentum\")")
        try run(session, "backward loss")
        let runs = try integers(session, "SELECT run_id FROM runs WHERE kind IN ('backward', 'train') ORDER BY run_id")
        // 2 backward runs, 17 training steps, and each train's backward pass at its trained values.
        #expect(runs.count == 21)
        // Training steps store their 4 params; steps 0 and the last of each call are checkpoints,
        // the others are re-executed from the checkpoint before them.
        let checkpoints = Set(try integers(session, "SELECT run_id FROM checkpoints"))
        #expect(checkpoints.count == 4)
        for runID in runs {
            let report = try Replayer.replay(run: runID, store: session.store, recording: ReplayRecording(sessionID: session.sessionID, cellID: nil))
            #expect(report.isIdentical, "\(report.text)")
            let isTrain = report.original.kind == .train
            #expect(report.comparisons.filter { $0.quantity == .gradient }.count == (isTrain ? 4 : 8), "\(report.text)")
            #expect((report.reexecution != nil) == (isTrain && !checkpoints.contains(runID)), "\(report.text)")
            // Labels are not reached by the gradient, so a backward run's graph lacks them.
            if report.original.kind == .backward { #expect(report.completedFromHistory == ["labels"]) }
        }
        #expect(try integers(session, "SELECT count(*) FROM runs WHERE kind = 'replay'") == [21])
        // A train step is replayed with the params' values AT that step, not their final values.
        let lastStep = try #require(try integers(session, "SELECT max(run_id) FROM runs WHERE kind = 'train'").first)
        let report = try Replayer.replay(run: lastStep, store: session.store, recording: nil)
        #expect(report.replayRunID == nil)
        let loss = try session.store.query("SELECT loss FROM runs WHERE run_id = \(lastStep)").rows
        #expect(loss.first?.first?.doubleValue != nil)
    }

    @Test func replayUsesTheRunsOwnDefinitionsAfterNamesWereRedefined() throws {
        let session = try makeSession()
        try run(session, Self.seed)
        try run(session, "backward J")
        let before = try latestRun(session, kind: "backward")
        try run(session, "x = 3\nc = w * x + 1\nbackward J")
        let after = try latestRun(session, kind: "backward")
        let first = try Replayer.replay(run: before, store: session.store, recording: ReplayRecording(sessionID: session.sessionID, cellID: nil))
        #expect(first.isIdentical, "\(first.text)")
        let replayedLoss = try session.store.query("SELECT loss FROM runs WHERE run_id = \(try #require(first.replayRunID))").rows
        #expect(replayedLoss == [[.real(2)]])
        let second = try Replayer.replay(run: after, store: session.store, recording: nil)
        #expect(second.isIdentical, "\(second.text)")

        let diff = try RunDiffer.diff(before, after, store: session.store)
        #expect(diff.nodeChanges.map(\.name) == ["x", "c"])
        #expect(diff.nodeChanges.allSatisfy { $0.change == .redefined })
        let c = try #require(diff.nodeChanges.first { $0.name == "c" })
        #expect(c.before == "w * x" && c.after == "w * x + 1")
        let loss = try #require(diff.values.first { $0.name == "J" })
        #expect(loss.before == "2" && loss.measure == "|Δ|")
        #expect(diff.gradients.contains { $0.name == "w" })
        #expect(diff.text.contains("nodes: 0 added, 0 removed, 2 redefined"), "\(diff.text)")
    }

    @Test func aRebuildKeepsTheOrderInWhichGradientsAreSummed() throws {
        // dJ/dx is 0.3 + 0.2 + 0.1 summed in the graph's order: the interpreter rebuilt its graph
        // in first-definition order (a, b, c) when `a` was redefined, while node ids put a last.
        let (ka, kb, kc): (Double, Double, Double) = (0.1, 0.2, 0.3)
        let graphOrder = (kc + kb) + ka, nodeIDOrder = (ka + kc) + kb
        #expect(graphOrder != nodeIDOrder)
        let session = try makeSession()
        try run(session, "x = param(1)\na = x * 0.5\nb = x * 0.2\nc = x * 0.3\nJ = a + b + c\na = x * 0.1\nbackward J")
        let original = try latestRun(session, kind: "backward")
        let stored = try session.store.query("SELECT grad FROM run_values WHERE run_id = \(original) AND name = 'x'").rows
        #expect(stored == [[.real(graphOrder)]])
        let report = try Replayer.replay(run: original, store: session.store, recording: nil)
        #expect(report.isIdentical, "\(report.text)")
    }

    @Test func namesOnlyTheTargetExpressionMentionsAreTakenFromTheSession() throws {
        let session = try makeSession()
        // `i` only indexes: the gradient never reaches it, so the run's graph does not list it.
        try run(session, "w = param([1, 2, 3])\ni = 1\nbackward sum(w * w) + w[i]")
        let original = try latestRun(session, kind: "backward")
        let report = try Replayer.replay(run: original, store: session.store, recording: nil)
        #expect(report.isIdentical, "\(report.text)")
        #expect(report.completedFromHistory == ["i"])
    }

    @Test func aRedefinitionLaterInTheSameCellIsNotTakenForTheRunsInput() throws {
        // Found by the fuzzer: the run and the redefinition are recorded in the same millisecond,
        // so only the order of their rows can tell which came first.
        let session = try makeSession()
        try run(session, "w = param([1, 2, 3])\ni = 1\nbackward sum(w * w) + w[i]\ni = 2")
        let original = try latestRun(session, kind: "backward")
        let report = try Replayer.replay(run: original, store: session.store, recording: nil)
        #expect(report.isIdentical, "\(report.text)")
        #expect(report.completedFromHistory == ["i"])
        let later = session.execute("backward sum(w * w) + w[i]\n%rerun")
        #expect(later.status == .ok, "\(later.errorText ?? "")")
    }

    @Test func trainingAnUnnamedLossSaysHowToMakeItReplayable() throws {
        let session = try makeSession()
        try run(session, "w = param(3)\ntrain(w * w, steps=2, lr=0.1)")
        let step = try latestRun(session, kind: "train")
        let error = try #require(throws: ReplayError.self) { try Replayer.replay(run: step, store: session.store, recording: nil) }
        #expect(error.description.contains("name the loss (J = ...) before train(J, ...)"), "\(error)")
    }

    @Test func runsOfAnEarlierSessionReplayFromALaterOne() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("history.db").path
        let original: Int64
        do {
            let first = try makeSession(path: path)
            try run(first, Self.classifier)
            try run(first, "train(loss, steps=3, lr=0.1)")
            original = try latestRun(first, kind: "train")
            try first.close()
        }
        let second = try makeSession(path: path)
        try run(second, "loss = 42")  // the same name, unrelated now
        let result = second.execute("%rerun \(original)")
        #expect(result.status == .ok, "\(result.errorText ?? "")")
        #expect(text(of: result).contains("(train loss, step 2)"), "\(text(of: result))")
        let replay = try latestRun(second, kind: "replay")
        #expect(try integers(second, "SELECT session_id FROM runs WHERE run_id = \(replay)") == [second.sessionID])
    }

    @Test func aLeafNotStoredInFullIsNamedWithTheFix() throws {
        let session = try makeSession()
        try run(session, "%record scalars\nv = param([1, 2, 3])\nJ = sum(v * v)\nbackward J")
        let original = try latestRun(session, kind: "backward")
        let result = session.execute("%rerun \(original)")
        #expect(result.status == .error)
        let message = result.errorText ?? ""
        #expect(message.contains("the param 'v' (shape [3]) was not stored in full") && message.contains("%record all"), "\(message)")
        #expect(message.contains("1:1"), "the error points at the magic: \(message)")
        #expect(try integers(session, "SELECT count(*) FROM runs WHERE kind = 'replay'") == [0])
        // Recorded with %record all, the same graph replays.
        try run(session, "%record all\nbackward J")
        let full = session.execute("%rerun")
        #expect(full.status == .ok, "\(full.errorText ?? "")")
    }

    @Test func aRunThatStoredNothingIsNotVouchedFor() throws {
        let session = try makeSession()
        // No param: the leaf's value comes from its definition, so the run can be rebuilt, but
        // %record none stored no gradient or value to compare the replay with.
        try run(session, "%record none\nx = 2\nJ = x * x\nbackward J")
        let original = try latestRun(session, kind: "backward")
        let report = try Replayer.replay(run: original, store: session.store, recording: nil)
        #expect(report.comparisons.isEmpty && !report.isIdentical)
        #expect(report.text.contains("NOTHING TO COMPARE: the run stored no gradient and no value (it was recorded under %record none)"), "\(report.text)")
        let result = session.execute("%rerun \(original)")
        #expect(result.status == .error)
        #expect(result.errorText?.contains("stored nothing to compare") == true, "\(result.errorText ?? "")")
        #expect(Session.magicNames.contains("rerun") && Session.magicNames.contains("diff"))
    }

    @Test func aStoredGradientThatNoLongerMatchesIsListed() throws {
        let session = try makeSession()
        try run(session, Self.seed)
        try run(session, "backward J")
        let original = try latestRun(session, kind: "backward")
        _ = try session.store.query("""
            UPDATE value SET grad = -4.000000000000001, grad_json = '-4.000000000000001'
            WHERE run_id = \(original) AND node_id = (SELECT node_id FROM nodes WHERE name = 'w')
            """, allowWrites: true)
        let report = try Replayer.replay(run: original, store: session.store, recording: nil)
        #expect(!report.isIdentical)
        #expect(report.differences.map(\.name) == ["w"])
        #expect(report.text.contains("gradient of w: stored -4.000000000000001, replayed -4"), "\(report.text)")
        let result = session.execute("%rerun \(original)")
        #expect(result.status == .error)
        #expect(result.errorText?.contains("differs from the stored run at: w") == true, "\(result.errorText ?? "")")
        #expect(text(of: result).contains("DIFFERENT: 1 of 16"), "\(text(of: result))")
    }

    @Test func unseededRandomNumbersAreNamedAsTheReasonForADifference() throws {
        let session = try makeSession()
        try run(session, "w = param([1, 2])\nnoisy = w * rand(2)\nJ = sum(noisy)\nbackward J")
        let original = try latestRun(session, kind: "backward")
        let report = try Replayer.replay(run: original, store: session.store, recording: nil)
        #expect(!report.isIdentical)
        #expect(report.text.contains("note: noisy = w * rand(2) draws unseeded random numbers: give them a seed= to make replays reproducible"),
                "\(report.text)")
    }

    @Test func forwardRunsAndMissingRunsAreRefusedClearly() throws {
        let session = try makeSession()
        try run(session, "x = 2")
        let forward = try latestRun(session, kind: "forward")
        let refused = session.execute("%rerun \(forward)")
        #expect(refused.errorText?.contains("it is a forward run") == true, "\(refused.errorText ?? "")")
        let missing = session.execute("%rerun 999")
        #expect(missing.errorText?.contains("there is no run 999") == true)
        let bad = session.execute("%rerun last")
        #expect(bad.errorText?.contains("%rerun takes a run id, not 'last'") == true)
        let empty = try makeSession()
        #expect(empty.execute("%rerun").errorText?.contains("no backward or train run yet") == true)
    }

    @Test func diffListsAddedRemovedAndRedefinedNodes() throws {
        let session = try makeSession()
        try run(session, Self.seed)
        try run(session, "backward J")
        let first = try latestRun(session, kind: "backward")
        try run(session, "w = param(3)\nbackward a")
        let second = try latestRun(session, kind: "backward")
        let diff = try RunDiffer.diff(first, second, store: session.store, limit: 2)
        let changes = Dictionary(uniqueKeysWithValues: diff.nodeChanges.map { ($0.name, $0.change) })
        #expect(changes == ["y": .removed, "d": .removed, "J": .removed, "w": .redefined])
        #expect(diff.values.count <= 2 && diff.movedValueCount >= diff.values.count)
        let result = session.execute("%diff \(first) \(second)")
        #expect(result.status == .ok)
        #expect(text(of: result).contains("nodes: 0 added, 3 removed, 1 redefined"), "\(text(of: result))")
        #expect(text(of: result).contains("param(2)") && text(of: result).contains("param(3)"))
        let usage = session.execute("%diff \(first)")
        #expect(usage.errorText?.contains("%diff takes two run ids") == true)
        // Identical runs: nothing changed, nothing moved.
        let same = try RunDiffer.diff(first, first, store: session.store)
        #expect(same.nodeChanges.isEmpty && same.values.isEmpty && same.gradients.isEmpty)
        #expect(same.text.contains("nodes: the same definitions"))
    }
}
