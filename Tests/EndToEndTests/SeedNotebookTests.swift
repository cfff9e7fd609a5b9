import Foundation
import Testing

@Suite struct SeedNotebookTests {
    @Test func seedNotebookPrintsTheNumbersAndSqliteReadsThem() throws {
        let directory = try Binary.temporaryDirectory()
        let db = directory.appendingPathComponent("seed.db").path
        let output = try Binary.run(["run", "notebooks/01-computation-graph.grad", "--db", db])
        #expect(output.status == 0, "\(output.stderr)")
        for expected in ["c = -4", "a = 4", "d = 2", "J = 2", "c = w * x = -4", "dJ/dc = dJ/da * da/dc = 2 * 1 = 2", "dJ/dw = dJ/dc * dc/dw"] {
            #expect(output.stdout.contains(expected), "missing \(expected) in\n\(output.stdout)")
        }
        let backward = "(SELECT min(run_id) FROM runs WHERE kind = 'backward')"
        func column(_ column: String, _ name: String) throws -> String {
            try Binary.sqlite(db, "SELECT \(column) FROM run_values WHERE run_id = \(backward) AND name = '\(name)';")
        }
        #expect(try column("value", "J") == "2.0")
        #expect(try column("grad", "w") == "-4.0")
        #expect(try column("grad", "b") == "2.0")
        #expect(try column("value", "c") == "-4.0")
        #expect(try column("value", "a") == "4.0")
        #expect(try column("value", "d") == "2.0")
        for name in ["d", "a", "c"] { #expect(try column("grad", name) == "2.0") }
        #expect(try Binary.sqlite(db, "PRAGMA integrity_check;") == "ok")
        #expect(try Binary.sqlite(db, "SELECT kind, ended_at IS NOT NULL FROM sessions;") == "batch|1")
        #expect(try Binary.sqlite(db, "SELECT count(*) FROM cells WHERE status = 'error';") == "0")
    }

    @Test func sqlCommandFormats() throws {
        let directory = try Binary.temporaryDirectory()
        let db = directory.appendingPathComponent("seed.db").path
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
        let bad = try Binary.run(["sql", "SELEC 1", "--db", db])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("syntax error"), "\(bad.stderr)")
    }

    @Test func environmentVariableChoosesTheDatabase() throws {
        let directory = try Binary.temporaryDirectory()
        let db = directory.appendingPathComponent("env.db").path
        let output = try Binary.run(["repl"], stdin: "x = 2\nx * 3\n", environment: ["GRADBOOK_DB": db])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("6"))
        #expect(try Binary.sqlite(db, "SELECT count(*) FROM cells;") == "2")
    }

    @Test func badUsageExitsTwo() throws {
        #expect(try Binary.run(["run"]).status == 2)
        #expect(try Binary.run(["sql", "--format", "yaml", "SELECT 1", "--db", ":memory:"]).status == 2)
        #expect(try Binary.run(["no-such-command"]).status == 2)
    }
}
