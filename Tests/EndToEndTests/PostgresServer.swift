import Foundation
import Testing

/// The PostgreSQL server that `scripts/with-postgres.sh` runs beside the test suite (PG*
/// variables), and a throwaway database on it per test. Tests that need it are enabled by
/// GRADBOOK_TEST_POSTGRES=1; GRADBOOK_TEST_REQUIRE_POSTGRES=1 (the README's test command)
/// makes a missing server a failure rather than a skipped test.
enum PostgresServer {
    static var isConfigured: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["GRADBOOK_TEST_POSTGRES"] == "1" || environment["GRADBOOK_TEST_REQUIRE_POSTGRES"] == "1"
    }

    static let disabledReason: Comment = "needs a PostgreSQL server: run under scripts/with-postgres.sh with GRADBOOK_TEST_POSTGRES=1"

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// A fresh database; its `--db` location is `dbname=NAME` (the rest from PG* variables).
    static func createDatabase() throws -> String {
        let name = "gb_e2e_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        try psql("CREATE DATABASE \(name)")
        return name
    }

    static func dropDatabase(_ name: String) {
        _ = try? psql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// Runs SQL with psql (unaligned, tuples only) and returns its output without the last newline.
    @discardableResult
    static func psql(_ sql: String, database: String = "postgres", user: String? = nil) throws -> String {
        var arguments = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql]
        if let user { arguments += ["-U", user] }
        let output = try command(arguments)
        guard output.status == 0 else { throw Failure(description: "psql \(sql): \(output.stderr)") }
        return output.stdout.hasSuffix("\n") ? String(output.stdout.dropLast()) : output.stdout
    }

    /// `$GRADBOOK_TEST_PGCTL stop-now` (SIGKILL, as a crash) or `start`.
    ///
    /// Spawned and reaped directly, with no pipes: `start` leaves a server running, and
    /// Foundation's `Process` has been seen to miss the end of such a script.
    static func control(_ action: String) throws {
        guard let script = ProcessInfo.processInfo.environment["GRADBOOK_TEST_PGCTL"] else {
            throw Failure(description: "GRADBOOK_TEST_PGCTL is not set: run under scripts/with-postgres.sh")
        }
        var pid: pid_t = 0
        let arguments = [script, action]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let spawned = posix_spawn(&pid, script, nil, nil, &argv, environ)
        guard spawned == 0 else { throw Failure(description: "\(script) \(action): posix_spawn failed (\(spawned))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status == 0 else { throw Failure(description: "\(script) \(action) failed (wait status \(status))") }
    }

    private static func command(_ arguments: [String]) throws -> Binary.Output {
        try Binary.run(Array(arguments.dropFirst()), executable: arguments[0].hasPrefix("/") ? arguments[0] : "/usr/bin/\(arguments[0])")
    }
}
