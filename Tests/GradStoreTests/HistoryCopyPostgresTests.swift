import Foundation
import Testing
@testable import GradStore

/// `gradbook copy` with PostgreSQL on one side: a SQLite history copied into a server and back
/// holds the same rows, each row on the server names its session's owner, and row-level
/// security lets a role copy only its own sessions.
@Suite(.enabled(if: PostgresTestDatabase.isConfigured, PostgresTestDatabase.disabledReason))
struct HistoryCopyPostgresTests {
    @Test func aHistoryCopiedIntoPostgreSQLAndBackHoldsTheSameRows() throws {
        let source = try HistoryCopyTests.Source()
        let database = try PostgresTestDatabase.create()
        defer { database.drop() }
        let server = try RunStore(location: .postgresql(conninfo: database.conninfo))

        let into = try HistoryCopy(from: source.store, to: server).copy()
        #expect(into.copiedSessions == 3 && into.skippedSessions == 0)
        #expect(Int64(into.values) == (try HistoryCopyTests.count("value", in: source.store)))
        #expect(try CanonicalViews(server) == CanonicalViews(source.store))
        let again = try HistoryCopy(from: source.store, to: server).copy()
        #expect(again.copiedSessions == 0 && again.skippedSessions == 3)
        #expect(try HistoryCopyTests.counts(server) == HistoryCopyTests.counts(source.store))
        // Every row on the server names the session's owner (the login name that recorded it).
        let owner = try #require(try source.store.query("SELECT DISTINCT owner FROM session").rows.first?.first)
        for table in HistoryTable.all.map(\.name) {
            #expect(try server.query("SELECT DISTINCT owner FROM \(table)").rows == [[owner]], "\(table)")
        }

        let directory = try TemporaryDirectory()
        let back = try RunStore(path: directory.path("back.db"))
        let out = try HistoryCopy(from: try RunStore(location: .postgresql(conninfo: database.conninfo), mode: .readOnly), to: back).copy()
        #expect(out.copiedSessions == 3 && out.runs == into.runs && out.values == into.values)
        #expect(try CanonicalViews(back) == CanonicalViews(source.store))
        #expect(try HistoryCopyTests.replayInputs(back) == HistoryCopyTests.replayInputs(source.store))
        #expect(try back.query("PRAGMA foreign_key_check").rows.isEmpty)
    }

    /// The server's tables are the description's columns plus `owner`: a column added to
    /// schema-postgres.sql alone would not be copied.
    @Test func theServersTablesAreTheDescribedOnesWithAnOwner() throws {
        let database = try PostgresTestDatabase.create()
        defer { database.drop() }
        let server = try RunStore(location: .postgresql(conninfo: database.conninfo))
        for table in HistoryTable.all {
            let columns = try server.query("""
                SELECT column_name::text FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = ?1 ORDER BY ordinal_position
                """, arguments: [.text(table.name)]).rows.compactMap { $0.first?.textValue }
            // The server's internal columns (a step's summaries in its run row) are read through
            // `value_rows`, which the copy reads for `value`.
            let serverOnly = PostgresSchema.internalColumns[table.name] ?? []
            #expect(Set(columns) == Set(table.selectedColumns + ["owner"] + serverOnly) && columns.count == Set(columns).count,
                    "\(table.name): \(columns)")
        }
    }

    @Test func aRoleCopiesItsOwnSessionsAndIsToldWhichAreSomeoneElses() throws {
        let database = try PostgresTestDatabase.create()
        let alice = "gb_alice_\(UInt32.random(in: 0...UInt32.max))"
        defer {
            database.drop()
            _ = try? PostgresTestDatabase.psql("DROP ROLE IF EXISTS \(alice)")
        }
        let administrator = try RunStore(location: .postgresql(conninfo: database.conninfo))
        _ = try PostgresAdministration.initialize(administrator.connection, group: PostgresAdministration.defaultGroup)
        try PostgresTestDatabase.psql("CREATE ROLE \(alice) LOGIN PASSWORD 'alice-test'")
        _ = try PostgresAdministration.grant(alice, group: PostgresAdministration.defaultGroup, createLogin: false,
                                             on: administrator.connection)

        // A file with a session of alice's, one recorded before owners were kept, and bob's.
        let directory = try TemporaryDirectory()
        let path = directory.path("class.db")
        let writer = try RunStore(path: path)
        let sessions = try (0..<3).map { _ in try SeedRecording.record(into: writer).sessionID }
        _ = try writer.query("UPDATE session SET owner = ?2 WHERE id = ?1", arguments: [.integer(sessions[0]), .text(alice)])
        _ = try writer.query("UPDATE session SET owner = NULL WHERE id = ?1", arguments: [.integer(sessions[1])])
        _ = try writer.query("UPDATE session SET owner = 'bob' WHERE id = ?1", arguments: [.integer(sessions[2])])
        let bobs = try #require(try writer.query("SELECT uid FROM session WHERE id = ?1", arguments: [.integer(sessions[2])]).rows.first?.first?.textValue)

        let asAlice = try RunStore(location: .postgresql(conninfo: database.conninfo + " user=\(alice) password=alice-test"))
        #expect(asAlice.connection.userName == alice)
        let failure = try #require(throws: HistoryCopyFailure.self) {
            try HistoryCopy(from: try RunStore(path: path, mode: .readOnly), to: asAlice).copy()
        }
        #expect(failure.description == "session \(bobs) was recorded by 'bob'; as '\(alice)' you can copy only your own sessions (the 2 sessions copied before it stay copied)")
        // Alice's two sessions are there, as hers; nothing of bob's is.
        #expect(try administrator.query("SELECT owner, count(*) FROM session GROUP BY owner").rows == [[.text(alice), .integer(2)]])
        #expect(try administrator.query("SELECT DISTINCT owner FROM run").rows == [[.text(alice)]])
        #expect(try HistoryCopyTests.count("run", in: administrator) == 2)

        // The history's administrator may copy anyone's session, which stays the recorder's.
        let rest = try HistoryCopy(from: try RunStore(path: path, mode: .readOnly), to: administrator).copy()
        #expect(rest.copiedSessions == 1 && rest.skippedSessions == 2)
        #expect(try administrator.query("SELECT DISTINCT owner FROM value WHERE run_id IN (SELECT id FROM run WHERE session_id = (SELECT id FROM session WHERE uid = ?1))",
                                        arguments: [.text(bobs)]).rows == [[.text("bob")]])
    }
}
