import CSQLite

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
/// The steps are the sections of `schema.sql`: version 1 is the text before the first
/// `-- @version N: name` line, and each such line starts version N. A schema change appends a
/// section (the ALTER/CREATE statements from N-1 to N) and never edits an earlier one, so a
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
    public static let gradbook = SchemaMigrator(migrations: Schema.sections.map { section in
        Migration(version: section.version, name: section.name, sql: section.sql)
    })

    /// Applies every migration newer than the database's version. Safe when several processes
    /// open a fresh file at once: each step re-reads the version inside its write transaction.
    ///
    /// Foreign keys are not enforced while the steps run, so a step can rebuild a table other
    /// tables refer to (SQLite's procedure for changes ALTER TABLE cannot make; GRDB's
    /// migrator does the same); each step checks them before it commits instead.
    public func migrate(_ database: Database) throws {
        let found = try version(of: database)
        try checkKnown(found, database: database)
        if found == 0, try hasTables(database) {
            throw StoreError.notGradbookDatabase(path: database.path)
        }
        let pending = migrations.filter { $0.version > found }
        guard !pending.isEmpty else { return }
        let enforced = try database.scalarInteger("PRAGMA foreign_keys") == 1
        if enforced { try database.execute("PRAGMA foreign_keys = OFF") }
        do {
            for migration in pending {
                try database.transaction {
                    let current = try version(of: database)
                    guard current < migration.version else { return }
                    try migration.apply(database)
                    if try database.scalarInteger("SELECT count(*) FROM pragma_foreign_key_check") ?? 0 > 0 {
                        // SQLITE_CONSTRAINT_FOREIGNKEY, a macro Swift does not import.
                        throw SQLiteError(code: SQLITE_CONSTRAINT | (3 << 8),
                                          message: "schema version \(migration.version) (\(migration.name)) leaves rows whose foreign keys point nowhere")
                    }
                    try database.execute("PRAGMA user_version = \(migration.version)")
                }
            }
        } catch {
            if enforced { try? database.execute("PRAGMA foreign_keys = ON") }
            database.clearStatementCache()
            throw error
        }
        if enforced { try database.execute("PRAGMA foreign_keys = ON") }
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

    /// One version's statements: the text of `schema.sql` from its `-- @version N: name` line
    /// (version 1: from the top) to the next such line.
    public struct Section: Sendable, Equatable {
        public var version: Int32
        public var name: String
        public var sql: String
    }

    public static let sections: [Section] = split(sql)

    /// Splits schema text at its `-- @version N: name` lines. The file is embedded at build
    /// time, so a misnumbered section is a build defect that `SchemaMigrator`'s check reports.
    static func split(_ text: String) -> [Section] {
        var sections = [Section(version: 1, name: "schema.sql", sql: "")]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let header = versionHeader(line) {
                sections.append(Section(version: header.version, name: header.name, sql: ""))
            } else {
                sections[sections.count - 1].sql += line + "\n"
            }
        }
        return sections
    }

    private static func versionHeader(_ line: Substring) -> (version: Int32, name: String)? {
        let prefix = "-- @version "
        guard line.hasPrefix(prefix) else { return nil }
        let rest = line.dropFirst(prefix.count)
        guard let colon = rest.firstIndex(of: ":"), let version = Int32(rest[..<colon]) else { return nil }
        let name = rest[rest.index(after: colon)...].drop { $0 == " " }
        return (version, String(name.reversed().drop { $0 == " " || $0 == "\r" }.reversed()))
    }
}
