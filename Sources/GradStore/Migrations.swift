/// One named, ordered step of the schema's history.
public struct Migration: Sendable {
    /// The `PRAGMA user_version` the database has after this step.
    public let version: Int32
    public let name: String
    let apply: @Sendable (Database) throws -> Void

    public init(version: Int32, name: String, apply: @escaping @Sendable (Database) throws -> Void) {
        self.version = version
        self.name = name
        self.apply = apply
    }

    public init(version: Int32, name: String, sql: String) {
        self.init(version: version, name: name) { database in try database.execute(sql) }
    }
}

/// Brings a database to the latest schema version, one migration per transaction, driven by
/// `PRAGMA user_version`.
///
/// Version 1 is `schema.sql` itself. A schema change appends a step to `SchemaMigrator.gradbook`
/// (version 2 = the ALTER/CREATE statements from 1 to 2) and never edits an earlier step, so a
/// fresh database and an upgraded one go through the same sequence.
public struct SchemaMigrator: Sendable {
    public let migrations: [Migration]

    public init(migrations: [Migration]) {
        precondition(migrations.enumerated().allSatisfy { $0.element.version == Int32($0.offset) + 1 },
                     "migrations must be numbered 1, 2, 3, ... in order")
        self.migrations = migrations
    }

    public var latestVersion: Int32 { migrations.last?.version ?? 0 }

    /// The migrations of this build of gradbook.
    public static let gradbook = SchemaMigrator(migrations: [
        Migration(version: 1, name: "schema.sql", sql: Schema.sql),
    ])

    /// Applies every migration newer than the database's version. Safe when several processes
    /// open a fresh file at once: each step re-reads the version inside its write transaction.
    public func migrate(_ database: Database) throws {
        let found = try version(of: database)
        try checkKnown(found, database: database)
        if found == 0, try hasTables(database) {
            throw StoreError.notGradbookDatabase(path: database.path)
        }
        for migration in migrations where migration.version > found {
            try database.transaction {
                let current = try version(of: database)
                guard current < migration.version else { return }
                try migration.apply(database)
                try database.execute("PRAGMA user_version = \(migration.version)")
            }
        }
        // Cached statements were prepared against the old schema.
        database.clearStatementCache()
    }

    /// For read-only opening: the database must already be at exactly this build's version.
    public func checkCurrent(_ database: Database) throws {
        let found = try version(of: database)
        try checkKnown(found, database: database)
        if found == 0 {
            if try hasTables(database) { throw StoreError.notGradbookDatabase(path: database.path) }
            throw StoreError.emptyDatabase(path: database.path)
        }
        if found < latestVersion {
            throw StoreError.olderSchemaReadOnly(path: database.path, found: found, known: latestVersion)
        }
    }

    public func version(of database: Database) throws -> Int32 {
        Int32(clamping: try database.scalarInteger("PRAGMA user_version") ?? 0)
    }

    private func checkKnown(_ found: Int32, database: Database) throws {
        if found > latestVersion {
            throw StoreError.newerSchema(path: database.path, found: found, known: latestVersion)
        }
    }

    private func hasTables(_ database: Database) throws -> Bool {
        (try database.scalarInteger("SELECT count(*) FROM sqlite_schema") ?? 0) > 0
    }
}

/// The schema as embedded from `schema.sql` at the repository root (never a copy).
public enum Schema {
    public static let sql = String(decoding: PackageResources.schema_sql, as: UTF8.self)
}
