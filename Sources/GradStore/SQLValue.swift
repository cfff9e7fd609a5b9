/// One SQLite value, as the C API types it.
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public var integerValue: Int64? {
        switch self {
        case .integer(let value): return value
        case .real(let value):
            // Only integral reals convert; a silent truncation would hide a wrong column type.
            guard value.rounded() == value, let exact = Int64(exactly: value) else { return nil }
            return exact
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .real(let value): return value
        default: return nil
        }
    }

    public var textValue: String? {
        if case .text(let value) = self { return value }
        return nil
    }

    public var blobValue: [UInt8]? {
        if case .blob(let value) = self { return value }
        return nil
    }
}

/// The rows a query produced, with its column names.
public struct QueryResult: Sendable, Hashable {
    public var columns: [String]
    public var rows: [[SQLValue]]
    /// Rows inserted, updated or deleted by the statements that ran (sqlite3_changes summed).
    public var changes: Int

    public init(columns: [String], rows: [[SQLValue]], changes: Int = 0) {
        self.columns = columns
        self.rows = rows
        self.changes = changes
    }
}
