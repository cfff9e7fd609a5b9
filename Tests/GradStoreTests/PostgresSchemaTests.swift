import Foundation
import Testing
@testable import GradStore

/// `schema-postgres.sql` against `schema.sql`: the same versions, tables and public views, and the
/// same answers from the views for the same rows. SQLite's side is read in process or with the
/// stock `sqlite3` shell; PostgreSQL's with `psql`, so these tests need no driver.
@Suite struct PostgresSchemaTests {
    /// PostgreSQL's versions begin with SQLite's, in the same order and with the same names;
    /// the ones after them are the server's own (schema-postgres.sql's header).
    @Test func postgreSQLsVersionsBeginWithSQLites() {
        let common = Schema.sections.count
        #expect(PostgresSchema.sections.count >= common)
        #expect(PostgresSchema.sections.prefix(common).map(\.version) == Schema.sections.map(\.version))
        #expect(PostgresSchema.sections.prefix(common).dropFirst().map(\.name) == Schema.sections.dropFirst().map(\.name))
        #expect(PostgresSchema.sections.dropFirst(common).map(\.name) == ["training steps written as few rows, checked once per statement",
                                                                           "a value row's tensors checked once per statement too",
                                                                           "a run's full tensors and scalars in its row too"])
    }

    @Test func theHeaderSaysWhatDiffers() {
        for topic in ["row-level security", "owner", "CREATE OR REPLACE VIEW", "round(double precision, integer)", "json_valid"] {
            #expect(PostgresSchema.sql.contains(topic), "schema-postgres.sql explains \(topic)")
        }
    }

    /// After every version, the views have SQLite's names and columns in SQLite's order, and the
    /// tables have SQLite's columns (plus owner) with the corresponding types.
    @Test(.enabled(if: PostgresTestDatabase.isConfigured, PostgresTestDatabase.disabledReason))
    func eachVersionHasSQLitesViewsAndTables() throws {
        let database = try PostgresTestDatabase.create()
        defer { database.drop() }
        let directory = try TemporaryDirectory()
        let sqlitePath = directory.path("versions.db")
        let common = min(Schema.sections.count, PostgresSchema.sections.count)
        for index in 0..<common {
            let version = index + 1
            _ = try runTool("/usr/bin/sqlite3", ["-batch", sqlitePath], input: Schema.sections[index].sql)
            try PostgresTestDatabase.psql(PostgresSchema.sections[index].sql, database: database.name)

            let sqliteViews = try sqliteColumns(sqlitePath, type: "view")
            let postgresViews = try postgresColumns(database, kind: "v")
            #expect(sqliteViews.keys.sorted() == postgresViews.keys.sorted(), "views at version \(version)")
            for (view, columns) in sqliteViews {
                #expect(postgresViews[view]?.map(\.name) == columns.map(\.name), "columns of \(view) at version \(version)")
                // SQLite's values come back as bigint, float8, text or bytea (the driver's .integer,
                // .real, .text, .blob): no boolean, numeric or json column may reach a view.
                for column in postgresViews[view] ?? [] {
                    #expect(Self.sqliteStorageClass.keys.contains(column.type), "\(view).\(column.name) is \(column.type)")
                }
            }

            let sqliteTables = try sqliteColumns(sqlitePath, type: "table")
            var postgresTables = try postgresColumns(database, kind: "r")
            postgresTables[PostgresSchema.versionTable] = nil
            #expect(sqliteTables.keys.sorted() == postgresTables.keys.sorted(), "tables at version \(version)")
            for (table, columns) in sqliteTables {
                var expected = Dictionary(uniqueKeysWithValues: columns.map { ($0.name, Self.postgresType[$0.type] ?? "no type for \($0.type)") })
                expected["owner"] = "text"
                let found = Dictionary(uniqueKeysWithValues: (postgresTables[table] ?? []).map { ($0.name, $0.type) })
                #expect(found == expected, "columns of \(table) at version \(version)")
            }
        }
        #expect(common == Schema.sections.count, "schema-postgres.sql has every version of schema.sql")

        // The server's own versions add only what its header lists: internal views and columns.
        for section in PostgresSchema.sections.dropFirst(common) {
            try PostgresTestDatabase.psql(section.sql, database: database.name)
        }
        let sqliteViews = try sqliteColumns(sqlitePath, type: "view")
        let postgresViews = try postgresColumns(database, kind: "v")
        #expect(postgresViews.keys.sorted() == (Array(sqliteViews.keys) + PostgresSchema.internalViews).sorted())
        for (view, columns) in sqliteViews {
            #expect(postgresViews[view]?.map(\.name) == columns.map(\.name), "columns of \(view) at the server's latest version")
        }
        let sqliteTables = try sqliteColumns(sqlitePath, type: "table")
        var postgresTables = try postgresColumns(database, kind: "r")
        postgresTables[PostgresSchema.versionTable] = nil
        #expect(sqliteTables.keys.sorted() == postgresTables.keys.sorted())
        for (table, columns) in sqliteTables {
            let expected = Set(columns.map(\.name) + ["owner"] + (PostgresSchema.internalColumns[table] ?? []))
            #expect(Set((postgresTables[table] ?? []).map(\.name)) == expected, "columns of \(table) at the server's latest version")
        }
    }

    static let postgresType = ["INTEGER": "bigint", "REAL": "double precision", "TEXT": "text", "BLOB": "bytea"]
    static let sqliteStorageClass = ["bigint": "INTEGER", "integer": "INTEGER", "double precision": "REAL", "text": "TEXT", "bytea": "BLOB"]

    /// The same rows in both histories, chosen to reach every branch of the views (full and
    /// summary storage, NaN summaries, pending tensor JSON, checkpoints with and without state,
    /// replays, all run kinds): every view and the README's queries give the same rows.
    @Test(.enabled(if: PostgresTestDatabase.isConfigured, PostgresTestDatabase.disabledReason))
    func theViewsGiveSQLitesAnswers() throws {
        let store = try RunStore(path: ":memory:")
        let version = Int(store.schemaVersion)
        try #require(version <= PostgresSchema.sections.count, "schema-postgres.sql lacks version \(version)")
        let database = try PostgresTestDatabase.create()
        defer { database.drop() }
        for section in PostgresSchema.sections.prefix(version) {
            try PostgresTestDatabase.psql(section.sql, database: database.name)
        }
        _ = try store.query(Self.fixture(blob: { "X'\($0)'" }))
        try PostgresTestDatabase.psql(Self.fixture(blob: { "'\\x\($0)'" }), database: database.name)
        let hasOwner = try store.query("SELECT count(*) FROM pragma_table_info('session') WHERE name = 'owner'").rows == [[.integer(1)]]
        if hasOwner {
            // Each backend records its own user; here both name PostgreSQL's.
            let user = try PostgresTestDatabase.psql("SELECT current_user", database: database.name)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            _ = try store.query("UPDATE session SET owner = ?1", arguments: [.text(user)])
        }

        let queries = PostgresSchema.publicViews.map { "SELECT * FROM \($0)" } + [
            "SELECT name, value, grad FROM run_values WHERE run_id = (SELECT max(run_id) FROM runs WHERE kind = 'backward')",
            "SELECT step, loss FROM train_steps WHERE train_id = (SELECT max(train_id) FROM train_steps)",
            "SELECT step, name, grad_norm FROM param_history WHERE kind = 'train' ORDER BY step, name",
            "SELECT step, run_id, optimizer_steps FROM checkpoints WHERE train_id = (SELECT max(train_id) FROM train_steps)",
            """
            SELECT target, kind, count(*) AS runs, sum(steps) AS steps, round(sum(duration_ms), 2) AS ms
            FROM runs WHERE kind IN ('backward', 'forward_mode', 'gradcheck', 'train') GROUP BY target, kind
            """,
            "SELECT execution_count, source, error FROM cells WHERE status = 'error'",
        ]
        for query in queries {
            let sqlite = try store.query(query)
            let postgres = try Self.postgresRows(query, database: database)
            #expect(sqlite.rows.count > 0, "the fixture reaches \(query)")
            #expect(postgres.columns == sqlite.columns, "columns of \(query)")
            let expected = sqlite.rows.map { $0.map(Cell.init) }.sorted { $0.description < $1.description }
            #expect(postgres.rows.sorted { $0.description < $1.description } == expected, "rows of \(query)")
        }
    }

    /// SQLite's functions that the store's checks and the README's SQL use, defined by the schema.
    @Test(.enabled(if: PostgresTestDatabase.isConfigured, PostgresTestDatabase.disabledReason))
    func roundAndJSONValidAnswerAsSQLitesDo() throws {
        let database = try PostgresTestDatabase.create()
        defer { database.drop() }
        try PostgresTestDatabase.psql(PostgresSchema.sections[0].sql, database: database.name)
        let store = try RunStore(path: ":memory:")
        let rounding: [([String], Int)] = [(["2.345"], 2), (["0.285"], 2), (["1.005"], 2), (["2.675"], 2), (["-2.5"], 0),
                                           (["123.456"], -1), (["0.1", "0.2"], 15), (["0.1", "0.2"], 17), (["12345.678912345"], 4),
                                           (["1e300"], 2), (["-0.0049"], 2), (["7"], 0), (["0.125", "2.5"], 2)]
        for (terms, places) in rounding {
            // A sum of doubles, as `round(sum(duration_ms), 2)` rounds.
            let sqlite = try store.query("SELECT round(\(terms.joined(separator: " + ")), \(places))").rows.first?.first
            let doubles = terms.map { "\($0)::double precision" }.joined(separator: " + ")
            let postgres = try Self.postgresRows("SELECT round(\(doubles), \(places))", database: database).rows.first?.first
            #expect(postgres == sqlite.map(Cell.init), "round(\(terms.joined(separator: " + ")), \(places))")
        }
        for document in ["[]", "[1,2", "{\"a\":[1,{\"b\":null}]}", "9e999", "nan", "\"x\"", "", " 1 ", "{'a':1}", "[1,]"] {
            let literal = "'" + document.replacingOccurrences(of: "'", with: "''") + "'"
            let sqlite = try store.query("SELECT json_valid(\(literal))").rows.first?.first
            let postgres = try Self.postgresRows("SELECT json_valid(\(literal))::integer", database: database).rows.first?.first
            #expect(postgres == sqlite.map(Cell.init), "json_valid(\(literal))")
        }
    }

    // MARK: reading both sides

    struct Column: Equatable {
        var name: String
        var type: String
    }

    private func sqliteColumns(_ path: String, type: String) throws -> [String: [Column]] {
        let output = try runTool("/usr/bin/sqlite3", ["-batch", "-separator", "|", path, """
            SELECT m.name, p.name, p.type FROM sqlite_schema AS m, pragma_table_info(m.name) AS p
            WHERE m.type = '\(type)' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid
            """])
        return Self.grouped(output)
    }

    private func postgresColumns(_ database: PostgresTestDatabase, kind: String) throws -> [String: [Column]] {
        Self.grouped(try PostgresTestDatabase.psql("""
            SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
            FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace JOIN pg_attribute AS a ON a.attrelid = c.oid
            WHERE n.nspname = current_schema() AND c.relkind = '\(kind)' AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY c.relname, a.attnum
            """, database: database.name))
    }

    private static func grouped(_ output: String) -> [String: [Column]] {
        var result: [String: [Column]] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else { continue }
            result[fields[0], default: []].append(Column(name: fields[1], type: fields[2]))
        }
        return result
    }

    /// A value as both sides can state it exactly: numbers as doubles (PostgreSQL's JSON prints
    /// float8 in shortest round-trip form), blobs as PostgreSQL's `\x` hex text.
    enum Cell: Equatable, CustomStringConvertible {
        case null
        case number(Double)
        case text(String)

        init(_ value: SQLValue) {
            switch value {
            case .null: self = .null
            case .integer(let integer): self = .number(Double(integer))
            case .real(let real): self = .number(real)
            case .text(let text): self = .text(text)
            case .blob(let bytes): self = .text("\\x" + bytes.map { String(format: "%02x", $0) }.joined())
            }
        }

        init(json: Any) throws {
            switch json {
            case is NSNull: self = .null
            case let text as String: self = .text(text)
            case let number as NSNumber: self = .number(number.doubleValue)
            default: throw PostgresTestDatabase.Failure(description: "unexpected JSON value \(json)")
            }
        }

        var description: String {
            switch self {
            case .null: return "NULL"
            case .number(let number): return "\(number)"
            case .text(let text): return "'\(text)'"
            }
        }
    }

    /// Runs `query` with psql and returns its columns and rows, through JSON (json_each keeps the
    /// columns' order).
    static func postgresRows(_ query: String, database: PostgresTestDatabase) throws -> (columns: [String], rows: [[Cell]]) {
        let output = try PostgresTestDatabase.psql("""
            SELECT coalesce(json_agg((SELECT json_agg(json_build_array(e.key, e.value) ORDER BY e.ordinality)
                                      FROM json_each(row_to_json(q)) WITH ORDINALITY AS e)), '[]')
            FROM (\(query)) AS q
            """, database: database.name)
        guard let rows = try JSONSerialization.jsonObject(with: Data(output.utf8), options: [.fragmentsAllowed]) as? [[[Any]]] else {
            throw PostgresTestDatabase.Failure(description: "psql's JSON for \(query): \(output)")
        }
        let columns = rows.first?.compactMap { $0.first as? String } ?? []
        return (columns, try rows.map { row in try row.map { try Cell(json: $0[1]) } })
    }

    /// Rows for every table, in SQL both backends accept but for blob literals (`blob` writes one
    /// from hex). Columns are those of schema version 4; later columns stay NULL.
    static func fixture(blob: (String) -> String) -> String {
        let two = blob("0000000000000040")
        let minusTwo = blob("00000000000000c0")
        let matrix = blob("000000000000f03f" + "0000000000000040" + "0000000000000840" + "0000000000001040")
        return """
            INSERT INTO session(id, kind, notebook, started_at, ended_at, engine_revision) VALUES
                (1, 'batch', 'seed.grad', '2026-12-06T06:00:00.000Z', '2026-12-06T06:00:01.500Z', 1),
                (2, 'kernel', NULL, '2026-12-06T06:05:00.000Z', NULL, NULL);
            INSERT INTO cell(id, session_id, execution_count, source, status, error, outputs, started_at, duration_ms) VALUES
                (1, 1, 1, 'x = -2\nw = param(2)', 'ok', NULL, '[]', '2026-12-06T06:00:00.010Z', 0.125),
                (2, 1, 2, 'J.backward()', 'error', '1:3: no such name', '[{"output_type":"error"}]', '2026-12-06T06:00:00.020Z', 2.5),
                (3, 2, NULL, 'train(L, steps=3)', NULL, NULL, NULL, '2026-12-06T06:05:00.010Z', NULL);
            INSERT INTO node(id, session_id, cell_id, name, op, inputs, shape, is_param, expr, attributes, leaf_value, leaf_value_json, defined_at) VALUES
                (1, 1, 1, 'x', 'leaf', '[]', '[]', 0, '-2', NULL, \(minusTwo), '-2.0', '2026-12-06T06:00:00.011Z'),
                (2, 1, 1, 'w', 'param', '[]', '[]', 1, 'param(2)', NULL, \(two), '2.0', '2026-12-06T06:00:00.012Z'),
                (3, 1, 2, 'J', 'mul', '["x","w"]', '[]', 0, 'x*w', '{"k":1}', NULL, NULL, '2026-12-06T06:00:00.021Z'),
                (4, 2, 3, 'W', 'param', '[]', '[2,2]', 1, 'param([[1,2],[3,4]])', NULL, \(matrix), '[[1.0,2.0],[3.0,4.0]]', '2026-12-06T06:05:00.011Z'),
                (5, 2, NULL, 'b', 'param', '[]', '[2]', 1, NULL, NULL, NULL, NULL, '2026-12-06T06:05:00.012Z'),
                (6, 2, 3, 'L', 'sum', '["W","b"]', '[]', 0, 'sum(W) + sum(b)', NULL, NULL, NULL, '2026-12-06T06:05:00.013Z');
            INSERT INTO graph(id, node_count, digest) VALUES (1, 3, -7), (2, 3, 99);
            INSERT INTO graph_node(graph_id, node_id) VALUES (1, 1), (1, 2), (1, 3), (2, 4), (2, 5), (2, 6);
            INSERT INTO train(id, session_id, cell_id, target, optimizer, steps, started_at, checkpoint_every) VALUES
                (1, 2, 3, 'L', '{"name":"adam","lr":0.01}', 3, '2026-12-06T06:05:00.014Z', 2);
            INSERT INTO run(id, session_id, cell_id, kind, target, target_node_id, step, loss, started_at, duration_ms,
                            graph_id, train_id, replay_of, record_policy, steps) VALUES
                (1, 1, 2, 'backward', 'J', 3, NULL, 2.0, '2026-12-06T06:00:00.022Z', 1.005, 1, NULL, NULL, 'params', 7),
                (2, 2, 3, 'train', 'L', 6, 0, 0.75, '2026-12-06T06:05:00.015Z', 0.285, 2, 1, NULL, 'params', 12),
                (3, 2, 3, 'train', 'L', 6, 1, 0.5, '2026-12-06T06:05:00.016Z', 2.675, 2, 1, NULL, 'params', 12),
                (4, 2, 3, 'train', 'L', 6, 2, 0.25, '2026-12-06T06:05:00.017Z', 0.1, 2, 1, NULL, 'params', NULL),
                (5, 1, NULL, 'replay', 'J', 3, NULL, 2.0, '2026-12-06T06:00:01.000Z', 0.2, 1, NULL, 1, 'all', NULL),
                (6, 1, 2, 'forward_mode', 'J', 3, NULL, NULL, '2026-12-06T06:00:00.023Z', 0.3, 1, NULL, NULL, 'params', 5),
                (7, 1, 2, 'gradcheck', 'J', 3, NULL, NULL, '2026-12-06T06:00:00.024Z', 0.001, 1, NULL, NULL, 'none', 30),
                (8, 1, 2, 'backward', 'J', 3, NULL, 2.0, '2026-12-06T06:00:00.025Z', 0.7, 1, NULL, NULL, 'scalars', 7);
            INSERT INTO tensor(id, shape, data, json) VALUES
                (1, '[2,2]', \(matrix), '[[1.0,2.0],[3.0,4.0]]'),
                (2, '[2,2]', \(matrix), NULL);
            INSERT INTO value(run_id, node_id, shape, numel, value_storage, grad_storage, value, value_json, value_tensor_id,
                              value_min, value_max, value_mean, value_l2, grad, grad_json, grad_tensor_id,
                              grad_min, grad_max, grad_mean, grad_l2) VALUES
                (1, 1, '[]', 1, 2, 2, -2.0, '-2.0', NULL, NULL, NULL, NULL, NULL, 2.0, '2.0', NULL, NULL, NULL, NULL, NULL),
                (1, 2, '[]', 1, 2, 2, 2.0, '2.0', NULL, NULL, NULL, NULL, NULL, -4.0, '-4.0', NULL, NULL, NULL, NULL, NULL),
                (1, 3, '[]', 1, 2, 2, -4.0, '-4.0', NULL, NULL, NULL, NULL, NULL, 1.0, '1.0', NULL, NULL, NULL, NULL, NULL),
                (2, 4, '[2,2]', 4, 2, 2, NULL, NULL, 1, 1.0, 4.0, 2.5, 5.477225575051661, NULL, NULL, 2, -3.5, 1.25, -0.5, 3.8078865529319543),
                (2, 5, '[2]', 2, 1, 1, NULL, NULL, NULL, 0.5, 0.5, 0.5, 0.7071067811865476, NULL, NULL, NULL, NULL, 0.5, NULL, NULL),
                (2, 6, '[]', 1, 2, NULL, 0.75, '0.75', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                (3, 4, '[2,2]', 4, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                (3, 5, '[2]', 2, 1, 1, NULL, NULL, NULL, 0.25, 0.75, 0.5, 0.7905694150420949, NULL, NULL, NULL, -0.25, 0.75, 0.25, 0.7905694150420949),
                (4, 4, '[2,2]', 4, 2, 2, NULL, NULL, 1, 1.0, 4.0, 2.5, 5.477225575051661, NULL, NULL, 1, 1.0, 4.0, 2.5, 5.477225575051661),
                (5, 2, '[]', 1, 2, 2, 2.0, '2.0', NULL, NULL, NULL, NULL, NULL, -4.0, '-4.0', NULL, NULL, NULL, NULL, NULL),
                (8, 3, '[]', 1, 2, NULL, -4.0, '-4.0', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
            INSERT INTO checkpoint(run_id, optimizer_steps) VALUES (2, 0), (4, 2);
            INSERT INTO optimizer_state(run_id, node_id, slot, shape, data) VALUES
                (2, 4, 'exp_avg', '[2,2]', \(matrix)),
                (2, 4, 'exp_avg_sq', '[2,2]', \(matrix));
            """
    }
}
