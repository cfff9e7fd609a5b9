import Foundation
import Testing
@testable import GradStore

@Suite struct MigrationTests {
    static let current = SchemaMigrator.gradbook.latestVersion

    /// A stand-in for the next schema version: what appending a section to schema.sql looks like.
    static let syntheticNext = Migration(version: current + 1, name: "run notes", sql: """
        ALTER TABLE run ADD COLUMN note TEXT;
        CREATE VIEW run_notes AS SELECT id AS run_id, note FROM run WHERE note IS NOT NULL;
        """)

    @Test func upgradesADatabaseWrittenByThePreviousSchema() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("old.db")
        let seed: SeedRecording
        do {
            // Written by this build's schema: the "previous" schema of a build with one more section.
            let store = try RunStore(path: path)
            seed = try SeedRecording.record(into: store)
        }
        let next = SchemaMigrator(migrations: SchemaMigrator.gradbook.migrations + [MigrationTests.syntheticNext])
        let upgraded = try RunStore(path: path, migrator: next)
        #expect(upgraded.schemaVersion == Self.current + 1)
        #expect(try upgraded.query("PRAGMA user_version").rows == [[.integer(Int64(Self.current + 1))]])
        // Old rows survive, the new column works, and the old build now refuses the file.
        #expect(try upgraded.query("SELECT grad FROM run_values WHERE name = 'w'").rows == [[.real(-4)]])
        _ = try upgraded.query("UPDATE run SET note = 'seed' WHERE id = ?1", arguments: [.integer(seed.runID)])
        #expect(try upgraded.query("SELECT run_id, note FROM run_notes").rows == [[.integer(seed.runID), .text("seed")]])
        #expect(try upgraded.query("PRAGMA integrity_check").rows == [[.text("ok")]])
        #expect(throws: StoreError.newerSchema(path: path, found: Self.current + 1, known: Self.current)) { try RunStore(path: path) }
    }

    @Test func eachStepRunsInItsOwnTransactionAndAFailingStepKeepsTheEarlierOnes() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("steps.db")
        let broken = Migration(version: Self.current + 2, name: "broken") { database in
            try database.execute("CREATE TABLE half_done(x)")
            try database.execute("THIS IS NOT SQL")
        }
        let migrator = SchemaMigrator(migrations: SchemaMigrator.gradbook.migrations + [MigrationTests.syntheticNext, broken])
        #expect(throws: SQLiteError.self) { try RunStore(path: path, migrator: migrator) }
        let database = try Database(path: path)
        #expect(try SchemaMigrator.gradbook.version(of: database) == Self.current + 1)
        #expect(try database.scalarInteger("SELECT count(*) FROM sqlite_schema WHERE name = 'half_done'") == 0)
        #expect(try database.scalarInteger("SELECT count(*) FROM sqlite_schema WHERE name = 'run_notes'") == 1)
    }

    @Test func synthesizedVersionZeroDatabaseIsBuiltUpStepByStep() throws {
        // A two-step history of a toy schema: the runner is the same code gradbook uses.
        let steps = SchemaMigrator(migrations: [
            Migration(version: 1, name: "create", sql: "CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT) STRICT"),
            Migration(version: 2, name: "add size", sql: "ALTER TABLE item ADD COLUMN size INTEGER NOT NULL DEFAULT 0"),
        ])
        let directory = try TemporaryDirectory()
        let path = directory.path("toy.db")
        do {
            let first = SchemaMigrator(migrations: Array(steps.migrations.prefix(1)))
            let database = try Database(path: path)
            try first.migrate(database)
            try database.execute("INSERT INTO item(name) VALUES ('kept')")
        }
        let database = try Database(path: path)
        try steps.migrate(database)
        #expect(try steps.version(of: database) == 2)
        let rows = try database.prepare("SELECT name, size FROM item").rows()
        #expect(rows == [[.text("kept"), .integer(0)]])
        // Migrating again is a no-op.
        try steps.migrate(database)
        #expect(try steps.version(of: database) == 2)
    }

    @Test func readOnlyOpeningOfAnOlderSchemaAsksForAMigration() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("old.db")
        do { _ = try RunStore(path: path) }
        let next = SchemaMigrator(migrations: SchemaMigrator.gradbook.migrations + [MigrationTests.syntheticNext])
        let error = try #require(throws: StoreError.self) { try RunStore(path: path, mode: .readOnly, migrator: next) }
        #expect(error == .olderSchemaReadOnly(path: path, found: Self.current, known: Self.current + 1))
    }

    @Test func schemaIsTheEmbeddedRootFile() throws {
        // Sources/GradStore/schema.sql is a symlink to the repository's root file.
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/GradStore/schema.sql")
        let onDisk = try String(contentsOf: file.resolvingSymlinksInPath(), encoding: .utf8)
        #expect(Schema.sql == onDisk)
        #expect(!Schema.sql.localizedCaseInsensitiveContains("user_version ="))
    }
}

@Suite struct SchemaSectionTests {
    @Test func schemaTextSplitsIntoNumberedVersions() {
        let sections = Schema.split("""
            CREATE TABLE a(x);
            -- @version 2: add b
            CREATE TABLE b(y);
            -- @version 3: add c  
            CREATE TABLE c(z);
            """)
        #expect(sections.map(\.version) == [1, 2, 3])
        #expect(sections.map(\.name) == ["schema.sql", "add b", "add c"])
        #expect(sections[0].sql.contains("CREATE TABLE a(x);"))
        #expect(!sections[0].sql.contains("CREATE TABLE b"))
        #expect(sections[2].sql.contains("CREATE TABLE c(z);"))
    }

    @Test func theEmbeddedSchemaIsNumberedOneTwoThreeInOrder() {
        // SchemaMigrator.init traps on a misnumbered list; this says so in a test first.
        #expect(Schema.sections.map(\.version) == (1...Int32(Schema.sections.count)).map { $0 })
        #expect(SchemaMigrator.gradbook.latestVersion == Int32(Schema.sections.count))
    }
}
