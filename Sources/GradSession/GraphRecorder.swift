import Foundation
import GradInterpreter
import GradStore
import GradTensor

/// The one bridge between the interpreter's events and the run history: it turns definitions
/// and runs into store records, applying the `%record` policy (SPEC §3).
final class GraphRecorder {
    let store: RunStore
    let sessionID: Int64
    var policy: RecordPolicy = .params
    /// The database row of each name's live definition.
    private var nodeRecordIDs: [String: Int64] = [:]
    /// The writer of the training call in progress (see `recordTrainingStep`).
    private var trainingWriter: TrainingWriter?

    /// Tensors up to this many elements are stored in full under the default policy.
    static let fullStorageLimit = 4096

    init(store: RunStore, sessionID: Int64) {
        self.store = store
        self.sessionID = sessionID
    }

    func forgetGraph() {
        nodeRecordIDs = [:]
    }

    /// Whether `record` would write anything for `outcome`.
    func hasRecords(_ outcome: StatementOutcome) -> Bool {
        !outcome.definitions.isEmpty || !outcome.runs.isEmpty
    }

    /// Records one statement's definitions and runs. The caller wraps it in a transaction.
    func record(_ outcome: StatementOutcome, cellID: Int64) throws {
        for definition in outcome.definitions {
            let record = NodeRecord(
                sessionID: sessionID, cellID: cellID, name: definition.name, op: definition.op, inputs: definition.inputs,
                shape: definition.shape, isParam: definition.isParam, expr: definition.expression,
                attributesJSON: definition.attributesJSON, leafValue: definition.leafValue?.scalars)
            nodeRecordIDs[definition.name] = try store.insertNode(record)
        }
        for run in outcome.runs {
            _ = try insert(run, cellID: cellID, trainID: nil)
        }
    }

    /// Hands one training step to the call's writer thread, which records it in its own
    /// transaction, so finished steps survive whatever follows. Throws if an earlier step
    /// could not be written.
    func recordTrainingStep(_ run: RunEvent, cellID: Int64) throws {
        let writer: TrainingWriter
        var train: TrainRecord?
        if let current = trainingWriter, run.step != 0 {
            writer = current
        } else {
            try finishTraining()
            writer = try TrainingWriter(store: store)
            trainingWriter = writer
            train = TrainRecord(sessionID: sessionID, cellID: cellID, target: run.target,
                                optimizerJSON: run.settingsJSON ?? "{}", steps: run.totalSteps ?? 0)
        }
        let (record, nodeIDs, values) = records(of: run, cellID: cellID, trainID: nil)
        try writer.submit(TrainingWriter.Step(train: train, run: record, nodeIDs: nodeIDs, values: values))
    }

    /// Waits until the train() call's steps are all written and gives the store back to this
    /// thread. Must run before anything else uses the store; throws if a step was not written.
    func finishTraining() throws {
        guard let writer = trainingWriter else { return }
        trainingWriter = nil
        try writer.finish()
    }

    private func insert(_ run: RunEvent, cellID: Int64?, trainID: Int64?) throws -> Int64 {
        let (record, nodeIDs, values) = records(of: run, cellID: cellID, trainID: trainID)
        return try store.insertRun(record, nodeIDs: nodeIDs, values: values)
    }

    /// The run row, the graph's node ids and the value rows the policy keeps of one run.
    private func records(of run: RunEvent, cellID: Int64?, trainID: Int64?) -> (RunRecord, [Int64], [ValueRecord]) {
        let kind: GradStore.RunKind
        switch run.kind {
        case .forward: kind = .forward
        case .backward: kind = .backward
        case .train: kind = .train
        case .replay: kind = .replay
        case .forwardMode: kind = .forwardMode
        case .gradcheck: kind = .gradcheck
        }
        // Large leaves and param gradients are kept in full only where a training call starts and ends.
        let isBoundaryStep = run.kind == .train && run.step.map { step in step == 0 || step == (run.totalSteps ?? 0) - 1 } ?? false
        var values: [ValueRecord] = []
        var nodeIDs: [Int64] = []
        if policy != .none {
            values.reserveCapacity(run.nodes.count)
            for node in run.nodes {
                guard let nodeID = nodeRecordIDs[node.name] else { continue }
                nodeIDs.append(nodeID)
                let value = storage(of: node.value, inFullByDefault: node.isLeaf, boundary: isBoundaryStep)
                let grad = node.gradient.flatMap { storage(of: $0, inFullByDefault: node.isParam, boundary: isBoundaryStep) }
                guard value != nil || grad != nil else { continue }
                values.append(ValueRecord(nodeID: nodeID, shape: node.value.shape, value: value, grad: grad))
            }
        } else {
            nodeIDs = run.nodes.compactMap { nodeRecordIDs[$0.name] }
        }
        let record = RunRecord(
            sessionID: sessionID, cellID: cellID, kind: kind, target: run.target, targetNodeID: nodeRecordIDs[run.target],
            step: run.step, loss: run.loss, startedAt: Date(timeIntervalSinceNow: -run.durationSeconds),
            durationMs: run.durationSeconds * 1000, trainID: trainID, recordPolicy: policy, optimizerJSON: run.settingsJSON,
            steps: run.steps)
        return (record, nodeIDs, values)
    }

    /// What the policy keeps of one tensor: in full, as a summary, or nothing.
    private func storage(of tensor: Tensor, inFullByDefault: Bool, boundary: Bool) -> TensorData? {
        let isScalar = tensor.rank == 0
        switch policy {
        case .all:
            return .full(tensor.scalars)
        case .none:
            return nil
        case .scalars:
            return isScalar ? .full(tensor.scalars) : nil
        case .params:
            if isScalar { return .full(tensor.scalars) }
            if inFullByDefault && (tensor.count <= Self.fullStorageLimit || boundary) { return .full(tensor.scalars) }
            return .summary(TensorSummary(summarizing: tensor.scalars))
        }
    }
}
