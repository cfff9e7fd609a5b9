/// What `gradbook db init` and `gradbook db grant` do to a PostgreSQL history: the schema, the
/// group role whose members record and read, and exactly the privileges gradbook needs.
///
/// The lanes themselves (row-level security, foreign keys that include the owner) are part of the
/// schema (`schema-postgres.sql`); what is granted here is who may use it at all. The group gets
/// SELECT on everything, INSERT, UPDATE of the few columns gradbook updates, and the identity
/// sequences; never DELETE, TRUNCATE or anything that writes server files. Both commands can be
/// run again: they state the same privileges again and report what was already in place.
public enum PostgresAdministration {
    public static let defaultGroup = "gradbook"

    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// `gradbook db init`: migrates the history, creates the group role (NOLOGIN) if it is
    /// missing and grants it its privileges. Returns what was done, one line each.
    public static func initialize(_ connection: any SQLConnection, group: String,
                                  migrator: PostgresMigrator = .gradbook) throws -> [String] {
        try checkRoleName(group)
        let before = try migrator.version(of: connection)
        do {
            try migrator.migrate(connection)
        } catch StoreError.needsAdministrator(let location, let role, _, _) {
            throw Failure(description: "\(location): role \(role) may not \(before == 0 ? "create tables there" : "change gradbook's tables"); run `gradbook db init` as the database's owner (creating the history takes CREATE on its schema, migrating it takes owning its tables)")
        }
        let ownership = try connection.statement("""
            SELECT pg_get_userbyid(r.relowner), pg_has_role(r.relowner, 'USAGE')::integer
            FROM (\(PostgresSchema.relations(named: "ARRAY['\(PostgresSchema.versionTable)']"))) AS r
            """).rows().first
        guard let ownership, let owner = ownership[0].textValue else {
            throw Failure(description: "\(connection.location): no \(PostgresSchema.versionTable) table in schema \(try connection.scalarText("SELECT current_schema()") ?? "(none)") after migrating")
        }
        // Only the tables' owner may grant on them; without this the server would answer with
        // the first GRANT's "permission denied".
        guard ownership[1].integerValue == 1 else {
            throw Failure(description: "\(connection.location): the history's tables belong to \(owner), and role \(connection.userName) may not grant on them: run `gradbook db init` as \(owner)")
        }
        var report = [before == migrator.latestVersion
                      ? "\(connection.location): gradbook schema \(migrator.latestVersion), up to date"
                      : "\(connection.location): gradbook schema \(migrator.latestVersion) (was \(before == 0 ? "empty" : "schema \(before)"))"]
        try connection.transaction {
            try PostgresMigrator.lock(connection)
            let found = try connection.statement("SELECT rolsuper::integer, rolbypassrls::integer, rolcanlogin::integer FROM pg_roles WHERE rolname = ?1")
                .rows([.text(group)]).first
            if let found {
                // Every member may SET ROLE to its group: a group above row-level security would
                // put every lane in every member's hands.
                if found[0].integerValue == 1 || found[1].integerValue == 1 {
                    throw Failure(description: "role \(group) is a superuser or bypasses row-level security; its members could act as it and write into everyone's sessions: choose another --group")
                }
                report.append("group role \(group) exists\(found[2].integerValue == 1 ? " (it can log in; gradbook uses it as a group)" : "")")
            } else {
                guard try connection.scalarInteger("SELECT (rolcreaterole OR rolsuper)::integer FROM pg_roles WHERE rolname = current_user") == 1 else {
                    throw Failure(description: "role \(group) does not exist and role \(connection.userName) may not create roles: run `gradbook db init` as a role with CREATEROLE, or create the group first (CREATE ROLE \(quoted(group)) NOLOGIN)")
                }
                _ = try connection.runScript("CREATE ROLE \(quoted(group)) NOLOGIN", arguments: [], readOnly: false)
                report.append("group role \(group) created (NOLOGIN)")
            }
            try grantHistoryPrivileges(toQuoted: quoted(group), on: connection)
            try removeFileWritingPrivileges(from: group, on: connection)
        }
        let updatable = PostgresSchema.updatableColumns
            .map { "\($0.table).\($0.columns.count == 1 ? $0.columns[0] : "{\($0.columns.joined(separator: ","))}")" }
            .joined(separator: ", ")
        report.append("\(group) may read every table and view, insert rows, and update \(updatable) (its own rows only); no DELETE, TRUNCATE or server files")
        report.append("the tables belong to \(owner): it and superusers are not bound by the lanes; record as a member of \(group)")
        report.append("next: gradbook db grant ROLE [--create-login] for each user")
        return report
    }

    /// `gradbook db grant ROLE`: makes `role` a member of `group`, creating it first (LOGIN, no
    /// password: passwords are the administrator's, through ALTER ROLE or pg_hba.conf) when asked.
    public static func grant(_ role: String, group: String, createLogin: Bool,
                             on connection: any SQLConnection) throws -> [String] {
        try checkRoleName(role)
        try checkRoleName(group)
        guard role != group else { throw Failure(description: "a role cannot be a member of itself: name a user's role, not \(group)") }
        var report: [String] = []
        try connection.transaction {
            guard try connection.scalarInteger("SELECT count(*) FROM pg_roles WHERE rolname = ?1", [.text(group)]) == 1 else {
                throw Failure(description: "role \(group) does not exist: run `gradbook db init\(group == defaultGroup ? "" : " --group \(group)")` first")
            }
            let found = try connection.statement("SELECT rolsuper::integer, rolbypassrls::integer, rolinherit::integer FROM pg_roles WHERE rolname = ?1")
                .rows([.text(role)]).first
            if let found {
                if createLogin { report.append("role \(role) exists; left as it is") }
                if found[0].integerValue == 1 || found[1].integerValue == 1 {
                    report.append("note: \(role) is a superuser or bypasses row-level security: its writes are not confined to its own sessions")
                }
                if found[2].integerValue == 0 {
                    report.append("note: \(role) is NOINHERIT and will not use \(group)'s privileges; ALTER ROLE \(quoted(role)) INHERIT")
                }
            } else if createLogin {
                _ = try connection.runScript("CREATE ROLE \(quoted(role)) LOGIN", arguments: [], readOnly: false)
                report.append("role \(role) created (LOGIN, no password: set one with ALTER ROLE \(quoted(role)) PASSWORD, or authenticate it in pg_hba.conf)")
            } else {
                throw Failure(description: "role \(role) does not exist: pass --create-login to create it, or create it yourself (CREATE ROLE \(quoted(role)) LOGIN)")
            }
            let member = try connection.scalarInteger("""
                SELECT count(*) FROM pg_auth_members
                WHERE roleid = (SELECT oid FROM pg_roles WHERE rolname = ?1) AND member = (SELECT oid FROM pg_roles WHERE rolname = ?2)
                """, [.text(group), .text(role)])
            if member == 1 {
                report.append("\(role) is already a member of \(group)")
            } else {
                _ = try connection.runScript("GRANT \(quoted(group)) TO \(quoted(role))", arguments: [], readOnly: false)
                report.append("\(role) is now a member of \(group): it reads every session and records its own")
            }
        }
        return report
    }

    // MARK: privileges

    /// The roles other than the owner that may insert sessions: the groups `db init` set up
    /// (and any role an administrator granted the same by hand), quoted for SQL.
    static func rolesHoldingGrants(on connection: any SQLConnection) throws -> [String] {
        try connection.statement("""
            SELECT DISTINCT quote_ident(g.rolname)
            FROM (\(PostgresSchema.relations(named: "ARRAY['session']"))) AS r CROSS JOIN LATERAL aclexplode(r.relacl) AS a
            JOIN pg_roles AS g ON g.oid = a.grantee
            WHERE a.privilege_type = 'INSERT' AND a.grantee <> r.relowner
            ORDER BY 1
            """).rows().compactMap { $0.first?.textValue }
    }

    /// States the group's privileges on every gradbook relation that exists (all of them after
    /// migrating; some during a migration step), from scratch: what an earlier gradbook granted
    /// and this one no longer does is revoked. The caller holds a transaction.
    static func grantHistoryPrivileges(toQuoted group: String, on connection: any SQLConnection) throws {
        let existing = Set(try connection.statement("""
            SELECT r.relname::text FROM (\(PostgresSchema.relations(named: "?1::text[]"))) AS r
            """).rows([.text(arrayLiteral(PostgresSchema.tables + PostgresSchema.views))]).compactMap { $0.first?.textValue })
        let tables = PostgresSchema.tables.filter(existing.contains)
        let relations = tables + PostgresSchema.views.filter(existing.contains) + [PostgresSchema.versionTable]
        let sequences = try connection.statement("""
            SELECT pg_get_serial_sequence(r.oid::regclass::text, a.attname)
            FROM (\(PostgresSchema.relations(named: "?1::text[]"))) AS r JOIN pg_attribute AS a ON a.attrelid = r.oid
            WHERE a.attidentity <> ''
            ORDER BY 1
            """).rows([.text(arrayLiteral(tables))]).compactMap { $0.first?.textValue }
        guard let schema = try connection.scalarText("SELECT quote_ident(current_schema())") else {
            throw Failure(description: "\(connection.location): no schema on the search_path")
        }
        var script = """
            REVOKE ALL ON TABLE \(relations.joined(separator: ", ")) FROM PUBLIC, \(group);
            GRANT USAGE ON SCHEMA \(schema) TO \(group);
            GRANT SELECT ON TABLE \(relations.joined(separator: ", ")) TO \(group);

            """
        if !tables.isEmpty {
            script += "GRANT INSERT ON TABLE \(tables.joined(separator: ", ")) TO \(group);\n"
        }
        for (table, columns) in PostgresSchema.updatableColumns where existing.contains(table) {
            script += "GRANT UPDATE (\(columns.joined(separator: ", "))) ON TABLE \(table) TO \(group);\n"
        }
        if !sequences.isEmpty {
            script += """
                REVOKE ALL ON SEQUENCE \(sequences.joined(separator: ", ")) FROM PUBLIC, \(group);
                GRANT USAGE ON SEQUENCE \(sequences.joined(separator: ", ")) TO \(group);

                """
        }
        _ = try connection.runScript(script, arguments: [], readOnly: false)
    }

    /// PostgreSQL 15 gives no role these unless granted; a group that was granted them (directly)
    /// loses them, and one that still holds them through another role is refused.
    private static func removeFileWritingPrivileges(from group: String, on connection: any SQLConnection) throws {
        for predefined in ["pg_write_server_files", "pg_execute_server_program"] {
            let direct = try connection.scalarInteger("""
                SELECT count(*) FROM pg_auth_members
                WHERE roleid = (SELECT oid FROM pg_roles WHERE rolname = ?1) AND member = (SELECT oid FROM pg_roles WHERE rolname = ?2)
                """, [.text(predefined), .text(group)])
            if direct == 1 {
                _ = try connection.runScript("REVOKE \(predefined) FROM \(quoted(group))", arguments: [], readOnly: false)
            }
            if try connection.scalarInteger("SELECT pg_has_role(?1::name, ?2::name, 'USAGE')::integer", [.text(group), .text(predefined)]) == 1 {
                throw Failure(description: "role \(group) holds \(predefined) through another role: its members could write files on the server; revoke it, or choose another --group")
            }
        }
        let exportSignature = "pg_catalog.lo_export(oid, text)"
        if try connection.scalarInteger("SELECT has_function_privilege(?1::name, ?2::text, 'EXECUTE')::integer", [.text(group), .text(exportSignature)]) == 1 {
            _ = try connection.runScript("REVOKE EXECUTE ON FUNCTION \(exportSignature) FROM \(quoted(group))", arguments: [], readOnly: false)
            if try connection.scalarInteger("SELECT has_function_privilege(?1::name, ?2::text, 'EXECUTE')::integer", [.text(group), .text(exportSignature)]) == 1 {
                throw Failure(description: "role \(group) may run lo_export (through PUBLIC or another role): its members could write files on the server; revoke it, or choose another --group")
            }
        }
    }

    // MARK: names

    /// A role name as SQL must spell it: names are taken literally, as `createuser` does
    /// (`Alice` stays `Alice`), so they are always quoted.
    static func quoted(_ name: String) -> String {
        var text = "\""
        for character in name {
            text += character == "\"" ? "\"\"" : String(character)
        }
        return text + "\""
    }

    /// PostgreSQL silently truncates a longer name, which would grant to another role.
    static func checkRoleName(_ name: String) throws {
        if name.isEmpty || name.utf8.count > 63 || name.contains("\0") {
            throw Failure(description: "invalid role name \"\(name)\": 1 to 63 bytes, no NUL")
        }
    }

    /// A PostgreSQL array literal of plain names (gradbook's own, no quoting needed).
    private static func arrayLiteral(_ names: [String]) -> String {
        "{" + names.joined(separator: ",") + "}"
    }
}
