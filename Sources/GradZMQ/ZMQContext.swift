import CZMQ
#if canImport(Glibc)
import Glibc
#endif

/// A libzmq context. `@unchecked Sendable` because libzmq documents contexts as thread-safe
/// (every thread creates its own sockets from the one context); sockets are not, and stay
/// inside the thread that made them.
final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    init() throws {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
        Self.keepIOThreadsFromPreempting(handle)
    }

    /// Runs libzmq's I/O thread as SCHED_BATCH, which Linux never lets preempt a running thread
    /// when it wakes up. Every message the shell thread sends wakes that thread; with the normal
    /// policy the scheduler, placing it on the sender's CPU, switched to it at once, so an
    /// execute request paid a context switch and the I/O work for busy, execute_input and
    /// execute_result before its reply could even be queued (seen with perf sched: about three
    /// preemptions per request on a two-CPU machine). As a batch thread it sends on an idle CPU,
    /// or takes the whole burst in one go when the shell thread yields after a reply (see
    /// ZMQTransport) or waits for the next request. It still gets its fair share of the CPU, so
    /// heartbeats and outputs of a long cell are not starved.
    ///
    /// libzmq aborts the process if it cannot apply the policy in its thread, so the policy is
    /// first tried (and undone) on this thread: the same process may set it in any of its threads.
    private static func keepIOThreadsFromPreempting(_ context: UnsafeMutableRawPointer) {
        #if os(Linux)
        // SCHED_BATCH from <sched.h>: Linux-only, so Swift's Glibc module (no _GNU_SOURCE) hides it.
        let schedBatch: Int32 = 3
        var original = sched_param()
        var policy: Int32 = 0
        guard pthread_getschedparam(pthread_self(), &policy, &original) == 0, policy == SCHED_OTHER else { return }
        var batch = sched_param()
        batch.sched_priority = 0
        guard pthread_setschedparam(pthread_self(), schedBatch, &batch) == 0 else { return }
        guard pthread_setschedparam(pthread_self(), policy, &original) == 0 else { return }
        _ = zmq_ctx_set(context, ZMQ_THREAD_SCHED_POLICY, schedBatch)
        #endif
    }

    /// Makes every blocking call on this context's sockets fail with ETERM, so their threads wind down.
    func shutdown() {
        _ = zmq_ctx_shutdown(handle)
    }

    /// Waits until every socket is closed and pending messages are flushed (bounded by their linger).
    func terminate() {
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }
}
