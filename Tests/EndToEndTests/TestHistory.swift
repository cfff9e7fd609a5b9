import Foundation
import Testing

/// The history backends an end-to-end test can record into. `all` has PostgreSQL only when a
/// server is configured (see PostgresServer), so without one those cases are absent, and under
/// GRADBOOK_TEST_REQUIRE_POSTGRES=1 a missing server fails them.
enum Backend: String, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgresql

    static var all: [Backend] { PostgresServer.isConfigured ? [.sqlite, .postgresql] : [.sqlite] }

    var testDescription: String { rawValue }
}

/// One test's history on one backend: a fresh SQLite file, or a fresh database on the test
/// server (drop it with `drop()`), and a fresh directory for the test's other files.
///
/// `query` reads it back as its own shell prints rows: `|` between columns, a line per row
/// (sqlite3 -batch -noheader; psql -A -t). The two print numbers differently (a REAL 2 is
/// `2.0` in sqlite3 and `2` in psql, and psql prints booleans as t/f), so tests compare
/// numbers as Double (`number`) and keep their SQL portable to SQLite 3.40 and PostgreSQL 15.
struct TestHistory {
    let backend: Backend
    /// What `--db` and GRADBOOK_DB take.
    let location: String
    let directory: URL
    /// The server database's name (PostgreSQL), else nil.
    let databaseName: String?

    init(_ backend: Backend, fileName: String = "history.db") throws {
        self.backend = backend
        directory = try Binary.temporaryDirectory()
        switch backend {
        case .sqlite:
            location = directory.appendingPathComponent(fileName).path
            databaseName = nil
        case .postgresql:
            let name = try PostgresServer.createDatabase()
            location = "dbname=\(name)"
            databaseName = name
        }
    }

    func drop() {
        if let databaseName { PostgresServer.dropDatabase(databaseName) }
    }

    /// The rows of `sql`, without the last newline.
    func query(_ sql: String) throws -> String {
        switch backend {
        case .sqlite: return try Binary.sqlite(location, sql)
        case .postgresql: return try PostgresServer.psql(sql, database: databaseName ?? "")
        }
    }

    /// Each row of `sql` as a line.
    func rows(_ sql: String) throws -> [String] {
        try query(sql).split(separator: "\n").map(String.init)
    }

    /// The single number `sql` gives, whichever way the backend prints it.
    func number(_ sql: String) throws -> Double? {
        Double(try query(sql))
    }
}
