import Foundation

/// Training checkpoints: the optimizer state stored with a training step whose params are
/// stored in full, and the look-ups a replay needs to re-execute the steps after one.
extension RunStore {
    /// Marks run `runID` (a training step whose value rows hold every param in full) as a
    /// checkpoint and stores its optimizer state. Atomic; call it in the run's transaction.
    public func insertCheckpoint(runID: Int64, _ record: CheckpointRecord) throws {
        try transaction { try insertCheckpointRows(runID: runID, record) }
    }

    /// `insertCheckpoint` for a caller in a transaction that it rolls back if this throws (the
    /// training writer): a savepoint of its own would cost the server a subtransaction.
    func insertCheckpointRows(runID: Int64, _ record: CheckpointRecord) throws {
        precondition(connection.isInTransaction, "insertCheckpointRows outside a transaction")
        guard record.optimizerSteps >= 0 else {
            throw StoreError.invalidRecord("checkpoint of run \(runID): \(record.optimizerSteps) optimizer steps")
        }
        let checkpoint = try connection.statement("INSERT INTO checkpoint(run_id, optimizer_steps) VALUES (?1, ?2)")
        try checkpoint.execute([.integer(runID), .integer(Int64(record.optimizerSteps))])
        let buffer = try connection.statement(
            "INSERT INTO optimizer_state(run_id, node_id, slot, shape, data) VALUES (?1, ?2, ?3, ?4, ?5)")
        for item in record.buffers {
            guard let count = TensorJSON.elementCount(of: item.shape), count == item.elements.count else {
                throw StoreError.invalidRecord("checkpoint of run \(runID): \(item.slot) of node \(item.nodeID) has \(item.elements.count) elements for shape \(item.shape)")
            }
            buffer.reset()
            try buffer.bind(runID, at: 1)
            try buffer.bind(item.nodeID, at: 2)
            try buffer.bind(item.slot, at: 3)
            try buffer.bind(shapeText(item.shape), at: 4)
            try Float64Bytes.withLittleEndianBytes(of: item.elements) { try buffer.bind(blob: $0, at: 5) }
            try buffer.write()
        }
        buffer.reset()
    }

    /// The checkpoint stored with run `runID`, if it is one.
    public func checkpoint(ofRun runID: Int64) throws -> StoredCheckpoint? {
        let rows = try connection.statement("""
            SELECT c.optimizer_steps, r.step FROM checkpoint AS c JOIN run AS r ON r.id = c.run_id WHERE c.run_id = ?1
            """).rows([.integer(runID)])
        guard let row = rows.first else { return nil }
        var buffers: [OptimizerBufferRecord] = []
        for item in try connection.statement(
            "SELECT node_id, slot, shape, data FROM optimizer_state WHERE run_id = ?1 ORDER BY node_id, slot").rows([.integer(runID)]) {
            let nodeID = item[0].integerValue ?? 0
            let shape = try RunStore.decodeIntegers(item[2].textValue ?? "[]")
            guard let bytes = item[3].blobValue, let elements = Float64Bytes.decode(bytes),
                  TensorJSON.elementCount(of: shape) == elements.count else {
                throw StoreError.invalidRecord("checkpoint of run \(runID): the \(item[1].textValue ?? "?") of node \(nodeID) does not match shape \(shape)")
            }
            buffers.append(OptimizerBufferRecord(nodeID: nodeID, slot: item[1].textValue ?? "", shape: shape, elements: elements))
        }
        return StoredCheckpoint(runID: runID, step: Int(clamping: row[1].integerValue ?? 0),
                                record: CheckpointRecord(optimizerSteps: Int(clamping: row[0].integerValue ?? 0), buffers: buffers))
    }

    /// The checkpoint of train() call `trainID` at the latest step not after `step`, if any.
    public func latestCheckpoint(trainID: Int64, atOrBefore step: Int) throws -> StoredCheckpoint? {
        let rows = try connection.statement("""
            SELECT r.id FROM run AS r JOIN checkpoint AS c ON c.run_id = r.id
            WHERE r.train_id = ?1 AND r.kind = 'train' AND r.step <= ?2
            ORDER BY r.step DESC LIMIT 1
            """).rows([.integer(trainID), .integer(Int64(step))])
        guard let runID = rows.first?.first?.integerValue else { return nil }
        return try checkpoint(ofRun: runID)
    }

    /// The checkpoint interval train() call `trainID` was recorded with; nil when it kept no
    /// checkpoints (or was recorded before they existed).
    public func checkpointInterval(ofTrain trainID: Int64) throws -> Int? {
        try connection.statement("SELECT checkpoint_every FROM train WHERE id = ?1").rows([.integer(trainID)])
            .first?.first?.integerValue.map { Int(clamping: $0) }
    }

    /// The training step runs of train() call `trainID` with `steps.lowerBound <= step <=
    /// steps.upperBound`, in step order.
    public func trainingSteps(trainID: Int64, steps: ClosedRange<Int>) throws -> [RunRecord] {
        let rows = try connection.statement("SELECT id FROM run WHERE train_id = ?1 AND kind = 'train' AND step BETWEEN ?2 AND ?3 ORDER BY step")
            .rows([.integer(trainID), .integer(Int64(steps.lowerBound)), .integer(Int64(steps.upperBound))])
        return try rows.compactMap { row in
            guard let runID = row.first?.integerValue else { return nil }
            return try run(runID)
        }
    }
}
