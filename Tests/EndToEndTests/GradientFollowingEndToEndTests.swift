import Foundation
import Testing

/// Gradients follow the graph, through the real binary: a notebook that redefines what a
/// differentiated loss depends on prints the new gradients, and the database (on each backend)
/// holds the recomputation as a backward run.
@Suite struct GradientFollowingEndToEndTests {
    static let seed = """
    # %%
    \(SeedSource.definitions)
    backward J
    w.grad

    """

    /// Runs the seed and then `cells` into a fresh history; the caller drops it.
    func runNotebook(_ cells: String, on backend: Backend) throws -> (output: Binary.Output, history: TestHistory) {
        let history = try TestHistory(backend, fileName: "follow.db")
        do {
            let notebook = history.directory.appendingPathComponent("follow.grad")
            try (Self.seed + cells).write(to: notebook, atomically: true, encoding: .utf8)
            let output = try Binary.run(["run", notebook.path, "--db", history.location])
            #expect(output.status == 0, "\(output.stderr)")
            return (output, history)
        } catch {
            history.drop()
            throw error
        }
    }

    static let latestBackwardRun = "(SELECT max(run_id) FROM runs WHERE kind = 'backward')"

    /// The latest backward run's gradient of `name`, and the source of the cell that made it.
    func latestBackward(_ history: TestHistory, _ name: String) throws -> (grad: Double?, source: String) {
        let grad = try history.number("SELECT grad FROM run_values WHERE run_id = \(Self.latestBackwardRun) AND name = '\(name)';")
        let source = try history.query("""
            SELECT c.source FROM runs AS r JOIN cells AS c ON c.cell_id = r.cell_id WHERE r.run_id = \(Self.latestBackwardRun);
            """)
        return (grad, source)
    }

    @Test(arguments: Backend.all)
    func aRedefinedLeafShowsAndRecordsTheNewGradient(_ backend: Backend) throws {
        let (output, history) = try runNotebook("# %%\nx = 3\n# %%\nw.grad\n# %%\nb.grad\n", on: backend)
        defer { history.drop() }
        #expect(output.stdout.split(separator: "\n").suffix(2) == ["36", "12"], "\(output.stdout)")
        let latest = try latestBackward(history, "w")
        #expect(latest.grad == 36 && latest.source == "x = 3", "\(latest)")
        #expect(try history.query("SELECT count(*) FROM runs WHERE kind = 'backward';") == "2")
        #expect(try history.number("SELECT loss FROM runs WHERE run_id = \(Self.latestBackwardRun);") == 72)
    }

    @Test(arguments: Backend.all)
    func aRedefinedParamAndAnIntermediateNodeDoTheSame(_ backend: Backend) throws {
        let (output, history) = try runNotebook("# %%\nw = param(5)\nw.grad\n# %%\nc = w + x\nw.grad\n", on: backend)
        defer { history.drop() }
        // w = 5: d = -4, dJ/dw = 8; then c = w + x = 3, d = 9, dJ/dw = 9.
        #expect(output.stdout.split(separator: "\n").suffix(4) == ["w = 5", "8", "c = 3", "9"], "\(output.stdout)")
        let latest = try latestBackward(history, "w")
        #expect(latest.grad == 9 && latest.source == "c = w + x\nw.grad", "\(latest)")
        let grads = try history.rows("""
            SELECT v.grad FROM run_values AS v JOIN runs AS r ON r.run_id = v.run_id WHERE r.kind = 'backward' AND v.name = 'w' ORDER BY r.run_id;
            """)
        #expect(grads.map { Double($0) } == [-4, 8, 9], "\(grads)")
    }

    @Test(arguments: Backend.all)
    func afterTrainingTheGradientIsTheOneAtTheTrainedValues(_ backend: Backend) throws {
        let (output, history) = try runNotebook("# %%\ntrain(J, steps=3, lr=0.01);\n# %%\nw.grad\n", on: backend)
        defer { history.drop() }
        let printed = try #require(output.stdout.split(separator: "\n").last.map(String.init))
        // The database's latest backward run is the one at the trained values: recompute dJ/dw from them.
        // (The JSON columns: a shell need not print REALs in digits that round-trip.)
        let values = try history.rows("""
            SELECT value_json FROM run_values WHERE run_id = \(Self.latestBackwardRun) AND name IN ('b', 'w') ORDER BY name;
            """).compactMap { Double($0) }
        try #require(values.count == 2)
        let expected = (values[1] * -2 + values[0] - 2) * -2
        #expect(Double(printed) == expected, "\(output.stdout)")
        let recorded = try history.query("SELECT grad_json FROM run_values WHERE run_id = \(Self.latestBackwardRun) AND name = 'w';")
        #expect(Double(recorded) == expected)
        #expect(try history.query("SELECT kind FROM runs ORDER BY run_id DESC LIMIT 1;") == "backward")
    }
}
