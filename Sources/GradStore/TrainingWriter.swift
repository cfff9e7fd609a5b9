import Foundation

/// Writes the steps of one train() call on the store's writer thread, in the order they were
/// submitted, each step whole or not at all.
///
/// Why a thread: a recorded step costs a transaction of a dozen pages and the formatting of
/// every param as JSON, which on a small model takes longer than the step itself. Done beside
/// the training loop, on the machine's other core, it costs the loop only the hand-over, as
/// TensorBoard's event writer does for PyTorch users.
///
/// Group commit: a step the writer finds alone in the queue is committed in its own
/// transaction, so readers see it at once. When the loop runs ahead, the writer takes every
/// step waiting (up to `groupLimit`) and commits them together, as databases do with
/// concurrent commits: most of a commit's cost is rewriting the same table and index pages
/// and the log's frame headers, paid then once per group instead of once per step. A step is
/// still never half-written, and a crash loses at most the steps not yet committed, which
/// the queue holds either way.
///
/// The store belongs to the writer from `init` until `finish()` returns: its owner must not
/// use it in between. At most `capacity` steps, holding at most `valueBudget` numbers between
/// them, wait; `submit` blocks beyond that, so a writer slower than the training loop slows the
/// loop instead of holding every step in memory. A step that cannot be written stops the
/// writer: the next `submit` and `finish()` throw that error, and the steps before it stay
/// committed.
public final class TrainingWriter: @unchecked Sendable {
    // @unchecked: `store`, `currentTrainID` and `runIDs` are touched by the writer thread
    // only, and by nobody else until `finish()` has seen its job end; everything else is
    // guarded by `condition`.

    /// One step as the store records it. `run.trainID` is filled in by the writer.
    public struct Step: Sendable {
        /// The train row, for a call's first step only.
        public var train: TrainRecord?
        public var run: RunRecord
        public var nodeIDs: [Int64]
        public var values: [ValueRecord]
        /// Set when the step is a checkpoint (its values then hold every param in full).
        public var checkpoint: CheckpointRecord?
        /// Runs stored right after the step, in its transaction, outside the train() call (the
        /// backward pass the statement records when training ends, with the call's last step).
        public var followingRuns: [RunStore.NewRun]

        public init(train: TrainRecord?, run: RunRecord, nodeIDs: [Int64], values: [ValueRecord],
                    checkpoint: CheckpointRecord? = nil, followingRuns: [RunStore.NewRun] = []) {
            self.train = train
            self.run = run
            self.nodeIDs = nodeIDs
            self.values = values
            self.checkpoint = checkpoint
            self.followingRuns = followingRuns
        }

        /// The tensors (not scalars) the step and its following runs hold in full: at most that
        /// many tensor rows.
        var fullTensors: Int {
            followingRuns.reduce(RunStore.fullTensorCount(of: values)) { $0 + RunStore.fullTensorCount(of: $1.values) }
        }

        /// The numbers the step holds in full (what it costs to keep it queued).
        var heldValues: Int {
            let buffers = checkpoint?.buffers.reduce(0) { total, buffer in total &+ buffer.elements.count } ?? 0
            return followingRuns.reduce(Self.heldValues(of: values, startingAt: buffers)) { total, run in
                Self.heldValues(of: run.values, startingAt: total)
            }
        }

        private static func heldValues(of values: [ValueRecord], startingAt start: Int) -> Int {
            values.reduce(start) { total, record in total &+ record.value.heldValues &+ record.grad.heldValues }
        }
    }

    private let store: RunStore
    private let capacity: Int
    private let groupLimit: Int
    private let valueBudget: Int
    private var queuedValues = 0
    private let condition = NSCondition()
    /// Queued steps from `pendingStart` on; the writer clears the ones it has taken.
    private var pending: [(step: Step, heldValues: Int)?] = []
    private var pendingStart = 0
    private var closing = false
    private var failure: (any Error)?
    private var currentTrainID: Int64?
    private var runIDs: [Int64] = []
    /// The store's writer thread, or a thread of this writer's own if that one is still busy
    /// with a writer nobody finished.
    private var sharedThread: WorkerThread?
    private var ownThread: JoinableThread?

    /// Starts the writer thread.
    /// - Parameter groupLimit: the most steps committed in one transaction (1: one each).
    public init(store: RunStore, capacity: Int = 64, valueBudget: Int = 4_000_000, groupLimit: Int = 64) throws {
        self.store = store
        self.capacity = Swift.max(1, capacity)
        self.valueBudget = valueBudget
        self.groupLimit = Swift.max(1, groupLimit)
        let shared = try store.trainingWriterThread()
        if shared.start({ [self] in writeUntilClosed() }) {
            sharedThread = shared
        } else {
            ownThread = try JoinableThread(name: "gradbook-writer") { [self] in writeUntilClosed() }
        }
    }

