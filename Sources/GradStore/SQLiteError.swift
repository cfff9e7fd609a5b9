import CSQLite

/// The one error type of the SQLite layer: what SQLite said, about which statement.
public struct SQLiteError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The primary or extended SQLite result code (`SQLITE_BUSY`, `SQLITE_READONLY`, ...).
    public var code: Int32
    public var message: String
    /// The SQL that failed, when a statement was involved.
    public var sql: String?

    public init(code: Int32, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// The primary result code, with the extended bits stripped.
    public var primaryCode: Int32 { code & 0xFF }

    public var description: String {
        guard let sql, !sql.isEmpty else { return message }
        let oneLine = sql.split(whereSeparator: \.isNewline).joined(separator: " ")
        let shown = oneLine.count > 120 ? String(oneLine.prefix(117)) + "..." : oneLine
        return "\(message) (in: \(shown))"
    }

    /// Builds the error from the connection's last error, which SQLite keeps per connection.
    static func last(_ handle: OpaquePointer?, code: Int32, sql: String? = nil) -> SQLiteError {
        let text: String
        if let handle, let cMessage = sqlite3_errmsg(handle) {
            text = String(cString: cMessage)
        } else if let cMessage = sqlite3_errstr(code) {
            text = String(cString: cMessage)
        } else {
            text = "SQLite error \(code)"
        }
        return SQLiteError(code: code, message: text, sql: sql)
    }
}
