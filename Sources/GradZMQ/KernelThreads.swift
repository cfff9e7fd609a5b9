import Dispatch
import Foundation
import GradJupyter

/// A thread that can be waited for.
final class ThreadHandle: Sendable {
    fileprivate let finished = DispatchGroup()

    func waitUntilFinished() {
        finished.wait()
    }
}

/// The kernel's helper threads: started together, each reports whether its sockets bound, and
/// the kernel waits for them to finish before terminating the context.
final class KernelThreads: Sendable {
    private let started = DispatchGroup()
    private let startupErrors = Locked<[String]>([])

    /// Runs `body` on a new thread. `body` must call `ready` exactly once, with an error message
    /// if it could not set up its sockets, before it starts serving.
    @discardableResult
    func spawn(_ name: String, _ body: @escaping @Sendable (_ ready: @Sendable (String?) -> Void) -> Void) -> ThreadHandle {
        let handle = ThreadHandle()
        let finished = handle.finished
        finished.enter()
        started.enter()
        let thread = Thread { [started, startupErrors] in
            let reported = Locked(false)
            let ready: @Sendable (String?) -> Void = { error in
                let first = reported.withLock { done in
                    defer { done = true }
                    return !done
                }
                guard first else { return }
                if let error { startupErrors.withLock { $0.append("\(name): \(error)") } }
                started.leave()
            }
            body(ready)
            ready("stopped before it was ready")
            finished.leave()
        }
        thread.name = "gradbook-\(name)"
        thread.start()
        return handle
    }

    /// Waits until every spawned thread called `ready`; returns their startup errors.
    func waitUntilReady() -> [String] {
        started.wait()
        return startupErrors.current
    }
}
