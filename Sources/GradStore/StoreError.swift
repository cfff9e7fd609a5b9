/// Errors of the run history above the SQLite layer; each reads as one line that names the file.
public enum StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file's `PRAGMA user_version` is greater than any schema this build knows.
    case newerSchema(path: String, found: Int32, known: Int32)
    /// A read-only open of a database whose schema is older than this build's.
    case olderSchemaReadOnly(path: String, found: Int32, known: Int32)
    /// A SQLite file with tables but no gradbook schema version.
    case notGradbookDatabase(path: String)
    /// A read-only open of a file that has no history yet.
    case emptyDatabase(path: String)
    /// A statement that would write, on a read-only store.
    case readOnly
    /// A record that cannot be stored as given (wrong element count for its shape, ...).
    case invalidRecord(String)
    /// A row the caller named does not exist.
    case notFound(String)
    /// The system would not start a thread the store needs.
    case thread(String)

    public var description: String {
        switch self {
        case let .newerSchema(path, found, known):
            return "\(path) was written by a newer gradbook (schema \(found), this build knows \(known))"
        case let .olderSchemaReadOnly(path, found, known):
            return "\(path) has schema \(found) and this build needs \(known): open it once without read-only mode (run any cell, or pass --write) to migrate it"
        case let .notGradbookDatabase(path):
            return "\(path) is a SQLite database but not a gradbook history (it has tables and no schema version)"
        case let .emptyDatabase(path):
            return "\(path) holds no gradbook history yet"
        case .readOnly:
            return "read-only: pass --write to modify the database"
        case let .invalidRecord(message):
            return "invalid record: \(message)"
        case let .notFound(message), let .thread(message):
            return message
        }
    }
}
