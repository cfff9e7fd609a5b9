import Foundation

/// Writes the steps of one train() call on a thread of its own, each step in its own
/// transaction, in the order they were submitted.
///
/// Why a thread: a recorded step costs a transaction of a dozen pages and the formatting of
/// every param as JSON, which on a small model takes longer than the step itself. Done beside
/// the training loop, on the machine's other core, it costs the loop only the hand-over, as
/// TensorBoard's event writer does for PyTorch users.
///
/// The store belongs to the writer from `init` until `finish()` returns: its owner must not
/// use it in between. At most `capacity` steps, holding at most `valueBudget` numbers between
/// them, wait; `submit` blocks beyond that, so a writer slower than the training loop slows the
/// loop instead of holding every step in memory. A step that cannot be written stops the
/// writer: the next `submit` and `finish()` throw that error, and the steps before it stay
/// committed.
public final class TrainingWriter: @unchecked Sendable {
    // @unchecked: `store` and `currentTrainID` are touched by the writer thread only, and by
    // nobody else until `finish()` has seen the last step written (the condition's lock
    // orders the two threads); everything else is guarded by `condition`.

    /// One step as the store records it. `run.trainID` is filled in by the writer.
    public struct Step: Sendable {
        /// The train row, for a call's first step only.
        public var train: TrainRecord?
        public var run: RunRecord
        public var nodeIDs: [Int64]
        public var values: [ValueRecord]

        public init(train: TrainRecord?, run: RunRecord, nodeIDs: [Int64], values: [ValueRecord]) {
            self.train = train
            self.run = run
            self.nodeIDs = nodeIDs
            self.values = values
        }

        /// The numbers the step holds in full (what it costs to keep it queued).
        var heldValues: Int {
            values.reduce(0) { total, record in total &+ record.value.heldValues &+ record.grad.heldValues }
        }
    }

    private let store: RunStore
    private let capacity: Int
    private let valueBudget: Int
    private var queuedValues = 0
    private let condition = NSCondition()
    /// Queued steps from `pendingStart` on; the writer clears the ones it has taken.
    private var pending: [Step?] = []
    private var pendingStart = 0
    private var submitted = 0
    private var written = 0
    private var closing = false
    private var failure: (any Error)?
    private var currentTrainID: Int64?
    private var runIDs: [Int64] = []

    /// Starts the writer thread.
    public init(store: RunStore, capacity: Int = 64, valueBudget: Int = 4_000_000) {
        self.store = store
        self.capacity = Swift.max(1, capacity)
        self.valueBudget = valueBudget
        let thread = Thread { [self] in writeUntilClosed() }
        thread.name = "gradbook-training-writer"
        thread.start()
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
        pending.append(step)
        queuedValues &+= held
        submitted += 1
        condition.broadcast()
    }

    /// Waits until every queued step is written (or the writer failed) and stops the thread;
    /// returns the run ids written, in order. After this the store is its owner's again.
    @discardableResult
    public func finish() throws -> [Int64] {
        condition.lock()
        defer { condition.unlock() }
        closing = true
        condition.broadcast()
        // A failed writer still counts the steps it discards, so this also waits until it is
        // out of the store.
        while written < submitted {
            condition.wait()
        }
        if let failure { throw failure }
        return runIDs
    }

    private func writeUntilClosed() {
        while let step = nextStep() {
            var error: (any Error)?
            if failureSoFar() == nil {
                do { try write(step) } catch let caught { error = caught }
            }
            condition.lock()
            if let error, failure == nil { failure = error }
            written += 1
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The next queued step, or nil once `finish()` was called and nothing is left.
    private func nextStep() -> Step? {
        condition.lock()
        defer { condition.unlock() }
        while pendingStart == pending.count && !closing {
            condition.wait()
        }
        guard pendingStart < pending.count, let step = pending[pendingStart] else { return nil }
        pending[pendingStart] = nil
        pendingStart += 1
        queuedValues &-= step.heldValues
        condition.broadcast()
        return step
    }

    private func failureSoFar() -> (any Error)? {
        condition.lock()
        defer { condition.unlock() }
        return failure
    }

    private func write(_ step: Step) throws {
        try store.beginTrainingWrites()
        let runID = try store.transaction {
            if let train = step.train {
                currentTrainID = try store.beginTrain(train)
            }
            var run = step.run
            run.trainID = currentTrainID
            return try store.insertRun(run, nodeIDs: step.nodeIDs, values: step.values)
        }
        runIDs.append(runID)
    }
}

private extension Optional where Wrapped == TensorData {
    var heldValues: Int {
        if case .full(let elements)? = self { return elements.count }
        return 0
    }
}
