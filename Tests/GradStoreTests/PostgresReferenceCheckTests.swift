import Foundation
import Testing
@testable import GradStore

/// The references that schema-postgres.sql versions 6 to 8 check once per statement instead of
/// with foreign keys (run -> session, cell, train, node, graph; a run row's arrays -> node,
/// tensor; value -> run, node, its two tensors) keep the foreign keys' promise for whoever can
/// delete: the administrator. Members are covered by tests/postgres/lanes.sql
/// (PostgresAdministrationTests).
@Suite(.enabled(if: PostgresTestDatabase.isConfigured, PostgresTestDatabase.disabledReason))
struct PostgresReferenceCheckTests {
    /// A server history written by the store: a training step (summaries in its run row), a run
    /// with a tensor in full (its id in the run row) and one with a gradient but no value (a row
    /// of `value`, with a tensor); `psql` then acts as the administrator (a superuser).
    struct History {
        let testStore: TestStore
        let database: String
        let sessionID: Int64
        let cellID: Int64
        let trainID: Int64
        let paramID: Int64
        let stepRunID: Int64
        let valueRunID: Int64
        let gradientRunID: Int64

        init() throws {
            testStore = try StoreBackend.postgresql.open()
            let store = testStore.store
            database = try #require(try store.query("SELECT current_database()").rows.first?.first?.textValue)
            sessionID = try store.beginSession(kind: .batch, notebook: "references.grad", startedAt: Date(timeIntervalSince1970: 1_700_000_000))
            cellID = try store.beginCell(sessionID: sessionID, executionCount: 1, source: "train(J)")
            paramID = try store.insertNode(NodeRecord(sessionID: sessionID, cellID: cellID, name: "w", op: "param",
                                                      inputs: [], shape: [2], isParam: true))
            trainID = try store.beginTrain(TrainRecord(sessionID: sessionID, cellID: cellID, target: "w", optimizerJSON: "{}", steps: 1))
            let summary = TensorSummary(summarizing: [1, 2])
            stepRunID = try store.insertRun(
                RunRecord(sessionID: sessionID, cellID: cellID, kind: .train, target: "w", targetNodeID: paramID, step: 0,
                          loss: 1, startedAt: Date(), durationMs: 1, trainID: trainID, recordPolicy: .params),
                nodeIDs: [paramID], values: [ValueRecord(nodeID: paramID, shape: [2], value: .summary(summary), grad: .summary(summary))])
            valueRunID = try store.insertRun(
                RunRecord(sessionID: sessionID, cellID: cellID, kind: .forward, target: "w", targetNodeID: paramID,
                          startedAt: Date(), durationMs: 1, recordPolicy: .all),
                nodeIDs: [paramID], values: [ValueRecord(nodeID: paramID, shape: [2], value: .full([1, 2]), grad: nil)])
            gradientRunID = try store.insertRun(
                RunRecord(sessionID: sessionID, cellID: cellID, kind: .backward, target: "w", targetNodeID: paramID,
                          startedAt: Date(), durationMs: 1, recordPolicy: .all),
                nodeIDs: [paramID], values: [ValueRecord(nodeID: paramID, shape: [2], value: nil, grad: .full([3, 4]))])
        }

        /// Runs `sql` as the administrator; the error's text if it fails.
        func refusal(_ sql: String) -> String? {
            do {
                _ = try PostgresTestDatabase.psql(sql, database: database)
                return nil
            } catch {
                return "\(error)"
            }
        }

