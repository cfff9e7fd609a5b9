import Foundation
import Testing

/// The shared history on a real PostgreSQL server, through the real binary (issue 12): the
/// notebooks and the README's queries answer as on SQLite, a server that is not there or dies
/// is reported in one line, and read-only SQL cannot write.
@Suite(.enabled(if: PostgresServer.isConfigured, PostgresServer.disabledReason))
struct PostgresEndToEndTests {
    static let notebooks = ["notebooks/01-computation-graph.grad", "notebooks/02-why-backprop-is-efficient.grad",
                            "notebooks/03-larger-neural-network.grad"]

    /// The README's example queries: the `sql` block after "Example queries:" and the SELECTs of
    /// the training-history shell examples, as the user reads them.
    static func readmeQueries() throws -> [String] {
        let readme = try String(contentsOf: Binary.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let examples = try #require(readme.range(of: "Example queries:\n\n```sql\n"))
        let block = readme[examples.upperBound...].prefix { _ in true }
        let end = try #require(block.range(of: "```"))
        var queries = block[..<end.lowerBound].components(separatedBy: ";\n")
            .map { $0.split(separator: "\n").filter { !$0.hasPrefix("--") }.joined(separator: "\n") }
            .filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        let shell = try #require(readme.range(of: "<!-- training-history-examples"))
        var rest = readme[shell.upperBound...]
        rest = rest[..<(try #require(rest.range(of: "\n```\n"))).lowerBound]
        var cursor = rest.startIndex
        while let open = rest.range(of: "sqlite3 gradbook.db \"", range: cursor..<rest.endIndex),
              let close = rest[open.upperBound...].firstIndex(of: "\"") {
            queries.append(String(rest[open.upperBound..<close]))
            cursor = close
        }
        return queries
    }

    /// Runs `sql` through `gradbook sql` as CSV.
    static func answer(_ sql: String, db: String) throws -> String {
        let output = try Binary.run(["sql", sql, "--format", "csv", "--db", db])
        try #require(output.status == 0, "\(db): \(sql)\n\(output.stderr)")
        return output.stdout
    }

    @Test func theNotebooksAndTheREADMEsQueriesGiveTheSameAnswersOnBothBackends() throws {
        let directory = try Binary.temporaryDirectory()
        let sqlite = directory.appendingPathComponent("history.db").path
        let database = try PostgresServer.createDatabase()
        defer { PostgresServer.dropDatabase(database) }
        let server = "dbname=\(database)"
        for db in [sqlite, server] {
            for notebook in Self.notebooks {
                let output = try Binary.run(["run", notebook, "--db", db])
                #expect(output.status == 0, "\(db) \(notebook): \(output.stderr)")
            }
            // W2 at step 137, between checkpoints, recovered as the README shows.
            let step = try Self.answer("SELECT run_id FROM train_steps WHERE train_id = (SELECT max(train_id) FROM train_steps) AND step = 137", db: db)
                .split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
            let replay = try Binary.run(["replay", "--store", "--run", step, "--db", db])
            #expect(replay.status == 0, "\(db): \(replay.stdout)\(replay.stderr)")
        }
        let queries = try Self.readmeQueries()
        #expect(queries.count >= 9, "\(queries)")
        for query in queries {
            var onSQLite = try Self.answer(query, db: sqlite)
            var onServer = try Self.answer(query, db: server)
            if query.contains("duration_ms") {
                // Times differ between any two runs; the rest of each row must not.
                func withoutLastColumn(_ csv: String) -> String {
                    csv.split(whereSeparator: \.isNewline).map { $0.split(separator: ",").dropLast().joined(separator: ",") }
                        .joined(separator: "\n")
                }
                onSQLite = withoutLastColumn(onSQLite)
                onServer = withoutLastColumn(onServer)
            }
            #expect(onServer == onSQLite, "\(query)")
            #expect(onSQLite.split(whereSeparator: \.isNewline).count > 1 || query.contains("status = 'error'"), "no rows: \(query)")
        }
        // Every recorded backward pass and training step replays bit for bit from the server alone.
        let all = try Binary.run(["replay", "--all", "--no-record", "--db", server])
        #expect(all.status == 0 && all.stdout.contains(" 0 not\n"), "\(all.stdout.suffix(300))\(all.stderr)")
    }

    /// The README's SQL comparing two runs (`:a`, `:b`) is the same SQL on both backends.
    @Test func theREADMEsRunComparisonsGiveTheSameAnswersOnBothBackends() throws {
        let directory = try Binary.temporaryDirectory()
        let notebook = directory.appendingPathComponent("diff.grad")
        try DiffEndToEndTests.twoRunsNotebook.write(to: notebook, atomically: true, encoding: .utf8)
        let database = try PostgresServer.createDatabase()
        defer { PostgresServer.dropDatabase(database) }
        var answers: [[String]] = []
        for db in [directory.appendingPathComponent("diff.db").path, "dbname=\(database)"] {
            let ran = try Binary.run(["run", notebook.path, "--db", db])
            try #require(ran.status == 0, "\(ran.stderr)")
            let ids = try Self.answer("SELECT run_id FROM runs WHERE kind = 'backward' ORDER BY run_id", db: db)
                .split(whereSeparator: \.isNewline).dropFirst().map(String.init)
            try #require(ids.count == 5)
            var answer: [String] = []
            for comment in ["nodes added, removed or redefined between runs :a and :b",
                            "the values and gradients that moved most (scalars by |b - a|, tensors by the change of their L2 norm)"] {
                let sql = try DiffEndToEndTests.readmeQuery(after: comment)
                    .replacingOccurrences(of: ":a", with: ids[0]).replacingOccurrences(of: ":b", with: ids[4])
                answer.append(try Self.answer(sql, db: db))
            }
            answers.append(answer)
        }
        #expect(answers[0] == answers[1])
        #expect(answers[0].first?.contains("redefined,w,param(2),param(2.5)") == true, "\(answers[0])")
    }

    @Test func aServerThatIsNotThereIsOneLineNamingIt() throws {
        let location = "host=/nonexistent-gradbook-socket-dir port=5999 dbname=class"
        for arguments in [["run", "notebooks/01-computation-graph.grad"], ["sql", "SELECT 1"], ["replay", "--all"]] {
            let output = try Binary.run(arguments + ["--db", location])
            #expect(output.status == 1, "\(arguments): \(output.stderr)")
            let lines = output.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(arguments): \(output.stderr)")
            #expect(output.stderr.contains("host=/nonexistent-gradbook-socket-dir port=5999"), "\(output.stderr)")
        }
        // A password in the location is never shown.
        let secret = try Binary.run(["sql", "SELECT 1", "--db", "postgresql://alice:s3cret@/class?host=/nonexistent-gradbook-socket-dir"])
        #expect(secret.status == 1)
        #expect(!secret.stderr.contains("s3cret") && secret.stderr.contains("alice:***@"), "\(secret.stderr)")
    }

    /// The gradients a train() statement records at the trained values share the transaction
    /// of the call's last step (one commit, not two, at the end of every call), under the
    /// default policy and under `%record none`; rows of one PostgreSQL transaction share `xmin`.
    @Test func aTrainStatementsLastStepAndItsFinalGradientsAreOneTransaction() throws {
        let database = try PostgresServer.createDatabase()
        defer { PostgresServer.dropDatabase(database) }
        let notebook = FileManager.default.temporaryDirectory.appendingPathComponent("last-step-\(getpid()).grad")
        defer { try? FileManager.default.removeItem(at: notebook) }
        try """
            # %%
            w = param(randn(3, seed=1)); x = randn(3, seed=2); J = sum((w * x - 1) ^ 2);
            train(J, steps=7, lr=0.1);
            # %%
            %record none
            # %%
            train(J, steps=5, lr=0.1);
            """.write(to: notebook, atomically: true, encoding: .utf8)
        let output = try Binary.run(["run", notebook.path, "--db", "dbname=\(database)"])
        #expect(output.status == 0, "\(output.stderr)")
        let rows = try PostgresServer.psql("""
            SELECT string_agg(r.kind || ':' || coalesce(r.step::text, '-') || ':' || r.record_policy
                              || ':' || (r.xmin = last.xmin)::text, ' ' ORDER BY r.id)
            FROM (SELECT train_id, max(id) AS run_id FROM run WHERE train_id IS NOT NULL GROUP BY train_id) AS calls
            JOIN run AS last ON last.id = calls.run_id
            JOIN run AS r ON r.id BETWEEN calls.run_id AND calls.run_id + 1
            GROUP BY calls.train_id ORDER BY calls.train_id
            """, database: database)
        #expect(rows == """
            train:6:params:true backward:-:params:true
            train:4:none:true backward:-:none:true
            """, "\(rows)")
    }

    @Test func sqlWithoutWriteCannotWriteOnTheServer() throws {
        let database = try PostgresServer.createDatabase()
        defer { PostgresServer.dropDatabase(database) }
        let server = "dbname=\(database)"
        #expect(try Binary.run(["run", "notebooks/01-computation-graph.grad", "--db", server]).status == 0)
        for statement in ["UPDATE session SET notebook = 'x'", "DELETE FROM cell", "CREATE TABLE t(x integer)",
                          "SELECT 1; INSERT INTO graph(node_count, digest) VALUES (1, 1)"] {
            let output = try Binary.run(["sql", statement, "--db", server])
            #expect(output.status == 1, "\(statement)")
            #expect(output.stderr == "gradbook sql: read-only: pass --write to modify the database\n", "\(statement): \(output.stderr)")
        }
        #expect(try PostgresServer.psql("SELECT count(*) FROM cell WHERE source <> ''", database: database) != "0")
        #expect(try PostgresServer.psql("SELECT count(*) FROM session WHERE notebook = 'x'", database: database) == "0")
        let write = try Binary.run(["sql", "--write", "UPDATE session SET notebook = 'renamed'", "--db", server])
        #expect(write.status == 0, "\(write.stderr)")
        #expect(try PostgresServer.psql("SELECT notebook FROM session", database: database) == "renamed")
    }
}

/// The server killed (SIGKILL, as a crash) in the middle of `train()`: the client says so and
/// exits 1; after the server restarts, every step it committed is whole and replays. The server
/// is the test's own: killing the suite's would fail every test using it at the same time.
@Suite(.serialized, .enabled(if: PostgresServer.isConfigured, PostgresServer.disabledReason))
struct PostgresServerCrashTests {
    @Test func aServerKilledDuringTrainingStopsTheRunAndKeepsEveryCommittedStep() throws {
        let directory = try Binary.temporaryDirectory()
        let own = try PostgresServer.PrivateServer()
        defer { own.stop() }
        let pg = own.environment
        let database = "postgres"
        let server = "dbname=\(database)"
        // Step 0 is the only checkpoint before the crash: the later steps replay by re-execution.
        let notebook = try TrainingNotebook.write(steps: 10_000_000, in: directory)
        let trainer = try BackgroundProcess(["run", notebook, "--db", server], in: directory, label: "trainer", environment: pg)
        defer { if trainer.isRunning { trainer.killHard() } }
        // Kill the server once training has committed some steps (an event, however slow the machine).
        while trainer.isRunning {
            // (Until the trainer has made the schema, there is no table to count in.)
            let counted = try? PostgresServer.psql("SELECT count(*) FROM run WHERE kind = 'train'", database: database, server: pg)
            if let steps = counted.flatMap({ Int($0) }), steps >= 12 { break }
            usleep(20_000)
        }
        try #require(trainer.isRunning, "the trainer ended early: \(trainer.stderr)")
        try PostgresServer.control("stop-now", server: pg)
        var restarted = false
        defer { if !restarted { try? PostgresServer.control("start", server: pg) } }
        // With its server gone the trainer must end by itself: no retry loop, no hang.
        trainer.process.waitUntilExit()
        #expect(trainer.process.terminationStatus == 1)
        // The training cell's own error first (where it stopped, and why), then the cell's record.
        #expect(trainer.stderr.contains("error: train stopped at step "), "\(trainer.stderr)")
        #expect(trainer.stderr.contains("PostgreSQL at dbname=\(database)"), "\(trainer.stderr)")
        try PostgresServer.control("start", server: pg)
        restarted = true

        // Every committed step is whole: its run row, a value row per param (summaries read
        // through the server's value_rows), and at checkpoints the optimizer state; steps are
        // 0, 1, ..., n-1 with no gap.
        let steps = try #require(Int(try PostgresServer.psql("SELECT count(*) FROM run WHERE kind = 'train'", database: database, server: pg)))
        #expect(steps >= 12)
        #expect(try PostgresServer.psql("""
            SELECT count(*) FROM run AS r WHERE r.kind = 'train'
              AND (SELECT count(*) FROM value_rows AS v WHERE v.run_id = r.id) <> \(TrainingNotebook.paramCount)
            """, database: database, server: pg) == "0")
        #expect(try PostgresServer.psql("SELECT max(step) + 1 = count(*) FROM run WHERE kind = 'train'", database: database, server: pg) == "t")
        #expect(try PostgresServer.psql("""
            SELECT count(*) FROM checkpoint AS c JOIN value_rows AS v ON v.run_id = c.run_id WHERE v.value_storage <> 2
            """, database: database, server: pg) == "0")
        // The last committed steps replay from the history alone, bit for bit.
        let last = try #require(Int(try PostgresServer.psql("SELECT max(id) FROM run WHERE kind = 'train'", database: database, server: pg)))
        for run in [last, last - 1, last - 3] {
            let replay = try Binary.run(["replay", "--run", String(run), "--db", server], environment: pg)
            #expect(replay.status == 0 && replay.stdout.contains("identical"), "run \(run): \(replay.stdout)\(replay.stderr)")
        }
    }
}
