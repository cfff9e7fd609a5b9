import Foundation
import Testing

/// The training history through the real binary (SPEC §3): the default policy stores summaries
/// and checkpoints, and `gradbook replay --run N --store` gets back every value and gradient of
/// any step exactly as `%record all` would have stored them.
@Suite struct TrainingHistoryEndToEndTests {
    static func notebook(recordAll: Bool, optimizer: String) -> String {
        """
        # %%
        \(recordAll ? "%record all" : "%record params")

        # %%
        X, labels = moons(40, noise=0.1, seed=11)
        W1 = param(randn(2, 8, seed=12) * 0.5)
        b1 = param(zeros(8))
        W2 = param(randn(8, 2, seed=13) * 0.5)
        b2 = param(zeros(2))
        hidden = tanh(X @ W1 + b1)
        logits = hidden @ W2 + b2
        loss = cross_entropy(logits, labels)

        # %%
        train(loss, steps=12, \(optimizer), checkpoint_every=5)
        """
    }

    /// For each optimizer (the learning-rate decay and weight decay in play), the same training
    /// twice into one database: under %record all (train_id 1) and under the default policy
    /// (train_id 2). Replaying steps of the second with --store gives, for every named node,
    /// the value and gradient the first stored, bit for bit (shortest round-trip JSON, which
    /// two different doubles never share), at checkpoints and between them.
    @Test(arguments: Backend.all, ["lr=0.3, lr_end=0.05", "optimizer=\"momentum\", lr=0.1, weight_decay=0.01", "optimizer=\"adam\", lr=0.05, weight_decay=0.001"])
    func replaysOfTheDefaultPolicyReproduceRecordAllBitForBit(_ backend: Backend, _ optimizer: String) throws {
        let history = try TestHistory(backend)
        defer { history.drop() }
        let db = history.location
        for recordAll in [true, false] {
            let path = history.directory.appendingPathComponent(recordAll ? "all.grad" : "default.grad")
            try Self.notebook(recordAll: recordAll, optimizer: optimizer).write(to: path, atomically: true, encoding: .utf8)
            let ran = try Binary.run(["run", path.path, "--db", db])
            #expect(ran.status == 0, "\(ran.stderr)")
        }
        #expect(try history.rows("SELECT train_id, step FROM checkpoints ORDER BY train_id, step;")
                == ["1|0", "1|5", "1|10", "1|11", "2|0", "2|5", "2|10", "2|11"])
        // The default run stored far less: summaries between checkpoints.
        #expect(try history.query("SELECT count(*) FROM run_values JOIN runs USING (run_id) WHERE train_id = 2 AND value_stored = 'summary';") == "32")
        // The two trainings computed the same losses.
        #expect(try history.query("SELECT count(*) FROM train_steps AS a JOIN train_steps AS b ON b.train_id = 2 AND b.step = a.step WHERE a.train_id = 1 AND a.loss = b.loss;") == "12")

        for step in [3, 5, 7, 9, 11] {
            let run = try history.query("SELECT run_id FROM train_steps WHERE train_id = 2 AND step = \(step);")
            let replay = try Binary.run(["replay", "--run", run, "--store", "--db", db])
            #expect(replay.status == 0, "step \(step): \(replay.stdout)\(replay.stderr)")
            #expect(replay.stdout.contains("re-executed from the checkpoint") == ![5, 11].contains(step), "\(replay.stdout)")
            let compared = try history.query("""
                SELECT count(*),
                       sum(CASE WHEN r.value_json IS NOT DISTINCT FROM a.value_json AND r.grad_json IS NOT DISTINCT FROM a.grad_json
                                 AND r.value IS NOT DISTINCT FROM a.value AND r.grad IS NOT DISTINCT FROM a.grad
                                 AND r.shape = a.shape AND r.value_stored = 'full' THEN 1 ELSE 0 END)
                FROM run_values AS a
                JOIN run_values AS r ON r.name = a.name
                    AND r.run_id = (SELECT max(run_id) FROM runs WHERE kind = 'replay' AND replay_of = \(run))
                WHERE a.run_id = (SELECT run_id FROM train_steps WHERE train_id = 1 AND step = \(step));
                """)
            #expect(compared == "9|9", "step \(step): \(compared)")
        }
        if backend == .sqlite {
            #expect(try history.query("PRAGMA integrity_check;") == "ok")
        }
    }

    /// The README's training-history examples, run as a user would copy them into a shell, on
    /// a history of notebook 3. On PostgreSQL the user types psql where the README says sqlite3,
    /// and names the server in GRADBOOK_DB.
    @Test(arguments: Backend.all)
    func theReadmesTrainingHistoryExamplesRun(_ backend: Backend) throws {
        let readme = try String(contentsOf: Binary.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let marker = "<!-- training-history-examples: run by TrainingHistoryEndToEndTests -->\n```sh\n"
        let start = try #require(readme.range(of: marker), "the README marks its training-history examples")
        let rest = readme[start.upperBound...]
        let script = String(rest[..<(try #require(rest.range(of: "```"))).lowerBound])
        #expect(script.contains("train_steps") && script.contains("param_history") && script.contains("--store"))

        let history = try TestHistory(backend, fileName: "gradbook.db")
        defer { history.drop() }
        let db = history.location
        let ran = try Binary.run(["run", "notebooks/03-larger-neural-network.grad", "-p", "steps", "150", "--db", db])
        #expect(ran.status == 0, "\(ran.stderr)")
        let bin = URL(fileURLWithPath: Binary.gradbook).deletingLastPathComponent().path
        var environment = ["PATH": "\(bin):/usr/bin:/bin"]
        var prelude = ""
        if let name = history.databaseName {
            environment["GRADBOOK_DB"] = db
            prelude = "sqlite3() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d \(name) -c \"$2\"; }\n"
        }
        let output = try Binary.run(["-euc", prelude + "cd \"$1\" && " + script, "readme", history.directory.path],
                                    environment: environment, executable: "/bin/bash")
        #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
        let lines = output.stdout.split(separator: "\n").map(String.init)
        // The loss curve (150 steps), the gradient norms (6 params × 150 steps), the replay's
        // report, and W2 at step 137 in full: a 16 × 16 matrix and its gradient.
        #expect(lines.filter { $0.hasPrefix("137|") }.count == 1 + 6, "\(output.stdout)")
        #expect(lines.contains { $0.contains("(train loss, step 137) replayed from the database as run") }, "\(output.stdout)")
        let w2 = try #require(lines.last?.split(separator: "|").map(String.init))
        #expect(w2.count == 2 && w2[0].hasPrefix("[[") && w2[1].hasPrefix("[["), "\(lines.last ?? "")")
        let stored = try history.query("""
            SELECT value_json FROM run_values WHERE name = 'W2' AND run_id = (SELECT max(run_id) FROM runs WHERE kind = 'replay');
            """)
        let matrix = try #require(try JSONSerialization.jsonObject(with: Data(stored.utf8)) as? [[Any]], "\(stored.prefix(200))")
        #expect(matrix.count == 16 && matrix.allSatisfy { $0.count == 16 }, "\(stored.prefix(200))")
    }
}
