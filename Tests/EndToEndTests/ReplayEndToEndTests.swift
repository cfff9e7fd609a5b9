import Foundation
import Testing

/// `gradbook replay` through the real binary, on histories written by `gradbook run`, on each
/// backend.
@Suite struct ReplayEndToEndTests {
    @Test(arguments: Backend.all)
    func everyBackwardAndTrainRunOfATrainingNotebookReplaysBitIdentical(_ backend: Backend) throws {
        let history = try TestHistory(backend, fileName: "train.db")
        defer { history.drop() }
        let db = history.location
        let notebook = try TrainingNotebook.write(steps: 25, in: history.directory)
        let ran = try Binary.run(["run", notebook, "--db", db])
        #expect(ran.status == 0, "\(ran.stderr)")
        let originals = try history.query("SELECT count(*) FROM runs WHERE kind IN ('backward', 'train');")
        // 25 training steps, two backward runs, and the backward pass at the trained values.
        #expect(originals == "28")

        let replay = try Binary.run(["replay", "--all", "--db", db])
        #expect(replay.status == 0, "\(replay.stdout)\n\(replay.stderr)")
        #expect(replay.stdout.contains("28 runs replayed: 28 identical bit for bit, 0 not"), "\(replay.stdout)")
        #expect(replay.stderr.isEmpty, "\(replay.stderr)")
        // The replays are rows of kind 'replay' whose gradients equal the originals', exactly.
        #expect(try history.query("SELECT count(*) FROM runs WHERE kind = 'replay';") == "28")
        let compared = try history.query("""
            SELECT count(*),
                   sum(CASE WHEN o.grad_json IS NOT DISTINCT FROM r.grad_json AND o.grad_l2 IS NOT DISTINCT FROM r.grad_l2 THEN 1 ELSE 0 END),
                   sum(CASE WHEN r.grad_stored IS NOT NULL THEN 1 ELSE 0 END)
            FROM runs AS p
            JOIN run_values AS r ON r.run_id = p.run_id
            JOIN run_values AS o ON o.run_id = p.replay_of AND o.node_id = r.node_id
            WHERE p.kind = 'replay';
            """)
        let numbers = compared.split(separator: "|").map(String.init)
        #expect(numbers.count == 3 && numbers[0] == numbers[1] && numbers[2] != "0", "\(compared)")
        #expect(try history.query("""
            SELECT count(*) FROM runs AS p JOIN runs AS o ON o.run_id = p.replay_of
            WHERE p.kind = 'replay' AND p.graph_id IS DISTINCT FROM o.graph_id;
            """) == "0")
        #expect(try history.query("""
            SELECT kind, CASE WHEN notebook IS NULL THEN 1 ELSE 0 END, CASE WHEN ended_at IS NOT NULL THEN 1 ELSE 0 END
            FROM sessions ORDER BY session_id DESC LIMIT 1;
            """) == "batch|1|1")
    }

    @Test(arguments: Backend.all, ["01-computation-graph.grad", "02-why-backprop-is-efficient.grad", "03-larger-neural-network.grad"])
    func theProjectsNotebooksReplayBitIdentical(_ backend: Backend, _ notebook: String) throws {
        let history = try TestHistory(backend, fileName: "notebook.db")
        defer { history.drop() }
        let db = history.location
        let parameters = notebook.hasPrefix("03") ? ["-p", "steps", "60"] : []
        let ran = try Binary.run(["run", "notebooks/\(notebook)", "--db", db] + parameters)
        #expect(ran.status == 0, "\(ran.stderr)")
        let count = try history.query("SELECT count(*) FROM runs WHERE kind IN ('backward', 'train');")
        #expect(count != "0")
        let replay = try Binary.run(["replay", "--all", "--db", db])
        #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
        #expect(replay.stdout.hasSuffix("\(count) run\(count == "1" ? "" : "s") replayed: \(count) identical bit for bit, 0 not\n"), "\(replay.stdout)")
    }

    @Test(arguments: Backend.all)
    func oneRunReportsItsComparisonAndAReplayOfAReplayReplaysTheOriginal(_ backend: Backend) throws {
        let history = try TestHistory(backend, fileName: "seed.db")
        defer { history.drop() }
        let db = history.location
        #expect(try Binary.run(["run", "notebooks/01-computation-graph.grad", "--db", db]).status == 0)
        let backward = try history.query("SELECT min(run_id) FROM runs WHERE kind = 'backward';")
        let output = try Binary.run(["replay", "--run", backward, "--db", db])
        #expect(output.status == 0, "\(output.stderr)")
        let lines = output.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("run \(backward) (backward J) replayed from the database as run ") == true, "\(output.stdout)")
        #expect(lines.last == "identical bit for bit: 8 gradients and 8 values", "\(output.stdout)")
        let replayID = try history.query("SELECT max(run_id) FROM runs WHERE kind = 'replay';")
        let again = try Binary.run(["replay", "--run", replayID, "--db", db, "--no-record"])
        #expect(again.status == 0)
        #expect(again.stdout.hasPrefix("run \(backward) (backward J) replayed from the database: "), "\(again.stdout)")
        #expect(try history.query("SELECT count(*) FROM runs WHERE kind = 'replay';") == "1")
    }

    @Test(arguments: Backend.all)
    func aDifferingGradientIsListedAndExitsOne(_ backend: Backend) throws {
        let history = try TestHistory(backend, fileName: "seed.db")
        defer { history.drop() }
        let db = history.location
        #expect(try Binary.run(["run", "notebooks/01-computation-graph.grad", "--db", db]).status == 0)
        let backward = try history.query("SELECT min(run_id) FROM runs WHERE kind = 'backward';")
        switch backend {
        case .sqlite:
            _ = try history.query("""
                UPDATE value SET grad = 2.5, grad_json = '2.5'
                WHERE run_id = \(backward) AND node_id IN (SELECT node_id FROM run_nodes WHERE run_id = \(backward) AND name IN ('b', 'd'));
                """)
        case .postgresql:
            // On the server a run's scalars are elements of its row's arrays (schema-postgres.sql, version 8).
            for name in ["b", "d"] {
                let position = "array_position(summary_node_ids, (SELECT node_id FROM run_nodes WHERE run_id = \(backward) AND name = '\(name)'))"
                _ = try history.query("""
                    UPDATE run SET summary_scalars[\(position)][2] = 2.5, summary_scalar_json[\(position)][2] = '2.5' WHERE id = \(backward);
                    """)
            }
        }
        let output = try Binary.run(["replay", "--run", backward, "--db", db])
        #expect(output.status == 1)
        #expect(output.stdout.contains("DIFFERENT: 2 of 16 stored quantities differ from the replay"), "\(output.stdout)")
        #expect(output.stdout.contains("  gradient of b: stored 2.5, replayed 2 (largest |difference| 0.5)"), "\(output.stdout)")
        #expect(output.stdout.contains("  gradient of d: stored 2.5, replayed 2"), "\(output.stdout)")
        // The replay itself is recorded with the gradients it computed.
        #expect(try history.number("SELECT grad FROM run_values WHERE run_id = (SELECT max(run_id) FROM runs WHERE kind = 'replay') AND name = 'b';") == 2)
    }

    @Test(arguments: Backend.all)
    func aStepBetweenCheckpointsIsReexecutedAndAMissingCheckpointOrDataLeafIsNamed(_ backend: Backend) throws {
        let history = try TestHistory(backend, fileName: "large.db")
        defer { history.drop() }
        let db = history.location
        // 80 × 60 = 4,800 elements; the middle step stores W as a summary only.
        let notebook = history.directory.appendingPathComponent("large.grad")
        try """
        W = param(randn(80, 60, seed=1) * 0.1)
        x = ones(60)
        loss = mean((W @ x - 1)^2)
        train(loss, steps=3, lr=0.1)
        """.write(to: notebook, atomically: true, encoding: .utf8)
        #expect(try Binary.run(["run", notebook.path, "--db", db]).status == 0)
        let steps = try history.rows("SELECT run_id FROM runs WHERE kind = 'train' ORDER BY step;")
        try #require(steps.count == 3)
        #expect(try history.rows("SELECT step FROM checkpoints ORDER BY step;") == ["0", "2"])
        let middle = try Binary.run(["replay", "--run", steps[1], "--db", db])
        #expect(middle.status == 0, "\(middle.stdout)\(middle.stderr)")
        #expect(middle.stdout.contains("  re-executed from the checkpoint at step 0 (run \(steps[0])): 1 step before this one, each step's loss and param summaries identical bit for bit"),
                "\(middle.stdout)")

        // Without the checkpoint before it, the step cannot be recovered, and replay says why.
        _ = try history.query("DELETE FROM optimizer_state WHERE run_id = \(steps[0]); DELETE FROM checkpoint WHERE run_id = \(steps[0]);")
        let lost = try Binary.run(["replay", "--run", steps[1], "--db", db])
        #expect(lost.status == 1)
        let message = lost.stderr.trimmingCharacters(in: .newlines)
        #expect(!message.contains("\n"), "one line: \(message)")
        #expect(message == "gradbook replay: cannot replay run \(steps[1]): it is step 1 of a train() call (train_id 1) recorded under %record params with the param 'W' (shape [80, 60]) as a summary, and no checkpoint of that call is stored at or before step 1 to re-execute it from; train under %record params (the default, with checkpoints) or %record all to make its steps replayable",
                "\(message)")
        // A checkpoint replays from its own full values.
        let last = try Binary.run(["replay", "--run", steps[2], "--db", db])
        #expect(last.status == 0, "\(last.stdout)\(last.stderr)")
        // A data leaf whose value is gone.
        _ = try history.query("UPDATE node SET leaf_value = NULL, leaf_value_json = NULL WHERE name = 'x';")
        let noData = try Binary.run(["replay", "--run", steps[2], "--db", db])
        #expect(noData.status == 1)
        #expect(noData.stderr == "gradbook replay: cannot replay run \(steps[2]): the data leaf 'x' (shape [60]) was not stored: its definition has no stored value and the run did not store it in full\n",
                "\(noData.stderr)")
    }

    @Test func usageErrorsExitTwo() throws {
        #expect(try Binary.run(["replay", "--db", ":memory:"]).status == 2)
        #expect(try Binary.run(["replay", "--run", "1", "--all", "--db", ":memory:"]).status == 2)
        #expect(try Binary.run(["replay", "--run", "x", "--db", ":memory:"]).status == 2)
        let missing = try Binary.run(["replay", "--run", "4", "--db", ":memory:"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "gradbook replay: there is no run 4 in this database (see %runs or: SELECT run_id, kind, target FROM runs)\n")
    }

    @Test(arguments: Backend.all)
    func aRunThatIsNotThereIsNamed(_ backend: Backend) throws {
        let history = try TestHistory(backend)
        defer { history.drop() }
        #expect(try Binary.run(["run", "notebooks/01-computation-graph.grad", "--db", history.location]).status == 0)
        let missing = try Binary.run(["replay", "--run", "9999", "--db", history.location])
        #expect(missing.status == 1)
        #expect(missing.stderr == "gradbook replay: there is no run 9999 in this database (see %runs or: SELECT run_id, kind, target FROM runs)\n")
    }
}
