import Foundation
import Testing
@testable import GradStore

struct DeliberateFailure: Error {}

@Suite struct TransactionTests {
    static func counts(_ store: RunStore) throws -> [SQLValue] {
        try store.query("""
            SELECT (SELECT count(*) FROM session), (SELECT count(*) FROM cell), (SELECT count(*) FROM node),
                   (SELECT count(*) FROM run), (SELECT count(*) FROM value), (SELECT count(*) FROM tensor),
                   (SELECT count(*) FROM graph), (SELECT count(*) FROM graph_node)
            """).rows[0]
    }

    @Test func aRolledBackStatementLeavesNothing() throws {
        let store = try RunStore(path: ":memory:")
        let sessionID = try store.beginSession(kind: .repl, notebook: nil)
        let before = try TransactionTests.counts(store)
        #expect(throws: DeliberateFailure.self) {
            try store.transaction {
                let cellID = try store.beginCell(sessionID: sessionID, executionCount: 1, source: "W = randn(2, 2)")
                let nodeID = try store.insertNode(NodeRecord(sessionID: sessionID, cellID: cellID, name: "W", op: "randn",
                                                             inputs: [], shape: [2, 2], isParam: true,
                                                             leafValue: [1, 2, 3, 4]))
                _ = try store.insertRun(RunRecord(sessionID: sessionID, cellID: cellID, kind: .forward, target: "W"),
                                        nodeIDs: [nodeID],
                                        values: [ValueRecord(nodeID: nodeID, shape: [2, 2], value: .full([1, 2, 3, 4]), grad: nil)])
                throw DeliberateFailure()
            }
        }
        #expect(try TransactionTests.counts(store) == before)
        #expect(!store.connection.isInTransaction)
    }

    @Test func onlyTopLevelCommitsCount() throws {
        // BEGIN and COMMIT run as cached statements; the count says how many commits a piece of
        // work costs, so nested savepoints and rolled-back transactions must not add to it.
        let store = try RunStore(path: ":memory:")
        let before = store.connection.transactionsCommitted
        let sessionID = try store.beginSession(kind: .repl, notebook: nil)
        #expect(store.connection.transactionsCommitted == before + 1)
        try store.transaction {
            _ = try store.beginCell(sessionID: sessionID, executionCount: 1, source: "a")
            _ = try store.beginCell(sessionID: sessionID, executionCount: 2, source: "b")
        }
        #expect(store.connection.transactionsCommitted == before + 2)
        #expect(throws: DeliberateFailure.self) {
            try store.transaction {
                _ = try store.beginCell(sessionID: sessionID, executionCount: 3, source: "c")
                throw DeliberateFailure()
            }
        }
        #expect(store.connection.transactionsCommitted == before + 2)
        // The cached BEGIN and COMMIT work again after a rollback.
        _ = try store.beginCell(sessionID: sessionID, executionCount: 4, source: "d")
        #expect(store.connection.transactionsCommitted == before + 3)
        #expect(try store.query("SELECT group_concat(source, '') FROM cells").rows == [[.text("abd")]])
        #expect(!store.connection.isInTransaction)
    }

    @Test func aFailingInsertInsideAStatementUndoesOnlyItselfWhenCaught() throws {
        let store = try RunStore(path: ":memory:")
        let sessionID = try store.beginSession(kind: .repl, notebook: nil)
        try store.transaction {
            _ = try store.beginCell(sessionID: sessionID, executionCount: 1, source: "ok")
            // A value row for a node that does not exist: the run insert fails as a whole.
            #expect(throws: SQLiteError.self) {
                try store.insertRun(RunRecord(sessionID: sessionID, cellID: nil, kind: .forward, target: nil), nodeIDs: [],
                                    values: [ValueRecord(nodeID: 999, shape: [], value: .full([1]), grad: nil)])
            }
        }
        #expect(try store.query("SELECT count(*) FROM cells").rows == [[.integer(1)]])
        #expect(try store.query("SELECT count(*) FROM runs").rows == [[.integer(0)]])
    }

    @Test func cachedRowIDsAreForgottenAfterARollback() throws {
        // The store reuses the previous run's graph and unchanged tensors by id; after a
        // rollback removed them, it must write them again instead of pointing at nothing.
        let store = try RunStore(path: ":memory:")
        let sessionID = try store.beginSession(kind: .batch, notebook: nil)
        let nodeID = try store.insertNode(NodeRecord(sessionID: sessionID, cellID: nil, name: "X", op: "const",
                                                     inputs: [], shape: [3], isParam: false, leafValue: [1, 2, 3]))
        let value = ValueRecord(nodeID: nodeID, shape: [3], value: .full([1, 2, 3]), grad: nil)
        let run = RunRecord(sessionID: sessionID, cellID: nil, kind: .forward, target: "X")
        #expect(throws: DeliberateFailure.self) {
            try store.transaction {
                _ = try store.insertRun(run, nodeIDs: [nodeID], values: [value])
                throw DeliberateFailure()
            }
        }
        let runID = try store.insertRun(run, nodeIDs: [nodeID], values: [value])
        #expect(try store.values(ofRun: runID).first?.value == .full([1, 2, 3]))
        #expect(try store.nodes(ofRun: runID).map(\.name) == ["X"])
        #expect(try store.query("PRAGMA foreign_key_check").rows.isEmpty)
    }

    @Test func nestedTransactionsAreSavepoints() throws {
        let store = try RunStore(path: ":memory:")
        try store.transaction {
            _ = try store.beginSession(kind: .repl, notebook: "kept")
            _ = try? store.transaction {
                _ = try store.beginSession(kind: .repl, notebook: "undone")
                throw DeliberateFailure()
            }
        }
        #expect(try store.query("SELECT notebook FROM sessions").rows == [[.text("kept")]])
    }

    @Test func invalidRecordsAreRejectedBeforeAnythingIsWritten() throws {
        let store = try RunStore(path: ":memory:")
        let sessionID = try store.beginSession(kind: .repl, notebook: nil)
        #expect(throws: StoreError.self) {
            try store.insertNode(NodeRecord(sessionID: sessionID, cellID: nil, name: "W", op: "const", inputs: [],
                                            shape: [2, 2], isParam: false, leafValue: [1, 2, 3]))
        }
        let nodeID = try store.insertNode(NodeRecord(sessionID: sessionID, cellID: nil, name: "v", op: "const",
                                                     inputs: [], shape: [2], isParam: false))
        let run = RunRecord(sessionID: sessionID, cellID: nil, kind: .forward, target: "v")
        for bad in [ValueRecord(nodeID: nodeID, shape: [2], value: .full([1]), grad: nil),
                    ValueRecord(nodeID: nodeID, shape: [2], value: nil, grad: .summary(TensorSummary(summarizing: [1, 2, 3]))),
                    ValueRecord(nodeID: nodeID, shape: [-2], value: nil, grad: nil)] {
            #expect(throws: StoreError.self) { try store.insertRun(run, nodeIDs: [nodeID], values: [bad]) }
        }
        #expect(try store.query("SELECT count(*) FROM runs").rows == [[.integer(0)]])
        #expect(throws: StoreError.notFound("no cell 42")) {
            try store.finishCell(42, status: .ok, error: nil, outputsJSON: nil, durationMs: nil)
        }
    }
}
