/// Every difference between SQLite's and PostgreSQL's SQL that gradbook's own statements meet,
/// answered in one place (SQLKit's `SQLDialect` habit) instead of `if postgres` in queries.
///
/// The statements the store runs are written once: `?N` parameters, `INSERT` without
/// `RETURNING` (the connection adds what it needs), and standard SQL otherwise. PostgreSQL
/// types a parameter from where it first appears, so one that is only tested with `IS NULL`
/// there is written `CAST(?N AS BIGINT) IS NULL` (SQLite reads the same cast as a no-op).
public struct SQLDialect: Sendable, Equatable {
    public enum Backend: String, Sendable {
        case sqlite
        case postgresql
    }

    public let backend: Backend

    public static let sqlite = SQLDialect(backend: .sqlite)
    public static let postgresql = SQLDialect(backend: .postgresql)

    /// The statement's parameters in the backend's notation: SQLite takes `?N` and `?` as they
    /// are; PostgreSQL wants `$N`, with a plain `?` numbered one above the largest number so far
    /// (SQLite's rule). Question marks inside string literals, quoted names and comments stay.
    public func parameters(_ sql: String) -> String {
        guard backend == .postgresql else { return sql }
        var largest = 0
        return SQLText.rewritingParameters(sql) { parameter in
            guard case .numbered(let given) = parameter else { return nil }
            let number = given ?? (largest + 1)
            largest = max(largest, number)
            return "$\(number)"
        }
    }

    /// `INSERT …` that hands back the new row's id: PostgreSQL returns it with the row;
    /// SQLite's connection reads `sqlite3_last_insert_rowid` instead (no RETURNING needed).
    public func insertReturningID(_ insert: String) -> String {
        backend == .postgresql ? insert + " RETURNING id" : insert
    }

    /// Whether every table has an `owner` column (PostgreSQL's lanes: row-level security lets
    /// each role write only rows it owns); on SQLite only `session` names its owner.
    public var rowsCarryOwner: Bool { backend == .postgresql }

    /// A condition to append (` AND …`) that keeps the rows this connection may change: on
    /// PostgreSQL, where everyone reads every lane and writes only their own, the rows its role
    /// owns; every row of a SQLite file.
    public var andOwnRows: String {
        rowsCarryOwner ? " AND owner = current_user" : ""
    }

    /// A query of `?1` fresh ids for `table`'s identity column, taken now for inserts to come;
    /// nil where inserting is as cheap as asking (SQLite: the id is known without a round trip).
    public func reserveIDsQuery(table: String) -> String? {
        reserveIDsQuery(tables: [table]).map { "SELECT r.id FROM (\($0)) AS r(table_index, id)" }
    }

    /// One query for fresh ids of several tables: `?1` ids of `tables[0]`, `?2` of
    /// `tables[1]`, …, as rows (index of the table in `tables`, id), each table's ids in the
    /// order taken. One round trip to the server however many tables; nil on SQLite.
    public func reserveIDsQuery(tables: [String]) -> String? {
        guard backend == .postgresql, !tables.isEmpty else { return nil }
        // Each sequence is looked up once per query (OFFSET 0 keeps the subquery from being
        // merged into the outer one): per row, pg_get_serial_sequence's catalog search cost 9
        // times nextval's.
        let sequences = tables.enumerated().map { index, table in
            "SELECT \(index) AS table_index, pg_get_serial_sequence('\(table)', 'id')::regclass AS sequence, CAST(?\(index + 1) AS integer) AS count"
        }
        return """
            SELECT s.table_index, nextval(s.sequence)
            FROM (\(sequences.joined(separator: " UNION ALL ")) OFFSET 0) AS s
            CROSS JOIN LATERAL generate_series(1, s.count) AS g
            """
    }

    /// The relation to read `table`'s rows from: the table itself, except `value` on
    /// PostgreSQL, where runs' values travel in their run rows and the internal view
    /// `value_rows` shows them and `value` as rows of `value` (schema-postgres.sql, versions 6 and 8).
    public func rowsOf(_ table: String) -> String {
        backend == .postgresql && table == "value" ? "value_rows" : table
    }

    /// Whether many rows go to the server as one statement of arrays (`insertFromArrays`).
    var insertsFromArrays: Bool { backend == .postgresql }

    /// An INSERT of `table`'s `columns` whose rows come as one array parameter per column
    /// (`?1` the first column's, and so on; see SQLArrayColumns); nil where the backend has no
    /// arrays (SQLite), so rows go one statement each.
    func insertFromArrays(table: String, columns: [(name: String, type: SQLArrayColumns.ColumnType)]) -> String? {
        guard insertsFromArrays else { return nil }
        let names = columns.map(\.name).joined(separator: ", ")
        let arrays = columns.enumerated().map { index, column in "CAST(?\(index + 1) AS \(column.type.rawValue)[])" }
        return "INSERT INTO \(table)(\(names)) SELECT * FROM unnest(\(arrays.joined(separator: ", ")))"
    }

