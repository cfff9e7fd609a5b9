import Foundation
import Testing

/// `gradbook db init` and `gradbook db grant` as an administrator runs them, then the binary as
/// two users of the shared history: each records its own sessions, reads the other's, and
/// cannot change or delete them. The server is the one scripts/with-postgres.sh starts.
@Suite struct DbCommandEndToEndTests {
    static var hasServer: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["GRADBOOK_TEST_POSTGRES"] == "1" || environment["GRADBOOK_TEST_REQUIRE_POSTGRES"] == "1"
    }

    /// A database and two login roles of its own (roles belong to the whole server).
    final class SharedHistory {
        let name = "gb_e2e_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        var alice: String { name + "_alice" }
        var bob: String { name + "_bob" }
        var group: String { name + "_group" }

        init() throws {
            try psql("CREATE DATABASE \(name)")
        }

        deinit {
            _ = try? psql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            for role in [alice, bob, group] { _ = try? psql("DROP ROLE IF EXISTS \(role)") }
        }

        func location(as user: String? = nil) -> String {
            "dbname=\(name)" + (user.map { " user=\($0)" } ?? "")
        }

        @discardableResult
        func psql(_ sql: String) throws -> String {
            let output = try Binary.run(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-c", sql], executable: "/usr/bin/psql")
            guard output.status == 0 else { throw Failure(message: "psql \(sql): \(output.stderr)") }
            return output.stdout
        }
    }

    struct Failure: Error {
        var message: String
    }

    @Test(.enabled(if: hasServer, "needs a PostgreSQL server: run under scripts/with-postgres.sh with GRADBOOK_TEST_POSTGRES=1"))
    func aClassSharesOneHistoryEachInItsLane() throws {
        let shared = try SharedHistory()
        let initialized = try Binary.run(["db", "init", "--group", shared.group, "--db", shared.location()])
        #expect(initialized.status == 0, "\(initialized.stderr)")
        #expect(initialized.stdout.hasPrefix("\(shared.location()): gradbook schema "), "\(initialized.stdout)")
        #expect(initialized.stdout.contains("group role \(shared.group) created (NOLOGIN)\n"), "\(initialized.stdout)")
        let again = try Binary.run(["db", "init", "--group", shared.group, "--db", shared.location()])
        #expect(again.status == 0 && again.stdout.contains(", up to date\n") && again.stdout.contains("group role \(shared.group) exists\n"),
                "\(again.stdout)\(again.stderr)")

        let missing = try Binary.run(["db", "grant", shared.alice, "--group", shared.group, "--db", shared.location()])
        #expect(missing.status == 1)
        #expect(missing.stderr == "gradbook: role \(shared.alice) does not exist: pass --create-login to create it, or create it yourself (CREATE ROLE \"\(shared.alice)\" LOGIN)\n")
        for user in [shared.alice, shared.bob] {
            let granted = try Binary.run(["db", "grant", user, "--create-login", "--group", shared.group, "--db", shared.location()])
            #expect(granted.status == 0, "\(granted.stderr)")
            #expect(granted.stdout.hasSuffix("\(user) is now a member of \(shared.group): it reads every session and records its own\n"), "\(granted.stdout)")
        }

        // alice records the seed notebook; bob reads it and cannot touch it.
        let recorded = try Binary.run(["run", "notebooks/01-computation-graph.grad", "--db", shared.location(as: shared.alice)])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let read = try Binary.run(["sql", "--db", shared.location(as: shared.bob), "SELECT owner, ended_at IS NOT NULL AS ended FROM sessions"])
        #expect(read.status == 0, "\(read.stderr)")
        #expect(read.stdout.contains("| \(shared.alice) |     1 |"), "\(read.stdout)")
        let before = try Binary.run(["sql", "--db", shared.location(), "SELECT count(*), max(ended_at) FROM sessions"]).stdout

        let update = try Binary.run(["sql", "--write", "--db", shared.location(as: shared.bob), "UPDATE session SET ended_at = NULL"])
        #expect(update.status == 1)
        #expect(update.stderr.contains("new row violates row-level security policy for table \"session\""), "\(update.stderr)")
        let delete = try Binary.run(["sql", "--write", "--db", shared.location(as: shared.alice), "DELETE FROM session"])
        #expect(delete.status == 1)
        #expect(delete.stderr.contains("permission denied for table session"), "\(delete.stderr)")
        let copy = try Binary.run(["sql", "--write", "--db", shared.location(as: shared.alice), "COPY session TO '/tmp/\(shared.name).csv'"])
        #expect(copy.status == 1)
        #expect(copy.stderr.contains("pg_write_server_files"), "\(copy.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/\(shared.name).csv"))
        #expect(try Binary.run(["sql", "--db", shared.location(), "SELECT count(*), max(ended_at) FROM sessions"]).stdout == before)

        // bob's own session sits beside alice's.
        let bobs = try Binary.run(["run", "notebooks/01-computation-graph.grad", "--db", shared.location(as: shared.bob)])
        #expect(bobs.status == 0, "\(bobs.stderr)")
        let owners = try Binary.run(["sql", "--db", shared.location(as: shared.alice), "SELECT string_agg(owner, ',' ORDER BY session_id) AS owners FROM sessions"])
        #expect(owners.stdout.contains("| \(shared.alice),\(shared.bob) |"), "\(owners.stdout)\(owners.stderr)")
    }

    /// A SQLite file has no roles: `db init` creates or migrates it, `db grant` and `--group`
    /// are refused with a line that says why.
    @Test func aSQLiteFileIsCreatedAndHasNoRoles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gradbook-db-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("class.db").path
        let created = try Binary.run(["db", "init", "--db", path])
        #expect(created.status == 0, "\(created.stderr)")
        let version = try Binary.run(["-readonly", path, "PRAGMA user_version"], executable: "/usr/bin/sqlite3").stdout
        #expect(created.stdout == "\(path): gradbook schema \(version)")
        #expect(try Binary.run(["-readonly", path, "SELECT count(*) FROM sessions"], executable: "/usr/bin/sqlite3").stdout == "0\n")

        let grant = try Binary.run(["db", "grant", "alice", "--db", path])
        #expect(grant.status == 1)
        #expect(grant.stderr == "gradbook db grant: \(path) is a SQLite file, which has no roles: who may write it is up to its file permissions\n")
        let group = try Binary.run(["db", "init", "--group", "class", "--db", path])
        #expect(group.status == 1)
        #expect(group.stderr == "gradbook db init: \(path) is a SQLite file, which has no roles: --group is for PostgreSQL histories\n")
        let usage = try Binary.run(["db", "grant", "--db", path])
        #expect(usage.status == 2)
    }

    @Test func anUnreachableServerIsOneLine() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gradbook-nosrv-\(UUID().uuidString)")
        let failed = try Binary.run(["db", "init", "--db", "host=\(directory.path) dbname=class connect_timeout=5"])
        #expect(failed.status == 1)
        #expect(failed.stdout.isEmpty)
        #expect(failed.stderr.hasPrefix("gradbook: "), "\(failed.stderr)")
        #expect(failed.stderr.contains(directory.path), "the message names the server: \(failed.stderr)")
        #expect(failed.stderr.filter { $0 == "\n" }.count == 1, "\(failed.stderr)")
    }
}
