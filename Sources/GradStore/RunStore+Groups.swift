/// Several runs stored by one call: what the training writer commits for a group of steps.
///
/// On PostgreSQL the group's run rows travel as one statement, each column as an array
/// (SQLArrayColumns), with the values of each run in its row: as arrays with an element (or a
/// row of elements) per node, its summaries, tensor row ids and full scalars (per row, the
/// server pays more than per array element, and per statement more than per row;
/// schema-postgres.sql, versions 6 and 8). They read back as the value rows `insertRun` would
/// store. The group's new tensor rows go first, as one more statement, and the odd value that
/// does not fit the arrays (a gradient without a value) as rows of `value` after the runs. The
/// runs get the same ids (taken in the same order from the ids reserved for the group), and the
/// tensors too (taken in the order of the runs' values). SQLite stores run after run, its
/// statements being cheap.
extension RunStore {
    /// A group's rows as `insertGroupRows` sends them, ids taken.
    struct GroupRows {
        var runIDs: [Int64]
        var runRows: SQLArrayColumns
        var arrays: ValueArrays
        var valueRows: SQLArrayColumns
        var tensors: SQLArrayColumns?
    }

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

    /// `value`'s columns, for the rows of a group that do not fit its run rows' arrays.
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
            guard let runs = dialect.insertRunsWithValues(columns: runColumns),
                  let values = dialect.insertFromArrays(table: "value", columns: valueColumns),
                  let tensors = dialect.insertFromArrays(table: "tensor", columns: tensorColumns) else { continue }
            statements[dialect.backend] = (runs, values, tensors)
        }
        return statements
    }()

    /// Stores `runs` in one transaction, all or none, and returns their ids in order.
    /// `afterEach(index, runID)` runs once per run, in order, after its rows (a checkpoint's
    /// rows go there).
    public func insertRuns(_ runs: [NewRun], afterEach: (Int, Int64) throws -> Void = { _, _ in }) throws -> [Int64] {
        try transaction { try insertRunsInTransaction(runs, afterEach: afterEach) }
    }

    /// `insertRuns` for a caller that is in a transaction it rolls back if this throws (the
    /// training writer): on a server, a savepoint of its own would cost two more statements.
    func insertRunsInTransaction(_ runs: [NewRun], afterEach: (Int, Int64) throws -> Void) throws -> [Int64] {
        precondition(connection.isInTransaction, "insertRunsInTransaction outside a transaction")
        guard RunStore.arraySQL[connection.dialect.backend] != nil else {
            return try runs.enumerated().map { index, run in
                let runID = try insertRun(run.record, nodeIDs: run.nodeIDs, values: run.values)
                try afterEach(index, runID)
                return runID
            }
        }
        // Ids the caller did not reserve (a single run's insert) are taken here, in one query.
        try reserveIDs([(.run, runs.count), (.tensor, runs.reduce(0) { $0 + RunStore.fullTensorCount(of: $1.values) })])
        return try insertGroupRows(buildGroupRows(runs), afterEach: afterEach)
    }

    /// Whether `runs` can be put together as rows (`groupRowsBuiltAhead`) without a word to the
    /// database: the backend sends arrays, their graphs are known and the ids they take are
    /// reserved.
    func canBuildGroupRowsAhead(_ runs: [NewRun]) -> Bool {
        guard RunStore.arraySQL[connection.dialect.backend] != nil else { return false }
        let fullTensors = runs.reduce(0) { $0 + RunStore.fullTensorCount(of: $1.values) }
        return runs.count <= reservedIDs[.run]?.count ?? 0
            && fullTensors <= reservedIDs[.tensor]?.count ?? 0
            && runs.allSatisfy { knowsGraph(of: $0.nodeIDs) }
    }

    /// The rows of `runs`, put together while the connection is busy with something else (a
    /// commit sent ahead), to be stored by `insertGroupRows` in a later transaction. nil when
    /// `canBuildGroupRowsAhead` says no. The rows name the ids they took: if the transaction
    /// before theirs fails, the rollback forgets the ids and cached rows they may name, and the
    /// rows must be built again.
    func groupRowsBuiltAhead(_ runs: [NewRun]) throws -> GroupRows? {
        guard canBuildGroupRowsAhead(runs) else { return nil }
        return try buildGroupRows(runs)
    }

    /// Puts `runs` together as the group's arrays, taking reserved ids; asks the database only
    /// for a graph it does not know or a tensor id that was not reserved.
    private func buildGroupRows(_ runs: [NewRun]) throws -> GroupRows {
        var runRows = SQLArrayColumns(RunStore.runColumns.map(\.type) + [.integer, .integer, .integer, .integer])
        var arrays = ValueArrays()
        var valueRows = SQLArrayColumns(RunStore.valueColumns.map(\.type))
        // Filled by `tensorColumns` as the values come, in their order.
        tensorBatch = SQLArrayColumns(RunStore.tensorColumns.map(\.type))
        defer { tensorBatch = nil }
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
            let deferJSON = defersTrainingJSON && record.kind == .train
            let first = arrays.rowCount + 1
            var contents = ValueArrays.RunContents()
            for value in run.values {
                if try !appendToArrays(value, deferJSON: deferJSON, to: &arrays, contents: &contents) {
                    try appendValueRow(value, runID: runID, deferJSON: deferJSON, to: &valueRows)
                }
            }
            if arrays.rowCount >= first {
                guard let firstPosition = Int32(exactly: first), let lastPosition = Int32(exactly: arrays.rowCount) else {
                    throw StoreError.invalidRecord("too many values for one group of steps")
                }
                runRows.append(firstPosition)
                runRows.append(lastPosition)
            } else {
                runRows.append(nil as Int32?)
                runRows.append(nil as Int32?)
            }
            runRows.append(Int32(contents.hasTensors ? 1 : 0))
            runRows.append(Int32(contents.hasScalars ? 1 : 0))
        }
        return GroupRows(runIDs: runIDs, runRows: runRows, arrays: arrays, valueRows: valueRows, tensors: tensorBatch)
    }

    /// Sends a group's rows: its statements, then `afterEach(index, runID)` for each run in
    /// order. Must run in a transaction; returns the runs' ids.
    func insertGroupRows(_ rows: GroupRows, afterEach: (Int, Int64) throws -> Void) throws -> [Int64] {
        precondition(connection.isInTransaction, "insertGroupRows outside a transaction")
        guard let arraySQL = RunStore.arraySQL[connection.dialect.backend] else {
            throw StoreError.invalidRecord("this database stores runs one by one")
        }
        // Tensors first: the runs' statement checks that the tensors its arrays name are there.
        if let tensors = rows.tensors, tensors.rowCount > 0 {
            let insertTensors = try connection.statement(arraySQL.tensors)
            try tensors.bind(to: insertTensors)
            try insertTensors.write()
        }
        let insertRuns = try connection.statement(arraySQL.runs)
        try rows.runRows.bind(to: insertRuns)
        try rows.arrays.bind(to: insertRuns, from: Int32(rows.runRows.types.count + 1))
        try insertRuns.write()
        if rows.valueRows.rowCount > 0 {
            let insertValues = try connection.statement(arraySQL.values)
            try rows.valueRows.bind(to: insertValues)
            try insertValues.write()
        }
        for (index, runID) in rows.runIDs.enumerated() {
            try afterEach(index, runID)
        }
        return rows.runIDs
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

    /// Appends `record` to the group's arrays if they can hold it (it has a value: a summary, a
    /// tensor or a scalar), checked as `insertValues` checks it; false for any other row.
    private func appendToArrays(_ record: ValueRecord, deferJSON: Bool, to arrays: inout ValueArrays,
                                contents: inout ValueArrays.RunContents) throws -> Bool {
        guard let recordValue = record.value else { return false }
        guard let numel = TensorJSON.elementCount(of: record.shape) else {
            throw StoreError.invalidRecord("node \(record.nodeID): invalid shape \(record.shape)")
        }
        // The common case, every param of every training step: two summaries, read directly.
        if case .summary(let value) = recordValue {
            var grad: TensorSummary?
            var summarized = true
            switch record.grad {
            case nil: break
            case .summary(let given)?: grad = given
            case .full?: summarized = false
            }
            if summarized {
                if let mismatched = value.numel != numel ? value : grad.flatMap({ $0.numel != numel ? $0 : nil }) {
                    throw StoreError.invalidRecord("node \(record.nodeID): summary of \(mismatched.numel) elements for shape \(record.shape)")
                }
                try arrays.appendSummaries(nodeID: record.nodeID, shape: shapeText(record.shape), numel: numel,
                                           value: value, grad: grad)
                return true
            }
        }
        let value = try tensorColumns(recordValue, of: record, numel: numel, isGrad: false, deferJSON: deferJSON)
        let grad = try tensorColumns(record.grad, of: record, numel: numel, isGrad: true, deferJSON: deferJSON)
        try arrays.append(nodeID: record.nodeID, shape: shapeText(record.shape), numel: numel, value: value, grad: grad,
                          contents: &contents)
        return true
    }
}

private extension Optional where Wrapped == TensorData {
    var isFull: Bool {
        if case .full? = self { return true }
        return false
    }
}
