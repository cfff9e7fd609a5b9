import Foundation
import Testing

/// Issue 14 through the real binary: forward mode beside backprop in notebook 02, the step
/// counts it records, read back with each backend's shell; the seed's backward run counted.
@Suite struct EfficiencyNotebookTests {
    @Test(arguments: Backend.all)
    func notebookTwoComparesTheThreeMethodsInCountedSteps(_ backend: Backend) throws {
        let history = try TestHistory(backend, fileName: "efficiency.db")
        defer { history.drop() }
        let db = history.location
        let output = try Binary.run(["run", "notebooks/02-why-backprop-is-efficient.grad", "--db", db])
        #expect(output.status == 0, "\(output.stderr)")
        // The seed's forward mode, left to right.
        #expect(output.stdout.contains("""
            Forward mode (dw/dw = 1, left to right)
              dc/dw = x = -2
              da/dw = dc/dw = -2
              dd/dw = da/dw = -2
              dJ/dw = d * dd/dw = 2 * (-2) = -4
            """), "\(output.stdout)")
        // gradcheck(f_h100) checks f_h100's own 1,001 params and nothing else.
        let report = try #require(output.stdout.components(separatedBy: "gradcheck f_h100: ").dropFirst().first)
        let lines = report.split(separator: "\n").prefix(7).map(String.init)
        #expect(lines.first == "4 params (1,001 elements), 2,002 forward passes (15,208 node evaluations) of central differences, eps 1e-06")
        #expect(lines.dropFirst(2).prefix(4).map { $0.split(separator: ":").first.map(String.init) ?? "" }
                == ["  W1_h100", "  b1_h100", "  w2_h100", "  b2_h100"])
        #expect(lines.last == "  ok: the backward pass agrees with finite differences")

        // The table the notebook builds, from the runs: reverse mode n + p (n = 8: `X @ W1.T` is one
        // product), forward mode the sum over params of elements × nodes on the path (8, 7, 5, 4),
        // finite differences twice that.
        let session = "(SELECT max(session_id) FROM runs WHERE target = 'f_h100')"
        let table = try history.query("""
            SELECT target, kind, sum(steps), count(*) FROM runs
            WHERE target IN ('f_h10', 'f_h30', 'f_h100') AND kind IN ('backward', 'forward_mode', 'gradcheck') AND session_id = \(session)
            GROUP BY target, kind ORDER BY sum(steps);
            """)
        var expected: [String] = []
        for h in [10, 30, 100] {
            let p = 10 * h + 1
            let forward = 8 * h * 8 + h * 7 + h * 5 + 4
            expected += ["f_h\(h)|backward|\(8 + p)|1", "f_h\(h)|forward_mode|\(forward)|4", "f_h\(h)|gradcheck|\(2 * forward)|1"]
        }
        #expect(Set(table.split(separator: "\n").map(String.init)) == Set(expected), "\(table)")
        // Warm-up runs are their own model's, outside the comparison; the timed ones all have a duration.
        #expect(try history.query("SELECT count(*) FROM runs WHERE target = 'f_warm' AND kind = 'backward';") == "1")
        #expect(try history.query("SELECT count(*) FROM runs WHERE kind IN ('backward', 'forward_mode', 'gradcheck') AND duration_ms IS NULL;") == "0")
        // The seed's example: the measured backward pass over 100,001 params, and the counted steps.
        #expect(try history.query("SELECT DISTINCT steps FROM runs WHERE kind = 'backward' AND target = 'f_big';") == "100009")
        #expect(output.stdout.contains("| seed: n = 10,000, p = 100,000  | forward mode       | 1000000000 |"), "\(output.stdout)")
        #expect(output.stdout.contains("| h = 10,000: n = 8, p = 100,001 | forward mode       |     760004 |"), "\(output.stdout)")
        if backend == .sqlite {
            #expect(try history.query("PRAGMA integrity_check;") == "ok")
        }
    }

    @Test(arguments: Backend.all)
    func theSeedsRunsRecordTheirSteps(_ backend: Backend) throws {
        let history = try TestHistory(backend, fileName: "seed.db")
        defer { history.drop() }
        let db = history.location
        #expect(try Binary.run(["run", "notebooks/01-computation-graph.grad", "--db", db]).status == 0)
        // n + p: the five op nodes c, a, d, d^2, 0.5 * d^2, and the params w and b.
        #expect(try history.query("SELECT steps FROM runs WHERE kind = 'backward' ORDER BY run_id LIMIT 1;") == "7")
        #expect(try history.rows("SELECT target, steps FROM runs WHERE kind = 'forward' ORDER BY run_id LIMIT 8;")
                == ["x|0", "w|0", "b|0", "y|0", "c|1", "a|1", "d|1", "J|2"])
        let notebook = history.directory.appendingPathComponent("forward.grad")
        try """
            \(SeedSource.definitions)
            grad(J, w, mode="forward")
            jvp(J, w, 1)
            %time backward J
            %explain J --forward w
            """.write(to: notebook, atomically: true, encoding: .utf8)
        let forward = try Binary.run(["run", notebook.path, "--db", db])
        #expect(forward.status == 0, "\(forward.stderr)")
        // grad's value is shown where it is; jvp's, the cell's last expression, ends the cell.
        #expect(forward.stdout.contains("J = 2\n-4\nWall time: ") && forward.stdout.hasSuffix("\n-4\n"), "\(forward.stdout)")
        #expect(forward.stdout.contains(", 7 steps\n"), "\(forward.stdout)")
        #expect(forward.stdout.contains("  dJ/dw = d * dd/dw = 2 * (-2) = -4\n"), "\(forward.stdout)")
        #expect(try history.query("SELECT kind, steps FROM runs WHERE session_id = (SELECT max(session_id) FROM sessions) AND kind <> 'forward' ORDER BY run_id;")
                == "forward_mode|5\nforward_mode|5\nbackward|7")
    }
}
