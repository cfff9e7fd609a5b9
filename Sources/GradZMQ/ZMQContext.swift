import CZMQ

/// A libzmq context. `@unchecked Sendable` because libzmq documents contexts as thread-safe
/// (every thread creates its own sockets from the one context); sockets are not, and stay
/// inside the thread that made them.
final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    init() throws {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
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
