import Foundation
import Testing

/// Gradients follow the graph, through the real binary: a notebook that redefines what a
/// differentiated loss depends on prints the new gradients, and the database holds the
/// recomputation as a backward run.
@Suite struct GradientFollowingEndToEndTests {
    static let seed = """
    # %%
    \(SeedSource.definitions)
    backward J
    w.grad

    """

    func runNotebook(_ cells: String) throws -> (output: Binary.Output, db: String) {
        let directory = try Binary.temporaryDirectory()
        let notebook = directory.appendingPathComponent("follow.grad")
        try (Self.seed + cells).write(to: notebook, atomically: true, encoding: .utf8)
        let db = directory.appendingPathComponent("follow.db").path
        let output = try Binary.run(["run", notebook.path, "--db", db])
        #expect(output.status == 0, "\(output.stderr)")
        return (output, db)
    }

    /// The latest backward run's gradient of `name`, and the source of the cell that made it.
    func latestBackward(_ db: String, _ name: String) throws -> String {
        try Binary.sqlite(db, """
            SELECT v.grad, c.source FROM run_values AS v JOIN runs AS r ON r.run_id = v.run_id JOIN cells AS c ON c.cell_id = r.cell_id
            WHERE r.run_id = (SELECT max(run_id) FROM runs WHERE kind = 'backward') AND v.name = '\(name)';
            """)
    }

    @Test func aRedefinedLeafShowsAndRecordsTheNewGradient() throws {
        let (output, db) = try runNotebook("# %%\nx = 3\n# %%\nw.grad\n# %%\nb.grad\n")
        #expect(output.stdout.split(separator: "\n").suffix(2) == ["36", "12"], "\(output.stdout)")
        #expect(try latestBackward(db, "w") == "36.0|x = 3")
        #expect(try Binary.sqlite(db, "SELECT count(*) FROM runs WHERE kind = 'backward';") == "2")
        #expect(try Binary.sqlite(db, "SELECT loss FROM runs WHERE run_id = (SELECT max(run_id) FROM runs WHERE kind = 'backward');") == "72.0")
    }

    @Test func aRedefinedParamAndAnIntermediateNodeDoTheSame() throws {
        let (output, db) = try runNotebook("# %%\nw = param(5)\nw.grad\n# %%\nc = w + x\nw.grad\n")
        // w = 5: d = -4, dJ/dw = 8; then c = w + x = 3, d = 9, dJ/dw = 9.
        #expect(output.stdout.split(separator: "\n").suffix(4) == ["w = 5", "8", "c = 3", "9"], "\(output.stdout)")
        #expect(try latestBackward(db, "w") == "9.0|c = w + x\nw.grad")
        #expect(try Binary.sqlite(db, "SELECT group_concat(grad, ' ') FROM (SELECT v.grad FROM run_values AS v JOIN runs AS r ON r.run_id = v.run_id WHERE r.kind = 'backward' AND v.name = 'w' ORDER BY r.run_id);") == "-4.0 8.0 9.0")
    }

    @Test func afterTrainingTheGradientIsTheOneAtTheTrainedValues() throws {
        let (output, db) = try runNotebook("# %%\ntrain(J, steps=3, lr=0.01);\n# %%\nw.grad\n")
        let printed = try #require(output.stdout.split(separator: "\n").last.map(String.init))
        // The database's latest backward run is the one at the trained values: recompute dJ/dw from them.
        // (The JSON columns: the shell prints REALs with 15 digits, which do not round-trip.)
        let values = try Binary.sqlite(db, """
            SELECT group_concat(value_json, ' ') FROM (SELECT v.value_json FROM run_values AS v WHERE v.run_id = (SELECT max(run_id) FROM runs WHERE kind = 'backward') AND v.name IN ('b', 'w') ORDER BY v.name);
            """).split(separator: " ").compactMap { Double($0) }
        try #require(values.count == 2)
        let expected = (values[1] * -2 + values[0] - 2) * -2
        #expect(Double(printed) == expected, "\(output.stdout)")
        let recorded = try Binary.sqlite(db, "SELECT grad_json FROM run_values WHERE run_id = (SELECT max(run_id) FROM runs WHERE kind = 'backward') AND name = 'w';")
        #expect(Double(recorded) == expected)
        #expect(try Binary.sqlite(db, "SELECT kind FROM runs ORDER BY run_id DESC LIMIT 1;") == "backward")
    }
}
