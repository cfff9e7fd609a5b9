import Foundation
import Testing

/// Other processes use the history while a session trains (SPEC §3: WAL, readers never
/// blocked; one transaction per step; writers wait for each other).
@Suite(.serialized) struct ConcurrencyTests {
    /// Train steps whose value rows are not all there (half-written), and whether each train()
    /// call's steps so far are 0, 1, ..., n-1, and how many steps there are: read in one
    /// statement, so one snapshot.
    static let consistencySQL = """
        SELECT (SELECT count(*) FROM runs AS r WHERE r.kind = 'train'
                AND (SELECT count(*) FROM run_values AS v WHERE v.run_id = r.run_id) <> \(TrainingNotebook.paramCount)),
               (SELECT count(*) FROM (SELECT train_id FROM runs WHERE kind = 'train' GROUP BY train_id HAVING count(*) <> max(step) + 1)),
               (SELECT count(*) FROM runs WHERE kind = 'train')
        """

    /// The trainer runs until the readers are done (a train() far longer than the test), so the
    /// readers always meet training in progress, however fast or loaded the machine; then Ctrl-C
    /// stops it after its current step, as a user would.
    @Test func readersNeverSeeALockOrAHalfWrittenStepWhileASessionTrains() throws {
        let directory = try Binary.temporaryDirectory()
        let db = directory.appendingPathComponent("shared.db").path
        let notebook = try TrainingNotebook.write(steps: 10_000_000, in: directory)
        // The history exists (in WAL mode) before the session starts: while a brand-new file is
        // switched to WAL, SQLite briefly locks it, and the stock shell has no busy timeout.
        let tiny = directory.appendingPathComponent("tiny.grad")
        try "x = 1\n".write(to: tiny, atomically: true, encoding: .utf8)
        #expect(try Binary.run(["run", tiny.path, "--db", db]).status == 0)
        let trainer = try BackgroundProcess(["run", notebook, "--db", db], in: directory, label: "trainer")
        defer { if trainer.isRunning { trainer.killHard() } }
        // Readers start once the first step is committed: the session is connected by then. Two
        // processes that both open the file when no connection is open race to set up its
        // shared-memory index, and the loser without a busy timeout is told the database is
        // locked: SQLite's documented exception for the first connection, not the case under test.
        while trainer.isRunning {
            if try Binary.sqlite(db, "SELECT count(*) FROM runs WHERE kind = 'train';") != "0" { break }
            usleep(10_000)
        }
        var reads = 0
        var stepsSeen: [Int] = []
        // Until the readers have seen the count grow between reads, and at least five reads.
        while trainer.isRunning && (reads < 5 || Set(stepsSeen).count < 2) {
            // The stock shell, which has no busy timeout: any lock it meets is an error.
            let shell = try Binary.run(["-batch", "-noheader", db, Self.consistencySQL + ";"], executable: "/usr/bin/sqlite3")
            #expect(shell.status == 0 && shell.stderr.isEmpty, "sqlite3: \(shell.stderr)")
            let fields = shell.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").map(String.init)
            #expect(fields.count == 3 && fields[0] == "0" && fields[1] == "0", "a reader saw a half-written step: \(shell.stdout)")
            if fields.count == 3, let steps = Int(fields[2]) { stepsSeen.append(steps) }

            let cli = try Binary.run(["sql", Self.consistencySQL, "--db", db, "--format", "csv"])
            #expect(cli.status == 0, "gradbook sql: \(cli.stderr)")
            #expect(!cli.stderr.contains("locked") && !cli.stdout.contains("locked"))
            let row = cli.stdout.split(separator: "\r\n").dropFirst().first.map { $0.split(separator: ",").map(String.init) } ?? []
            #expect(row.count == 3 && row[0] == "0" && row[1] == "0", "gradbook sql saw a half-written step: \(cli.stdout)")
            reads += 1
        }
        #expect(trainer.isRunning, "the training session ended before the readers were done: \(trainer.stderr)")
        trainer.interrupt()
        let status = trainer.wait(atMost: 300)
        #expect(status == 1, "Ctrl-C ends the batch run at the interrupted cell: \(trainer.stderr)")
        #expect(trainer.stderr.contains("interrupted"), "\(trainer.stderr)")
        #expect(!trainer.stderr.contains("locked"), "\(trainer.stderr)")
        #expect(reads >= 5)
        #expect(stepsSeen == stepsSeen.sorted(), "committed steps never disappear: \(stepsSeen)")
        #expect(stepsSeen.contains { $0 > 0 }, "a reader saw training in progress: \(stepsSeen)")
        let final = try #require(Int(try Binary.sqlite(db, "SELECT count(*) FROM runs WHERE kind = 'train';")))
        #expect(final >= (stepsSeen.last ?? 0) && final < 10_000_000)
        #expect(try Binary.sqlite(db, Self.consistencySQL + ";") == "0|0|\(final)")
        #expect(try Binary.sqlite(db, "SELECT status FROM cells WHERE source LIKE 'train(%';") == "error")
        #expect(try Binary.sqlite(db, "SELECT count(*) FROM sessions WHERE ended_at IS NULL;") == "0")
        #expect(try Binary.sqlite(db, "PRAGMA integrity_check;") == "ok")
    }

