import Foundation
import Testing
@testable import GradStore

/// `PostgresMigrator` against a real server: the rules of SQLite's migrator (one step per
/// transaction, a newer schema refused, read-only opens of older or empty histories refused), plus
/// what a shared server adds (other applications' tables, roles that may not change the schema,
/// many clients opening a fresh history at once).
@Suite(.enabled(if: PostgresTestDatabase.isConfigured, PostgresTestDatabase.disabledReason))
struct PostgresMigratorTests {
    static let latest = PostgresMigrator.gradbook.latestVersion

    static func migrator(upTo version: Int32) -> PostgresMigrator {
        PostgresMigrator(sections: Array(PostgresSchema.sections.prefix(Int(version))))
    }

    @Test func createsAnEmptyDatabaseAtTheLatestVersion() throws {
        let database = try PostgresTestDatabase.create()
        defer { database.drop() }
        let connection = try PostgresConnection(conninfo: database.conninfo, mode: .readWrite)
        try PostgresMigrator.gradbook.migrate(connection)
        #expect(try PostgresMigrator.gradbook.version(of: connection) == Self.latest)
        #expect(try PostgresTestDatabase.psql("SELECT count(*), max(version) FROM gradbook_schema", database: database.name)
                == "1|\(Self.latest)\n")
        let relations = try PostgresTestDatabase.psql("""
            SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'v') ORDER BY relname
            """, database: database.name).split(separator: "\n").map(String.init)
        #expect(relations == (PostgresSchema.tables + PostgresSchema.views + [PostgresSchema.versionTable]).sorted())
        // Opening again changes nothing.
        try PostgresMigrator.gradbook.migrate(connection)
        try PostgresMigrator.gradbook.checkCurrent(try PostgresConnection(conninfo: database.conninfo, mode: .readOnly))
    }

    @Test func upgradesAnOlderHistoryAndKeepsItsRows() throws {
        let database = try PostgresTestDatabase.create()
        defer { database.drop() }
        let connection = try PostgresConnection(conninfo: database.conninfo, mode: .readWrite)
        try Self.migrator(upTo: 2).migrate(connection)
        #expect(try PostgresMigrator.gradbook.version(of: connection) == 2)
        try PostgresTestDatabase.psql("""
            INSERT INTO session(kind, started_at, engine_revision) VALUES ('batch', '2026-12-06T06:00:00.000Z', 1), ('repl', '2026-12-06T06:01:00.000Z', NULL);
            INSERT INTO run(session_id, kind, started_at) VALUES (1, 'backward', '2026-12-06T06:00:00.001Z');
            """, database: database.name)
        #expect(throws: StoreError.olderSchemaReadOnly(path: connection.location, found: 2, known: Self.latest)) {
            try PostgresMigrator.gradbook.checkCurrent(try PostgresConnection(conninfo: database.conninfo, mode: .readOnly))
        }
        try PostgresMigrator.gradbook.migrate(connection)
        #expect(try PostgresMigrator.gradbook.version(of: connection) == Self.latest)
        #expect(try PostgresTestDatabase.psql("SELECT run_id, kind, steps IS NULL FROM runs", database: database.name) == "1|backward|t\n")
        // Version 5 gives the sessions recorded before it distinct uids, as SQLite's does.
        #expect(try PostgresTestDatabase.psql("""
            SELECT count(DISTINCT session_uid), bool_and(session_uid ~ '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$')
            FROM sessions
            """, database: database.name) == "2|t\n")
        // Version 3 widened run.kind in place.
        try PostgresTestDatabase.psql("INSERT INTO run(session_id, kind, started_at, steps) VALUES (1, 'gradcheck', 'now', 4)", database: database.name)
    }

    @Test func refusesANewerSchema() throws {
        let database = try PostgresTestDatabase.create()
        defer { database.drop() }
        let connection = try PostgresConnection(conninfo: database.conninfo, mode: .readWrite)
        try PostgresMigrator.gradbook.migrate(connection)
        try PostgresTestDatabase.psql("UPDATE gradbook_schema SET version = \(Self.latest + 1)", database: database.name)
        let newer = StoreError.newerSchema(path: connection.location, found: Self.latest + 1, known: Self.latest)
        #expect(throws: newer) { try PostgresMigrator.gradbook.migrate(connection) }
        #expect(throws: newer) {
            try PostgresMigrator.gradbook.checkCurrent(try PostgresConnection(conninfo: database.conninfo, mode: .readOnly))
        }
        #expect(newer.description.contains("was written by a newer gradbook"))
    }

    @Test func aReadOnlyOpenOfAnEmptyDatabaseSaysSo() throws {
        let database = try PostgresTestDatabase.create()
        defer { database.drop() }
        let connection = try PostgresConnection(conninfo: database.conninfo, mode: .readOnly)
        #expect(throws: StoreError.emptyDatabase(path: connection.location)) { try PostgresMigrator.gradbook.checkCurrent(connection) }
    }

    /// A shared database holds other applications' tables: only names gradbook would create
    /// are in the way; the others are left alone.
    @Test func otherApplicationsTablesAreFineAndTablesNamedLikeOursAreNot() throws {
        let database = try PostgresTestDatabase.create()
        defer { database.drop() }
        try PostgresTestDatabase.psql("CREATE TABLE users(id int PRIMARY KEY); INSERT INTO users VALUES (7)", database: database.name)
        let connection = try PostgresConnection(conninfo: database.conninfo, mode: .readWrite)
        try PostgresMigrator.gradbook.migrate(connection)
        #expect(try PostgresTestDatabase.psql("SELECT id FROM users", database: database.name) == "7\n")

        let other = try PostgresTestDatabase.create()
        defer { other.drop() }
        try PostgresTestDatabase.psql("CREATE TABLE run(id int); CREATE VIEW sessions AS SELECT 1 AS x", database: other.name)
        let theirs = try PostgresConnection(conninfo: other.conninfo, mode: .readWrite)
        let inTheWay = StoreError.tablesInTheWay(location: theirs.location, tables: ["run", "sessions"])
        #expect(throws: inTheWay) { try PostgresMigrator.gradbook.migrate(theirs) }
        #expect(throws: inTheWay) {
            try PostgresMigrator.gradbook.checkCurrent(try PostgresConnection(conninfo: other.conninfo, mode: .readOnly))
        }
        #expect(try PostgresTestDatabase.psql("SELECT count(*) FROM pg_class WHERE relname = 'session'", database: other.name) == "0\n")
    }

    @Test func aFailingStepLeavesThePreviousVersionAndNothingOfItself() throws {
        let database = try PostgresTestDatabase.create()
        defer { database.drop() }
        let connection = try PostgresConnection(conninfo: database.conninfo, mode: .readWrite)
        let broken = Schema.Section(version: Self.latest + 1, name: "broken", sql: "CREATE TABLE half_done(x int); THIS IS NOT SQL;")
        let migrator = PostgresMigrator(sections: PostgresSchema.sections + [broken])
        #expect(throws: (any Error).self) { try migrator.migrate(connection) }
        #expect(try PostgresMigrator.gradbook.version(of: connection) == Self.latest)
        #expect(try PostgresTestDatabase.psql("SELECT to_regclass('half_done') IS NULL", database: database.name) == "t\n")
        // The connection is still usable, and a later fix of the step applies it.
        let fixed = Schema.Section(version: Self.latest + 1, name: "fixed", sql: "CREATE TABLE half_done(x int);")
        try PostgresMigrator(sections: PostgresSchema.sections + [fixed]).migrate(connection)
        #expect(try PostgresMigrator.gradbook.version(of: connection) == Self.latest + 1)
    }

    /// Many clients opening one fresh history at once: the advisory lock lets one migrate each
    /// step; the others wait for it and find the step done. Every open succeeds.
    @Test func manyClientsCreatingOneHistoryAtOnce() throws {
        let database = try PostgresTestDatabase.create()
        defer { database.drop() }
        let clients = 8
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: clients) { _ in
            do {
                let connection = try PostgresConnection(conninfo: database.conninfo, mode: .readWrite)
                try PostgresMigrator.gradbook.migrate(connection)
                _ = try connection.scalarInteger("SELECT count(*) FROM sessions")
            } catch {
                failures.append("\(error)")
            }
        }
        #expect(failures.all == [])
        #expect(try PostgresTestDatabase.psql("SELECT count(*), max(version) FROM gradbook_schema", database: database.name)
                == "1|\(Self.latest)\n")
    }
}

/// Errors collected from several threads.
final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []

    func append(_ message: String) {
        lock.lock()
        messages.append(message)
        lock.unlock()
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return messages
    }
}
