import Foundation
import Testing

/// `gradbook diff` through the binary, and the README's SQL for the same question through the
/// stock sqlite3 shell (kept here, verbatim from `RunDiffer.nodeChangesSQL` / `movementsSQL`,
/// so the documented queries cannot rot).
@Suite struct DiffEndToEndTests {
    static let nodeChangesSQL = """
        SELECT 'removed' AS change, a.name, a.expr AS expr_a, NULL AS expr_b
        FROM run_nodes AS a
        WHERE a.run_id = :a AND a.name NOT IN (SELECT name FROM run_nodes WHERE run_id = :b)
        UNION ALL
        SELECT 'added', b.name, NULL, b.expr
        FROM run_nodes AS b
        WHERE b.run_id = :b AND b.name NOT IN (SELECT name FROM run_nodes WHERE run_id = :a)
        UNION ALL
        SELECT 'redefined', a.name, a.expr, b.expr
        FROM run_nodes AS a JOIN run_nodes AS b ON b.run_id = :b AND b.name = a.name
        WHERE a.run_id = :a AND a.node_id <> b.node_id
          AND (a.op IS NOT b.op OR a.inputs IS NOT b.inputs OR a.expr IS NOT b.expr OR a.is_param IS NOT b.is_param
               OR a.attributes IS NOT b.attributes
               OR (SELECT leaf_value FROM nodes WHERE node_id = a.node_id) IS NOT (SELECT leaf_value FROM nodes WHERE node_id = b.node_id))
        ORDER BY 1, 2;
        """

    static let movementsSQL = """
        SELECT name, quantity, before, after, abs(after - before) AS moved
        FROM (
          SELECT a.name, 'value' AS quantity, coalesce(a.value, a.value_l2) AS before, coalesce(b.value, b.value_l2) AS after
          FROM run_values AS a JOIN run_values AS b ON b.run_id = :b AND b.name = a.name
          WHERE a.run_id = :a
          UNION ALL
          SELECT a.name, 'grad', coalesce(a.grad, a.grad_l2), coalesce(b.grad, b.grad_l2)
          FROM run_values AS a JOIN run_values AS b ON b.run_id = :b AND b.name = a.name
          WHERE a.run_id = :a
        )
        WHERE before IS NOT after
        ORDER BY moved DESC, name
        LIMIT 10;
        """

    /// Two backward runs of the seed with `x`, `w` and `c` redefined between them and `e` added.
    func twoRuns() throws -> (db: String, a: String, b: String) {
        let directory = try Binary.temporaryDirectory()
        let db = directory.appendingPathComponent("diff.db").path
        let notebook = directory.appendingPathComponent("diff.grad")
        try """
        # %%
        x = -2
        w = param(2)
        b = param(8)
        y = 2
        c = w * x
        a = c + b
        d = a - y
        J = 0.5 * d^2
        backward J
        # %%
        x = 3
        w = param(2.5)
        c = w * x + 1
        e = J * 2
        backward e
        """.write(to: notebook, atomically: true, encoding: .utf8)
        let ran = try Binary.run(["run", notebook.path, "--db", db])
        try #require(ran.status == 0, "\(ran.stderr)")
        let ids = try Binary.sqlite(db, "SELECT group_concat(run_id) FROM (SELECT run_id FROM runs WHERE kind = 'backward' ORDER BY run_id);")
            .split(separator: ",").map(String.init)
        try #require(ids.count == 2)
        return (db, ids[0], ids[1])
    }

    @Test func diffShowsNodeChangesAndWhatMovedMost() throws {
        let (db, a, b) = try twoRuns()
        let output = try Binary.run(["diff", a, b, "--db", db, "--limit", "3"])
        #expect(output.status == 0, "\(output.stderr)")
        let text = output.stdout
        #expect(text.hasPrefix("run \(a) (backward J, loss 2) → run \(b) (backward e, loss "), "\(text)")
        #expect(text.contains("nodes: 1 added, 0 removed, 3 redefined"), "\(text)")
        for row in ["| added     | e    | NULL   | J * 2     |", "| redefined | x    | -2     | 3         |",
                    "| redefined | w    | param(2) | param(2.5) |", "| redefined | c    | w * x  | w * x + 1 |"] {
            let squeezed = row.replacingOccurrences(of: " ", with: "")
            #expect(text.replacingOccurrences(of: " ", with: "").contains(squeezed), "missing \(row) in\n\(text)")
        }
        #expect(text.contains("values that moved most (the 3 that moved most of "), "\(text)")
        #expect(text.contains("gradients that moved most"), "\(text)")
        // Moved values, largest first: J went from 2 to 0.5 * (2.5 * 3 + 1 + 8 - 2)^2 = 105.125.
        #expect(text.replacingOccurrences(of: " ", with: "").contains("|J|2|105.125||Δ|103.125|"), "\(text)")
    }

    @Test func theDocumentedSQLAgreesWithTheCommand() throws {
        let (db, a, b) = try twoRuns()
        let parameters = ".param set :a \(a)\n.param set :b \(b)\n"
        let changes = try Binary.run(["-batch", "-noheader", "-separator", "|", db],
                                     stdin: parameters + Self.nodeChangesSQL, executable: "/usr/bin/sqlite3")
        #expect(changes.status == 0, "\(changes.stderr)")
        #expect(changes.stdout == """
            added|e||J * 2
            redefined|c|w * x|w * x + 1
            redefined|w|param(2)|param(2.5)
            redefined|x|-2|3

            """, "\(changes.stdout)")
        let moved = try Binary.run(["-batch", "-noheader", "-separator", "|", db],
                                   stdin: parameters + Self.movementsSQL, executable: "/usr/bin/sqlite3")
        #expect(moved.status == 0, "\(moved.stderr)")
        let first = moved.stdout.split(separator: "\n").first.map(String.init)
        #expect(first == "J|value|2.0|105.125|103.125", "\(moved.stdout)")
        // The test's copies are the library's text.
        let source = try String(contentsOf: Binary.packageRoot.appendingPathComponent("Sources/GradSession/Diff.swift"), encoding: .utf8)
        let indented: (String) -> String = { $0.split(separator: "\n").map { "        " + $0 }.joined(separator: "\n") }
        #expect(source.contains(indented(Self.nodeChangesSQL)))
        #expect(source.contains(indented(Self.movementsSQL)))
    }

    @Test func missingRunsAndBadUsage() throws {
        let (db, a, _) = try twoRuns()
        let missing = try Binary.run(["diff", a, "99", "--db", db])
        #expect(missing.status == 1)
        #expect(missing.stderr == "gradbook diff: there is no run 99 in this database (see %runs or: SELECT run_id, kind, target FROM runs)\n")
        #expect(try Binary.run(["diff", a, "--db", db]).status == 2)
        #expect(try Binary.run(["diff", a, "b", "--db", db]).status == 2)
    }
}
