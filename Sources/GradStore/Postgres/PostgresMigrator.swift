/// Brings a PostgreSQL history to the latest schema version: `SchemaMigrator`'s rules (one step
/// per transaction, a newer version refused, a read-only open of an older or empty history
/// refused) over the sections of `schema-postgres.sql`, with the version kept in the table
/// `gradbook_schema` instead of `PRAGMA user_version`.
///
/// Many clients of one server may open a fresh or older history at once, so each step takes a
/// transaction-scoped advisory lock and re-reads the version under it; the first one migrates,
/// the others find the work done. PostgreSQL's DDL is transactional: a failing step leaves the
/// database at the previous version, with nothing of the step behind.
public struct PostgresMigrator: Sendable {
    public let sections: [Schema.Section]

    public init(sections: [Schema.Section]) {
        precondition(sections.enumerated().allSatisfy { $0.element.version == Int32($0.offset) + 1 },
                     "schema sections must be numbered 1, 2, 3, ... in order")
        self.sections = sections
    }

    /// The migrations of this build of gradbook.
    public static let gradbook = PostgresMigrator(sections: PostgresSchema.sections)

    /// The advisory lock every schema change of a history takes: "gradbook" in ASCII, so that it
    /// reads as ours in `pg_locks` (advisory locks are per database).
    static let lockKey: Int64 = 0x6772_6164_626F_6F6B

    public var latestVersion: Int32 { sections.last?.version ?? 0 }

    /// Applies every step newer than the database's version.
    public func migrate(_ connection: any SQLConnection) throws {
        precondition(connection.dialect == .postgresql, "PostgresMigrator migrates PostgreSQL databases only")
        let found = try version(of: connection)
        try checkKnown(found, connection: connection)
        guard found < latestVersion else { return }
        // Whether this role may do it, judged under the lock: another client may be creating
        // the history right now, and its tables without its version would look like a stranger's.
        let pending = try connection.transaction { () throws -> Bool in
            try lock(connection)
            let current = try version(of: connection)
            try checkKnown(current, connection: connection)
            guard current < latestVersion else { return false }
            if current == 0 { try checkNoTablesInTheWay(connection) }
            try checkMayChangeSchema(found: current, connection: connection)
            return true
        }
        guard pending else { return }
        defer { connection.clearStatementCache() }
        for section in sections where section.version > found {
            try connection.transaction {
                try lock(connection)
                let current = try version(of: connection)
                try checkKnown(current, connection: connection)
                guard current < section.version else { return }
                if current == 0 { try checkNoTablesInTheWay(connection) }
                // A step that adds a table or replaces a view must not leave the members of
                // the groups that `gradbook db init` set up without their privileges on it.
                let groups = current == 0 ? [] : try PostgresAdministration.rolesHoldingGrants(on: connection)
                _ = try connection.runScript(section.sql, arguments: [], readOnly: false)
                if current == 0 {
                    _ = try connection.runScript("""
                        CREATE TABLE \(PostgresSchema.versionTable) (version integer NOT NULL);
                        INSERT INTO \(PostgresSchema.versionTable)(version) VALUES (\(section.version));
                        REVOKE ALL ON \(PostgresSchema.versionTable) FROM PUBLIC;
                        """, arguments: [], readOnly: false)
                } else {
                    _ = try connection.runScript("UPDATE \(PostgresSchema.versionTable) SET version = \(section.version)",
                                                 arguments: [], readOnly: false)
                }
                for group in groups {
                    try PostgresAdministration.grantHistoryPrivileges(toQuoted: group, on: connection)
                }
            }
        }
    }

    /// Waits for any other client's schema change of this database; released at the end of the
    /// caller's transaction.
    static func lock(_ connection: any SQLConnection) throws {
        _ = try connection.statement("SELECT pg_advisory_xact_lock(\(PostgresMigrator.lockKey))").rows()
    }

    private func lock(_ connection: any SQLConnection) throws {
        try PostgresMigrator.lock(connection)
    }

    /// For read-only opening: the database must already be at exactly this build's version.
    public func checkCurrent(_ connection: any SQLConnection) throws {
        let found = try version(of: connection)
        try checkKnown(found, connection: connection)
        if found == 0 {
            do {
                try checkNoTablesInTheWay(connection)
            } catch {
                // Tables but no version: a stranger's, or a history created since the version
                // was read (read-only opens take no lock: a standby would refuse it).
                guard try version(of: connection) != 0 else { throw error }
                return try checkCurrent(connection)
            }
            throw StoreError.emptyDatabase(path: connection.location)
        }
        if found < latestVersion {
            throw StoreError.olderSchemaReadOnly(path: connection.location, found: found, known: latestVersion)
        }
    }

    /// 0 when the database (its schema on the search path) has no version table.
    public func version(of connection: any SQLConnection) throws -> Int32 {
        let table = "ARRAY['\(PostgresSchema.versionTable)']"
        guard try connection.scalarInteger("SELECT count(*) FROM (\(PostgresSchema.relations(named: table))) AS r") == 1 else {
            return 0
        }
        return Int32(clamping: try connection.scalarInteger("SELECT max(version) FROM \(PostgresSchema.versionTable)") ?? 0)
    }

    private func checkKnown(_ found: Int32, connection: any SQLConnection) throws {
        if found > latestVersion {
            throw StoreError.newerSchema(path: connection.location, found: found, known: latestVersion)
        }
    }

    /// A shared database may hold other applications' tables, in the same schema even: those
    /// are no reason to refuse it (SQLite's "a file with tables but no version is not ours"
    /// would be). Only a table or view with a name gradbook is about to create is, because the
    /// first step would fail on it halfway, or worse, gradbook would read someone else's rows.
    private func checkNoTablesInTheWay(_ connection: any SQLConnection) throws {
        let names = (PostgresSchema.tables + PostgresSchema.views).map { "'\($0)'" }.joined(separator: ", ")
        let found = try connection.statement("""
            SELECT r.relname::text FROM (\(PostgresSchema.relations(named: "ARRAY[\(names)]"))) AS r ORDER BY 1
            """).rows().compactMap { $0.first?.textValue }
        if !found.isEmpty {
            throw StoreError.tablesInTheWay(location: connection.location, tables: found)
        }
    }

    /// Creating a history takes CREATE on the schema; migrating one takes owning its tables
    /// (ALTER TABLE, CREATE OR REPLACE VIEW). A member of the group has neither, by design: it
    /// gets a message that says who can, instead of "permission denied" halfway through a step.
    private func checkMayChangeSchema(found: Int32, connection: any SQLConnection) throws {
        let allowed: Int64?
        if found == 0 {
            allowed = try connection.scalarInteger("SELECT (current_schema() IS NOT NULL AND has_schema_privilege(current_schema(), 'CREATE'))::integer")
        } else {
            allowed = try connection.scalarInteger("""
                SELECT pg_has_role(r.relowner, 'USAGE')::integer
                FROM (\(PostgresSchema.relations(named: "ARRAY['\(PostgresSchema.versionTable)']"))) AS r
                """)
        }
        guard allowed == 1 else {
            throw StoreError.needsAdministrator(location: connection.location, role: connection.userName,
                                                found: found, known: latestVersion)
        }
    }
}
