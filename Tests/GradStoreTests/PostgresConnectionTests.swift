import Foundation
import Testing
@testable import GradStore

/// PostgresConnection against a real server (see PostgresTestDatabase): every test has a
/// database of its own.
@Suite(.enabled(if: PostgresTestDatabase.isConfigured, PostgresTestDatabase.disabledReason))
struct PostgresConnectionTests {
    /// Runs `body` with a fresh database and a read-write connection to it.
    func withConnection(_ body: (PostgresConnection, PostgresTestDatabase) throws -> Void) throws {
        let database = try PostgresTestDatabase.create()
        defer { database.drop() }
        let connection = try PostgresConnection(conninfo: database.conninfo, mode: .readWrite)
        try body(connection, database)
    }

    @discardableResult
    func run(_ connection: PostgresConnection, _ sql: String, _ arguments: [SQLValue] = []) throws -> QueryResult {
        try connection.runScript(sql, arguments: arguments, readOnly: false)
    }

    func count(_ connection: PostgresConnection, _ table: String) throws -> Int64? {
        try connection.scalarInteger("SELECT count(*) FROM \(table)")
    }

    // MARK: values on the wire

    /// Random doubles with a fixed seed (SplitMix64), so a failure can be reproduced.
    static func randomDoubles(count: Int, seed: UInt64) -> [Double] {
        var state = seed
        var doubles: [Double] = []
        while doubles.count < count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var bits = state
            bits = (bits ^ (bits >> 30)) &* 0xBF58_476D_1CE4_E5B9
            bits = (bits ^ (bits >> 27)) &* 0x94D0_49BB_1331_11EB
            bits ^= bits >> 31
            let value = Double(bitPattern: bits)
            if !value.isNaN { doubles.append(value) }
        }
        return doubles
    }

    @Test func everyValueKindRoundTripsExactly() throws {
        try withConnection { connection, _ in
            try run(connection, "CREATE TABLE item (id bigint PRIMARY KEY, i bigint, r double precision, s text, b bytea)")
            let special: [Double] = [
                0, -0.0, 1, -1, 0.1, 1e-5, 2.0000000000000004, .pi, 1e22, 1.2345678901234568e20,
                .infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                .leastNormalMagnitude, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                Double(bitPattern: 0x000F_FFFF_FFFF_FFFF), Double(bitPattern: 0x8000_0000_DEAD_BEEF),
            ]
            let doubles = special + PostgresConnectionTests.randomDoubles(count: 3000, seed: 20_261_127)
            let integers: [Int64] = [0, 1, -1, 42, .max, .min, .max - 1, .min + 1]
            let texts = ["", "plain", "quote ' \" and \\ backslash \\x00", "ünïcödé ✓ 🎉", "line\nbreak\ttab", "?1 $1 ?"]
            var blobs: [[UInt8]] = [[], [0], Array(0...255), [0x5C, 0x78]]
            blobs.append((0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7919) })

            let insert = try connection.statement("INSERT INTO item (id, i, r, s, b) VALUES (?1, ?2, ?3, ?4, ?5)")
            try connection.transaction {
                for (index, value) in doubles.enumerated() {
                    try insert.bind(Int64(index), at: 1)
                    try insert.bind(integers[index % integers.count], at: 2)
                    try insert.bind(value, at: 3)
                    try insert.bind(texts[index % texts.count], at: 4)
                    try blobs[index % blobs.count].withUnsafeBytes { try insert.bind(blob: $0, at: 5) }
                    try insert.write()
                }
                // NULLs: bound as nil, and never bound (as in SQLite, an unbound parameter is NULL).
                try insert.execute([.integer(-1), .null, .null, .null, .null])
                insert.clearBindings()
                try insert.bind(Int64(-2), at: 1)
                try insert.write()
            }

            let rows = try connection.statement("SELECT i, r, s, b FROM item WHERE id >= 0 ORDER BY id").rows()
            #expect(rows.count == doubles.count)
            for (index, row) in rows.enumerated() {
                #expect(row[0] == .integer(integers[index % integers.count]))
                guard case .real(let real) = row[1] else {
                    Issue.record("row \(index): \(row[1]) is not a real")
                    continue
                }
                #expect(real.bitPattern == doubles[index].bitPattern, "row \(index): \(real) != \(doubles[index])")
                #expect(row[2] == .text(texts[index % texts.count]))
                #expect(row[3] == .blob(blobs[index % blobs.count]))
            }
            let nulls = try connection.statement("SELECT i, r, s, b FROM item WHERE id < 0").rows()
            #expect(nulls == [[.null, .null, .null, .null], [.null, .null, .null, .null]])
        }
    }

    /// SQLite stores a NaN REAL as NULL; a NaN bound here is NULL too, so both answer alike.
    @Test func aNaNParameterIsNull() throws {
        try withConnection { connection, _ in
            try run(connection, "CREATE TABLE item (r double precision)")
            try connection.statement("INSERT INTO item (r) VALUES (?1)").execute([.real(.nan)])
            #expect(try connection.statement("SELECT r, r IS NULL FROM item").rows() == [[.null, .integer(1)]])
            #expect(try run(connection, "SELECT ?1::float8", [.real(.nan)]).rows == [[.null]])
        }
    }

    @Test func resultsAreTypedByColumnType() throws {
        try withConnection { connection, _ in
            let result = try run(connection, """
                SELECT 1::int2 AS a, 2::int4, 3::int8, 26::oid, 1.5::float4, 2.5::float8, 7::numeric, 2.50::numeric,
                       avg(x), sum(x::bigint), true, false, EXISTS (SELECT 1 WHERE false), 'text'::varchar, NULL::int8,
                       '\\x00ff'::bytea, ''::bytea, 'NaN'::float8, '-Infinity'::float8, '2024-01-02'::date,
                       92233720368547758070::numeric
                FROM (VALUES (1), (2)) AS v(x)
                """)
            #expect(result.columns.first == "a")
            #expect(result.columns.count == 21)
            let row = try #require(result.rows.first)
            #expect(Array(row[0..<4]) == [.integer(1), .integer(2), .integer(3), .integer(26)])
            #expect(Array(row[4..<8]) == [.real(1.5), .real(2.5), .integer(7), .real(2.5)])
            #expect(Array(row[8..<10]) == [.real(1.5), .integer(3)])
            #expect(Array(row[10..<13]) == [.integer(1), .integer(0), .integer(0)])
            #expect(Array(row[13..<17]) == [.text("text"), .null, .blob([0, 255]), .blob([])])
            #expect(row[17].doubleValue?.isNaN == true)
            #expect(row[18] == .real(-.infinity))
            #expect(row[19] == .text("2024-01-02"))
            #expect(row[20] == .real(9.223372036854776e19))
        }
    }

    @Test func placeholdersNumberedOrPlain() throws {
        try withConnection { connection, _ in
            let numbered = try connection.statement("SELECT ?2::int8 - ?1::int8, ?1::text")
            #expect(try numbered.rows([.integer(2), .integer(7)]) == [[.integer(5), .text("2")]])
            let plain = try connection.statement("SELECT ?::text || ?::text, '?', \"?column?\" FROM (SELECT 1) AS t(\"?column?\")")
            #expect(try plain.rows([.text("a"), .text("b")]) == [[.text("ab"), .text("?"), .integer(1)]])
            // Bound one by one, then run without arguments.
            try numbered.bind(Int64(10), at: 1)
            try numbered.bind(Int64(15), at: 2)
            #expect(try numbered.rows() == [[.integer(5), .text("10")]])

            #expect(throws: PostgresError.self) { try numbered.rows([.integer(1)]) }
            #expect(throws: PostgresError.self) { try numbered.bind(Int64(1), at: 3) }
            #expect(try run(connection, "SELECT ?1::int8 * 2", [.integer(21)]).rows == [[.integer(42)]])
        }
    }

    @Test func statementsArePreparedOncePerConnection() throws {
        try withConnection { connection, _ in
            let sql = "SELECT ?1::int8 + 1"
            let first = try connection.own(connection.statement(sql))
            let second = try connection.own(connection.statement(sql))
            #expect(first === second)
            #expect(try second.rows([.integer(1)]) == [[.integer(2)]])
            let prepared = try connection.scalarInteger("SELECT count(*) FROM pg_prepared_statements WHERE statement = $1",
                                                        [.text(first.serverSQL)])
            #expect(prepared == 1)
        }
    }

    @Test func insertReturningIDAndExecuteUpdate() throws {
        try withConnection { connection, _ in
            try run(connection, "CREATE TABLE item (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text)")
            let insert = try connection.statement(connection.dialect.insertReturningID("INSERT INTO item (name) VALUES (?1)"))
            try insert.bind("a", at: 1)
            #expect(try connection.insertReturningID(insert) == 1)
            try insert.bind("b", at: 1)
            let second = try connection.transaction { try connection.insertReturningID(insert) }
            #expect(second == 2)
            let update = try connection.statement("UPDATE item SET name = upper(name) WHERE id <= ?1")
            try update.bind(Int64(2), at: 1)
            #expect(try connection.executeUpdate(update) == 2)
            #expect(try connection.statement("SELECT name FROM item ORDER BY id").rows() == [[.text("A")], [.text("B")]])
            let plainInsert = try connection.statement("INSERT INTO item (name) VALUES ('c')")
            #expect(throws: PostgresError.self) { try connection.insertReturningID(plainInsert) }
        }
    }

    // MARK: transactions and the pipeline

    @Test func pipelinedWritesAreVisibleToALaterReadInTheSameTransaction() throws {
        try withConnection { connection, database in
            try run(connection, "CREATE TABLE item (id bigint PRIMARY KEY)")
            let insert = try connection.statement("INSERT INTO item (id) VALUES (?1)")
            let sentBefore = connection.writesSentAhead
            let seen = try connection.transaction {
                for id in 0..<100 { try insert.execute([.integer(Int64(id))]) }
                #expect(connection.writesSentAhead - sentBefore == 100)
                return try count(connection, "item")
            }
            #expect(seen == 100)
            #expect(connection.transactionsCommitted == 1)
            let other = try PostgresConnection(conninfo: database.conninfo, mode: .readOnly)
            #expect(try count(other, "item") == 100)
        }
    }

    @Test func aFailingPipelinedWriteRollsBackTheWholeTransaction() throws {
        try withConnection { connection, _ in
            try run(connection, "CREATE TABLE item (id bigint PRIMARY KEY)")
            let insert = try connection.statement("INSERT INTO item (id) VALUES (?1)")
            var rollbacks = 0
            connection.rollbackObserver = { rollbacks += 1 }
            var writeThrew = false
            let error = #expect(throws: PostgresError.self) {
                try connection.transaction {
                    for id in [1, 2, 2, 3] as [Int64] {
                        do { try insert.execute([.integer(id)]) } catch {
                            writeThrew = true
                            throw error
                        }
                    }
                }
            }
            #expect(!writeThrew, "the duplicate was sent ahead: its error comes at the commit")
            #expect(error?.sqlState == "23505")
            #expect(error?.wasSentAhead == true)
            #expect(error?.description.hasPrefix("ERROR 23505: duplicate key value violates unique constraint \"item_pkey\" — Key (id)=(2) already exists.") == true)
            #expect(error?.description.contains("a write sent ahead earlier in this transaction") == true)
            #expect(rollbacks == 1)
            #expect(!connection.isInTransaction)
            #expect(try count(connection, "item") == 0)

            // A body that catches the surfaced error and goes on still commits nothing.
            var caught: [String] = []
            let commitError = #expect(throws: PostgresError.self) {
                try connection.transaction {
                    try insert.execute([.integer(1)])
                    try insert.execute([.integer(1)])
                    do { _ = try count(connection, "item") } catch { caught.append("\(error)") }
                    do { try insert.execute([.integer(5)]) } catch { caught.append("\(error)") }
                }
            }
            #expect(caught.count == 2)
            #expect(caught.allSatisfy { $0.hasPrefix("ERROR 23505") })
            #expect(commitError?.sqlState == "23505")
            #expect(try count(connection, "item") == 0)
            #expect(connection.transactionsCommitted == 0)

            // The connection goes on.
            try connection.transaction { try insert.execute([.integer(7)]) }
            #expect(try count(connection, "item") == 1)
        }
    }

    @Test func nestedTransactionsAreSavepoints() throws {
        try withConnection { connection, _ in
            try run(connection, "CREATE TABLE item (id bigint PRIMARY KEY)")
            let insert = try connection.statement("INSERT INTO item (id) VALUES (?1)")
            func ids() throws -> [[SQLValue]] { try connection.statement("SELECT id FROM item ORDER BY id").rows() }
            var rollbacks = 0
            connection.rollbackObserver = { rollbacks += 1 }

            // A body that throws undoes its own writes only.
            try connection.transaction {
                try insert.execute([.integer(1)])
                #expect(throws: DeliberateFailure.self) {
                    try connection.transaction {
                        try insert.execute([.integer(2)])
                        throw DeliberateFailure()
                    }
                }
                try connection.transaction { try insert.execute([.integer(3)]) }
                try insert.execute([.integer(4)])
            }
            #expect(try ids() == [[.integer(1)], [.integer(3)], [.integer(4)]])
            #expect(rollbacks == 1)

            // A write of the savepoint that fails, seen inside it: the savepoint is undone, the
            // transaction goes on.
            try connection.transaction {
                try insert.execute([.integer(10)])
                let error = #expect(throws: PostgresError.self) {
                    try connection.transaction {
                        try insert.execute([.integer(11)])
                        try insert.execute([.integer(1)])
                        _ = try count(connection, "item")
                    }
                }
                #expect(error?.sqlState == "23505")
                try insert.execute([.integer(12)])
            }
            #expect(try ids() == [[.integer(1)], [.integer(3)], [.integer(4)], [.integer(10)], [.integer(12)]])

            // The same failure seen only at the commit, after the savepoint was released:
            // the whole transaction fails.
            #expect(throws: PostgresError.self) {
                try connection.transaction {
                    try insert.execute([.integer(20)])
                    try connection.transaction {
                        try insert.execute([.integer(21)])
                        try insert.execute([.integer(1)])
                    }
                    try insert.execute([.integer(22)])
                }
            }
            #expect(try ids() == [[.integer(1)], [.integer(3)], [.integer(4)], [.integer(10)], [.integer(12)]])

            // A statement that does not compile fails alone, as in SQLite.
            try connection.transaction {
                try insert.execute([.integer(30)])
                #expect(throws: PostgresError.self) { try connection.statement("SELECT * FROM no_such_table") }
                try insert.execute([.integer(31)])
            }
            #expect(try ids().suffix(2) == [[.integer(30)], [.integer(31)]])
        }
    }

    @Test func aScriptInsideATransactionFailsAlone() throws {
        try withConnection { connection, _ in
            try run(connection, "CREATE TABLE item (id bigint PRIMARY KEY)")
            let insert = try connection.statement("INSERT INTO item (id) VALUES (?1)")
            try connection.transaction {
                try insert.execute([.integer(1)])
                #expect(throws: StoreError.readOnly) {
                    try connection.runScript("INSERT INTO item (id) VALUES (2)", arguments: [], readOnly: true)
                }
                #expect(try connection.runScript("SELECT count(*) FROM item", arguments: [], readOnly: true).rows == [[.integer(1)]])
                #expect(throws: PostgresError.self) { try run(connection, "INSERT INTO item (id) VALUES (3); SELECT 1/0") }
                #expect(try run(connection, "INSERT INTO item (id) VALUES (4)").changes == 1)
                try insert.execute([.integer(5)])
            }
            #expect(try connection.statement("SELECT id FROM item ORDER BY id").rows() == [[.integer(1)], [.integer(4)], [.integer(5)]])
            // The session's default is read-write again.
            try run(connection, "INSERT INTO item (id) VALUES (6)")
            #expect(try count(connection, "item") == 4)
        }
    }

    // MARK: scripts

    @Test func scriptsReturnTheLastRowsAndCountChanges() throws {
        try withConnection { connection, _ in
            let result = try run(connection, """
                CREATE TABLE item (id bigint PRIMARY KEY, name text);
                INSERT INTO item VALUES (1, 'a'), (2, 'b'), (3, 'c');
                SELECT id AS "Id", name FROM item WHERE id > 1 ORDER BY id;
                UPDATE item SET name = 'z' WHERE id = 3;
                SELECT 1 WHERE false;
                """)
            #expect(result.columns == ["?column?"])
            #expect(result.rows.isEmpty)
            #expect(result.changes == 4)
            let rows = try run(connection, "SELECT id AS \"Id\", name FROM item WHERE id > 1 ORDER BY id; DELETE FROM item WHERE id = 1")
            #expect(rows.columns == ["Id", "name"])
            #expect(rows.rows == [[.integer(2), .text("b")], [.integer(3), .text("z")]])
            #expect(rows.changes == 1)

            // An error leaves none of the script's changes (one implicit transaction).
            #expect(throws: PostgresError.self) { try run(connection, "INSERT INTO item VALUES (9, 'x'); SELECT 1/0") }
            #expect(try count(connection, "item") == 2)
            // With arguments, exactly one statement.
            #expect(throws: PostgresError.self) { try run(connection, "SELECT ?1::int8; SELECT 2", [.integer(1)]) }
            // A transaction left open is rolled back and reported.
            #expect(throws: PostgresError.self) { try run(connection, "BEGIN; INSERT INTO item VALUES (8, 'y')") }
            #expect(try count(connection, "item") == 2)
            #expect(!connection.isInTransaction)
        }
    }

    @Test func errorsReadAsOneLineWithTheStatement() throws {
        try withConnection { connection, _ in
            let error = #expect(throws: PostgresError.self) { try run(connection, "SELECT * FROM missing_table") }
            #expect(error?.description == "ERROR 42P01: relation \"missing_table\" does not exist (in: SELECT * FROM missing_table)")
            #expect(error?.kind == .server)
        }
    }

    // MARK: read-only

    @Test func readOnlyRefusesWrites() throws {
        try withConnection { connection, database in
            try run(connection, "CREATE TABLE item (id bigint); CREATE SEQUENCE s")
            // A read-write connection's read-only script.
            for script in ["INSERT INTO item VALUES (1)", "CREATE TABLE other (x int)", "COMMIT; INSERT INTO item VALUES (2)",
                           "SELECT nextval('s')", "DROP TABLE item"] {
                #expect(throws: StoreError.readOnly, "\(script)") {
                    try connection.runScript(script, arguments: [], readOnly: true)
                }
            }
            #expect(try connection.runScript("SELECT count(*) FROM item", arguments: [], readOnly: true).rows == [[.integer(0)]])
            try run(connection, "INSERT INTO item VALUES (3)")
            #expect(try count(connection, "item") == 1)

            // A read-only connection.
            let reader = try PostgresConnection(conninfo: database.conninfo, mode: .readOnly)
            #expect(throws: StoreError.readOnly) { try run(reader, "INSERT INTO item VALUES (4)") }
            #expect(throws: StoreError.readOnly) { try run(reader, "CREATE TABLE other (x int)") }
            let error = #expect(throws: PostgresError.self) {
                try reader.statement("INSERT INTO item VALUES (5)").execute()
            }
            #expect(error?.sqlState == "25006")
            #expect(try count(reader, "item") == 1)
        }
    }

    @Test func aRoleWithoutFilePrivilegesCannotWriteFiles() throws {
        let database = try PostgresTestDatabase.create()
        let role = "gb_reader_\(UInt32.random(in: 0...UInt32.max))"
        // A password of its own, for servers that ask for one (pg_virtualenv's TCP login).
        let password = "pw\(UInt64.random(in: 0...UInt64.max))"
        try PostgresTestDatabase.psql("CREATE ROLE \(role) LOGIN PASSWORD '\(password)'")
        defer {
            database.drop()
            _ = try? PostgresTestDatabase.psql("DROP ROLE IF EXISTS \(role)")
        }
        let path = "/tmp/gradbook-copy-\(UInt32.random(in: 0...UInt32.max))"
        do {
            let connection = try PostgresConnection(conninfo: "\(database.conninfo) user=\(role) password=\(password)", mode: .readWrite)
            #expect(connection.userName == role)
            for readOnly in [true, false] {
                let error = #expect(throws: PostgresError.self) {
                    try connection.runScript("COPY (SELECT 1) TO '\(path)'", arguments: [], readOnly: readOnly)
                }
                #expect(error?.sqlState == "42501")
                #expect(throws: (any Error).self) {
                    try connection.runScript("SELECT lo_export(lo_from_bytea(0, 'x'), '\(path)')", arguments: [], readOnly: readOnly)
                }
            }
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    // MARK: the session

    @Test func theSessionNamesItselfAndItsRole() throws {
        try withConnection { connection, database in
            let user = try #require(try connection.scalarText("SELECT current_user"))
            #expect(connection.userName == user)
            #expect(try connection.scalarText("SELECT current_setting('application_name')") == "gradbook")
            let named = try PostgresConnection(conninfo: "\(database.conninfo) application_name=notebook7", mode: .readWrite)
            #expect(try named.scalarText("SELECT current_setting('application_name')") == "notebook7")
            #expect(connection.location == database.conninfo)
            #expect(connection.dialect == .postgresql)
        }
    }

    @Test func storageCountsGradbookTablesOnly() throws {
        try withConnection { connection, _ in
            #expect(try connection.storageBytes() == 0)
            try run(connection, "CREATE TABLE unrelated (x text); INSERT INTO unrelated SELECT repeat('x', 1000) FROM generate_series(1, 100)")
            #expect(try connection.storageBytes() == 0)
            try run(connection, "CREATE TABLE session (id bigint PRIMARY KEY, notebook text); INSERT INTO session SELECT g, repeat('n', 100) FROM generate_series(1, 1000) AS g")
            let bytes = try connection.storageBytes()
            #expect(bytes > 100_000)
            #expect(bytes == Int(try connection.scalarInteger("SELECT pg_total_relation_size('session')") ?? -1))
        }
    }

    // MARK: faults

    @Test func aClosedConnectionReconnectsAtTheNextCall() throws {
        try withConnection { connection, database in
            let backend = try connection.statement("SELECT pg_backend_pid()")
            let firstPID = try #require(try backend.rows().first?.first?.integerValue)
            let admin = try PostgresConnection(conninfo: database.conninfo, mode: .readWrite)
            // Waits until the backend has ended (after it told the client why).
            #expect(try run(admin, "SELECT pg_terminate_backend(?1::int, 600000)", [.integer(firstPID)]).rows == [[.integer(1)]])

            let secondPID = try #require(try connection.statement("SELECT pg_backend_pid()").rows().first?.first?.integerValue)
            #expect(secondPID != firstPID)
            let notice = try #require(connection.takeNotice())
            #expect(notice == "reconnected to PostgreSQL at \(database.conninfo) after the server closed the connection (terminating connection due to administrator command)")
            #expect(connection.takeNotice() == nil)
            // A statement prepared in the old session is prepared again; settings are back.
            #expect(try backend.rows() == [[.integer(secondPID)]])
            #expect(try connection.scalarText("SELECT current_setting('application_name')") == "gradbook")
            #expect(try connection.scalarText("SELECT current_setting('extra_float_digits')") == "3")
        }
    }

    @Test func aConnectionClosedDuringATransactionFailsTheRunningCall() throws {
        try withConnection { connection, database in
            try run(connection, "CREATE TABLE item (id bigint PRIMARY KEY)")
            let insert = try connection.statement("INSERT INTO item (id) VALUES (?1)")
            try connection.transaction { try insert.execute([.integer(1)]) }
            let pid = try #require(try connection.scalarInteger("SELECT pg_backend_pid()"))
            let admin = try PostgresConnection(conninfo: database.conninfo, mode: .readWrite)
            let error = #expect(throws: PostgresError.self) {
                try connection.transaction {
                    try insert.execute([.integer(2)])
                    _ = try run(admin, "SELECT pg_terminate_backend(?1::int, 600000)", [.integer(pid)])
                    try insert.execute([.integer(3)])
                    _ = try count(connection, "item")
                }
            }
            #expect(error?.kind == .connectionClosed)
            #expect(error?.description.hasPrefix("the PostgreSQL server at \(database.conninfo) closed the connection") == true)
            #expect(!connection.isInTransaction)
            // The next call reconnects; the committed transaction is there, the failed one not.
            #expect(try count(connection, "item") == 1)
            #expect(connection.takeNotice()?.hasPrefix("reconnected to PostgreSQL at \(database.conninfo)") == true)
            try connection.transaction { try insert.execute([.integer(4)]) }
            #expect(try count(connection, "item") == 2)
        }
    }

    @Test func aReadOnlyConnectionStaysReadOnlyAfterReconnecting() throws {
        try withConnection { connection, database in
            try run(connection, "CREATE TABLE item (id bigint)")
            let reader = try PostgresConnection(conninfo: database.conninfo, mode: .readOnly)
            let pid = try #require(try reader.scalarInteger("SELECT pg_backend_pid()"))
            try run(connection, "SELECT pg_terminate_backend(?1::int, 600000)", [.integer(pid)])
            #expect(throws: StoreError.readOnly) { try run(reader, "INSERT INTO item VALUES (1)") }
            #expect(reader.takeNotice() != nil)
        }
    }
}

