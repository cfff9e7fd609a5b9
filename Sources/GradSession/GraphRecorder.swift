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
    /// K: a train() call without `checkpoint_every=` keeps a checkpoint every K steps.
    var checkpointEvery = GraphRecorder.defaultCheckpointEvery
    static let defaultCheckpointEvery = 100
    /// The train() call being recorded (see `recordTrainingStep`).
    private var training: TrainingRecording?
    /// Seconds the last train() call waited, after its loop, for its steps to be written.
    private(set) var lastWriteWait: Double?

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
            _ = try insert(run, cellID: cellID)
        }
    }

    /// Hands one training step to the call's writer thread, which records it in its own
    /// transaction, so finished steps survive whatever follows. Throws if an earlier step
    /// could not be written.
    ///
    /// Under `params` and `all` a step that is not a scheduled checkpoint is held back until
    /// the next one arrives: only then is it known not to be the last finished step, which is a
    /// checkpoint too (the training may yet be interrupted or fail). Readers see steps one step
    /// late; nothing is held beyond the statement (`finishTraining`). Under every policy the
    /// call's last step is held until the statement ends, so that the runs the statement
    /// records then (the gradients at the trained values) share its transaction.
    func recordTrainingStep(_ run: RunEvent, cellID: Int64) throws {
        let training: TrainingRecording
        if let current = self.training, run.step != 0 {
            training = current
        } else {
            try finishTraining()
            let interval = run.checkpointEvery ?? checkpointEvery
            training = TrainingRecording(writer: try TrainingWriter(store: store), interval: interval, train: TrainRecord(
                sessionID: sessionID, cellID: cellID, target: run.target, optimizerJSON: run.settingsJSON ?? "{}",
                steps: run.totalSteps ?? 0, checkpointEvery: policy.keepsCheckpoints ? interval : nil))
            self.training = training
        }
        // A train() call's steps all use the same graph: its node rows are looked up once.
        let nodeIDs = training.nodeIDs ?? self.nodeIDs(of: run)
        training.nodeIDs = nodeIDs
        if let held = training.held.take() {
            try submit(held.run, nodeIDs: held.nodeIDs, cellID: held.cellID, checkpoint: false, to: training)
        }
        let step = run.step ?? 0
        if step == (run.totalSteps ?? 0) - 1 || (policy.keepsCheckpoints && step % training.interval != 0) {
            training.held = HeldStep(run: policy == .params ? run.keepingParams() : run, nodeIDs: nodeIDs, cellID: cellID)
        } else {
            try submit(run, nodeIDs: nodeIDs, cellID: cellID, checkpoint: policy.keepsCheckpoints, to: training)
        }
    }

    /// The names of the nodes the step held back keeps alive, if a step is held.
    var heldNodeNames: [String]? {
        training?.held?.run.nodes.map(\.name)
    }

    /// Writes the step held back (the last finished one: a checkpoint where the policy keeps
    /// them), waits until the train() call's steps are all written and gives the store back to
    /// this thread. Must run before anything else uses the store; throws if a step was not
    /// written.
    ///
    /// `outcome`'s runs, when it defines nothing (a definition's node row gets its id from the
    /// database first), are stored in the last step's transaction: on a server that is one
    /// round trip and one commit less at the end of every train() statement. Returns whether
    /// they were; if not, the caller records `outcome` itself.
    @discardableResult
    func finishTraining(recording outcome: StatementOutcome? = nil, cellID: Int64? = nil) throws -> Bool {
        guard let training else { return false }
        self.training = nil
        var failure: (any Error)?
        var recorded = false
        if let held = training.held.take() {
            var following: [RunStore.NewRun] = []
            if let outcome, outcome.definitions.isEmpty {
                following = outcome.runs.map { run in
                    RunStore.NewRun(record: runRecord(of: run, cellID: cellID), nodeIDs: nodeIDs(of: run), values: values(of: run, form: .single))
                }
                recorded = true
            }
            do {
                try submit(held.run, nodeIDs: held.nodeIDs, cellID: held.cellID, checkpoint: policy.keepsCheckpoints,
                           followingRuns: following, to: training)
            } catch {
                failure = error
            }
        }
        let waitStarted = Clock.now()
        do { try training.writer.finish() } catch { failure = failure ?? error }
        lastWriteWait = Clock.now() - waitStarted
        if let failure { throw failure }
        return recorded
    }

    private func submit(_ run: RunEvent, nodeIDs: [Int64], cellID: Int64, checkpoint: Bool,
                        followingRuns: [RunStore.NewRun] = [], to training: TrainingRecording) throws {
        let values: [ValueRecord]
        if !checkpoint, policy == .params, let summarized = summarizedParams(of: run, in: training) {
            values = summarized
        } else {
            values = self.values(of: run, form: checkpoint ? .checkpoint : .trainingStep)
        }
        let step = TrainingWriter.Step(train: training.train, run: runRecord(of: run, cellID: cellID), nodeIDs: nodeIDs,
                                       values: values, checkpoint: checkpoint ? checkpointRecord(of: run) : nil,
                                       followingRuns: followingRuns)
        try training.writer.submit(step)
        training.train = nil
    }

    /// `values(of: run, form: .trainingStep)` under `params`, the loop's part of recording every
    /// step: the params are found by position (the same at every step of a call) rather than by
    /// name, and only they are read. nil if a step's nodes are not where the first step's were.
    /// (Summarizing on the writer thread instead was measured too: it freed the loop, but the
    /// writer shares the other core with the server, and the call's end waited longer for it.)
    private func summarizedParams(of run: RunEvent, in training: TrainingRecording) -> [ValueRecord]? {
        let slots = training.paramSlots ?? run.nodes.indices.compactMap { index -> ParamSlot? in
            let node = run.nodes[index]
            guard node.isParam, let nodeID = nodeRecordIDs[node.name] else { return nil }
            return ParamSlot(index: index, name: node.name, nodeID: nodeID)
        }
        training.paramSlots = slots
        var values: [ValueRecord] = []
        values.reserveCapacity(slots.count)
        for slot in slots {
            guard slot.index < run.nodes.count, run.nodes[slot.index].name == slot.name else { return nil }
            let value = run.nodes[slot.index].value
            values.append(ValueRecord(nodeID: slot.nodeID, shape: value.shape, value: Self.betweenCheckpoints(value),
                                      grad: run.nodes[slot.index].gradient.map(Self.betweenCheckpoints)))
        }
        return values
    }

    private func insert(_ run: RunEvent, cellID: Int64?) throws -> Int64 {
        try store.insertRun(runRecord(of: run, cellID: cellID), nodeIDs: nodeIDs(of: run), values: values(of: run, form: .single))
    }

    /// The graph's node definitions, recorded whatever the policy (what replay rebuilds).
    private func nodeIDs(of run: RunEvent) -> [Int64] {
        run.nodes.compactMap { nodeRecordIDs[$0.name] }
    }

    private func runRecord(of run: RunEvent, cellID: Int64?) -> RunRecord {
        let kind: GradStore.RunKind
        switch run.kind {
        case .forward: kind = .forward
        case .backward: kind = .backward
        case .train: kind = .train
        case .replay: kind = .replay
        case .forwardMode: kind = .forwardMode
        case .gradcheck: kind = .gradcheck
        }
        return RunRecord(
            sessionID: sessionID, cellID: cellID, kind: kind, target: run.target, targetNodeID: nodeRecordIDs[run.target],
            step: run.step, loss: run.loss, startedAt: Date(timeIntervalSinceNow: -run.durationSeconds),
            durationMs: run.durationSeconds * 1000, recordPolicy: policy, optimizerJSON: run.settingsJSON, steps: run.steps)
    }

    /// Which of the `params` policy's three forms a run takes (SPEC §3).
    private enum ValueForm {
        /// A forward or backward run: scalars, leaves and param gradients in full up to
        /// `fullStorageLimit` elements, the rest as summaries.
        case single
        /// A training step between checkpoints: the params' values and gradients as summaries.
        case trainingStep
        /// A checkpoint: the params' values and gradients in full.
        case checkpoint
    }

    /// The value rows the policy keeps of one run.
    private func values(of run: RunEvent, form: ValueForm) -> [ValueRecord] {
        guard policy != .none else { return [] }
        var values: [ValueRecord] = []
        values.reserveCapacity(run.nodes.count)
        for node in run.nodes {
            guard let nodeID = nodeRecordIDs[node.name] else { continue }
            let value: TensorData?
            let grad: TensorData?
            switch (policy, form) {
            case (.none, _):
                continue
            case (.all, _):
                value = .full(node.value.scalars)
                grad = node.gradient.map { .full($0.scalars) }
            case (.scalars, _):
                value = node.value.rank == 0 ? .full(node.value.scalars) : nil
                grad = node.gradient.flatMap { $0.rank == 0 ? .full($0.scalars) : nil }
            case (.params, .single):
                value = Self.fullOrSummary(node.value, full: node.value.rank == 0 || (node.isLeaf && node.value.count <= Self.fullStorageLimit))
                grad = node.gradient.map { Self.fullOrSummary($0, full: $0.rank == 0 || (node.isParam && $0.count <= Self.fullStorageLimit)) }
            case (.params, .trainingStep):
                guard node.isParam else { continue }
                value = Self.betweenCheckpoints(node.value)
                grad = node.gradient.map(Self.betweenCheckpoints)
            case (.params, .checkpoint):
                guard node.isParam else { continue }
                value = .full(node.value.scalars)
                grad = node.gradient.map { .full($0.scalars) }
            }
            guard value != nil || grad != nil else { continue }
            values.append(ValueRecord(nodeID: nodeID, shape: node.value.shape, value: value, grad: grad))
        }
        return values
    }

    private static func fullOrSummary(_ tensor: Tensor, full: Bool) -> TensorData {
        full ? .full(tensor.scalars) : .summary(TensorSummary(summarizing: tensor.scalars))
    }

    /// A param's value or gradient at a training step between checkpoints: a summary, except
    /// that a one-element tensor is stored in full (SPEC §3).
    private static func betweenCheckpoints(_ tensor: Tensor) -> TensorData {
        fullOrSummary(tensor, full: tensor.count == 1)
    }

    /// The optimizer's state of a training step, keyed by the params' node rows.
    private func checkpointRecord(of run: RunEvent) -> CheckpointRecord? {
        guard let state = run.optimizerState else { return nil }
        var shapes: [String: [Int]] = [:]
        for node in run.nodes where node.isParam { shapes[node.name] = node.value.shape }
        var buffers: [OptimizerBufferRecord] = []
        for (name, slots) in state.buffers.sorted(by: { $0.key < $1.key }) {
            guard let nodeID = nodeRecordIDs[name], let shape = shapes[name] else { continue }
            for (slot, elements) in slots.sorted(by: { $0.key < $1.key }) {
                buffers.append(OptimizerBufferRecord(nodeID: nodeID, slot: slot.rawValue, shape: shape, elements: elements))
            }
        }
        return CheckpointRecord(optimizerSteps: state.stepCount, buffers: buffers)
    }
}

