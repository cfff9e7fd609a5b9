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
    /// A PostgreSQL schema without gradbook's version table that already has tables with the
    /// names gradbook would create (other tables are another application's, and fine).
    case tablesInTheWay(location: String, tables: [String])
    /// The history needs creating or migrating and the connected role may not change the
    /// schema (`found` 0: there is no history yet).
    case needsAdministrator(location: String, role: String, found: Int32, known: Int32)
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
        case let .tablesInTheWay(location, tables):
            return "\(location) is not a gradbook history: it has tables named like gradbook's (\(tables.joined(separator: ", "))) and no gradbook_schema table; use another database, or another schema (search_path)"
        case let .needsAdministrator(location, role, found, known):
            let state = found == 0 ? "holds no gradbook history yet" : "has gradbook schema \(found) and this build needs \(known)"
            return "\(location) \(state), and role \(role) may not change the schema: ask the database's administrator to run `gradbook db init`"
        case .readOnly:
            return "read-only: pass --write to modify the database"
        case let .invalidRecord(message):
            return "invalid record: \(message)"
        case let .notFound(message), let .thread(message):
            return message
        }
    }
}
