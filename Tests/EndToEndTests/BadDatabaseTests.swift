import Foundation
import Testing

/// Databases and notebooks gradbook cannot use: each is one clear line on standard error and
/// exit 1, through the real binary, and nothing is half-written.
@Suite struct BadDatabaseTests {
    let directory: URL
    let tiny: String

    init() throws {
        directory = try Binary.temporaryDirectory()
        let url = directory.appendingPathComponent("tiny.grad")
        try "x = 2\nw = param(3)\nJ = w * x\nbackward J\n".write(to: url, atomically: true, encoding: .utf8)
        tiny = url.path
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Exit 1 with exactly one line on standard error, which must contain `expected`.
    func expectOneLineFailure(_ arguments: [String], _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let output = try Binary.run(arguments)
        #expect(output.status == 1, "\(arguments): \(output.stderr)", sourceLocation: sourceLocation)
        let lines = output.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines.last == "", "one line expected: \(output.stderr)", sourceLocation: sourceLocation)
        #expect(output.stderr.contains(expected), "\(output.stderr)", sourceLocation: sourceLocation)
    }

    func makeHistory(_ name: String) throws -> String {
        let db = path(name)
        let output = try Binary.run(["run", tiny, "--db", db])
        try #require(output.status == 0, "\(output.stderr)")
        return db
    }

    /// Read-only SQL touches no file: ATTACH (which SQLite counts as read-only, yet which creates
    /// the file it names) is refused by `gradbook sql` and by `%sql` alike.
    @Test func readOnlySQLCannotAttachAFile() throws {
        let db = try makeHistory("attach.db")
        let elsewhere = URL(fileURLWithPath: db).deletingLastPathComponent().appendingPathComponent("elsewhere.db").path
        let cli = try Binary.run(["sql", "ATTACH DATABASE '\(elsewhere)' AS e", "--db", db])
        #expect(cli.status == 1 && cli.stderr == "gradbook sql: read-only: pass --write to modify the database\n", "\(cli.stderr)")
        let notebook = URL(fileURLWithPath: db).deletingLastPathComponent().appendingPathComponent("attach.grad").path
        try "%sql ATTACH DATABASE '\(elsewhere)' AS e\n".write(toFile: notebook, atomically: true, encoding: .utf8)
        let magic = try Binary.run(["run", notebook, "--db", db])
        #expect(magic.status == 1 && magic.stderr.contains("read-only: pass --write"), "\(magic.stderr)")
        #expect(!FileManager.default.fileExists(atPath: elsewhere))
    }

    @Test func readOnlyFileIsReadableButNotWritable() throws {
        let db = try makeHistory("readonly.db")
        _ = try Binary.sqlite(db, "PRAGMA wal_checkpoint(TRUNCATE);")
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: db)
        // Root ignores permissions; the immutable attribute stops root too.
        let isRoot = getuid() == 0
        if isRoot { _ = try Binary.run(["+i", db], executable: "/usr/bin/chattr") }
        defer { if isRoot { _ = try? Binary.run(["-i", db], executable: "/usr/bin/chattr") } }
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        try expectOneLineFailure(["run", tiny, "--db", db], "gradbook: cannot write \(db): the file is read-only (no write permission)")
        try expectOneLineFailure(["replay", "--run", "3", "--db", db], "cannot write \(db): the file is read-only")
        // Reading needs no write access: sql, diff and a replay that records nothing.
        let query = try Binary.run(["sql", "SELECT count(*) FROM runs", "--db", db, "--format", "csv"])
        #expect(query.status == 0, "\(query.stderr)")
        #expect(query.stdout.hasPrefix("count(*)\r\n"), "\(query.stdout)")
        let backward = try Binary.sqlite(db, "SELECT run_id FROM runs WHERE kind = 'backward';")
        let replay = try Binary.run(["replay", "--run", backward, "--no-record", "--db", db])
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(try Binary.run(["diff", backward, backward, "--db", db]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == before)
    }

    @Test func lockedDatabaseMakesAWriterWaitThenFailWithOneLine() throws {
        let db = try makeHistory("locked.db")
        // Another process holds the write lock for longer than gradbook's 5 s busy timeout. It
        // says when it holds it (an event to wait for); its own busy timeout makes it wait for
        // any lock the history still holds rather than fail, and -bail ends it on any error, so
        // the wait below ends either way.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        holder.arguments = ["-bail", "-batch", "-noheader", db]
        let input = Pipe()
        let output = Pipe()
        holder.standardInput = input
        holder.standardOutput = output
        try holder.run()
        defer {
            try? input.fileHandleForWriting.close()
            holder.waitUntilExit()
        }
        input.fileHandleForWriting.write(Data("""
            .timeout 600000
            BEGIN IMMEDIATE;
            INSERT INTO session(kind, started_at) VALUES ('repl', 'held');
            SELECT 'held';

            """.utf8))
        var said = Data()
        while !said.contains(UInt8(ascii: "\n")) {
            let more = output.fileHandleForReading.availableData
            if more.isEmpty { break }
            said.append(more)
        }
        try #require(String(decoding: said, as: UTF8.self) == "held\n", "the lock holder ended: \(String(decoding: said, as: UTF8.self))")
        let started = Date()
        try expectOneLineFailure(["run", tiny, "--db", db], "database is locked")
        #expect(Date().timeIntervalSince(started) > 4, "a writer waits for busy_timeout before giving up")
        // Readers are not blocked by the writer.
        let read = try Binary.run(["sql", "SELECT count(*) FROM sessions", "--db", db, "--format", "csv"])
        #expect(read.status == 0 && read.stdout == "count(*)\r\n1\r\n", "\(read.stdout)\(read.stderr)")
    }

