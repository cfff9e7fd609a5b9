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
                AND (SELECT count(*) FROM run_values AS v WHERE v.run_id = r.run_id) <> \(TrainingNotebook.namedNodeCount)),
               (SELECT count(*) FROM (SELECT train_id FROM runs WHERE kind = 'train' GROUP BY train_id HAVING count(*) <> max(step) + 1)),
               (SELECT count(*) FROM runs WHERE kind = 'train')
        """

    @Test func readersNeverSeeALockOrAHalfWrittenStepWhileASessionTrains() throws {
        let directory = try Binary.temporaryDirectory()
        let db = directory.appendingPathComponent("shared.db").path
        let notebook = try TrainingNotebook.write(steps: 1_200, in: directory)
        // The history exists (in WAL mode) before the session starts: while a brand-new file is
        // switched to WAL, SQLite briefly locks it, and the stock shell has no busy timeout.
        let tiny = directory.appendingPathComponent("tiny.grad")
        try "x = 1\n".write(to: tiny, atomically: true, encoding: .utf8)
        #expect(try Binary.run(["run", tiny.path, "--db", db]).status == 0)
        let trainer = try BackgroundProcess(["run", notebook, "--db", db], in: directory, label: "trainer")
        // Readers start once the session is connected. Two processes that both open the file when
        // no connection is open race to set up its shared-memory index, and the loser without a
        // busy timeout is told the database is locked: SQLite's documented exception for the first
        // connection, not the case under test.
        let connected = Date().addingTimeInterval(30)
        while trainer.isRunning && Date() < connected {
            let open = try Binary.run(["sql", "SELECT count(*) FROM sessions WHERE ended_at IS NULL", "--db", db, "--format", "csv"])
            if open.stdout.hasSuffix("\r\n1\r\n") { break }
            usleep(10_000)
        }
        var reads = 0
        var stepsSeen: [Int] = []
        let deadline = Date().addingTimeInterval(60)
        while trainer.isRunning && Date() < deadline {
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
        #expect(trainer.wait(atMost: 60) == 0, "the training session failed: \(trainer.stderr)")
        #expect(!trainer.stderr.contains("locked"), "\(trainer.stderr)")
        #expect(reads >= 3, "the training ended before the readers could read (\(reads) reads)")
        #expect(stepsSeen == stepsSeen.sorted(), "committed steps never disappear: \(stepsSeen)")
        #expect(stepsSeen.contains { $0 > 0 && $0 < 1_200 }, "a reader saw training in progress: \(stepsSeen)")
        #expect(try Binary.sqlite(db, "SELECT count(*) FROM runs WHERE kind = 'train';") == "1200")
        #expect(try Binary.sqlite(db, "PRAGMA integrity_check;") == "ok")
    }

    @Test func twoWritersWaitForEachOtherInsteadOfFailing() throws {
        let directory = try Binary.temporaryDirectory()
        let db = directory.appendingPathComponent("writers.db").path
        // Create the history first, so the two sessions start on an existing schema.
        let tiny = directory.appendingPathComponent("tiny.grad")
        try "x = 1\n".write(to: tiny, atomically: true, encoding: .utf8)
        #expect(try Binary.run(["run", tiny.path, "--db", db]).status == 0)
        let first = try TrainingNotebook.write(steps: 300, optimizer: "adam", in: directory, name: "first.grad")
        let second = try TrainingNotebook.write(steps: 300, optimizer: "momentum", in: directory, name: "second.grad")
        let writers = [
            try BackgroundProcess(["run", first, "--db", db], in: directory, label: "first"),
            try BackgroundProcess(["run", second, "--db", db], in: directory, label: "second"),
        ]
        // A third writer joins while both train: a replay records a run of its own.
        var replayed = false
        let deadline = Date().addingTimeInterval(30)
        while !replayed && writers.contains(where: \.isRunning) && Date() < deadline {
            let step = try Binary.sqlite(db, "SELECT min(run_id) FROM runs WHERE kind = 'train';")
            if step.isEmpty {
                usleep(50_000)
                continue
            }
            let replay = try Binary.run(["replay", "--run", step, "--db", db])
            #expect(replay.status == 0, "replay while two sessions train: \(replay.stdout)\(replay.stderr)")
            replayed = true
        }
        for writer in writers {
            #expect(writer.wait(atMost: 120) == 0, "a writer failed instead of waiting: \(writer.stderr)")
            #expect(!writer.stderr.contains("locked"), "\(writer.stderr)")
        }
        #expect(try Binary.sqlite(db, "SELECT group_concat(steps) FROM (SELECT count(*) AS steps FROM runs WHERE kind = 'train' GROUP BY train_id);") == "300,300")
        #expect(try Binary.sqlite(db, "SELECT count(*) FROM sessions WHERE ended_at IS NOT NULL;") == (replayed ? "4" : "3"))
        #expect(try Binary.sqlite(db, Self.consistencySQL + ";") == "0|0|600")
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
