import CSQLite

/// SQLite copies bound text and blobs immediately with this destructor value.
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A prepared statement: prepared in `init`, finalized in `deinit`.
///
/// A statement is tied to one connection and is not thread-safe; use it from the thread that
/// uses its `Database`. The connection stays valid while a statement exists because the
/// database closes with `sqlite3_close_v2`, which waits for the last statement to be finalized.
public final class Statement {
    public let sql: String
    let handle: OpaquePointer
    let connection: OpaquePointer

    /// Prepares exactly one SQL statement; trailing whitespace and comments are allowed.
    init(connection: OpaquePointer, sql: String) throws {
        var prepared: OpaquePointer?
        var trailingStatement = false
        let code: Int32 = sql.withCString { start in
            var tail: UnsafePointer<CChar>?
            let result = sqlite3_prepare_v2(connection, start, -1, &prepared, &tail)
            if result == SQLITE_OK, let tail {
                trailingStatement = Statement.containsStatement(tail, connection: connection)
            }
            return result
        }
        guard code == SQLITE_OK else {
            sqlite3_finalize(prepared)
            throw SQLiteError.last(connection, code: code, sql: sql)
        }
        guard let prepared else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "no SQL statement to prepare", sql: sql)
        }
        if trailingStatement {
            sqlite3_finalize(prepared)
            throw SQLiteError(code: SQLITE_MISUSE, message: "expected one SQL statement, found several", sql: sql)
        }
        self.sql = sql
        self.handle = prepared
        self.connection = connection
    }

    /// Wraps a statement that `Database.forEachStatement` already prepared.
    init(connection: OpaquePointer, handle: OpaquePointer, sql: String) {
        self.sql = sql
        self.handle = handle
        self.connection = connection
    }

    deinit {
        sqlite3_finalize(handle)
    }

    private static func containsStatement(_ tail: UnsafePointer<CChar>, connection: OpaquePointer) -> Bool {
        var rest: OpaquePointer?
        let code = sqlite3_prepare_v2(connection, tail, -1, &rest, nil)
        defer { sqlite3_finalize(rest) }
        // A syntax error after the first statement is still "more than one statement".
        return code != SQLITE_OK || rest != nil
    }

    // MARK: binding (1-based indexes, as in SQL's ?1)

    // One SQLValue: SQLStatement's `bind(_:at:)` (SQLConnection.swift), shared by both backends.

    public func bind(_ values: [SQLValue]) throws {
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard values.count == expected else {
            throw SQLiteError(code: SQLITE_RANGE,
                              message: "statement takes \(expected) argument(s), \(values.count) given", sql: sql)
        }
        for (offset, value) in values.enumerated() {
            try bind(value, at: Int32(truncatingIfNeeded: offset &+ 1))
        }
    }

    public func bind(_ value: Int64, at index: Int32) throws {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    public func bind(_ value: Int, at index: Int32) throws {
        try check(sqlite3_bind_int64(handle, index, Int64(value)))
    }

    public func bind(_ value: Double, at index: Int32) throws {
        try check(sqlite3_bind_double(handle, index, value))
    }

    public func bind(_ value: String, at index: Int32) throws {
        var text = value
        let code = text.withUTF8 { bytes -> Int32 in
            guard let base = bytes.baseAddress, bytes.count > 0 else {
                // An empty string must stay TEXT, not become NULL.
                return sqlite3_bind_text(handle, index, "", 0, sqliteTransient)
            }
            return sqlite3_bind_text64(handle, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self),
                                       sqlite3_uint64(bytes.count), sqliteTransient, UInt8(SQLITE_UTF8))
        }
        try check(code)
    }

    public func bind(_ value: String?, at index: Int32) throws {
        if let value { try bind(value, at: index) } else { try bindNull(at: index) }
    }

    public func bind(_ value: Int64?, at index: Int32) throws {
        if let value { try bind(value, at: index) } else { try bindNull(at: index) }
    }

    public func bind(_ value: Double?, at index: Int32) throws {
        if let value { try bind(value, at: index) } else { try bindNull(at: index) }
    }

    public func bind(blob bytes: [UInt8], at index: Int32) throws {
        try bytes.withUnsafeBytes { try bind(blob: $0, at: index) }
    }

    /// Binds a copy of the bytes (SQLite copies them before returning).
    public func bind(blob bytes: UnsafeRawBufferPointer, at index: Int32) throws {
        // A zero-length blob must still be a blob, not NULL: bind_zeroblob keeps the type.
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            try check(sqlite3_bind_zeroblob(handle, index, 0))
            return
        }
        try check(sqlite3_bind_blob64(handle, index, base, sqlite3_uint64(bytes.count), sqliteTransient))
    }

    public func bindNull(at index: Int32) throws {
        try check(sqlite3_bind_null(handle, index))
    }

    public func clearBindings() {
        sqlite3_clear_bindings(handle)
    }

    // MARK: stepping

    /// Advances the statement: `true` when a row is available, `false` when done.
    @discardableResult
    public func step() throws -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            // The statement must be reset before it can be used again after an error.
            sqlite3_reset(handle)
            throw SQLiteError.last(connection, code: code, sql: sql)
        }
    }

    public func reset() {
        sqlite3_reset(handle)
    }

    /// Resets, binds `arguments` and steps to completion.
    public func execute(_ arguments: [SQLValue] = []) throws {
        sqlite3_reset(handle)
        try bind(arguments)
        while try step() {}
        sqlite3_reset(handle)
    }

    /// Resets, binds `arguments` and returns every row.
    public func rows(_ arguments: [SQLValue] = []) throws -> [[SQLValue]] {
        sqlite3_reset(handle)
        try bind(arguments)
        var result: [[SQLValue]] = []
        while try step() {
            result.append(currentRow())
        }
        sqlite3_reset(handle)
        return result
    }

    /// Whether the statement leaves the database unchanged (SELECT, most PRAGMAs, BEGIN).
    public var isReadOnly: Bool { sqlite3_stmt_readonly(handle) != 0 }

    // MARK: columns of the current row (0-based)

    public var columnCount: Int32 { sqlite3_column_count(handle) }

    public var columnNames: [String] {
        (0..<columnCount).map { index in
            sqlite3_column_name(handle, index).map { String(cString: $0) } ?? ""
        }
    }

    public func isNull(at index: Int32) -> Bool {
        sqlite3_column_type(handle, index) == SQLITE_NULL
    }

    public func int64(at index: Int32) -> Int64 {
        sqlite3_column_int64(handle, index)
    }

    public func optionalInt64(at index: Int32) -> Int64? {
        isNull(at: index) ? nil : sqlite3_column_int64(handle, index)
    }

    public func double(at index: Int32) -> Double {
        sqlite3_column_double(handle, index)
    }

    public func optionalDouble(at index: Int32) -> Double? {
        isNull(at: index) ? nil : sqlite3_column_double(handle, index)
    }

    public func text(at index: Int32) -> String {
        guard let bytes = sqlite3_column_text(handle, index) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    public func optionalText(at index: Int32) -> String? {
        isNull(at: index) ? nil : text(at: index)
    }

    public func blob(at index: Int32) -> [UInt8] {
        guard let bytes = sqlite3_column_blob(handle, index) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, index))
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    public func value(at index: Int32) -> SQLValue {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_INTEGER: return .integer(int64(at: index))
        case SQLITE_FLOAT: return .real(double(at: index))
        case SQLITE_TEXT: return .text(text(at: index))
        case SQLITE_BLOB: return .blob(blob(at: index))
        default: return .null
        }
    }

    public func currentRow() -> [SQLValue] {
        (0..<columnCount).map { value(at: $0) }
    }

    private func check(_ code: Int32) throws {
        guard code == SQLITE_OK else { throw SQLiteError.last(connection, code: code, sql: sql) }
    }
}
