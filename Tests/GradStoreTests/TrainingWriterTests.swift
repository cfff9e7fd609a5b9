import Foundation
import Testing
@testable import GradStore

@Suite struct TrainingWriterTests {
    typealias History = ParamHistory

    static func makeHistory() throws -> History {
        try ParamHistory(shape: [2, 3])
    }

    static func step(_ step: Int, of history: History, shape: [Int] = [2, 3], first: Bool = false) -> TrainingWriter.Step {
        let train = first ? TrainRecord(sessionID: history.sessionID, cellID: nil, target: "W", optimizerJSON: "{}", steps: 0) : nil
        let elements = (0..<6).map { Double(step) + Double($0) / 8 }
        return TrainingWriter.Step(
            train: train,
            run: RunRecord(sessionID: history.sessionID, cellID: nil, kind: .train, target: "W", step: step,
                           loss: Double(step), recordPolicy: .params),
            nodeIDs: [history.nodeID],
            values: [ValueRecord(nodeID: history.nodeID, shape: shape, value: .full(elements), grad: .full(elements))])
    }

    @Test func stepsAreWrittenInOrderUnderTheCallsTrainRowWithTheirJSON() throws {
        let history = try Self.makeHistory()
        // Capacity 1: every submit waits for the writer to take the previous step.
        let writer = try TrainingWriter(store: history.store, capacity: 1)
        for step in 0..<50 {
            try writer.submit(Self.step(step, of: history, first: step == 0))
        }
        let runIDs = try writer.finish()
        #expect(runIDs.count == 50 && runIDs == runIDs.sorted())
        let store = history.store
        #expect(try store.query("SELECT count(DISTINCT train_id), count(*), min(step), max(step) FROM run WHERE kind = 'train'").rows
                == [[.integer(1), .integer(50), .integer(0), .integer(49)]])
        #expect(try store.query("SELECT group_concat(step, ',') FROM (SELECT step FROM run ORDER BY id)").rows.first?.first?.textValue
                == (0..<50).map(String.init).joined(separator: ","))
        // Written with the row: no step waits for its JSON.
        #expect(try store.query("SELECT count(*) FROM tensor WHERE json IS NULL").rows == [[.integer(0)]])
        #expect(try store.query("SELECT v.value_json FROM run_values AS v JOIN runs AS r USING (run_id) WHERE r.step = 3 AND v.name = 'W'").rows
                == [[.text("[[3,3.125,3.25],[3.375,3.5,3.625]]")]])
        // The store is its owner's again.
        #expect(try store.query("SELECT count(*) FROM train").rows == [[.integer(1)]])
    }

    @Test func aStepThatCannotBeWrittenStopsTheWriterAndKeepsTheStepsBeforeIt() throws {
        let history = try Self.makeHistory()
        let writer = try TrainingWriter(store: history.store)
        for step in 0..<5 {
            try writer.submit(Self.step(step, of: history, first: step == 0))
        }
        // Six elements cannot fill a 4 x 4 tensor: the store refuses the row.
        try writer.submit(Self.step(5, of: history, shape: [4, 4]))
        // A later submit reports the failure, however fast the writer: submits wait while the
        // queue is full, so no more than the writer's group and a full queue (64 + 64) go
        // through before it has met the bad step, and the next one throws.
        var reported = false
        for step in 6..<1_000 where !reported {
            do { try writer.submit(Self.step(step, of: history)) } catch { reported = true }
        }
        #expect(reported, "a later submit reports the failure")
        let error = try #require(throws: StoreError.self) { try writer.finish() }
        #expect("\(error)".contains("needs 16 elements"))
        let store = history.store
        #expect(try store.query("SELECT count(*), max(step) FROM run WHERE kind = 'train'").rows == [[.integer(5), .integer(4)]])
        #expect(try store.query("PRAGMA integrity_check").rows == [[.text("ok")]])
        // Nothing half-written stays, and the store takes writes again.
        let next = try TrainingWriter(store: store)
        try next.submit(Self.step(0, of: history, first: true))
        #expect(try next.finish().count == 1)
    }

    @Test func stepsLargerThanTheValueBudgetAreQueuedOneAtATimeAndAllWritten() throws {
        let history = try Self.makeHistory()
        // Each step holds 12 numbers (value and grad of a 2 x 3 param): more than the budget.
        let writer = try TrainingWriter(store: history.store, capacity: 64, valueBudget: 10)
        for step in 0..<30 {
            try writer.submit(Self.step(step, of: history, first: step == 0))
        }
        #expect(try writer.finish().count == 30)
        #expect(try history.store.query("SELECT count(*), count(DISTINCT step) FROM run WHERE kind = 'train'").rows
                == [[.integer(30), .integer(30)]])
    }

    @Test func aCallWithoutStepsWritesNothing() throws {
        let history = try Self.makeHistory()
        #expect(try TrainingWriter(store: history.store).finish().isEmpty)
        #expect(try history.store.query("SELECT count(*) FROM run").rows == [[.integer(0)]])
    }

    @Test func stepsWaitingWhenTheWriterIsFreeAreCommittedTogetherAndWhole() throws {
        let history = try Self.makeHistory()
        // Another connection holds the write lock, so every step queues up behind the first.
        let other = try Database(path: history.path)
        try other.execute("BEGIN IMMEDIATE")
        let before = history.store.connection.transactionsCommitted
        let writer = try TrainingWriter(store: history.store)
        for step in 0..<50 {
            try writer.submit(Self.step(step, of: history, first: step == 0))
        }
        try other.execute("COMMIT")
        let runIDs = try writer.finish()
        #expect(runIDs.count == 50 && runIDs == runIDs.sorted())
        let transactions = history.store.connection.transactionsCommitted - before
        #expect(transactions >= 1 && transactions <= 3, "50 queued steps took \(transactions) transactions")
        let store = history.store
        #expect(try store.query("SELECT group_concat(step, ',') FROM (SELECT step FROM run ORDER BY id)").rows.first?.first?.textValue
                == (0..<50).map(String.init).joined(separator: ","))
        // Every step has both of its tensors.
        #expect(try store.query("SELECT count(*) FROM run_values WHERE value_json IS NOT NULL AND grad_json IS NOT NULL").rows
                == [[.integer(50)]])
    }

    /// A backward run that follows the call's last step (the gradients at the trained values).
    static func followingRun(of history: History, shape: [Int] = [2, 3]) -> RunStore.NewRun {
        RunStore.NewRun(record: RunRecord(sessionID: history.sessionID, cellID: nil, kind: .backward, target: "W", recordPolicy: .params),
                        nodeIDs: [history.nodeID],
                        values: [ValueRecord(nodeID: history.nodeID, shape: shape, value: .full((0..<6).map { Double(-$0) }), grad: nil)])
    }

    @Test func runsFollowingTheLastStepAreWrittenAfterItOutsideTheCall() throws {
        let history = try Self.makeHistory()
        let writer = try TrainingWriter(store: history.store)
        for step in 0..<3 {
            var submitted = Self.step(step, of: history, first: step == 0)
            if step == 2 { submitted.followingRuns = [Self.followingRun(of: history)] }
            try writer.submit(submitted)
        }
        let runIDs = try writer.finish()
        #expect(runIDs.count == 4 && runIDs == runIDs.sorted())
        #expect(try history.store.query("SELECT kind, step, train_id IS NULL FROM run ORDER BY id").rows == [
            [.text("train"), .integer(0), .integer(0)], [.text("train"), .integer(1), .integer(0)],
            [.text("train"), .integer(2), .integer(0)], [.text("backward"), .null, .integer(1)],
        ])
        #expect(try history.store.query("SELECT value_json FROM run_values WHERE run_id = \(runIDs[3])").rows
                == [[.text("[[0,-1,-2],[-3,-4,-5]]")]])
    }

    @Test func aStepIsWrittenWithTheRunsFollowingItOrNotAtAll() throws {
        let history = try Self.makeHistory()
        let writer = try TrainingWriter(store: history.store)
        try writer.submit(Self.step(0, of: history, first: true))
        var last = Self.step(1, of: history)
        // Six elements cannot fill a 4 x 4 tensor: the store refuses the following run, and so its step.
        last.followingRuns = [Self.followingRun(of: history, shape: [4, 4])]
        try writer.submit(last)
        let error = try #require(throws: StoreError.self) { try writer.finish() }
        #expect("\(error)".contains("needs 16 elements"))
        #expect(try history.store.query("SELECT kind, step FROM run ORDER BY id").rows == [[.text("train"), .integer(0)]])
    }
}
