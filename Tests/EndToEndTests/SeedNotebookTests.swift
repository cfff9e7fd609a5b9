import Foundation
import Testing

@Suite struct SeedNotebookTests {
    @Test(arguments: Backend.all)
    func seedNotebookPrintsTheNumbersAndSQLReadsThem(_ backend: Backend) throws {
        let history = try TestHistory(backend, fileName: "seed.db")
        defer { history.drop() }
        let output = try Binary.run(["run", "notebooks/01-computation-graph.grad", "--db", history.location])
        #expect(output.status == 0, "\(output.stderr)")
        for expected in ["c = -4", "a = 4", "d = 2", "J = 2", "c = w * x = -4", "dJ/dc = dJ/da * da/dc = 2 * 1 = 2", "dJ/dw = dJ/dc * dc/dw"] {
            #expect(output.stdout.contains(expected), "missing \(expected) in\n\(output.stdout)")
        }
        let backward = "(SELECT min(run_id) FROM runs WHERE kind = 'backward')"
        func column(_ column: String, _ name: String) throws -> Double? {
            try history.number("SELECT \(column) FROM run_values WHERE run_id = \(backward) AND name = '\(name)';")
        }
        #expect(try column("value", "J") == 2)
        #expect(try column("grad", "w") == -4)
        #expect(try column("grad", "b") == 2)
        #expect(try column("value", "c") == -4)
        #expect(try column("value", "a") == 4)
        #expect(try column("value", "d") == 2)
        for name in ["d", "a", "c"] { #expect(try column("grad", name) == 2) }
        if backend == .sqlite {
            #expect(try history.query("PRAGMA integrity_check;") == "ok")
        }
        #expect(try history.query("SELECT kind, CASE WHEN ended_at IS NOT NULL THEN 1 ELSE 0 END FROM sessions;") == "batch|1")
        #expect(try history.query("SELECT count(*) FROM cells WHERE status = 'error';") == "0")
    }

    @Test(arguments: Backend.all)
    func sqlCommandFormats(_ backend: Backend) throws {
        let history = try TestHistory(backend, fileName: "seed.db")
        defer { history.drop() }
        let db = history.location
        _ = try Binary.run(["run", "notebooks/01-computation-graph.grad", "--db", db])
        let query = "SELECT name, grad FROM run_values WHERE run_id = (SELECT min(run_id) FROM runs WHERE kind = 'backward') AND name IN ('w', 'b') ORDER BY name"
        let csv = try Binary.run(["sql", query, "--db", db, "--format", "csv"])
        #expect(csv.status == 0)
        #expect(csv.stdout.replacingOccurrences(of: "\r\n", with: "\n") == "name,grad\nb,2\nw,-4\n", "\(csv.stdout)")
        let json = try Binary.run(["sql", query, "--db", db, "--format", "json"])
        #expect(json.stdout.contains(#""name":"w""#) && json.stdout.contains(#""grad":-4"#), "\(json.stdout)")
        let refused = try Binary.run(["sql", "DELETE FROM run", "--db", db])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("--write"), "\(refused.stderr)")
        #expect(try history.query("SELECT count(*) FROM runs;") != "0")
        let bad = try Binary.run(["sql", "SELEC 1", "--db", db])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("syntax error"), "\(bad.stderr)")
    }

    @Test(arguments: Backend.all)
    func environmentVariableChoosesTheDatabase(_ backend: Backend) throws {
        let history = try TestHistory(backend, fileName: "env.db")
        defer { history.drop() }
        let output = try Binary.run(["repl"], stdin: "x = 2\nx * 3\n", environment: ["GRADBOOK_DB": history.location])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("6"))
        #expect(try history.query("SELECT count(*) FROM cells;") == "2")
    }

    @Test func badUsageExitsTwo() throws {
        #expect(try Binary.run(["run"]).status == 2)
        #expect(try Binary.run(["sql", "--format", "yaml", "SELECT 1", "--db", ":memory:"]).status == 2)
        #expect(try Binary.run(["no-such-command"]).status == 2)
    }
}
