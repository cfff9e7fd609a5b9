import Foundation
import Testing
@testable import GradStore

/// The schema version that counts steps: `run` is rebuilt (new kinds in its CHECK, a `steps`
/// column) with foreign keys off and checked before commit, and `runs` gains `steps` last.
@Suite struct StepCountMigrationTests {
    static let sectionName = "step counts and forward-mode runs"

    static func stepsVersion() throws -> Int32 {
        try #require(SchemaMigrator.gradbook.migrations.first { $0.name == sectionName }?.version)
    }

    /// What the gradbook before step counts wrote: a backward run, a train step and a replay of
    /// the backward run, with value rows, in that version's `run` table.
    static func writeOlderHistory(at path: String) throws {
        let version = try stepsVersion()
        let before = SchemaMigrator(migrations: SchemaMigrator.gradbook.migrations.filter { $0.version < version })
        let database = try Database(path: path)
        try before.migrate(database)
        let time = "'2026-11-27T04:31:12.345Z'"
        try database.execute("""
            INSERT INTO session(id, kind, notebook, started_at) VALUES (1, 'batch', 'seed.grad', \(time));
            INSERT INTO cell(id, session_id, execution_count, source, status, started_at) VALUES (1, 1, 1, 'w = param(2)', 'ok', \(time));
            INSERT INTO node(id, session_id, cell_id, name, op, inputs, shape, is_param, expr, defined_at)
                VALUES (1, 1, 1, 'w', 'param', '[]', '[]', 1, 'param(2)', \(time));
            INSERT INTO train(id, session_id, cell_id, target, optimizer, steps, started_at)
                VALUES (1, 1, 1, 'w', '{"name":"sgd","lr":0.1}', 1, \(time));
            INSERT INTO run(id, session_id, cell_id, kind, target, target_node_id, step, loss, started_at, duration_ms, train_id, replay_of, record_policy)
                VALUES (1, 1, 1, 'backward', 'w', 1, NULL, 2, \(time), 0.5, NULL, NULL, 'params'),
                       (2, 1, 1, 'train', 'w', 1, 0, 2, \(time), 0.7, 1, NULL, 'params'),
                       (3, 1, NULL, 'replay', 'w', 1, NULL, 2, \(time), 0.2, NULL, 1, 'params');
            INSERT INTO value(run_id, node_id, shape, numel, value_storage, grad_storage, value, value_json, grad, grad_json)
                VALUES (1, 1, '[]', 1, 2, 2, 2.0, '2', -4.0, '-4'), (2, 1, '[]', 1, 2, 2, 2.0, '2', -4.0, '-4');
            """)
    }

    @Test func aHistoryFromBeforeStepCountsIsMigratedAndKeepsWorking() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("before-steps.db")
        try Self.writeOlderHistory(at: path)
        let store = try RunStore(path: path)
        #expect(store.schemaVersion == SchemaMigrator.gradbook.latestVersion)
        // Every old run is kept, uncounted; `steps` is the last column of `runs`.
        #expect(try store.query("SELECT run_id, kind, step, replay_of, train_id, optimizer, steps FROM runs ORDER BY run_id").rows == [
            [.integer(1), .text("backward"), .null, .null, .null, .null, .null],
            [.integer(2), .text("train"), .integer(0), .null, .integer(1), .text("{\"name\":\"sgd\",\"lr\":0.1}"), .null],
            [.integer(3), .text("replay"), .null, .integer(1), .null, .null, .null],
        ])
        #expect(try store.query("SELECT * FROM runs LIMIT 0").columns.last == "steps")
        // The views over `run` read the rebuilt table.
        #expect(try store.query("SELECT grad FROM run_values WHERE run_id = 1").rows == [[.real(-4)]])
        #expect(try store.query("SELECT step, loss FROM train_steps").rows == [[.integer(0), .real(2)]])
        #expect(try store.query("SELECT name, grad, kind FROM param_history ORDER BY run_id").rows
                == [[.text("w"), .real(-4), .text("backward")], [.text("w"), .real(-4), .text("train")]])
        #expect(try store.run(3)?.replayOf == 1)
        // Foreign keys are enforced again, and hold; the indexes on run are back.
        #expect(try store.query("PRAGMA foreign_keys").rows == [[.integer(1)]])
        #expect(try store.query("PRAGMA foreign_key_check").rows.isEmpty)
        #expect(try store.query("PRAGMA integrity_check").rows == [[.text("ok")]])
        #expect(try store.query("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'run' ORDER BY name").rows
                == [[.text("run_by_session")], [.text("run_by_train")]])
        #expect(try store.query("SELECT count(*) FROM sqlite_schema WHERE name = 'run_rebuilt'").rows == [[.integer(0)]])
        // The new kinds and counts are written and read back; other kinds and dangling
        // references are still refused.
        let gradcheck = try store.insertRun(RunRecord(sessionID: 1, cellID: 1, kind: .gradcheck, target: "w", steps: 18),
                                            nodeIDs: [1], values: [])
        let forward = try store.insertRun(RunRecord(sessionID: 1, cellID: 1, kind: .forwardMode, target: "w", steps: 5),
                                          nodeIDs: [1], values: [])
        #expect(try store.run(gradcheck)?.steps == 18)
        #expect(try store.query("SELECT kind, steps FROM runs WHERE run_id >= ?1 ORDER BY run_id", arguments: [.integer(gradcheck)]).rows
                == [[.text("gradcheck"), .integer(18)], [.text("forward_mode"), .integer(5)]])
        #expect(forward == gradcheck + 1)
        #expect(throws: SQLiteError.self) {
            try store.query("INSERT INTO run(session_id, kind, started_at) VALUES (1, 'sideways', '2026-11-27T04:31:12.345Z')")
        }
        #expect(throws: SQLiteError.self) {
            try store.query("INSERT INTO run(session_id, kind, started_at) VALUES (99, 'forward', '2026-11-27T04:31:12.345Z')")
        }
    }

    @Test func aFreshHistoryIsBuiltThroughTheSameSteps() throws {
        let fresh = try RunStore(path: ":memory:")
        let table = try fresh.query("SELECT sql FROM sqlite_schema WHERE name = 'run'").rows.first?.first?.textValue ?? ""
        #expect(table.contains("'forward_mode', 'gradcheck'") && table.contains("steps"))
        #expect(try fresh.query("PRAGMA foreign_keys").rows == [[.integer(1)]])
    }

    @Test func aStepThatLeavesDanglingReferencesIsRolledBack() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("dangling.db")
        do {
            let store = try RunStore(path: path)
            _ = try SeedRecording.record(into: store)
        }
        let current = SchemaMigrator.gradbook.latestVersion
        let dangling = Migration(version: current + 1, name: "drops runs that values refer to", sql: "DELETE FROM run;")
        let migrator = SchemaMigrator(migrations: SchemaMigrator.gradbook.migrations + [dangling])
        let error = try #require(throws: SQLiteError.self) { try RunStore(path: path, migrator: migrator) }
        #expect(error.message.contains("schema version \(current + 1) (drops runs that values refer to) leaves rows whose foreign keys point nowhere"))
        let store = try RunStore(path: path)
        #expect(store.schemaVersion == current)
        #expect(try store.query("SELECT count(*) FROM runs").rows == [[.integer(1)]])
        #expect(try store.query("PRAGMA foreign_keys").rows == [[.integer(1)]])
    }
}
