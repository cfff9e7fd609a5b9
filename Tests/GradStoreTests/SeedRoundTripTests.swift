import Foundation
import Testing
@testable import GradStore

@Suite struct SeedRoundTripTests {
    @Test func seedValuesReadBackThroughRunValues() throws {
        let store = try RunStore(path: ":memory:")
        let seed = try SeedRecording.record(into: store)
        let result = try store.query(
            "SELECT name, value, grad, value_json, grad_json, shape FROM run_values WHERE run_id = ?1 ORDER BY node_id",
            arguments: [.integer(seed.runID)])
        #expect(result.columns == ["name", "value", "grad", "value_json", "grad_json", "shape"])
        #expect(result.rows.count == SeedRecording.nodes.count)
        for (row, node) in zip(result.rows, SeedRecording.nodes) {
            #expect(row[0] == .text(node.0))
            #expect(row[1] == .real(node.6))
            #expect(row[2] == .real(node.7))
            #expect(row[3] == .text(NumberText.json(node.6)))
            #expect(row[4] == .text(NumberText.json(node.7)))
            #expect(row[5] == .text("[]"))
        }
        // The SPEC's example query.
        let example = try store.query("""
            SELECT name, grad FROM run_values
            WHERE run_id = (SELECT max(run_id) FROM runs WHERE kind = 'backward') AND name IN ('w', 'b')
            ORDER BY name
            """)
        #expect(example.rows == [[.text("b"), .real(2)], [.text("w"), .real(-4)]])
    }

    @Test func seedValuesReadBackAsRecords() throws {
        let store = try RunStore(path: ":memory:")
        let seed = try SeedRecording.record(into: store)
        let snapshot = try store.snapshot(ofRun: seed.runID)
        #expect(snapshot.run.kind == .backward)
        #expect(snapshot.run.target == "J")
        #expect(snapshot.run.loss == 2)
        #expect(snapshot.nodes.map(\.name) == SeedRecording.nodes.map(\.0))
        for node in SeedRecording.nodes {
            let id = try #require(seed.nodeIDs[node.0])
            let value = try #require(snapshot.values[id])
            #expect(value.name == node.0)
            #expect(value.value == .full([node.6]))
            #expect(value.grad == .full([node.7]))
        }
        #expect(snapshot.leavesNotStoredInFull.isEmpty)
        let c = try #require(snapshot.nodes.first { $0.name == "c" })
        #expect(c.inputs == ["w", "x"])
        #expect(c.expr == "w * x")
        #expect(c.op == "mul")
    }
}
