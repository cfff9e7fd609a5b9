import Foundation
import Testing

/// `kill -9` at random moments of real training runs (SPEC §3: a crash loses at most the
/// statement in flight; the database passes `PRAGMA integrity_check`; the next session opens it).
@Suite(.serialized) struct CrashSafetyTests {
    /// The moments are random; GRADBOOK_CRASH_SEED=N repeats a failing sequence.
    static let seed: UInt64 = ProcessInfo.processInfo.environment["GRADBOOK_CRASH_SEED"].flatMap { UInt64($0) }
        ?? UInt64.random(in: 1...UInt64(UInt32.max))

    @Test func sixKillsDuringTrainingLoseNoCommittedStep() throws {
        let directory = try Binary.temporaryDirectory()
        let db = directory.appendingPathComponent("crash.db").path
        let notebook = try TrainingNotebook.write(steps: 1_000_000, in: directory)
        let tiny = directory.appendingPathComponent("next.grad")
        try "z = 1\n".write(to: tiny, atomically: true, encoding: .utf8)
        var random = SplitMix64(seed: Self.seed)
        let context = "GRADBOOK_CRASH_SEED=\(Self.seed)"
        var totalSteps = 0

        for round in 1...6 {
            // From process start-up (opening, migrating) to deep into training.
            let delay = 0.02 + Double(random.next() % 1_500) / 1_000
            let process = try BackgroundProcess(["run", notebook, "--db", db], in: directory, label: "round\(round)")
            usleep(UInt32(delay * 1_000_000))
            // What another reader saw committed just before the kill must survive it.
            let seen = Int(try committedTrainSteps(db)) ?? 0
            let finishedEarly = !process.isRunning
            process.killHard()
            #expect(!finishedEarly, "round \(round) ended before the kill (\(context)): \(process.stderr)")
            #expect(process.process.terminationReason == .uncaughtSignal && process.process.terminationStatus == SIGKILL)

            #expect(try Binary.sqlite(db, "PRAGMA integrity_check;") == "ok", "round \(round), killed after \(delay) s (\(context))")
            let steps = Int(try committedTrainSteps(db)) ?? -1
            #expect(steps >= seen, "round \(round): \(seen) steps were committed before the kill, \(steps) after (\(context))")
            try expectEveryCommittedStepComplete(db, context: "round \(round), killed after \(delay) s (\(context))")

            // The next session opens the history normally, and completes the JSON of the steps
            // the killed process had not formatted yet.
            let next = try Binary.run(["run", tiny.path, "--db", db])
            #expect(next.status == 0, "round \(round): \(next.stderr) (\(context))")
            #expect(try Binary.sqlite(db, "SELECT count(*) FROM tensor WHERE json IS NULL;") == "0")
            #expect(try Binary.sqlite(db, "SELECT ended_at IS NOT NULL FROM sessions ORDER BY session_id DESC LIMIT 1;") == "1")
            totalSteps = steps
        }
        #expect(totalSteps > 0, "no kill happened during training (\(context))")
        // A committed step of a killed run is still replayable bit for bit.
        let lastStep = try Binary.sqlite(db, "SELECT max(run_id) FROM runs WHERE kind = 'train';")
        if !lastStep.isEmpty {
            let replay = try Binary.run(["replay", "--run", lastStep, "--db", db])
            #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
        }
    }

    private func committedTrainSteps(_ db: String) throws -> String {
        guard FileManager.default.fileExists(atPath: db) else { return "0" }
        // A database killed before its schema was created has no runs view yet.
        let hasRuns = try Binary.sqlite(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'runs';")
        return hasRuns == "1" ? try Binary.sqlite(db, "SELECT count(*) FROM runs WHERE kind = 'train';") : "0"
    }

    /// Every train step that is in the database is whole: its value rows (one per named node of
    /// its graph), its graph, its tensors' bytes; and the steps of each train() call have no gaps.
    private func expectEveryCommittedStepComplete(_ db: String, context: String) throws {
        // A process killed while it migrated a new file leaves an earlier schema version (no
        // `checkpoints` view yet): nothing can have been recorded before the schema was complete.
        guard try Binary.sqlite(db, "SELECT count(*) FROM sqlite_schema WHERE name IN ('runs', 'checkpoints');") == "2" else {
            #expect(try committedTrainSteps(db) == "0", "\(context)")
            return
        }
        let incomplete = try Binary.sqlite(db, """
            SELECT count(*) FROM runs AS r WHERE r.kind = 'train' AND (
                r.graph_id IS NULL
                OR (SELECT count(*) FROM run_nodes AS n WHERE n.run_id = r.run_id) <> \(TrainingNotebook.namedNodeCount)
                OR (SELECT count(*) FROM run_values AS v WHERE v.run_id = r.run_id) <> \(TrainingNotebook.paramCount)
                OR (SELECT count(*) FROM run_values AS v WHERE v.run_id = r.run_id AND v.name = 'W1' AND v.grad_stored IS NOT NULL) <> 1
                OR (r.run_id IN (SELECT run_id FROM checkpoints)
                    AND (SELECT count(*) FROM run_values AS v WHERE v.run_id = r.run_id AND v.grad_stored = 'full' AND v.value_stored = 'full')
                        <> \(TrainingNotebook.paramCount)));
            """)
        #expect(incomplete == "0", "\(context)")
        let gaps = try Binary.sqlite(db, """
            SELECT count(*) FROM (SELECT train_id, count(*) AS steps, max(step) AS last FROM runs WHERE kind = 'train' GROUP BY train_id)
            WHERE steps <> last + 1;
            """)
        #expect(gaps == "0", "\(context)")
        let truncated = try Binary.sqlite(db, """
            SELECT count(*) FROM value AS v JOIN tensor AS t ON t.id IN (v.value_tensor_id, v.grad_tensor_id)
            WHERE length(t.data) <> 8 * v.numel;
            """)
        #expect(truncated == "0", "\(context)")
    }
}

/// A small seeded generator, so a sequence of kill moments can be repeated.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
