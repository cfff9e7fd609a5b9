import Foundation
import Testing
@testable import GradStore

/// `gradbook db init` / `gradbook db grant` (PostgresAdministration) against a real server, and
/// the lanes they set up: tests/postgres/lanes.sql run by psql as two members of the group.
/// Roles belong to the whole server, so every test names its own and drops them.
@Suite(.enabled(if: PostgresTestDatabase.isConfigured, PostgresTestDatabase.disabledReason))
struct PostgresAdministrationTests {
    /// A database and the roles a test creates, removed afterwards (the database first: a role
    /// that still holds privileges in it cannot be dropped).
    final class Scene {
        let database: PostgresTestDatabase
        let group: String
        let alice: String
        let bob: String

        init() throws {
            database = try PostgresTestDatabase.create()
            let suffix = database.name.dropFirst("gb_test_".count)
            group = "gb_group_\(suffix)"
            alice = "gb_alice_\(suffix)"
            bob = "gb_bob_\(suffix)"
        }

        deinit {
            database.drop()
            for role in [alice, bob, group] {
                _ = try? PostgresTestDatabase.psql("DROP ROLE IF EXISTS \(PostgresAdministration.quoted(role))")
            }
        }

        func connect(as user: String? = nil, mode: OpenMode = .readWrite) throws -> PostgresConnection {
            // libpq's key=value quoting: single quotes, with \ and ' escaped by a backslash.
            let login = user.map { " user='" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'" }
            return try PostgresConnection(conninfo: database.conninfo + (login ?? ""), mode: mode)
        }

        @discardableResult
        func sql(_ text: String) throws -> String {
            try PostgresTestDatabase.psql(text, database: database.name)
        }

        /// Every privilege on gradbook's relations and their columns, and the group's members.
        func privileges() throws -> String {
            try sql("""
                SELECT c.relname::text, c.relkind::text, coalesce(r.rolname::text, 'PUBLIC'), a.privilege_type
                FROM pg_class AS c CROSS JOIN LATERAL aclexplode(c.relacl) AS a LEFT JOIN pg_roles AS r ON r.oid = a.grantee
                WHERE c.relnamespace = 'public'::regnamespace AND a.grantee <> c.relowner
                UNION ALL
                SELECT c.relname || '.' || t.attname, 'column', coalesce(r.rolname::text, 'PUBLIC'), a.privilege_type
                FROM pg_attribute AS t JOIN pg_class AS c ON c.oid = t.attrelid
                CROSS JOIN LATERAL aclexplode(t.attacl) AS a LEFT JOIN pg_roles AS r ON r.oid = a.grantee
                WHERE c.relnamespace = 'public'::regnamespace
                UNION ALL
                SELECT 'member', m.rolname::text, g.rolname::text, '' FROM pg_auth_members AS x
                JOIN pg_roles AS g ON g.oid = x.roleid JOIN pg_roles AS m ON m.oid = x.member
                WHERE g.rolname = '\(group)'
                ORDER BY 1, 2, 3, 4
                """)
        }
    }

    @Test func initCreatesTheGroupAndGrantsExactlyWhatGradbookNeeds() throws {
        let scene = try Scene()
        let report = try PostgresAdministration.initialize(try scene.connect(), group: scene.group)
        #expect(report.contains("group role \(scene.group) created (NOLOGIN)"), "\(report)")
        #expect(report.first?.hasSuffix("gradbook schema \(PostgresMigrator.gradbook.latestVersion) (was empty)") == true, "\(report)")
        #expect(try scene.sql("SELECT rolcanlogin, rolsuper, rolinherit FROM pg_roles WHERE rolname = '\(scene.group)'") == "f|f|t\n")

        var expected: [String] = []
        for table in PostgresSchema.tables {
            expected += ["\(table)|r|\(scene.group)|INSERT", "\(table)|r|\(scene.group)|SELECT"]
        }
        for view in PostgresSchema.views {
            expected.append("\(view)|v|\(scene.group)|SELECT")
        }
        expected.append("\(PostgresSchema.versionTable)|r|\(scene.group)|SELECT")
        for table in ["session", "cell", "node", "graph", "train", "run", "tensor"] {
            expected.append("\(table)_id_seq|S|\(scene.group)|USAGE")
        }
        for (table, columns) in PostgresSchema.updatableColumns {
            expected += columns.map { "\(table).\($0)|column|\(scene.group)|UPDATE" }
        }
        let found = try scene.privileges().split(separator: "\n").map(String.init).sorted()
        #expect(found == expected.sorted(), "privileges beyond the group's, or missing ones")
    }

