import Foundation
import Testing
@testable import GradStore

@Suite struct TrainingCheckpointTests {
    static func autocheckpoint(_ store: RunStore) throws -> [[SQLValue]] {
        try store.query("PRAGMA wal_autocheckpoint").rows
    }

    @Test func checkpointsWaitForTheEndOfTrainingAndEveryStepSurvives() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("history.db")
        let steps = 40
        do {
            let store = try RunStore(path: path)
            let sessionID = try store.beginSession(kind: .batch, notebook: nil)
            let nodeID = try store.insertNode(NodeRecord(sessionID: sessionID, cellID: nil, name: "W", op: "param",
                                                         inputs: [], shape: [64, 64], isParam: true))
            let trainID = try store.beginTrain(TrainRecord(sessionID: sessionID, cellID: nil, target: "W",
                                                           optimizerJSON: "{}", steps: steps))
            try store.beginTrainingWrites()
            try store.beginTrainingWrites()
            #expect(try TrainingCheckpointTests.autocheckpoint(store) == [[.integer(Int64(RunStore.trainingCheckpointPages))]])
            for step in 0..<steps {
                let elements = (0..<4096).map { Double($0 &+ step) }
                _ = try store.insertRun(
                    RunRecord(sessionID: sessionID, cellID: nil, kind: .train, target: "W", step: step, loss: Double(step),
                              trainID: trainID, recordPolicy: .params),
                    nodeIDs: [nodeID], values: [ValueRecord(nodeID: nodeID, shape: [64, 64], value: .full(elements), grad: nil)])
            }
            try store.endTrainingWrites()
            #expect(try TrainingCheckpointTests.autocheckpoint(store) == [[.integer(Int64(RunStore.defaultCheckpointPages))]])
            try store.flushDeferredJSON()
        }
        let reopened = try RunStore(path: path, mode: .readOnly)
        #expect(try reopened.query("SELECT count(*), max(step) FROM run WHERE kind = 'train'").rows
                == [[.integer(Int64(steps)), .integer(Int64(steps - 1))]])
        #expect(try reopened.query("SELECT count(*) FROM tensor WHERE json IS NULL").rows == [[.integer(0)]])
    }

    @Test func inMemoryStoresKeepTheirSettings() throws {
        let store = try RunStore(path: ":memory:")
        let before = try TrainingCheckpointTests.autocheckpoint(store)
        try store.beginTrainingWrites()
        #expect(try TrainingCheckpointTests.autocheckpoint(store) == before)
        try store.endTrainingWrites()
        #expect(try TrainingCheckpointTests.autocheckpoint(store) == before)
    }
}
