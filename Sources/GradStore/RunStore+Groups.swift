/// Several runs stored by one call: what the training writer commits for a group of steps.
///
/// On PostgreSQL the group's run rows travel as one statement, each column as an array
/// (SQLArrayColumns), and its other value rows (a checkpoint's full tensors) as one more,
/// instead of a statement or two per step: per statement the server pays more than per row.
/// The summaries of a step (most of what a training step between checkpoints holds) travel in
/// its run row, as arrays with an element per param (per row, the server pays more than per
/// array element; schema-postgres.sql, version 6), and read back as the value rows `insertRun`
/// would store. The runs get the same ids (taken in the same order from the ids reserved for
/// the group). SQLite stores run after run, its statements being cheap.
extension RunStore {
    public struct NewRun: Sendable {
        public var record: RunRecord
        /// As in `insertRun`: every node definition of the run's graph.
        public var nodeIDs: [Int64]
        public var values: [ValueRecord]

        public init(record: RunRecord, nodeIDs: [Int64], values: [ValueRecord]) {
            self.record = record
            self.nodeIDs = nodeIDs
            self.values = values
        }
    }

    private static let runColumns: [(name: String, type: SQLArrayColumns.ColumnType)] = [
        ("id", .bigint), ("session_id", .bigint), ("cell_id", .bigint), ("kind", .text), ("target", .text),
        ("target_node_id", .bigint), ("step", .bigint), ("loss", .double), ("started_at", .text),
        ("duration_ms", .double), ("graph_id", .bigint), ("train_id", .bigint), ("replay_of", .bigint),
        ("record_policy", .text), ("steps", .bigint),
    ]

    /// `value`'s columns, for the rows of a group that are not summaries (checkpoints' full tensors).
    private static let valueColumns: [(name: String, type: SQLArrayColumns.ColumnType)] = [
        ("run_id", .bigint), ("node_id", .bigint), ("shape", .text), ("numel", .bigint),
        ("value_storage", .bigint), ("grad_storage", .bigint),
        ("value", .double), ("value_json", .text), ("value_tensor_id", .bigint),
        ("value_min", .double), ("value_max", .double), ("value_mean", .double), ("value_l2", .double),
        ("grad", .double), ("grad_json", .text), ("grad_tensor_id", .bigint),
        ("grad_min", .double), ("grad_max", .double), ("grad_mean", .double), ("grad_l2", .double),
    ]

    private static let tensorColumns: [(name: String, type: SQLArrayColumns.ColumnType)] = [
        ("id", .bigint), ("shape", .text), ("data", .bytea), ("json", .text),
    ]

    /// The group's three INSERTs per backend that sends arrays (built once, not per group).
    private static let arraySQL: [SQLDialect.Backend: (runs: String, values: String, tensors: String)] = {
        var statements: [SQLDialect.Backend: (runs: String, values: String, tensors: String)] = [:]
        for dialect in [SQLDialect.sqlite, SQLDialect.postgresql] {
            guard let runs = dialect.insertRunsWithSummaries(columns: runColumns),
                  let values = dialect.insertFromArrays(table: "value", columns: valueColumns),
                  let tensors = dialect.insertFromArrays(table: "tensor", columns: tensorColumns) else { continue }
            statements[dialect.backend] = (runs, values, tensors)
        }
        return statements
    }()

    /// The params' arrays of `SQLDialect.insertRunsWithSummaries`: node ids, shapes, a row of
    /// (numel, grad_storage) and a row of the eight statistics per param.
    private static let summaryColumns: [SQLArrayColumns.ColumnType] = [.bigint, .text, .bigint, .double]
    private static let summaryWidths = [1, 1, 2, 8]

    /// Stores `runs` in one transaction, all or none, and returns their ids in order.
    /// `afterEach(index, runID)` runs once per run, in order, after that run's rows and before
    /// the next run's tensors (a checkpoint's rows go there, keeping ids in `insertRun`'s order).
    public func insertRuns(_ runs: [NewRun], afterEach: (Int, Int64) throws -> Void = { _, _ in }) throws -> [Int64] {
        try transaction { try insertRunsInTransaction(runs, afterEach: afterEach) }
    }

