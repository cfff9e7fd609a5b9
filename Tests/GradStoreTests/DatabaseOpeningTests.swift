import CSQLite
import Foundation
import Testing
@testable import GradStore

@Suite struct DatabaseOpeningTests {
    @Test func freshFileIsMigratedToTheLatestVersionInWALMode() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("history.db")
        let store = try RunStore(path: path)
        #expect(store.schemaVersion == SchemaMigrator.gradbook.latestVersion)
        #expect(try store.query("PRAGMA user_version").rows == [[.integer(Int64(SchemaMigrator.gradbook.latestVersion))]])
        #expect(try store.query("PRAGMA journal_mode").rows == [[.text("wal")]])
        #expect(try store.query("PRAGMA foreign_keys").rows == [[.integer(1)]])
        #expect(try store.query("PRAGMA synchronous").rows == [[.integer(1)]])
        #expect(try store.query("PRAGMA integrity_check").rows == [[.text("ok")]])
    }

    @Test func missingDirectoryIsNamed() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("no/such/dir/history.db")
        let error = try #require(throws: SQLiteError.self) { try RunStore(path: path) }
        #expect(error.code == SQLITE_CANTOPEN)
        #expect(error.description == "cannot open database \(path): directory \(directory.path("no/such/dir")) does not exist")
    }

    @Test func nonDatabaseFileIsRefused() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("notes.db")
        try Data(String(repeating: "this is not a database\n", count: 200).utf8).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: SQLiteError.self) { try RunStore(path: path) }
        #expect(error.primaryCode == SQLITE_NOTADB)
        #expect(error.description == "\(path) is not a SQLite database")
        // Read-only opening says the same, and nothing was written to the file.
        let readOnly = try #require(throws: SQLiteError.self) { try RunStore(path: path, mode: .readOnly) }
        #expect(readOnly.primaryCode == SQLITE_NOTADB)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == 23 * 200)
    }

    @Test func corruptDatabaseIsRefused() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("corrupt.db")
        do {
            let store = try RunStore(path: path)
            _ = try SeedRecording.record(into: store)
            _ = try store.query("PRAGMA wal_checkpoint(TRUNCATE)")
        }
        // Overwrite the first page of the schema table (page 1 after the 100-byte header).
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seek(toOffset: 100)
        try handle.write(contentsOf: Data(repeating: 0xA5, count: 3000))
        try handle.close()
        let error = try #require(throws: SQLiteError.self) { try RunStore(path: path) }
        #expect([SQLITE_CORRUPT, SQLITE_NOTADB].contains(error.primaryCode))
        #expect(error.description.contains(path))
    }

    @Test func readOnlyFileRefusesReadWriteOpening() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("locked.db")
        do { _ = try RunStore(path: path) }
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        // Root ignores permissions; the immutable attribute stops root too.
        let isRoot = getuid() == 0
        if isRoot { try runTool("/usr/bin/chattr", ["+i", path]) }
        defer { if isRoot { _ = try? runTool("/usr/bin/chattr", ["-i", path]) } }
        let error = try #require(throws: SQLiteError.self) { try RunStore(path: path) }
        #expect(error.primaryCode == SQLITE_READONLY)
        #expect(error.description == "cannot write \(path): the file is read-only (no write permission)")
        // Reading still works.
        #expect(try RunStore(path: path, mode: .readOnly).query("SELECT count(*) FROM sessions").rows == [[.integer(0)]])
    }

    @Test func newerSchemaIsRefusedWithBothVersions() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("future.db")
        do {
            let database = try Database(path: path)
            try database.execute("CREATE TABLE later_feature(x); PRAGMA user_version = 70")
        }
        let known = SchemaMigrator.gradbook.latestVersion
        let error = try #require(throws: StoreError.self) { try RunStore(path: path) }
        #expect(error == .newerSchema(path: path, found: 70, known: known))
        #expect(error.description == "\(path) was written by a newer gradbook (schema 70, this build knows \(known))")
        #expect(throws: StoreError.newerSchema(path: path, found: 70, known: known)) {
            try RunStore(path: path, mode: .readOnly)
        }
    }

    @Test func foreignSQLiteDatabaseIsNotTouched() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("other.db")
        do {
            let database = try Database(path: path)
            try database.execute("CREATE TABLE customers(name TEXT)")
        }
        #expect(throws: StoreError.notGradbookDatabase(path: path)) { try RunStore(path: path) }
        let database = try Database(path: path, mode: .readOnly)
        #expect(try database.scalarInteger("SELECT count(*) FROM sqlite_schema") == 1)
    }

    @Test func readOnlyOpeningNeedsAnExistingHistory() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("absent.db")
        let error = try #require(throws: SQLiteError.self) { try RunStore(path: path, mode: .readOnly) }
        #expect(error.description == "no database at \(path)")
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func readOnlyStoreRefusesWritesWithTheFlagToPass() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("history.db")
        do { _ = try SeedRecording.record(into: try RunStore(path: path)) }
        let store = try RunStore(path: path, mode: .readOnly)
        #expect(try store.query("SELECT count(*) FROM runs").rows == [[.integer(1)]])
        for write in ["DELETE FROM value", "INSERT INTO session(kind, started_at) VALUES ('repl', 'x')",
                      "DROP VIEW runs", "CREATE TABLE t(x)", "SELECT 1; UPDATE session SET notebook = 'x'"] {
            let error = try #require(throws: StoreError.self) { try store.query(write) }
            #expect(error == .readOnly)
            #expect(error.description == "read-only: pass --write to modify the database")
        }
        // Turning query_only off does not help: the file itself is opened read-only.
        _ = try? store.query("PRAGMA query_only = OFF")
        #expect(throws: StoreError.readOnly) { try store.query("DELETE FROM session") }
        #expect(throws: (any Error).self) { try store.beginSession(kind: .repl, notebook: nil) }
        let check = try RunStore(path: path)
        #expect(try check.query("SELECT count(*) FROM value").rows == [[.integer(8)]])
    }

    @Test func readWriteQueryCanWriteAndRunsSeveralStatements() throws {
        let store = try RunStore(path: ":memory:")
        _ = try SeedRecording.record(into: store)
        let result = try store.query("""
            CREATE TEMP TABLE picked AS SELECT name, grad FROM run_values WHERE name IN ('w', 'b');
            SELECT name, grad FROM picked ORDER BY name;
            UPDATE session SET notebook = 'renamed.grad';
            """)
        #expect(result.columns == ["name", "grad"])
        #expect(result.rows == [[.text("b"), .real(2)], [.text("w"), .real(-4)]])
        #expect(result.changes == 1)  // CREATE ... AS SELECT is not counted by SQLite
        #expect(try store.query("SELECT notebook FROM sessions").rows == [[.text("renamed.grad")]])
        let parameterized = try store.query("SELECT ?1 + 1, ?2", arguments: [.integer(41), .text("x")])
        #expect(parameterized.rows == [[.integer(42), .text("x")]])
        let error = try #require(throws: SQLiteError.self) { try store.query("SELECT * FROM no_such_table") }
        #expect(error.description == "no such table: no_such_table (in: SELECT * FROM no_such_table)")
    }

    @Test func sessionQueryRefusesWritesUnlessAllowed() throws {
        let store = try RunStore(path: ":memory:")
        _ = try SeedRecording.record(into: store)
        #expect(try store.query("SELECT count(*) FROM runs", allowWrites: false).rows == [[.integer(1)]])
        #expect(throws: StoreError.readOnly) { try store.query("DELETE FROM value", allowWrites: false) }
        #expect(try store.query("SELECT count(*) FROM value").rows == [[.integer(8)]])
        #expect(try store.query("DELETE FROM value", allowWrites: true).changes == 8)
    }

    /// SQLite calls ATTACH read-only (it changes the connection, not its files), but it creates
    /// the file it names: read-only SQL refuses it, and DETACH, before anything is touched.
    @Test func readOnlyQueriesRefuseAttachAndCreateNoFile() throws {
        let directory = try TemporaryDirectory()
        let store = try RunStore(path: directory.path("history.db"))
        let elsewhere = directory.path("elsewhere.db")
        #expect(throws: StoreError.readOnly) { try store.query("ATTACH DATABASE '\(elsewhere)' AS e", allowWrites: false) }
        #expect(throws: StoreError.readOnly) { try store.query("SELECT 1; ATTACH DATABASE ?1 AS e", arguments: [.text(elsewhere)], allowWrites: false) }
        #expect(!FileManager.default.fileExists(atPath: elsewhere))
        #expect(throws: StoreError.readOnly) { try store.query("DETACH DATABASE temp", allowWrites: false) }
        // Reading goes on, and with writes allowed ATTACH is the user's to run.
        #expect(try store.query("SELECT count(*) FROM sessions", allowWrites: false).rows == [[.integer(0)]])
        _ = try store.query("ATTACH DATABASE '\(elsewhere)' AS e", allowWrites: true)
        #expect(FileManager.default.fileExists(atPath: elsewhere))
    }

    @Test func twoWritersWaitForEachOther() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("shared.db")
        let first = try RunStore(path: path)
        let second = try RunStore(path: path)
        let sessionID = try first.beginSession(kind: .repl, notebook: nil)
        // While the first holds the write lock, a reader still reads the committed state.
        try first.transaction {
            _ = try first.beginCell(sessionID: sessionID, executionCount: 1, source: "x = 1")
            #expect(try second.query("SELECT count(*) FROM cells").rows == [[.integer(0)]])
        }
        _ = try second.beginCell(sessionID: sessionID, executionCount: 2, source: "y = 2")
        #expect(try first.query("SELECT count(*) FROM cells").rows == [[.integer(2)]])
    }
}
