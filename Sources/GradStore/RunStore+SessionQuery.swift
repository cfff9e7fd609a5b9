import CSQLite

extension RunStore {
    /// `%sql` inside a session: the session's own read-write connection, but statements that
    /// would write are refused unless the user asked for `--write` (SPEC §2).
    public func query(_ sql: String, arguments: [SQLValue] = [], allowWrites: Bool) throws -> QueryResult {
        if allowWrites || mode == .readOnly { return try query(sql, arguments: arguments) }
        do {
            return try database.runScript(sql, arguments: arguments, refuseWrites: SQLiteError(
                code: SQLITE_READONLY, message: StoreError.readOnly.description))
        } catch let error as SQLiteError where error.primaryCode == SQLITE_READONLY {
            throw StoreError.readOnly
        }
    }
}
