import Foundation
import Testing
import GradStore

/// A throwaway PostgreSQL database for one test, on the server the PG* environment variables
/// name (scripts/with-postgres.sh sets them). `GRADBOOK_TEST_POSTGRES=1` says a server is there;
/// `GRADBOOK_TEST_REQUIRE_POSTGRES=1` (the README's test command sets it) turns a missing server
/// into a failure instead of a skipped test.
struct PostgresTestDatabase {
    static var isConfigured: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["GRADBOOK_TEST_POSTGRES"] == "1" || environment["GRADBOOK_TEST_REQUIRE_POSTGRES"] == "1"
    }

    static let disabledReason: Comment = "needs a PostgreSQL server: run under scripts/with-postgres.sh with GRADBOOK_TEST_POSTGRES=1"

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let name: String
    /// A libpq connection string for this database (server and user from the PG* variables).
    var conninfo: String { "dbname=\(name)" }

    /// Creates a database with a fresh name; `drop()` removes it.
    static func create() throws -> PostgresTestDatabase {
        let name = "gb_test_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        try psql("CREATE DATABASE \(name)")
        return PostgresTestDatabase(name: name)
    }

    func drop() {
        _ = try? PostgresTestDatabase.psql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// Runs SQL as the server's administrator (the PG* user) in `database`; returns stdout.
    @discardableResult
    static func psql(_ sql: String, database: String = "postgres", user: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var arguments = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql]
        if let user { arguments += ["-U", user] }
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "psql \(sql): \(errorText)")
        }
        return text
    }
}

/// The backends a store test runs on: SQLite in memory always, and a fresh PostgreSQL database
/// when a server is configured.
enum StoreBackend: String, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgresql

    static var all: [StoreBackend] { PostgresTestDatabase.isConfigured ? [.sqlite, .postgresql] : [.sqlite] }

    var testDescription: String { rawValue }

    /// A new, empty history on this backend; `close()` drops a server database.
    func open() throws -> TestStore {
        switch self {
        case .sqlite:
            return TestStore(store: try RunStore(path: ":memory:"), database: nil)
        case .postgresql:
            let database = try PostgresTestDatabase.create()
            return TestStore(store: try RunStore(location: .postgresql(conninfo: database.conninfo)), database: database)
        }
    }
}

/// A store and the server database behind it, if any (dropped when the test lets it go).
final class TestStore {
    let store: RunStore
    let database: PostgresTestDatabase?

    init(store: RunStore, database: PostgresTestDatabase?) {
        self.store = store
        self.database = database
    }

    deinit {
        database?.drop()
    }
}
