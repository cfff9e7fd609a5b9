/// The values of a group's runs as the arrays their run rows take slices of (PostgreSQL,
/// schema-postgres.sql versions 6 and 8; `SQLDialect.insertRunsWithValues`): per value its
/// node id, shape, a row of (numel, grad_storage) and a row of the eight statistics, and, once
/// any value of the group is stored in full, rows of (value's, gradient's) tensor ids, full
/// scalars and their JSON. Until then those three are not sent at all: most groups are training
/// steps between checkpoints, all summaries, and the server would otherwise read two NULLs per
/// param of every step three times over.
struct ValueArrays {
    /// What one run's values hold, which decides whether its row gets each full-value array.
    struct RunContents {
        var hasTensors = false
        var hasScalars = false
    }

    private var summaries = SQLArrayColumns([.bigint, .text, .bigint, .double], widths: [1, 1, 2, 8])
    private var fullValues: SQLArrayColumns?

    var rowCount: Int { summaries.rowCount }

    /// A value and gradient stored as summaries (the gradient may be missing).
    mutating func appendSummaries(nodeID: Int64, shape: String, numel: Int, value: TensorSummary, grad: TensorSummary?) throws {
        try appendSummaryColumns(nodeID: nodeID, shape: shape, numel: numel, gradStorage: grad == nil ? nil : 1,
                                 value: value, grad: grad)
        fullValues?.appendNullRow()
    }

    /// A value (and gradient) as `RunStore.tensorColumns` stores it: a summary, a tensor row
    /// (with its statistics) or a scalar. The value must be there.
    mutating func append(nodeID: Int64, shape: String, numel: Int, value: TensorColumns, grad: TensorColumns,
                         contents: inout RunContents) throws {
        try appendSummaryColumns(nodeID: nodeID, shape: shape, numel: numel, gradStorage: grad.storage,
                                 value: value.summary, grad: grad.summary)
        let hasTensor = value.tensorID != nil || grad.tensorID != nil
        let hasScalar = value.scalarJSON != nil || grad.scalarJSON != nil
        guard hasTensor || hasScalar || fullValues != nil else { return }
        contents.hasTensors = contents.hasTensors || hasTensor
        contents.hasScalars = contents.hasScalars || hasScalar
        if fullValues == nil {
            var columns = SQLArrayColumns([.bigint, .double, .text], widths: [2, 2, 2])
            for _ in 1..<summaries.rowCount { columns.appendNullRow() }
            fullValues = columns
        }
        fullValues?.append(value.tensorID)
        fullValues?.append(grad.tensorID)
        fullValues?.append(value.scalar)
        fullValues?.append(grad.scalar)
        try fullValues?.append(value.scalarJSON)
        try fullValues?.append(grad.scalarJSON)
    }

    /// Binds the seven arrays to parameters `first`… of `statement` (the last three NULL if no
    /// value was stored in full).
    func bind(to statement: any SQLStatement, from first: Int32) throws {
        try summaries.bind(to: statement, from: first)
        let next = first + Int32(summaries.types.count)
        if let fullValues {
            try fullValues.bind(to: statement, from: next)
        } else {
            for offset in 0..<Int32(3) { try statement.bindNull(at: next + offset) }
        }
    }

    private mutating func appendSummaryColumns(nodeID: Int64, shape: String, numel: Int, gradStorage: Int64?,
                                               value: TensorSummary?, grad: TensorSummary?) throws {
        summaries.append(nodeID)
        try summaries.append(shape)
        summaries.append(Int64(numel))
        summaries.append(gradStorage)
        // Not a loop over [value, grad]: this runs for every param of every training step.
        appendStatistics(value)
        appendStatistics(grad)
    }

    private mutating func appendStatistics(_ summary: TensorSummary?) {
        summaries.append(summary?.min, summary?.max, summary?.mean, summary?.l2)
    }
}