    /// PostgreSQL's INSERT of a group's runs with their values in their rows (schema-postgres.sql,
    /// versions 6 and 8): `?1`… are the runs' `columns` as arrays (see `insertFromArrays`), then
    /// four more per run: the first and last 1-based position of its values in the arrays that
    /// follow (NULL: none), and whether it has tensor rows and full scalars among them (1 or 0:
    /// its arrays of those are NULL otherwise). Then the values of all the runs one after the
    /// other: node ids, shapes, sizes (a row of numel and grad_storage each), stats (a row of
    /// value min, max, mean, L2 and grad min, max, mean, L2 each), and rows of two (the value's,
    /// the gradient's) of tensor ids, full scalars and their JSON; each of the last three may be
    /// NULL when no run has any. Each run's row takes its slice of them. nil on SQLite, whose
    /// values are rows of `value` (see `rowsOf`).
    func insertRunsWithValues(columns: [(name: String, type: SQLArrayColumns.ColumnType)]) -> String? {
        guard insertsFromArrays else { return nil }
        let count = columns.count
        let perRun = ["summary_first", "summary_last", "with_tensors", "with_scalars"]
        let arrays = columns.enumerated().map { index, column in "CAST(?\(index + 1) AS \(column.type.rawValue)[])" }
            + perRun.indices.map { "CAST(?\(count + 1 + $0) AS integer[])" }
        let slice = "[u.summary_first:u.summary_last]"
        let values = count + perRun.count
        return """
            INSERT INTO run(\(columns.map(\.name).joined(separator: ", ")), summary_node_ids, summary_shapes, summary_sizes, summary_stats,
                            summary_tensor_ids, summary_scalars, summary_scalar_json)
            SELECT \(columns.map { "u.\($0.name)" }.joined(separator: ", ")),
                   a.node_ids\(slice), a.shapes\(slice), a.sizes\(slice)[1:2], a.stats\(slice)[1:8],
                   CASE WHEN u.with_tensors = 1 THEN a.tensor_ids\(slice)[1:2] END,
                   CASE WHEN u.with_scalars = 1 THEN a.scalars\(slice)[1:2] END,
                   CASE WHEN u.with_scalars = 1 THEN a.scalar_json\(slice)[1:2] END
            FROM unnest(\(arrays.joined(separator: ", "))) AS u(\((columns.map(\.name) + perRun).joined(separator: ", ")))
            CROSS JOIN (SELECT CAST(?\(values + 1) AS bigint[]) AS node_ids, CAST(?\(values + 2) AS text[]) AS shapes,
                               CAST(?\(values + 3) AS bigint[]) AS sizes, CAST(?\(values + 4) AS double precision[]) AS stats,
                               CAST(?\(values + 5) AS bigint[]) AS tensor_ids, CAST(?\(values + 6) AS double precision[]) AS scalars,
                               CAST(?\(values + 7) AS text[]) AS scalar_json) AS a
            """
    }

    /// A condition that `column` matches the shell-style pattern (`*`, `?`, `[…]`) bound at
    /// parameter `index` through `globArgument`: SQLite's GLOB; on PostgreSQL, which has no
    /// GLOB, an anchored regular expression made from the pattern.
    public func globCondition(column: String, parameter index: Int) -> String {
        backend == .postgresql ? "\(column) ~ ?\(index)" : "\(column) GLOB ?\(index)"
    }

    /// Rows (view name, column name) of every public view in the history's schema, by view and
    /// in column order (not PostgreSQL's internal ones, which SQLite does not have).
    public var viewColumnsQuery: String {
        switch backend {
        case .sqlite:
            return """
                SELECT m.name, p.name FROM sqlite_schema AS m, pragma_table_info(m.name) AS p
                WHERE m.type = 'view' ORDER BY m.name, p.cid
                """
        case .postgresql:
            let internalViews = PostgresSchema.internalViews.map { "'\($0)'" }.joined(separator: ", ")
            return """
                SELECT c.table_name::text, c.column_name::text FROM information_schema.columns AS c
                JOIN information_schema.views AS v ON v.table_schema = c.table_schema AND v.table_name = c.table_name
                WHERE c.table_schema = current_schema() AND c.table_name::text NOT IN (\(internalViews))
                ORDER BY c.table_name, c.ordinal_position
                """
        }
    }

    public func globArgument(_ pattern: String) -> SQLValue {
        guard backend == .postgresql else { return .text(pattern) }
        var regex = "^"
        var inClass = false
        for character in pattern {
            if inClass {
                if character == "]" { inClass = false }
                regex += character == "\\" ? "\\\\" : String(character)
                continue
            }
            switch character {
            case "*": regex += ".*"
            case "?": regex += "."
            case "[": inClass = true; regex.append("[")
            case ".", "+", "(", ")", "{", "}", "^", "$", "|", "\\": regex += "\\\(character)"
            default: regex.append(character)
            }
        }
        if inClass { regex += "]" }
        return .text(regex + "$")
    }
}
