import Foundation
import Testing

/// Databases from other versions of gradbook, opened by this binary (SPEC §3: `PRAGMA
/// user_version` carries the schema version; older files are migrated, newer ones refused).
/// The migration runner itself (several steps, one transaction each, a failing step) is
/// tested with synthetic versions in GradStoreTests/MigrationTests.
@Suite struct SchemaEvolutionTests {
    let directory: URL
    let seed = "notebooks/01-computation-graph.grad"

    init() throws {
        directory = try Binary.temporaryDirectory()
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// The schema version this binary writes, read from a history it made.
    func currentVersion() throws -> Int {
        let db = path("reference.db")
        if !FileManager.default.fileExists(atPath: db) {
            try #require(try Binary.run(["run", seed, "--db", db]).status == 0)
        }
        return try #require(Int(try Binary.sqlite(db, "PRAGMA user_version;")))
    }

    @Test func versionZeroFilesAreMigratedByTheBinary() throws {
        let current = try currentVersion()
        // Schema version 0: what SQLite makes before gradbook has run: an empty file, and an
        // empty database in the rollback-journal mode with another page size.
        let empty = path("empty.db")
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let legacy = path("legacy.db")
        _ = try Binary.sqlite(legacy, "PRAGMA page_size = 8192; PRAGMA journal_mode = DELETE; PRAGMA user_version = 0; VACUUM;")
        #expect(try Binary.sqlite(legacy, "PRAGMA user_version;") == "0")
        for db in [empty, legacy] {
            let output = try Binary.run(["run", seed, "--db", db])
            #expect(output.status == 0, "\(output.stderr)")
            #expect(try Binary.sqlite(db, "PRAGMA user_version;") == String(current))
            #expect(try Binary.sqlite(db, "PRAGMA journal_mode;") == "wal")
            #expect(try Binary.sqlite(db, "PRAGMA integrity_check;") == "ok")
            #expect(try Binary.sqlite(db, "SELECT grad FROM run_values WHERE name = 'w' AND run_id = (SELECT min(run_id) FROM runs WHERE kind = 'backward');") == "-4.0")
            let backward = try Binary.sqlite(db, "SELECT min(run_id) FROM runs WHERE kind = 'backward';")
            #expect(try Binary.run(["replay", "--run", backward, "--db", db]).status == 0)
        }
        // A read-only command does not migrate: it says what to do instead.
        let untouched = path("untouched.db")
        _ = FileManager.default.createFile(atPath: untouched, contents: Data())
        let query = try Binary.run(["sql", "SELECT 1", "--db", untouched])
        #expect(query.status == 1)
        #expect(query.stderr == "gradbook: \(untouched) holds no gradbook history yet\n", "\(query.stderr)")
    }

    /// A history written by gradbook at schema version 1 (Tests/Fixtures/history-v1: the seed
    /// and two train() calls that stored every param in full at every step) opens, is migrated,
    /// replays as before, and takes new training with checkpoints.
    @Test func aVersionOneHistoryIsMigratedAndReplaysAsBefore() throws {
        let current = try currentVersion()
        let db = path("v1.db")
        let fixture = Binary.packageRoot.appendingPathComponent("Tests/Fixtures/history-v1/history-v1.sql").path
        _ = try Binary.sqlite(db, ".read \(fixture)")
        #expect(try Binary.sqlite(db, "PRAGMA user_version;") == "1")
        let replay = try Binary.run(["replay", "--all", "--db", db])
        #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
        #expect(replay.stdout.hasSuffix("11 runs replayed: 11 identical bit for bit, 0 not\n"), "\(replay.stdout)")
        #expect(replay.stdout.contains("run 27 (train loss, step 2) → run "), "\(replay.stdout)")
        #expect(try Binary.sqlite(db, "PRAGMA user_version;") == String(current))
        // The old rows read as before through the public views; the old steps are no checkpoints.
        #expect(try Binary.sqlite(db, "SELECT grad FROM run_values WHERE name = 'w' AND run_id = (SELECT min(run_id) FROM runs WHERE kind = 'backward');") == "-4.0")
        #expect(try Binary.sqlite(db, "SELECT count(*), sum(is_checkpoint) FROM train_steps;") == "10|0")
        #expect(try Binary.sqlite(db, "SELECT count(*) FROM checkpoints;") == "0")
        #expect(try Binary.sqlite(db, "SELECT count(*) FROM param_history WHERE kind = 'train' AND grad_json IS NOT NULL;") == "40")
        // New training in the same history gets checkpoints.
        let more = path("more.grad")
        try """
        W = param(randn(3, 2, seed=5))
        loss = sum(W * W)
        train(loss, steps=4, lr=0.1, optimizer="adam")
        """.write(toFile: more, atomically: true, encoding: .utf8)
        #expect(try Binary.run(["run", more, "--db", db]).status == 0)
        #expect(try Binary.sqlite(db, "SELECT group_concat(step) FROM checkpoints;") == "0,3")
        // Version 5: the old sessions got distinct UUIDs and no owner; the new one names its owner.
        let uids = try Binary.sqlite(db, "SELECT session_uid FROM sessions ORDER BY session_id;").split(separator: "\n")
        #expect(uids.count >= 2 && Set(uids).count == uids.count, "\(uids)")
        #expect(uids.allSatisfy { UUID(uuidString: String($0)) != nil && $0 == $0.lowercased() }, "\(uids)")
        #expect(try Binary.sqlite(db, "SELECT count(*) FROM sessions WHERE owner IS NULL;") == "1")
        #expect(try Binary.sqlite(db, "SELECT owner FROM sessions WHERE session_id = (SELECT max(session_id) FROM sessions);") != "")
        let middle = try Binary.sqlite(db, "SELECT run_id FROM train_steps WHERE train_id = (SELECT max(train_id) FROM train_steps) AND step = 2;")
        #expect(try Binary.run(["replay", "--run", middle, "--db", db]).status == 0)
        #expect(try Binary.sqlite(db, "PRAGMA integrity_check;") == "ok")
    }

    @Test func aHistoryFromANewerGradbookIsRefusedAndLeftAlone() throws {
        let current = try currentVersion()
        let db = path("future.db")
        #expect(try Binary.run(["run", seed, "--db", db]).status == 0)
        // What the next version's migration might do, stamped with its version.
        _ = try Binary.sqlite(db, """
            ALTER TABLE run ADD COLUMN note TEXT;
            CREATE VIEW run_notes AS SELECT id AS run_id, note FROM run;
            PRAGMA user_version = \(current + 1);
            PRAGMA wal_checkpoint(TRUNCATE);
            """)
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        let expected = "gradbook: \(db) was written by a newer gradbook (schema \(current + 1), this build knows \(current))\n"
        for arguments in [["run", seed], ["sql", "SELECT 1"], ["replay", "--run", "1"], ["diff", "1", "2"]] {
            let output = try Binary.run(arguments + ["--db", db])
            #expect(output.status == 1, "\(arguments)")
            #expect(output.stderr == expected, "\(arguments): \(output.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == before)
    }

    @Test func aForeignSQLiteDatabaseIsNotTakenOver() throws {
        let db = path("customers.db")
        _ = try Binary.sqlite(db, "CREATE TABLE customers(name TEXT); INSERT INTO customers VALUES ('ada');")
        let output = try Binary.run(["run", seed, "--db", db])
        #expect(output.status == 1)
        #expect(output.stderr == "gradbook: \(db) is a SQLite database but not a gradbook history (it has tables and no schema version)\n",
                "\(output.stderr)")
        #expect(try Binary.sqlite(db, "SELECT group_concat(name) FROM sqlite_schema;") == "customers")
        #expect(try Binary.sqlite(db, "PRAGMA journal_mode;") == "delete", "not even its journal mode changes")
    }
}
