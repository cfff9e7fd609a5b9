import Foundation

/// One thread that runs jobs one at a time and waits, asleep, between them: the training
/// writer's, kept by its store from one train() call to the next.
///
/// Why not a thread per call: a new thread started while the training loop holds one core and
/// the other is busy began running ~2 ms after it was created (measured, 2 cores: the scheduler
/// places it beside its creator until the next timeslice), so a call's first steps waited in
/// the queue that long; a sleeping thread that is woken runs at once on the idle core.
final class WorkerThread: @unchecked Sendable {
    // @unchecked: every field is guarded by `condition`.
    private let condition = NSCondition()
    private var job: (() -> Void)?
    /// A job was handed over and has not returned yet.
    private var busy = false
    private var stopping = false
    private var thread: JoinableThread?

    init(name: String) throws {
        thread = try JoinableThread(name: name) { [self] in runJobs() }
    }

    /// Hands `body` to the thread; false (nothing done) if the previous job has not returned.
    func start(_ body: @escaping () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !busy, !stopping else { return false }
        job = body
        busy = true
        condition.broadcast()
        return true
    }

    /// Waits until the job handed over has returned and its captures are released.
    func waitUntilIdle() {
        condition.lock()
        defer { condition.unlock() }
        while busy { condition.wait() }
    }

    /// Ends the thread after its job, if any, and waits for it (unless called on it).
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
        if thread?.isCurrent == false { thread?.join() }
    }

    private func runJobs() {
        while true {
            condition.lock()
            while job == nil && !stopping { condition.wait() }
            var next = job
            job = nil
            condition.unlock()
            guard next != nil else { return }
            next?()
            // Released before the job counts as done: its captures (a writer and its store)
            // are the caller's alone again when `waitUntilIdle` returns.
            next = nil
            condition.lock()
            busy = false
            condition.broadcast()
            condition.unlock()
        }
    }
}
