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
    /// `server` (PG* variables) names another server than the suite's, e.g. a `PrivateServer`'s.
    @discardableResult
    static func psql(_ sql: String, database: String = "postgres", user: String? = nil, server: [String: String] = [:]) throws -> String {
        var arguments = ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql]
        if let user { arguments += ["-U", user] }
        let output = try Binary.run(arguments, environment: server, executable: "/usr/bin/psql")
        guard output.status == 0 else { throw Failure(description: "psql \(sql): \(output.stderr)") }
        return output.stdout.hasSuffix("\n") ? String(output.stdout.dropLast()) : output.stdout
    }

    /// `$GRADBOOK_TEST_PGCTL stop-now` (SIGKILL, as a crash) or `start`, of the suite's server or
    /// of `server`'s.
    ///
    /// Spawned and reaped directly, with no pipes: `start` leaves a server running, and
    /// Foundation's `Process` has been seen to miss the end of such a script.
    static func control(_ action: String, server: [String: String] = [:]) throws {
        guard let script = server["GRADBOOK_TEST_PGCTL"] ?? ProcessInfo.processInfo.environment["GRADBOOK_TEST_PGCTL"] else {
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

    /// A server of one test's own, for a test that takes its server away (kill -9, restart):
    /// the suite's server is shared by every test running at the same time. It is
    /// scripts/with-postgres.sh kept running (its command waits for its standard input to close)
    /// until `stop()`, or until the test process ends.
    final class PrivateServer {
        private let process = Process()
        private let input = Pipe()
        /// PGHOST, PGPORT, PGUSER, PGDATABASE and GRADBOOK_TEST_PGCTL: the environment for
        /// `psql(server:)`, `control(server:)` and the binary.
        let environment: [String: String]

        init() throws {
            process.executableURL = Binary.packageRoot.appendingPathComponent("scripts/with-postgres.sh")
            let names = ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "GRADBOOK_TEST_PGCTL"]
            let report = names.map { "printf '%s=%s\\n' \($0) \"$\($0)\"" }.joined(separator: "; ")
            process.arguments = ["/bin/sh", "-c", report + "; echo ready; exec cat >/dev/null"]
            let output = Pipe()
            // Only the script may hold these: a server the test restarts (`control`, which
            // spawns with every open descriptor) would otherwise keep `input` open for ever.
            for pipe in [input, output] {
                for handle in [pipe.fileHandleForReading, pipe.fileHandleForWriting] {
                    _ = fcntl(handle.fileDescriptor, F_SETFD, FD_CLOEXEC)
                }
            }
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.standardError
            try process.run()
            // The script prints once its server accepts connections; reading waits for that line.
            var text = ""
            while !text.contains("ready\n") {
                let data = output.fileHandleForReading.availableData
                if data.isEmpty { break }
                text += String(decoding: data, as: UTF8.self)
            }
            var environment: [String: String] = [:]
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2, names.contains(parts[0]) { environment[parts[0]] = parts[1] }
            }
            self.environment = environment
            guard environment.count == names.count else {
                stop()
                throw Failure(description: "scripts/with-postgres.sh did not start a server: \(text)")
            }
        }

        func stop() {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }
}