    /// Two sessions train at once, for as long as the test needs, and a third process writes a
    /// replay while both are training; then each is stopped with Ctrl-C.
    @Test func twoWritersWaitForEachOtherInsteadOfFailing() throws {
        let directory = try Binary.temporaryDirectory()
        let db = directory.appendingPathComponent("writers.db").path
        // Create the history first, so the two sessions start on an existing schema.
        let tiny = directory.appendingPathComponent("tiny.grad")
        try "x = 1\n".write(to: tiny, atomically: true, encoding: .utf8)
        #expect(try Binary.run(["run", tiny.path, "--db", db]).status == 0)
        let first = try TrainingNotebook.write(steps: 10_000_000, optimizer: "adam", in: directory, name: "first.grad")
        let second = try TrainingNotebook.write(steps: 10_000_000, optimizer: "momentum", in: directory, name: "second.grad")
        let writers = [
            try BackgroundProcess(["run", first, "--db", db], in: directory, label: "first"),
            try BackgroundProcess(["run", second, "--db", db], in: directory, label: "second"),
        ]
        defer { for writer in writers where writer.isRunning { writer.killHard() } }
        // Both are training once each train() call has committed a step.
        let training = "SELECT count(DISTINCT train_id) FROM runs WHERE kind = 'train';"
        while writers.allSatisfy(\.isRunning), try Binary.sqlite(db, training) != "2" {
            usleep(20_000)
        }
        #expect(writers.allSatisfy { $0.isRunning }, "a writer failed: \(writers.map(\.stderr))")
        // A third writer joins while both train: a replay records a run of its own.
        let step = try Binary.sqlite(db, "SELECT min(run_id) FROM runs WHERE kind = 'train';")
        let replay = try Binary.run(["replay", "--run", step, "--db", db])
        #expect(replay.status == 0, "replay while two sessions train: \(replay.stdout)\(replay.stderr)")
        #expect(writers.allSatisfy { $0.isRunning }, "a writer stopped while the replay was written: \(writers.map(\.stderr))")
        for writer in writers {
            writer.interrupt()
            #expect(writer.wait(atMost: 300) == 1, "a writer failed instead of waiting: \(writer.stderr)")
            #expect(writer.stderr.contains("interrupted") && !writer.stderr.contains("locked"), "\(writer.stderr)")
        }
        #expect(try Binary.sqlite(db, "SELECT count(*) FROM (SELECT train_id FROM runs WHERE kind = 'train' GROUP BY train_id);") == "2")
        #expect(try Binary.sqlite(db, "SELECT count(*) FROM sessions WHERE ended_at IS NOT NULL;") == "4")
        let steps = try Binary.sqlite(db, "SELECT count(*) FROM runs WHERE kind = 'train';")
        #expect(try Binary.sqlite(db, Self.consistencySQL + ";") == "0|0|\(steps)")
        #expect(try Binary.sqlite(db, "PRAGMA integrity_check;") == "ok")
    }

    /// The process exits right after the session closes; a thread still holding the store
    /// would keep it from closing, and the log would be left for the next process to copy.
    @Test func everyTrainingRunLeavesTheHistoryInTheDatabaseFileAlone() throws {
        let directory = try Binary.temporaryDirectory()
        let db = directory.appendingPathComponent("closed.db").path
        let notebook = try TrainingNotebook.write(steps: 400, in: directory)
        for run in 1...5 {
            #expect(try Binary.run(["run", notebook, "--db", db]).status == 0)
            let attributes = try FileManager.default.attributesOfItem(atPath: db + "-wal")
            #expect((attributes[.size] as? NSNumber)?.intValue == 0, "run \(run) left \(attributes[.size] ?? "?") bytes of log")
        }
        #expect(try Binary.sqlite(db, "SELECT count(*) FROM runs WHERE kind = 'train';") == "2000")
    }
}