    @Test func corruptDatabaseIsRefusedByEveryCommand() throws {
        let db = try makeHistory("corrupt.db")
        _ = try Binary.sqlite(db, "PRAGMA wal_checkpoint(TRUNCATE);")
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: db))
        try handle.seek(toOffset: 100)
        try handle.write(contentsOf: Data(repeating: 0xA5, count: 3000))
        try handle.close()
        for arguments in [["run", tiny], ["sql", "SELECT 1"], ["replay", "--run", "1"], ["diff", "1", "2"]] {
            try expectOneLineFailure(arguments + ["--db", db], "gradbook")
            let output = try Binary.run(arguments + ["--db", db])
            #expect(output.stderr.contains(db) && (output.stderr.contains("corrupt") || output.stderr.contains("not a SQLite database")),
                    "\(output.stderr)")
        }
    }

    @Test func nonSQLiteFileIsRefusedAndLeftAlone() throws {
        let db = path("notes.db")
        let text = Data(String(repeating: "these are my notes, not a database\n", count: 100).utf8)
        try text.write(to: URL(fileURLWithPath: db))
        for arguments in [["run", tiny], ["sql", "SELECT 1"], ["replay", "--run", "1"], ["diff", "1", "2"]] {
            try expectOneLineFailure(arguments + ["--db", db], "gradbook: \(db) is not a SQLite database")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == text)
    }

    @Test func missingDirectoryIsNamed() throws {
        let db = path("no/such/dir/history.db")
        for arguments in [["run", tiny], ["sql", "SELECT 1"], ["replay", "--run", "1"]] {
            try expectOneLineFailure(arguments + ["--db", db], "directory \(path("no/such/dir")) does not exist")
        }
        #expect(!FileManager.default.fileExists(atPath: path("no")))
    }

    @Test func unreadableNotebooksFailBeforeAnythingIsRecorded() throws {
        let db = path("history.db")
        let missing = path("missing.grad")
        try expectOneLineFailure(["run", missing, "--db", db], missing)
        let folder = path("folder.grad")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try expectOneLineFailure(["run", folder, "--db", db], folder)
        let binary = path("binary.grad")
        try Data([0xFF, 0xFE, 0x00, 0x41, 0xC3]).write(to: URL(fileURLWithPath: binary))
        // Bytes that are not UTF-8 are a located error with the line and a caret, as any other.
        let output = try Binary.run(["run", binary, "--db", db])
        #expect(output.status == 1)
        #expect(output.stderr.hasPrefix("\(binary):1:1: error: not UTF-8: byte 0xFF here is not part of a valid UTF-8 character\n"), "\(output.stderr)")
        let brokenJSON = path("broken.ipynb")
        try Data("{\"cells\": [".utf8).write(to: URL(fileURLWithPath: brokenJSON))
        try expectOneLineFailure(["run", brokenJSON, "--db", db], brokenJSON)
        // Notebooks are read before the database is opened: none of this made one.
        #expect(!FileManager.default.fileExists(atPath: db))
    }

    @Test func aFullDiskFailsTheStatementAndKeepsTheHistoryIntact() throws {
        let db = try makeHistory("full.db")
        let notebook = try TrainingNotebook.write(steps: 100_000, in: directory)
        // The file-size limit makes writes beyond ~200 KB fail as on a full disk; SIGXFSZ is
        // ignored (inherited through exec) so the write fails instead of killing the process.
        let output = try Binary.run(["-c", "trap '' XFSZ; ulimit -f 400; exec \"$0\" run \"$1\" --db \"$2\"", Binary.gradbook, notebook, db],
                                    executable: "/bin/sh")
        #expect(output.status == 1)
        #expect(output.stderr.contains("the run history could not be written") && output.stderr.contains("(in: "), "\(output.stderr)")
        #expect(try Binary.sqlite(db, "PRAGMA integrity_check;") == "ok")
        // The next session opens the database normally and records.
        let next = try Binary.run(["run", tiny, "--db", db])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try Binary.sqlite(db, "SELECT count(*), max(session_id) FILTER (WHERE ended_at IS NOT NULL) FROM sessions;") == "3|3")
        #expect(try Binary.sqlite(db, """
            SELECT count(*) FROM runs AS r WHERE r.kind = 'train'
            AND (SELECT count(*) FROM run_values AS v WHERE v.run_id = r.run_id) <> \(TrainingNotebook.namedNodeCount);
            """) == "0")
    }

    @Test func sqlWritesNeedTheWriteFlag() throws {
        let db = try makeHistory("writes.db")
        try expectOneLineFailure(["sql", "DELETE FROM value", "--db", db], "read-only: pass --write to modify the database")
        try expectOneLineFailure(["sql", "SELECT 1; DROP VIEW runs", "--db", db], "--write")
        let written = try Binary.run(["sql", "UPDATE session SET notebook = 'renamed'", "--db", db, "--write"])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(try Binary.sqlite(db, "SELECT count(*) FROM sessions WHERE notebook = 'renamed';") == "1")
        // %sql in a notebook: refused without --write (the cell fails, exit 1), allowed with it.
        let notebook = path("sql.grad")
        try "# %%\n%sql DELETE FROM session\n".write(toFile: notebook, atomically: true, encoding: .utf8)
        let refused = try Binary.run(["run", notebook, "--db", db])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("read-only: pass --write to modify the database"), "\(refused.stderr)")
        #expect(try Binary.sqlite(db, "SELECT count(*) FROM sessions;") == "2")
        try "# %%\n%sql --write UPDATE session SET notebook = 'again' WHERE notebook = 'renamed'\n"
            .write(toFile: notebook, atomically: true, encoding: .utf8)
        let allowed = try Binary.run(["run", notebook, "--db", db])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(try Binary.sqlite(db, "SELECT count(*) FROM sessions WHERE notebook = 'again';") == "1")
    }
}
