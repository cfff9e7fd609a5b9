import Foundation
import Testing
@testable import GradStore

/// What the store keeps when runs repeat at training volume: every value arrives, unchanged
/// tensors are stored once, and JSON left for later is filled in. (How fast is measured by
/// `gradbook bench record` and bench/record_floor.c, not here.)
@Suite struct RecordingVolumeTests {
    @Test func everyScalarOfEveryRunArrives() throws {
        let directory = try TemporaryDirectory()
        let store = try RunStore(path: directory.path("scalars.db"))
        let sessionID = try store.beginSession(kind: .batch, notebook: nil)
        let nodeIDs = try store.transaction {
            try (0..<300).map { index in
                try store.insertNode(NodeRecord(sessionID: sessionID, cellID: nil, name: "n\(index)", op: "add",
                                                inputs: [], shape: [], isParam: false))
            }
        }
        var values = nodeIDs.enumerated().map { index, id in
            ValueRecord(nodeID: id, shape: [], value: .full([sin(Double(index + 1))]), grad: .full([cos(Double(index + 1))]))
        }
        let runs = 20
        for run in 0..<runs {
            values[0].value = .full([Double(run)])
            _ = try store.insertRun(RunRecord(sessionID: sessionID, cellID: nil, kind: .backward, target: "n0"),
                                    nodeIDs: nodeIDs, values: values)
        }
        #expect(try store.query("SELECT count(*), count(value), count(grad) FROM run_values").rows
                == [[.integer(Int64(runs * 300)), .integer(Int64(runs * 300)), .integer(Int64(runs * 300))]])
        #expect(try store.query("SELECT group_concat(value, ',') FROM (SELECT value FROM run_values WHERE name = 'n0' ORDER BY run_id)")
                .rows.first?.first?.textValue == (0..<runs).map { "\(Double($0))" }.joined(separator: ","))
        // One graph for all runs: the node set did not change.
        #expect(try store.query("SELECT count(DISTINCT graph_id) FROM runs").rows == [[.integer(1)]])
    }

    @Test func aDatasetThatNeverChangesIsStoredOnceAcrossTrainingSteps() throws {
        // moons_mlp-shaped: a 100 x 2 dataset, params, activations kept as summaries.
        let directory = try TemporaryDirectory()
        let store = try RunStore(path: directory.path("train.db"))
        let sessionID = try store.beginSession(kind: .batch, notebook: nil)
        let shapes: [(String, [Int], Bool)] = [
            ("X", [100, 2], false), ("W1", [16, 2], true), ("b1", [16], true), ("h1", [100, 16], false),
            ("W2", [16, 16], true), ("b2", [16], true), ("loss", [], false),
        ]
        let ids = try shapes.map { name, shape, isParam in
            try store.insertNode(NodeRecord(sessionID: sessionID, cellID: nil, name: name, op: "op",
                                            inputs: [], shape: shape, isParam: isParam))
        }
        let trainID = try store.beginTrain(TrainRecord(sessionID: sessionID, cellID: nil, target: "loss",
                                                       optimizerJSON: #"{"name":"sgd","lr":1}"#, steps: 30))
        var random = TestRandom(state: 7)
        func tensor(_ shape: [Int]) -> [Double] {
            (0..<(TensorJSON.elementCount(of: shape) ?? 0)).map { _ in Double(random.next() % 10_000) / 7919 - 0.5 }
        }
        let dataset = tensor([100, 2])
        let steps = 30
        for step in 0..<steps {
            let values = zip(ids, shapes).map { id, node -> ValueRecord in
                let (name, shape, isParam) = node
                let value = name == "X" ? dataset : tensor(shape)
                let grad = tensor(shape)
                return ValueRecord(
                    nodeID: id, shape: shape,
                    value: isParam || name == "X" || shape.isEmpty ? .full(value) : .summary(TensorSummary(summarizing: value)),
                    grad: isParam || shape.isEmpty ? .full(grad) : .summary(TensorSummary(summarizing: grad)))
            }
            _ = try store.insertRun(RunRecord(sessionID: sessionID, cellID: nil, kind: .train, target: "loss",
                                              step: step, loss: 1, trainID: trainID, recordPolicy: .params),
                                    nodeIDs: ids, values: values)
        }
        #expect(try store.query(
            "SELECT count(DISTINCT v.value_tensor_id) FROM value AS v JOIN node AS n ON n.id = v.node_id WHERE n.name = 'X'").rows
            == [[.integer(1)]])
        #expect(try store.query("SELECT count(*) FROM train_steps WHERE train_id = ?1", arguments: [.integer(trainID)]).rows
                == [[.integer(Int64(steps))]])
        // Params change every step: a value row and a gradient row each, with their JSON.
        #expect(try store.query("SELECT count(*) FROM run_values WHERE name = 'W2' AND value_json IS NOT NULL AND grad_json IS NOT NULL").rows
                == [[.integer(Int64(steps))]])
        #expect(try store.query("SELECT count(*) FROM tensor WHERE json IS NULL").rows == [[.integer(0)]])
    }

    @Test func jsonLeftForLaterIsFilledInAndEqualsJSONWrittenAtOnce() throws {
        let store = try RunStore(path: ":memory:")
        let sessionID = try store.beginSession(kind: .batch, notebook: nil)
        let nodeID = try store.insertNode(NodeRecord(sessionID: sessionID, cellID: nil, name: "W", op: "param",
                                                     inputs: [], shape: [8, 8], isParam: true))
        var random = TestRandom(state: 11)
        let runs = 10
        let tensors = (0..<runs).map { _ in (0..<64).map { _ in Double(random.next() >> 11) / 9007199254740992.0 } }
        for deferred in [true, false] {
            store.defersTrainingJSON = deferred
            for run in 0..<runs {
                _ = try store.insertRun(RunRecord(sessionID: sessionID, cellID: nil, kind: .train, target: "W", step: run),
                                        nodeIDs: [nodeID],
                                        values: [ValueRecord(nodeID: nodeID, shape: [8, 8], value: .full(tensors[run]), grad: nil)])
            }
        }
        #expect(try store.query("SELECT count(*) FROM tensor WHERE json IS NULL").rows == [[.integer(Int64(runs))]])
        try store.flushDeferredJSON()
        let json = try store.query("SELECT value_json FROM run_values ORDER BY run_id").rows.compactMap { $0.first?.textValue }
        #expect(json.count == 2 * runs)
        #expect(Array(json.prefix(runs)) == Array(json.suffix(runs)), "deferred and immediate JSON are the same text")
        #expect(json.first == (try TensorJSON.encode(shape: [8, 8], elements: tensors[0])))
    }
}
