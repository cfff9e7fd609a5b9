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
        guard backend == .postgresql else { return nil }
        return "SELECT nextval(pg_get_serial_sequence('\(table)', 'id')) FROM generate_series(1, ?1)"
    }

    /// A condition that `column` matches the shell-style pattern (`*`, `?`, `[…]`) bound at
    /// parameter `index` through `globArgument`: SQLite's GLOB; on PostgreSQL, which has no
    /// GLOB, an anchored regular expression made from the pattern.
    public func globCondition(column: String, parameter index: Int) -> String {
        backend == .postgresql ? "\(column) ~ ?\(index)" : "\(column) GLOB ?\(index)"
    }

    /// Rows (view name, column name) of every view in the history's schema, by view and in
    /// column order.
    public var viewColumnsQuery: String {
        switch backend {
        case .sqlite:
            return """
                SELECT m.name, p.name FROM sqlite_schema AS m, pragma_table_info(m.name) AS p
                WHERE m.type = 'view' ORDER BY m.name, p.cid
                """
        case .postgresql:
            return """
                SELECT c.table_name::text, c.column_name::text FROM information_schema.columns AS c
                JOIN information_schema.views AS v ON v.table_schema = c.table_schema AND v.table_name = c.table_name
                WHERE c.table_schema = current_schema() ORDER BY c.table_name, c.ordinal_position
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
