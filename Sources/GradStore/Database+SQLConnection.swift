import CSQLite
import Foundation

/// SQLite as one of the history's backends.
extension Database: SQLConnection {
    public var dialect: SQLDialect { .sqlite }
    public var location: String { path }

    /// The login name of the process: who records into a file is whoever runs gradbook.
    public var userName: String {
        if let name = ProcessInfo.processInfo.environment["USER"], !name.isEmpty { return name }
        return NSUserName()
    }

    public func statement(_ sql: String) throws -> any SQLStatement {
        try cachedStatement(sql)
    }

    public func insertReturningID(_ statement: any SQLStatement) throws -> Int64 {
        try statement.write()
        return lastInsertRowID
    }

    public func executeUpdate(_ statement: any SQLStatement) throws -> Int {
        try statement.write()
        return changes
    }

    public func runScript(_ script: String, arguments: [SQLValue], readOnly: Bool) throws -> QueryResult {
        guard readOnly else { return try runScript(script, arguments: arguments, refuseWrites: nil) }
        do {
            return try runScript(script, arguments: arguments, refuseWrites: SQLiteError(
                code: SQLITE_READONLY, message: StoreError.readOnly.description))
        } catch let error as SQLiteError where error.primaryCode == SQLITE_READONLY {
            throw StoreError.readOnly
        }
    }

    /// The pages in use (the file once its log is copied in), in bytes.
    public func storageBytes() throws -> Int {
        let pages = try runScript(
            "SELECT (SELECT page_count FROM pragma_page_count) - (SELECT freelist_count FROM pragma_freelist_count), (SELECT page_size FROM pragma_page_size)",
            arguments: [], refuseWrites: nil)
        guard let row = pages.rows.first, let count = row[0].integerValue, let size = row[1].integerValue else { return 0 }
        return Int(count * size)
    }

    /// A file connection has nothing to report: it cannot be lost and found again.
    public func takeNotice() -> String? { nil }
}

extension Statement: SQLStatement {
    public func write() throws {
        _ = try step()
    }
}