    @Test func initAndGrantTwiceChangeNothing() throws {
        let scene = try Scene()
        _ = try PostgresAdministration.initialize(try scene.connect(), group: scene.group)
        let first = try PostgresAdministration.grant(scene.alice, group: scene.group, createLogin: true, on: try scene.connect())
        #expect(first.contains("\(scene.alice) is now a member of \(scene.group): it reads every session and records its own"), "\(first)")
        let before = try scene.privileges()

        let again = try PostgresAdministration.initialize(try scene.connect(), group: scene.group)
        #expect(again.first?.hasSuffix("up to date") == true, "\(again)")
        #expect(again.contains("group role \(scene.group) exists"), "\(again)")
        let grantAgain = try PostgresAdministration.grant(scene.alice, group: scene.group, createLogin: true, on: try scene.connect())
        #expect(grantAgain == ["role \(scene.alice) exists; left as it is", "\(scene.alice) is already a member of \(scene.group)"])
        #expect(try scene.privileges() == before)
        #expect(before.contains("member|\(scene.alice)|\(scene.group)|"))
    }

    @Test func grantSaysWhatIsMissing() throws {
        let scene = try Scene()
        let admin = try scene.connect()
        #expect(throws: PostgresAdministration.Failure(description: "role \(scene.group) does not exist: run `gradbook db init --group \(scene.group)` first")) {
            try PostgresAdministration.grant(scene.alice, group: scene.group, createLogin: true, on: admin)
        }
        _ = try PostgresAdministration.initialize(admin, group: scene.group)
        #expect(throws: PostgresAdministration.Failure.self) {
            try PostgresAdministration.grant(scene.alice, group: scene.group, createLogin: false, on: admin)
        }
        #expect(try scene.sql("SELECT count(*) FROM pg_roles WHERE rolname = '\(scene.alice)'") == "0\n")
        #expect(throws: PostgresAdministration.Failure.self) {
            try PostgresAdministration.grant(scene.group, group: scene.group, createLogin: false, on: admin)
        }
        let report = try PostgresAdministration.grant(scene.alice, group: scene.group, createLogin: true, on: admin)
        #expect(report.first?.hasPrefix("role \(scene.alice) created (LOGIN, no password") == true, "\(report)")
        #expect(try scene.sql("SELECT rolcanlogin, rolpassword IS NULL FROM pg_authid WHERE rolname = '\(scene.alice)'") == "t|t\n")
        // The new role can log in and read at once.
        let alice = try scene.connect(as: scene.alice, mode: .readOnly)
        try PostgresMigrator.gradbook.checkCurrent(alice)
        #expect(try alice.scalarInteger("SELECT count(*) FROM sessions") == 0)
        #expect(alice.userName == scene.alice)
    }

    @Test func namesAreTakenLiterallyAsCreateuserTakesThem() throws {
        let scene = try Scene()
        let group = scene.group + " Class \"A\""
        let alice = scene.alice.uppercased()
        defer {
            for role in [alice, group] { _ = try? PostgresTestDatabase.psql("DROP ROLE IF EXISTS \(PostgresAdministration.quoted(role))") }
        }
        let admin = try scene.connect()
        _ = try PostgresAdministration.initialize(admin, group: group)
        _ = try PostgresAdministration.grant(alice, group: group, createLogin: true, on: admin)
        #expect(try admin.scalarInteger("SELECT count(*) FROM pg_roles WHERE rolname IN (?1, ?2)", [.text(group), .text(alice)]) == 2)
        #expect(try admin.scalarInteger("SELECT pg_has_role(?1::name, ?2::name, 'MEMBER')::integer", [.text(alice), .text(group)]) == 1)
        #expect(try admin.scalarInteger("SELECT has_table_privilege(?1::name, 'session', 'INSERT')::integer", [.text(group)]) == 1)
        #expect(throws: PostgresAdministration.Failure.self) {
            try PostgresAdministration.initialize(admin, group: String(repeating: "g", count: 64))
        }
    }

    /// Every member may SET ROLE to its group: a group above row-level security would hand every
    /// lane to every member.
    @Test func aGroupAboveRowLevelSecurityIsRefused() throws {
        let scene = try Scene()
        try scene.sql("CREATE ROLE \(scene.group) NOLOGIN BYPASSRLS")
        #expect(throws: PostgresAdministration.Failure.self) {
            try PostgresAdministration.initialize(try scene.connect(), group: scene.group)
        }
        #expect(try scene.sql("SELECT has_table_privilege('\(scene.group)', 'session', 'SELECT')") == "f\n")
    }

    @Test func theGroupLosesFileWritingPrivileges() throws {
        let scene = try Scene()
        try scene.sql("""
            CREATE ROLE \(scene.group) NOLOGIN;
            GRANT pg_write_server_files, pg_execute_server_program TO \(scene.group);
            GRANT EXECUTE ON FUNCTION lo_export(oid, text) TO \(scene.group);
            """)
        _ = try PostgresAdministration.initialize(try scene.connect(), group: scene.group)
        #expect(try scene.sql("""
            SELECT pg_has_role('\(scene.group)', 'pg_write_server_files', 'USAGE'), pg_has_role('\(scene.group)', 'pg_execute_server_program', 'USAGE'),
                   has_function_privilege('\(scene.group)', 'lo_export(oid, text)', 'EXECUTE')
            """) == "f|f|f\n")
    }

    /// tests/postgres/lanes.sql: alice cannot insert into, update or delete bob's rows (each
    /// attempt refused with its SQLSTATE, nothing changed), both read both, no file writes.
    @Test func membersStayInTheirLanes() throws {
        let scene = try Scene()
        let admin = try scene.connect()
        _ = try PostgresAdministration.initialize(admin, group: scene.group)
        _ = try PostgresAdministration.grant(scene.alice, group: scene.group, createLogin: true, on: admin)
        _ = try PostgresAdministration.grant(scene.bob, group: scene.group, createLogin: true, on: admin)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("tests/postgres/lanes.sql").path
        let run = try Self.psqlFile(script, database: scene.database.name, variables: ["alice": scene.alice, "bob": scene.bob])
        #expect(run.status == 0, "\(run.output)\n\(run.errors)")
        #expect(run.output.hasSuffix("lanes: ok\n"), "\(run.output)")
        let refusals = run.errors.split(separator: "\n").filter { $0.contains("NOTICE:  refused: ") }
        #expect(refusals.count >= 60, "\(run.errors)")
    }

    /// The schema belongs to whoever created it: a member can neither create a history nor
    /// migrate one, and is told who can.
    @Test func aMemberCannotCreateOrMigrateTheSchema() throws {
        let scene = try Scene()
        try scene.sql("CREATE ROLE \(scene.alice) LOGIN")
        let location = try scene.connect(as: scene.alice).location
        #expect(throws: StoreError.needsAdministrator(location: location, role: scene.alice, found: 0, known: PostgresMigrator.gradbook.latestVersion)) {
            try PostgresMigrator.gradbook.migrate(try scene.connect(as: scene.alice))
        }
        let older = PostgresMigratorTests.migrator(upTo: 4)
        _ = try PostgresAdministration.initialize(try scene.connect(), group: scene.group, migrator: older)
        _ = try PostgresAdministration.grant(scene.alice, group: scene.group, createLogin: false, on: try scene.connect())
        let refusal = StoreError.needsAdministrator(location: location, role: scene.alice, found: 4, known: PostgresMigrator.gradbook.latestVersion)
        #expect(throws: refusal) { try PostgresMigrator.gradbook.migrate(try scene.connect(as: scene.alice)) }
        #expect(refusal.description.hasSuffix("ask the database's administrator to run `gradbook db init`"))
        // What init says when the one running it may not change the schema either.
        #expect(throws: PostgresAdministration.Failure.self) {
            try PostgresAdministration.initialize(try scene.connect(as: scene.alice), group: scene.group)
        }

        _ = try PostgresAdministration.initialize(try scene.connect(), group: scene.group)
        let alice = try scene.connect(as: scene.alice)
        try PostgresMigrator.gradbook.migrate(alice)
        #expect(throws: PostgresAdministration.Failure(description: "\(alice.location): the history's tables belong to postgres, and role \(scene.alice) may not grant on them: run `gradbook db init` as postgres")) {
            try PostgresAdministration.initialize(alice, group: scene.group)
        }
        #expect(try alice.scalarText("INSERT INTO session(kind, started_at, uid) VALUES ('repl', 'now', 'u-1') RETURNING owner") == scene.alice)
    }

    /// A class's database is often owned by a teacher's role that is not a superuser: it creates
    /// the history and grants on it; creating the group takes CREATEROLE, which init says.
    @Test func aDatabaseOwnerWithoutCreateroleInitializesOnceTheGroupExists() throws {
        let scene = try Scene()
        let teacher = scene.bob
        try scene.sql("CREATE ROLE \(teacher) LOGIN; ALTER DATABASE \(scene.database.name) OWNER TO \(teacher)")
        let connection = try scene.connect(as: teacher)
        #expect(throws: PostgresAdministration.Failure(description: "role \(scene.group) does not exist and role \(teacher) may not create roles: run `gradbook db init` as a role with CREATEROLE, or create the group first (CREATE ROLE \"\(scene.group)\" NOLOGIN)")) {
            try PostgresAdministration.initialize(connection, group: scene.group)
        }
        try scene.sql("CREATE ROLE \(scene.group) NOLOGIN; CREATE ROLE \(scene.alice) LOGIN IN ROLE \(scene.group)")
        let report = try PostgresAdministration.initialize(connection, group: scene.group)
        #expect(report.contains("the tables belong to \(teacher): it and superusers are not bound by the lanes; record as a member of \(scene.group)"), "\(report)")
        let alice = try scene.connect(as: scene.alice)
        #expect(try alice.scalarText("INSERT INTO session(kind, started_at) VALUES ('repl', 'now') RETURNING owner") == scene.alice)
    }

    /// The owner migrating through an ordinary open (not `db init`): the tables and views a step
    /// adds are granted to the groups already set up, in the step's own transaction.
    @Test func migratingKeepsTheGroupsPrivileges() throws {
        let scene = try Scene()
        _ = try PostgresAdministration.initialize(try scene.connect(), group: scene.group, migrator: PostgresMigratorTests.migrator(upTo: 3))
        _ = try PostgresAdministration.grant(scene.alice, group: scene.group, createLogin: true, on: try scene.connect())
        try PostgresMigrator.gradbook.migrate(try scene.connect())
        let alice = try scene.connect(as: scene.alice)
        let session = try #require(try alice.scalarInteger("INSERT INTO session(kind, started_at) VALUES ('batch', 'now') RETURNING id"))
        let run = try #require(try alice.scalarInteger("INSERT INTO run(session_id, kind, step, started_at) VALUES (?1, 'train', 0, 'now') RETURNING id",
                                                       [.integer(session)]))
        _ = try alice.scalarInteger("INSERT INTO checkpoint(run_id, optimizer_steps) VALUES (?1, 0) RETURNING run_id", [.integer(run)])
        #expect(try alice.scalarInteger("SELECT count(*) FROM checkpoints") == 1)
        #expect(try alice.scalarInteger("SELECT is_checkpoint FROM train_steps") == 1)
        #expect(try scene.sql("SELECT has_table_privilege('\(scene.group)', 'optimizer_state', 'DELETE')") == "f\n")
    }

    static func psqlFile(_ path: String, database: String, variables: [String: String]) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", database, "-f", path]
            + variables.sorted { $0.key < $1.key }.flatMap { ["-v", "\($0.key)=\($0.value)"] }
        // The refusals (NOTICEs, many) go to a file, so that neither pipe can fill while psql runs.
        let directory = try TemporaryDirectory()
        let errorsPath = directory.path("stderr")
        _ = FileManager.default.createFile(atPath: errorsPath, contents: nil)
        let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: errorsPath))
        let output = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outputText = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try errors.close()
        let errorText = try String(contentsOfFile: errorsPath, encoding: .utf8)
        return (process.terminationStatus, outputText, errorText)
    }
}