        func count(_ sql: String) throws -> String {
            try PostgresTestDatabase.psql(sql, database: database).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    @Test func theStoresRowsAreWhereTheChecksLookForThem() throws {
        let history = try History()
        #expect(try history.count("SELECT count(*) FROM value WHERE run_id = \(history.gradientRunID)") == "1")
        #expect(try history.count("SELECT count(*) FROM value") == "1")
        #expect(try history.count("SELECT cardinality(summary_node_ids) FROM run WHERE id = \(history.stepRunID)") == "1")
        #expect(try history.count("SELECT summary_tensor_ids[1][1] IS NOT NULL FROM run WHERE id = \(history.valueRunID)") == "t")
        #expect(try history.count("SELECT count(*) FROM value_rows") == "3")
        // Every reference of a value row is checked per statement: none is a per-row foreign key.
        #expect(try history.count("SELECT count(*) FROM pg_constraint WHERE conrelid = 'value'::regclass AND contype = 'f'") == "0")
    }

    @Test func aRowThatPointsNowhereIsRefusedWithTheReferencesName() throws {
        let history = try History()
        for (sql, reference) in [
            ("INSERT INTO run(session_id, kind, started_at) VALUES (-1, 'forward', 'now')", "run_session_same_owner"),
            ("INSERT INTO run(session_id, cell_id, kind, started_at) VALUES (\(history.sessionID), -1, 'forward', 'now')", "run_cell_same_owner"),
            ("INSERT INTO run(session_id, train_id, kind, started_at) VALUES (\(history.sessionID), -1, 'train', 'now')", "run_train_same_owner"),
            ("INSERT INTO run(session_id, target_node_id, kind, started_at) VALUES (\(history.sessionID), -1, 'forward', 'now')", "run_target_node_id_fkey"),
            ("INSERT INTO run(session_id, graph_id, kind, started_at) VALUES (\(history.sessionID), -1, 'forward', 'now')", "run_graph_id_fkey"),
            ("INSERT INTO value(run_id, node_id, shape, numel) VALUES (-1, \(history.paramID), '[2]', 2)", "value_run_same_owner"),
            ("INSERT INTO value(run_id, node_id, shape, numel) VALUES (\(history.valueRunID), -1, '[2]', 2)", "value_node_id_fkey"),
            ("INSERT INTO value(run_id, node_id, shape, numel, value_storage, value_tensor_id) VALUES (\(history.stepRunID), \(history.paramID), '[2]', 2, 2, -1)",
             "value_value_tensor_id_fkey"),
            ("INSERT INTO value(run_id, node_id, shape, numel, grad_storage, grad_tensor_id) VALUES (\(history.stepRunID), \(history.paramID), '[2]', 2, 2, -1)",
             "value_grad_tensor_id_fkey"),
            ("UPDATE value SET grad_storage = 2, grad_tensor_id = -1", "value_grad_tensor_id_fkey"),
            ("INSERT INTO run(session_id, kind, started_at, summary_node_ids, summary_shapes, summary_sizes, summary_stats, summary_tensor_ids) "
             + "VALUES (\(history.sessionID), 'forward', 'now', ARRAY[\(history.paramID)], ARRAY['[2]'], ARRAY[[2, NULL]], "
             + "ARRAY[[0, 1, 0.5, 1, NULL, NULL, NULL, NULL]]::float8[], ARRAY[[-1, NULL]])", "run_summary_tensor_ids_fkey"),
            ("UPDATE run SET summary_tensor_ids = ARRAY[[NULL, -1]]::bigint[] WHERE id = \(history.valueRunID)", "run_summary_tensor_ids_fkey"),
            // Another owner's row is no parent either (the lanes).
            ("INSERT INTO value(run_id, node_id, shape, numel, owner) VALUES (\(history.stepRunID), \(history.paramID), '[2]', 2, 'someone else')",
             "value_run_same_owner"),
        ] {
            let refusal = try #require(history.refusal(sql), "\(sql)")
            #expect(refusal.contains("violates foreign key constraint \"\(reference)\"") && refusal.contains("is not present in table"), "\(refusal)")
        }
        #expect(try history.count("SELECT count(*) FROM run") == "3")
    }

    /// The arrays' shapes, once a CHECK constraint, are checked with the statement's references,
    /// under the constraint's name and SQLSTATE (23514).
    @Test func arraysOfTheWrongShapeAreRefusedAsTheConstraintWas() throws {
        let history = try History()
        let arrays = "ARRAY[\(history.paramID)], ARRAY['[2]'], ARRAY[[2, 1]], ARRAY[[0, 1, 0.5, 1, 0, 1, 0.5, 1]]::float8[]"
        let insert = "INSERT INTO run(session_id, kind, started_at, summary_node_ids, summary_shapes, summary_sizes, summary_stats"
        for sql in [
            "\(insert)) VALUES (\(history.sessionID), 'forward', 'now', ARRAY[\(history.paramID)], ARRAY['[2]'], ARRAY[[2, 1]], ARRAY[[0, 1]]::float8[])",
            "\(insert)) VALUES (\(history.sessionID), 'forward', 'now', ARRAY[\(history.paramID)], NULL, ARRAY[[2, 1]], ARRAY[[0, 1, 0.5, 1, 0, 1, 0.5, 1]]::float8[])",
            "\(insert)) VALUES (\(history.sessionID), 'forward', 'now', ARRAY[\(history.paramID)], ARRAY['[2]'], ARRAY[[2, 3]], ARRAY[[0, 1, 0.5, 1, 0, 1, 0.5, 1]]::float8[])",
            "\(insert), summary_tensor_ids) VALUES (\(history.sessionID), 'forward', 'now', \(arrays), ARRAY[1, 2])",
            "\(insert), summary_scalars) VALUES (\(history.sessionID), 'forward', 'now', \(arrays), ARRAY[[1, 2]]::float8[])",
            "\(insert), summary_scalars, summary_scalar_json) VALUES (\(history.sessionID), 'forward', 'now', \(arrays), ARRAY[[1, 2]]::float8[], ARRAY['1', '2'])",
            "INSERT INTO run(session_id, kind, started_at, summary_tensor_ids) VALUES (\(history.sessionID), 'forward', 'now', ARRAY[[1, 2]])",
            "UPDATE run SET summary_sizes = ARRAY[[2, 0]] WHERE id = \(history.stepRunID)",
        ] {
            let refusal = try #require(history.refusal(sql), "\(sql)")
            #expect(refusal.contains("violates check constraint \"run_summaries\""), "\(refusal)")
        }
        // What the store writes fits, and so does a gradient stored in full among summaries.
        #expect(history.refusal("\(insert), summary_scalars, summary_scalar_json) VALUES (\(history.sessionID), 'forward', 'now', "
                                + "ARRAY[\(history.paramID)], ARRAY['[2]'], ARRAY[[2, 2]], ARRAY[[0, 1, 0.5, 1, 0, 1, 0.5, 1]]::float8[], "
                                + "ARRAY[[NULL, NULL]]::float8[], ARRAY[[NULL, NULL]]::text[])") == nil)
        #expect(try history.count("SELECT count(*) FROM run") == "4")
    }

