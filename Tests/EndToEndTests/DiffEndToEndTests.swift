import Foundation
import Testing

/// `gradbook diff` through the binary, and the README's SQL for the same question through the
/// stock sqlite3 shell or psql, on each backend.
@Suite struct DiffEndToEndTests {
    /// The README's query that follows the comment line `-- <comment>`, up to its `;`: the
    /// documented SQL is run as written, so it cannot rot.
    static func readmeQuery(after comment: String) throws -> String {
        let readme = try String(contentsOf: Binary.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex(of: "-- " + comment), "README has no query '\(comment)'")
        let end = try #require(lines[start...].firstIndex { $0.hasSuffix(";") })
        return lines[(start + 1)...end].joined(separator: "\n") + "\n"
    }

    /// The seed's backward run, then `x`, `w` and `c` redefined, `e` added and differentiated.
    static let twoRunsNotebook = """
        # %%
        \(SeedSource.definitions)
        backward J
        # %%
        x = 3
        w = param(2.5)
        c = w * x + 1
        e = J * 2
        backward e
        """

    /// Two backward runs of the seed with `x`, `w` and `c` redefined between them and `e` added,
    /// in a fresh history that the caller drops.
    func twoRuns(_ backend: Backend) throws -> (history: TestHistory, a: String, b: String) {
        let history = try TestHistory(backend, fileName: "diff.db")
        do {
            let (a, b) = try twoRuns(into: history)
            return (history, a, b)
        } catch {
            history.drop()
            throw error
        }
    }

    func twoRuns(into history: TestHistory) throws -> (a: String, b: String) {
        let notebook = history.directory.appendingPathComponent("diff.grad")
        try Self.twoRunsNotebook.write(to: notebook, atomically: true, encoding: .utf8)
        let ran = try Binary.run(["run", notebook.path, "--db", history.location])
        try #require(ran.status == 0, "\(ran.stderr)")
        let ids = try history.rows("SELECT run_id FROM runs WHERE kind = 'backward' ORDER BY run_id;")
        // backward J, J's gradients recomputed after each of the three redefinitions, backward e.
        try #require(ids.count == 5)
        return (ids[0], ids[4])
    }

    @Test(arguments: Backend.all)
    func diffShowsNodeChangesAndWhatMovedMost(_ backend: Backend) throws {
        let (history, a, b) = try twoRuns(backend)
        defer { history.drop() }
        let db = history.location
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

    /// The README's SQL as its user runs it: in the sqlite3 shell with `.param set`, in psql with
    /// `\set`.
    func shell(_ history: TestHistory, a: String, b: String, sql: String) throws -> Binary.Output {
        switch history.backend {
        case .sqlite:
            return try Binary.run(["-batch", "-noheader", "-separator", "|", history.location],
                                  stdin: ".param set :a \(a)\n.param set :b \(b)\n" + sql, executable: "/usr/bin/sqlite3")
        case .postgresql:
            return try Binary.run(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", history.databaseName ?? ""],
                                  stdin: "\\set a \(a)\n\\set b \(b)\n" + sql, executable: "/usr/bin/psql")
        }
    }

    @Test(arguments: Backend.all)
    func theDocumentedSQLAgreesWithTheCommand(_ backend: Backend) throws {
        let (history, a, b) = try twoRuns(backend)
        defer { history.drop() }
        let nodeChangesSQL = try Self.readmeQuery(after: "nodes added, removed or redefined between runs :a and :b")
        let movementsSQL = try Self.readmeQuery(
            after: "the values and gradients that moved most (scalars by |b - a|, tensors by the change of their L2 norm)")
        let changes = try shell(history, a: a, b: b, sql: nodeChangesSQL)
        #expect(changes.status == 0, "\(changes.stderr)")
        #expect(changes.stdout == """
            added|e||J * 2
            redefined|c|w * x|w * x + 1
            redefined|w|param(2)|param(2.5)
            redefined|x|-2|3

            """, "\(changes.stdout)")
        let moved = try shell(history, a: a, b: b, sql: movementsSQL)
        #expect(moved.status == 0, "\(moved.stderr)")
        let first = moved.stdout.split(separator: "\n").first?.split(separator: "|", omittingEmptySubsequences: false).map(String.init) ?? []
        // sqlite3 prints the REAL 2 as 2.0, psql as 2.
        #expect(first.count == 5 && first.prefix(2) == ["J", "value"] && first.dropFirst(2).map { Double($0) } == [2, 105.125, 103.125],
                "\(moved.stdout)")
    }

    @Test(arguments: Backend.all)
    func missingRunsAndBadUsage(_ backend: Backend) throws {
        let (history, a, _) = try twoRuns(backend)
        defer { history.drop() }
        let db = history.location
        let missing = try Binary.run(["diff", a, "99", "--db", db])
        #expect(missing.status == 1)
        #expect(missing.stderr == "gradbook diff: there is no run 99 in this database (see %runs or: SELECT run_id, kind, target FROM runs)\n")
        #expect(try Binary.run(["diff", a, "--db", db]).status == 2)
        #expect(try Binary.run(["diff", a, "b", "--db", db]).status == 2)
    }
}
