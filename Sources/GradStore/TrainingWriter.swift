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
/// On a server, a group's COMMIT is sent without waiting for its answer, and the writer waits
/// for that answer and for the end of the call together: the steps left when the call ends
/// (the last one a checkpoint under `params`) are put together while the server commits the
/// group before them, and sent the moment it answers. Their ids are reserved ahead for that,
/// with the group before (the rest of the call's runs and a checkpoint's tensors), so that
/// building them needs no word with the server. The call's end waits for the server's work,
/// not for the writer's too. If the group before fails, the rows built ahead are dropped
/// (they may name its rows) and built again.
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

    /// A group's rows built ahead, and the checkpoint stored with each of its runs (in order).
    private struct BuiltGroup {
        var rows: RunStore.GroupRows
        var checkpoints: [CheckpointRecord?]
    }

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
    /// The steps the call will submit (its train row's), and how many the writer has taken.
    private var expectedSteps = 0
    private var stepsTaken = 0
    /// The most full tensors one step taken so far held (a checkpoint's), and the most node
    /// definitions one step's graph had.
    private var largestStepTensors = 0
    private var largestGraph = 0
    private var keepsCheckpoints = false
    /// Steps whose rows were built while the server committed the group before them (what
    /// tests check); guarded by `condition`.
    private var builtAheadCount = 0
    /// Wakes the writer waiting for a commit's answer when `finish()` is called; nil on a
    /// backend whose commits are answered at once (SQLite).
    private let wakePipe: WakePipe?
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
        wakePipe = store.connection.answerDescriptor == nil ? nil : try WakePipe()
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
        wakePipe?.wake()
        // The job ends once the queue is empty; after that it holds nothing of the store, so
        // the store closes when its owner lets it go (even if the process then exits).
        sharedThread?.waitUntilIdle()
        ownThread?.join()
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        return runIDs
    }

    /// Steps so far whose rows were built while the server committed the group before them.
    var stepsBuiltAhead: Int {
        condition.lock()
        defer { condition.unlock() }
        return builtAheadCount
    }

    private func writeUntilClosed() {
        var taken: [Step] = []
        var builtAhead: BuiltGroup?
        while true {
            let group = taken.isEmpty ? nextSteps() : taken
            if group.isEmpty { return }
            taken = []
            let groupBuiltAhead = builtAhead.take()
            var error: (any Error)?
            if failureSoFar() == nil {
                do {
                    (taken, builtAhead) = try write(group, builtAhead: groupBuiltAhead)
                } catch let caught {
                    error = caught
                }
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
        return takeWaitingSteps()
    }

    /// The steps waiting, at most `groupLimit`; the lock held.
    private func takeWaitingSteps() -> [Step] {
        var group: [Step] = []
        while group.count < groupLimit, pendingStart < pending.count, let queued = pending[pendingStart] {
            pending[pendingStart] = nil
            pendingStart += 1
            queuedValues &-= queued.heldValues
            group.append(queued.step)
        }
        stepsTaken += group.count
        condition.broadcast()
        return group
    }

    /// The steps left once `finish()` was called, if there are any (none before).
    private func stepsLeftAtTheEnd() -> [Step] {
        condition.lock()
        defer { condition.unlock() }
        return closing ? takeWaitingSteps() : []
    }

    private func failureSoFar() -> (any Error)? {
        condition.lock()
        defer { condition.unlock() }
        return failure
    }

    /// Commits `group` in one transaction; if that fails, commits its steps one by one, so the
    /// steps before the one that cannot be written are kept and the error names that one.
    /// Returns the steps taken meanwhile (the call's last, while the server committed `group`)
    /// with their rows if they could be built then.
    private func write(_ group: [Step], builtAhead: BuiltGroup?) throws -> ([Step], BuiltGroup?) {
        var taken: [Step] = []
        var takenRows: BuiltGroup?
        let trainIDBefore = currentTrainID
        do {
            let ids = try send(group[...], builtAhead: builtAhead)
            if ids.sentAhead {
                if waitForAnswerOrTheEnd() {
                    taken = stepsLeftAtTheEnd()
                    takenRows = buildAhead(taken)
                }
                try store.connection.finishCommit()
            }
            runIDs.append(contentsOf: ids.runIDs)
            return (taken, takenRows)
        } catch {
            currentTrainID = trainIDBefore
            guard group.count > 1 else { throw error }
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
        // Rows built while the group's transaction was in flight may name what its rollback
        // took back: they are built again.
        return (taken, nil)
    }

    /// Stores `steps` and their following runs in one transaction, its commit sent ahead where
    /// the backend can (then `finishCommit()` reads the answer), and returns their run ids.
    /// A failure rolls the whole transaction back.
    private func send(_ steps: ArraySlice<Step>, builtAhead: BuiltGroup?) throws -> (runIDs: [Int64], sentAhead: Bool) {
        var runIDs: [Int64] = []
        let sentAhead = try store.connection.transactionCommittingAhead {
            if let builtAhead {
                runIDs = try store.insertGroupRows(builtAhead.rows, afterEach: storing(builtAhead.checkpoints))
            } else {
                runIDs = try insertInTransaction(steps)
            }
        }
        return (runIDs, sentAhead)
    }

    /// Stores `steps` and their following runs in one transaction (see `RunStore.insertRuns`)
    /// and returns their run ids; the answer waited for.
    private func insert(_ steps: ArraySlice<Step>) throws -> [Int64] {
        try store.transaction { try insertInTransaction(steps) }
    }

    /// `insert`'s body. `insertRunsInTransaction`: a failure rolls the whole transaction back
    /// here anyway.
    private func insertInTransaction(_ steps: ArraySlice<Step>) throws -> [Int64] {
        for step in steps {
            if let train = step.train {
                expectedSteps = train.steps
                keepsCheckpoints = train.checkpointEvery != nil
            }
            largestStepTensors = Swift.max(largestStepTensors, step.fullTensors)
            largestGraph = Swift.max(largestGraph, step.nodeIDs.count)
        }
        // The group's ids, if the store has not enough of them left, in one query sent with
        // BEGIN (outside the transaction it would be one more commit to flush), with those of
        // the steps still to come: the call's last group can then be built while the group
        // before it commits. Runs: one per step, and one for the run the statement records with
        // the last (an id left unused is the session's next run's). Tensors: those of a
        // checkpoint and of the run recorded with the last one (at most a value and a gradient
        // per node of the graph), where the call keeps checkpoints; those left unused are the
        // next checkpoint's.
        let runsAhead = expectedSteps > stepsTaken ? expectedSteps - stepsTaken + 1 : 0
        let tensorsAhead = keepsCheckpoints && expectedSteps > stepsTaken ? largestStepTensors + 2 * largestGraph : 0
        try store.reserveIDs([(.train, steps.filter { $0.train != nil }.count),
                              (.run, steps.reduce(runsAhead) { $0 + 1 + $1.followingRuns.count }),
                              (.tensor, steps.reduce(tensorsAhead) { $0 + $1.fullTensors })])
        let (runs, checkpoints) = try newRuns(of: steps, beginningTrains: true)
        return try store.insertRunsInTransaction(runs, afterEach: storing(checkpoints))
    }

    /// What stores each run's checkpoint, if it has one, after the run's rows.
    private func storing(_ checkpoints: [CheckpointRecord?]) -> (Int, Int64) throws -> Void {
        { [store] index, runID in
            if let checkpoint = checkpoints[index] {
                try store.insertCheckpointRows(runID: runID, checkpoint)
            }
        }
    }

    /// The runs `steps` store, in order, and the checkpoint each stores with it. With
    /// `beginningTrains`, a step's train row is stored first (in the open transaction).
    private func newRuns(of steps: ArraySlice<Step>, beginningTrains: Bool) throws -> ([RunStore.NewRun], [CheckpointRecord?]) {
        var runs: [RunStore.NewRun] = []
        var checkpoints: [CheckpointRecord?] = []
        runs.reserveCapacity(steps.count)
        for step in steps {
            if beginningTrains, let train = step.train {
                currentTrainID = try store.beginTrain(train)
            }
            var run = step.run
            run.trainID = currentTrainID
            runs.append(RunStore.NewRun(record: run, nodeIDs: step.nodeIDs, values: step.values))
            checkpoints.append(step.checkpoint)
            runs += step.followingRuns
            checkpoints += step.followingRuns.map { _ in nil }
        }
        return (runs, checkpoints)
    }

    /// Waits for the answer to the commit sent ahead, or for the call to end while it is on
    /// its way: true then, if steps are left to write (the caller builds them meanwhile).
    private func waitForAnswerOrTheEnd() -> Bool {
        guard let wakePipe, let socket = store.connection.answerDescriptor else { return false }
        while !store.connection.commitAnswered() {
            condition.lock()
            let ended = closing
            let stepsLeft = pendingStart < pending.count
            condition.unlock()
            if ended { return stepsLeft }
            wakePipe.wait(untilReadable: socket)
        }
        return false
    }

    /// The rows of `steps`, built while the server commits the group before them; nil if that
    /// needs the server (a new train row, a graph not seen yet, ids not reserved) or fails (the
    /// steps are then written as any others, and fail there with their error).
    private func buildAhead(_ steps: [Step]) -> BuiltGroup? {
        guard !steps.isEmpty, !steps.contains(where: { $0.train != nil }),
              let (runs, checkpoints) = try? newRuns(of: steps[...], beginningTrains: false) else { return nil }
        do {
            guard let rows = try store.groupRowsBuiltAhead(runs) else { return nil }
            condition.lock()
            builtAheadCount += steps.count
            condition.unlock()
            return BuiltGroup(rows: rows, checkpoints: checkpoints)
        } catch {
            // It may have taken ids and cached tensors it will not store.
            store.forgetCachedRows()
            return nil
        }
    }
}

private extension Optional where Wrapped == TensorData {
    var heldValues: Int {
        if case .full(let elements)? = self { return elements.count }
        return 0
    }
}
