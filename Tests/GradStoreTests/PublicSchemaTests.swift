import Foundation
import Testing
@testable import GradStore

@Suite struct PublicSchemaTests {
    /// SPEC §3's query surface: these names and leading columns never change.
    static let specColumns: [String: [String]] = [
        "sessions": ["session_id", "kind", "notebook", "started_at", "ended_at"],
        "cells": ["cell_id", "session_id", "execution_count", "source", "status", "error", "started_at", "duration_ms"],
        "nodes": ["node_id", "session_id", "cell_id", "name", "op", "inputs", "shape", "is_param"],
        "runs": ["run_id", "session_id", "cell_id", "kind", "target", "step", "loss", "started_at", "duration_ms"],
        "run_values": ["run_id", "node_id", "name", "shape", "value", "grad", "value_json", "grad_json"],
        // Documented extras (README).
        "run_nodes": ["run_id", "node_id", "name", "op", "inputs", "shape", "is_param", "expr", "attributes"],
        "train_steps": ["run_id", "session_id", "target", "step", "loss", "started_at", "duration_ms"],
        "param_history": ["run_id", "step", "name", "value", "grad", "grad_norm"],
    ]

    @Test(arguments: specColumns.keys.sorted())
    func publicNameHasTheDocumentedColumns(name: String) throws {
        let store = try RunStore(path: ":memory:")
        let expected = try #require(PublicSchemaTests.specColumns[name])
        let selected = try store.query("SELECT * FROM \(name) LIMIT 0").columns
        #expect(Array(selected.prefix(expected.count)) == expected)
        let info = try store.query("SELECT name FROM pragma_table_info(?1)", arguments: [.text(name)]).rows
        #expect(info.prefix(expected.count).map { $0.first?.textValue ?? "" } == expected)
    }

    @Test func everyPublicNameIsDocumentedInSchemaSQL() {
        for name in PublicSchemaTests.specColumns.keys {
            #expect(Schema.sql.contains("-- \(name): "), "schema.sql documents \(name)")
        }
    }

    @Test func theStockSQLiteShellReadsTheViews() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("history.db")
        let store = try RunStore(path: path)
        _ = try SeedRecording.record(into: store)
        // The session is still open (WAL not checkpointed): the shell must see committed rows.
        let output = try runTool("/usr/bin/sqlite3", ["-readonly", path, """
            SELECT name || '=' || value || ' d=' || grad FROM run_values ORDER BY node_id;
            SELECT kind, target, loss FROM runs;
            SELECT count(*) FROM nodes WHERE is_param = 1;
            SELECT status FROM cells;
            SELECT kind, notebook FROM sessions;
            SELECT json_array_length(inputs) FROM nodes WHERE name = 'c';
            SELECT count(*) FROM run_nodes;
            """])
        #expect(output == """
            x=-2.0 d=4.0
            w=2.0 d=-4.0
            b=8.0 d=2.0
            y=2.0 d=-2.0
            c=-4.0 d=2.0
            a=4.0 d=2.0
            d=2.0 d=2.0
            J=2.0 d=1.0
            backward|J|2.0
            2
            ok
            batch|seed.grad
            2
            8

            """)
    }

    @Test func integrityCheckAndForeignKeyCheckPass() throws {
        let store = try RunStore(path: ":memory:")
        _ = try SeedRecording.record(into: store)
        #expect(try store.query("PRAGMA integrity_check").rows == [[.text("ok")]])
        #expect(try store.query("PRAGMA foreign_key_check").rows.isEmpty)
    }

    @Test func timesAreISO8601UTCWithMilliseconds() throws {
        let store = try RunStore(path: ":memory:")
        let date = Date(timeIntervalSince1970: 1_795_753_872.345)
        let sessionID = try store.beginSession(kind: .kernel, notebook: nil, startedAt: date)
        #expect(try store.query("SELECT started_at FROM sessions").rows == [[.text("2026-11-27T04:31:12.345Z")]])
        #expect(Timestamp.date(from: "2026-11-27T04:31:12.345Z") == date)
        #expect(try store.session(sessionID)?.startedAt == date)
        #expect(Timestamp.string(from: Date(timeIntervalSince1970: -0.001)) == "1969-12-31T23:59:59.999Z")
        #expect(Timestamp.string(from: Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00.000Z")
        // Dates the format cannot hold are clamped to its first and last millisecond.
        #expect(Timestamp.string(from: Date(timeIntervalSince1970: -1e12)) == "0000-01-01T00:00:00.000Z")
        #expect(Timestamp.string(from: Date(timeIntervalSince1970: 1e12)) == "9999-12-31T23:59:59.999Z")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<1000 {
            let milliseconds = Int64.random(in: -62_167_219_200_000...253_402_300_799_999, using: &generator)
            let text = Timestamp.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
            #expect(text.utf8.count == 24)
            #expect(Timestamp.date(from: text).map(Timestamp.string(from:)) == text)
        }
        // SQLite's own date functions read the format.
        #expect(try store.query("SELECT julianday(started_at) > 2461000 FROM sessions").rows == [[.integer(1)]])
    }
}