    /// Queues a step, waiting while the queue is full (see the type's documentation). Throws the
    /// error that stopped the writer, if one did.
    public func submit(_ step: Step) throws {
        condition.lock()
        defer { condition.unlock() }
        let held = step.heldValues
        // One step always fits, however large: otherwise a big model could never record.
        while failure == nil && pending.count > pendingStart
            && (pending.count - pendingStart >= capacity || queuedValues &+ held > valueBudget) {
            condition.wait()
        }
        if let failure { throw failure }
        if pendingStart >= capacity {
            pending.removeFirst(pendingStart)
            pendingStart = 0
        }
        pending.append((step, held))
        queuedValues &+= held
        condition.broadcast()
    }

    /// Waits until every queued step is written (or the writer failed) and stops the thread;
    /// returns the run ids written (steps' and their following runs'), in order. After this the
    /// store is its owner's again.
    @discardableResult
    public func finish() throws -> [Int64] {
        condition.lock()
        closing = true
        condition.broadcast()
        condition.unlock()
        // The job ends once the queue is empty; after that it holds nothing of the store, so
        // the store closes when its owner lets it go (even if the process then exits).
        sharedThread?.waitUntilIdle()
        ownThread?.join()
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        return runIDs
    }

    private func writeUntilClosed() {
        while true {
            let group = nextSteps()
            if group.isEmpty { return }
            var error: (any Error)?
            if failureSoFar() == nil {
                do { try write(group) } catch let caught { error = caught }
            }
            condition.lock()
            if let error, failure == nil { failure = error }
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The steps waiting (at most `groupLimit`), or none once `finish()` was called and
    /// nothing is left.
    private func nextSteps() -> [Step] {
        condition.lock()
        defer { condition.unlock() }
        while pendingStart == pending.count && !closing {
            condition.wait()
        }
        var group: [Step] = []
        while group.count < groupLimit, pendingStart < pending.count, let queued = pending[pendingStart] {
            pending[pendingStart] = nil
            pendingStart += 1
            queuedValues &-= queued.heldValues
            group.append(queued.step)
        }
        condition.broadcast()
        return group
    }

    private func failureSoFar() -> (any Error)? {
        condition.lock()
        defer { condition.unlock() }
        return failure
    }

    /// Commits `group` in one transaction; if that fails, commits its steps one by one, so the
    /// steps before the one that cannot be written are kept and the error names that one.
    private func write(_ group: [Step]) throws {
        if group.count > 1 {
            let trainIDBefore = currentTrainID
            do {
                runIDs.append(contentsOf: try insert(group[...]))
                return
            } catch {
                currentTrainID = trainIDBefore
            }
        }
        for index in group.indices {
            let trainIDBefore = currentTrainID
            do {
                runIDs.append(contentsOf: try insert(group[index...index]))
            } catch {
                currentTrainID = trainIDBefore
                throw error
            }
        }
    }

    /// Stores `steps` and their following runs in one transaction (see `RunStore.insertRuns`)
    /// and returns their run ids. `insertRunsInTransaction`: a failure rolls the whole
    /// transaction back here anyway.
    private func insert(_ steps: ArraySlice<Step>) throws -> [Int64] {
        try store.transaction {
            // The group's ids, if the store has not enough of them left, in one query sent with
            // BEGIN (outside the transaction it would be one more commit to flush).
            try store.reserveIDs([(.train, steps.filter { $0.train != nil }.count),
                                  (.run, steps.reduce(0) { $0 + 1 + $1.followingRuns.count }),
                                  (.tensor, steps.reduce(0) { $0 + $1.fullTensors })])
            var runs: [RunStore.NewRun] = []
            var checkpoints: [CheckpointRecord?] = []
            runs.reserveCapacity(steps.count)
            for step in steps {
                if let train = step.train {
                    currentTrainID = try store.beginTrain(train)
                }
                var run = step.run
                run.trainID = currentTrainID
                runs.append(RunStore.NewRun(record: run, nodeIDs: step.nodeIDs, values: step.values))
                checkpoints.append(step.checkpoint)
                runs += step.followingRuns
                checkpoints += step.followingRuns.map { _ in nil }
            }
            return try store.insertRunsInTransaction(runs) { index, runID in
                if let checkpoint = checkpoints[index] {
                    try store.insertCheckpointRows(runID: runID, checkpoint)
                }
            }
        }
    }
}

private extension Optional where Wrapped == TensorData {
    var heldValues: Int {
        if case .full(let elements)? = self { return elements.count }
        return 0
    }
}