/// One train() call being recorded.
private final class TrainingRecording {
    let writer: TrainingWriter
    /// K: steps 0, K, 2K, ... are checkpoints, and the last finished step.
    let interval: Int
    /// The call's row, until the first step carries it to the writer.
    var train: TrainRecord?
    var held: HeldStep?
    /// The node rows of the call's graph, the same at every step.
    var nodeIDs: [Int64]?
    /// Where the call's params are among a step's nodes (see `summarizedParams`).
    var paramSlots: [ParamSlot]?

    init(writer: TrainingWriter, interval: Int, train: TrainRecord) {
        self.writer = writer
        self.interval = max(1, interval)
        self.train = train
    }
}

/// A param's place among a training step's nodes, and its node row.
private struct ParamSlot {
    var index: Int
    var name: String
    var nodeID: Int64
}

/// A training step not yet handed to the writer (see `GraphRecorder.recordTrainingStep`).
///
/// Under `params` it holds the step's params only, which is all that policy records of a
/// training step. Holding every node kept the step's activations and their gradients alive
/// while the next step computed its own: two steps' worth at the peak (a 2000×256 → 512 →
/// 512 → 16 MLP: 230 MB resident against 207 MB).
private struct HeldStep {
    var run: RunEvent
    var nodeIDs: [Int64]
    var cellID: Int64
}

private extension RunEvent {
    /// The run with its params' nodes only (their values are not copied: the optimizer's
    /// in-place update copies each param once, as it would for any other holder).
    func keepingParams() -> RunEvent {
        var params = self
        params.nodes = nodes.filter(\.isParam)
        return params
    }
}

extension RecordPolicy {
    /// Whether train() calls under this policy store checkpoints.
    var keepsCheckpoints: Bool { self == .all || self == .params }
}