    @Test func aReferencedRowCannotBeDeletedRekeyedOrTruncatedAway() throws {
        let history = try History()
        for (sql, reference) in [
            ("DELETE FROM run WHERE id = \(history.gradientRunID)", "value_run_same_owner"),
            ("UPDATE run SET id = id + 1000 WHERE id = \(history.gradientRunID)", "value_run_same_owner"),
            ("UPDATE train SET id = id + 1000", "run_train_same_owner"),
            ("TRUNCATE train", "run_train_same_owner"),
            ("DELETE FROM tensor", "run_summary_tensor_ids_fkey"),
            ("UPDATE tensor SET id = id + 1000", "run_summary_tensor_ids_fkey"),
            ("TRUNCATE tensor", "run_summary_tensor_ids_fkey"),
            // The run row's tensor is held alone too, as are the tensors of `value` rows.
            ("DELETE FROM tensor WHERE id IN (SELECT summary_tensor_ids[1][1] FROM run)", "run_summary_tensor_ids_fkey"),
            ("DELETE FROM tensor WHERE id IN (SELECT grad_tensor_id FROM value)", "value_grad_tensor_id_fkey"),
            ("UPDATE value SET value_storage = 2, value_tensor_id = grad_tensor_id, grad_storage = NULL, grad_tensor_id = NULL; "
             + "DELETE FROM tensor WHERE id IN (SELECT value_tensor_id FROM value)", "value_value_tensor_id_fkey"),
        ] {
            let refusal = try #require(history.refusal(sql), "\(sql)")
            #expect(refusal.contains("violates foreign key constraint") && refusal.contains(reference), "\(refusal)")
        }
        // The summaries' node ids count as references: the run's own node reference gone, they hold.
        let summaryRefusal = try #require(history.refusal(
            "UPDATE run SET target_node_id = NULL; DELETE FROM graph_node; DELETE FROM value; DELETE FROM node"))
        #expect(summaryRefusal.contains("run_summary_node_ids_fkey"), "\(summaryRefusal)")
        #expect(try history.count("SELECT count(*) FROM value_rows") == "3")
        // What refers to nothing may go, and what is only updated in place stays allowed.
        #expect(history.refusal("UPDATE cell SET status = 'ok', duration_ms = 1; UPDATE session SET ended_at = 'now'") == nil)
        #expect(history.refusal("UPDATE tensor SET json = json") == nil)
        #expect(history.refusal("DELETE FROM value; DELETE FROM run WHERE id = \(history.gradientRunID)") == nil)
        #expect(history.refusal("UPDATE run SET summary_tensor_ids = NULL; DELETE FROM tensor") == nil)
        #expect(try history.count("SELECT count(*) FROM run") == "2")
    }
}
