extension RunStore {
    /// Opens the history at `location` — a SQLite file or a PostgreSQL database — read-write
    /// (created and migrated if needed) or read-only (it must be current).
    public convenience init(location: HistoryLocation, mode: OpenMode = .readWrite) throws {
        switch location {
        case .sqlite(let path):
            try self.init(path: path, mode: mode)
        case .postgresql(let conninfo):
            let connection = try PostgresConnection(conninfo: conninfo, mode: mode)
            let migrator = PostgresMigrator.gradbook
            switch mode {
            case .readWrite: try migrator.migrate(connection)
            case .readOnly: try migrator.checkCurrent(connection)
            }
            try self.init(connection: connection, schemaVersion: try migrator.version(of: connection))
        }
    }
}