    /// `insertRuns` for a caller that is in a transaction it rolls back if this throws (the
    /// training writer): on a server, a savepoint of its own would cost two more statements.
    func insertRunsInTransaction(_ runs: [NewRun], afterEach: (Int, Int64) throws -> Void) throws -> [Int64] {
        precondition(connection.isInTransaction, "insertRunsInTransaction outside a transaction")
        guard let arraySQL = RunStore.arraySQL[connection.dialect.backend] else {
            return try runs.enumerated().map { index, run in
                let runID = try insertRun(run.record, nodeIDs: run.nodeIDs, values: run.values)
                try afterEach(index, runID)
                return runID
            }
        }
        // Ids the caller did not reserve (a single run's insert) are taken here, in one query.
        try reserveIDs([(.run, runs.count), (.tensor, runs.reduce(0) { $0 + RunStore.fullTensorCount(of: $1.values) })])
        var runRows = SQLArrayColumns(RunStore.runColumns.map(\.type) + [.integer, .integer])
        var summaries = SQLArrayColumns(RunStore.summaryColumns, widths: RunStore.summaryWidths)
        var others: [[ValueRecord]] = []
        var runIDs: [Int64] = []
        for run in runs {
            guard let runID = takeReservedID(.run) else {
                throw StoreError.invalidRecord("no run id was reserved for the group")
            }
            runIDs.append(runID)
            let record = run.record
            runRows.append(runID)
            runRows.append(record.sessionID)
            runRows.append(record.cellID)
            try runRows.append(record.kind.rawValue)
            try runRows.append(record.target)
            runRows.append(record.targetNodeID)
            runRows.append(record.step.map(Int64.init))
            runRows.append(record.loss)
            try runRows.append(Timestamp.string(from: record.startedAt))
            runRows.append(record.durationMs)
            runRows.append(try graphID(for: run.nodeIDs))
            runRows.append(record.trainID)
            runRows.append(record.replayOf)
            try runRows.append(record.recordPolicy?.rawValue)
            runRows.append(record.steps.map(Int64.init))
            var rest: [ValueRecord] = []
            let first = summaries.rowCount + 1
            for value in run.values {
                if try !appendSummary(value, to: &summaries) { rest.append(value) }
            }
            if summaries.rowCount >= first {
                guard let firstPosition = Int32(exactly: first), let lastPosition = Int32(exactly: summaries.rowCount) else {
                    throw StoreError.invalidRecord("too many summaries for one group of steps")
                }
                runRows.append(firstPosition)
                runRows.append(lastPosition)
            } else {
                runRows.append(nil as Int32?)
                runRows.append(nil as Int32?)
            }
            others.append(rest)
        }
        let insertRuns = try connection.statement(arraySQL.runs)
        try runRows.bind(to: insertRuns)
        try summaries.bind(to: insertRuns, from: Int32(runRows.types.count + 1))
        try insertRuns.write()
        // The other rows go last, as one statement after one of their new tensors (collected
        // while their columns are made): runs and tensors are there by then, and a checkpoint's
        // rows refer to its run only.
        var valueRows = SQLArrayColumns(RunStore.valueColumns.map(\.type))
        tensorBatch = SQLArrayColumns(RunStore.tensorColumns.map(\.type))
        defer { tensorBatch = nil }
        for (index, run) in runs.enumerated() {
            let deferJSON = defersTrainingJSON && run.record.kind == .train
            for record in others[index] {
                try appendValueRow(record, runID: runIDs[index], deferJSON: deferJSON, to: &valueRows)
            }
            try afterEach(index, runIDs[index])
        }
        if let tensors = tensorBatch, tensors.rowCount > 0 {
            let insertTensors = try connection.statement(arraySQL.tensors)
            try tensors.bind(to: insertTensors)
            try insertTensors.write()
        }
        if valueRows.rowCount > 0 {
            let insertValues = try connection.statement(arraySQL.values)
            try valueRows.bind(to: insertValues)
            try insertValues.write()
        }
        return runIDs
    }

    /// The tensors (not scalars) that `values` hold in full: at most that many tensor rows.
    static func fullTensorCount(of values: [ValueRecord]) -> Int {
        values.reduce(0) { total, record in
            guard !record.shape.isEmpty else { return total }
            return total + (record.value.isFull ? 1 : 0) + (record.grad.isFull ? 1 : 0)
        }
    }

    /// Appends the `value` row that `insertValues` would insert for `record`.
    private func appendValueRow(_ record: ValueRecord, runID: Int64, deferJSON: Bool, to rows: inout SQLArrayColumns) throws {
        guard let numel = TensorJSON.elementCount(of: record.shape) else {
            throw StoreError.invalidRecord("node \(record.nodeID): invalid shape \(record.shape)")
        }
        let value = try tensorColumns(record.value, of: record, numel: numel, isGrad: false, deferJSON: deferJSON)
        let grad = try tensorColumns(record.grad, of: record, numel: numel, isGrad: true, deferJSON: deferJSON)
        rows.append(runID)
        rows.append(record.nodeID)
        try rows.append(shapeText(record.shape))
        rows.append(Int64(numel))
        rows.append(value.storage)
        rows.append(grad.storage)
        for columns in [value, grad] {
            rows.append(columns.scalar)
            try rows.append(columns.scalarJSON)
            rows.append(columns.tensorID)
            rows.append(columns.summary?.min)
            rows.append(columns.summary?.max)
            rows.append(columns.summary?.mean)
            rows.append(columns.summary?.l2)
        }
    }

    /// Appends `record` to `rows` if it is a summary row (see `insertValues`), checked as
    /// `insertSummaries` checks it; false for any other row.
    private func appendSummary(_ record: ValueRecord, to rows: inout SQLArrayColumns) throws -> Bool {
        guard case .summary(let value)? = record.value else { return false }
        var grad: TensorSummary?
        switch record.grad {
        case nil: break
        case .summary(let given)?: grad = given
        case .full?: return false
        }
        guard let numel = TensorJSON.elementCount(of: record.shape) else {
            throw StoreError.invalidRecord("node \(record.nodeID): invalid shape \(record.shape)")
        }
        // No array of the two summaries: this runs for every param of every training step.
        if let mismatched = value.numel != numel ? value : grad.flatMap({ $0.numel != numel ? $0 : nil }) {
            throw StoreError.invalidRecord("node \(record.nodeID): summary of \(mismatched.numel) elements for shape \(record.shape)")
        }
        rows.append(record.nodeID)
        try rows.append(shapeText(record.shape))
        rows.append(Int64(numel))
        rows.append(grad == nil ? nil : Int64(1))
        Self.appendStatistics(value, to: &rows)
        Self.appendStatistics(grad, to: &rows)
        return true
    }

    private static func appendStatistics(_ summary: TensorSummary?, to rows: inout SQLArrayColumns) {
        rows.append(summary?.min)
        rows.append(summary?.max)
        rows.append(summary?.mean)
        rows.append(summary?.l2)
    }
}

private extension Optional where Wrapped == TensorData {
    var isFull: Bool {
        if case .full? = self { return true }
        return false
    }
}