/// What needs no server.
@Suite struct PostgresConnectFailureTests {
    @Test func anUnreachableServerIsNamedWithoutItsPassword() throws {
        let conninfo = "host=/nonexistent-gradbook-socket-dir port=5999 dbname=history password=hunter2"
        let error = #expect(throws: PostgresError.self) {
            try PostgresConnection(conninfo: conninfo, mode: .readWrite)
        }
        let description = error?.description ?? ""
        #expect(error?.kind == .cannotConnect)
        #expect(description.hasPrefix("cannot connect to PostgreSQL at host=/nonexistent-gradbook-socket-dir port=5999 dbname=history password=***: "))
        #expect(description.contains("/nonexistent-gradbook-socket-dir/.s.PGSQL.5999"))
        #expect(!description.contains("hunter2"))
        #expect(!description.contains("\n"))

        let uri = "postgresql://alice:hunter2@%2Fnonexistent-gradbook-socket-dir:5999/history"
        let uriError = #expect(throws: PostgresError.self) {
            try PostgresConnection(conninfo: uri, mode: .readOnly)
        }
        #expect(uriError?.description.hasPrefix("cannot connect to PostgreSQL at postgresql://alice:***@%2Fnonexistent-gradbook-socket-dir:5999/history: ") == true)
        #expect(uriError?.description.contains("hunter2") == false)
    }

    @Test func aMalformedConnectionStringIsReported() throws {
        let error = #expect(throws: PostgresError.self) {
            try PostgresConnection(conninfo: "host=/tmp nonsense_option=1", mode: .readWrite)
        }
        #expect(error?.description == "cannot connect to PostgreSQL at host=/tmp nonsense_option=1: invalid connection option \"nonsense_option\"")
    }
}
