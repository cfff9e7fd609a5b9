/// State the shell and control threads share: whether a cell is running (so an interrupt
/// reaches it and only it), and whether shutdown was requested.
public final class KernelLifecycle: Sendable {
    public struct ShutdownRequest: Sendable, Equatable {
        public var restart: Bool

        public init(restart: Bool) {
            self.restart = restart
        }
    }

    private struct State {
        var isExecuting = false
        var shutdown: ShutdownRequest?
    }

    private let state = Locked(State())
    private let interruptHandler: Locked<(@Sendable () -> Void)?>

    public init(interruptHandler: (@Sendable () -> Void)? = nil) {
        self.interruptHandler = Locked(interruptHandler)
    }

    /// Installs the handler once the interpreter exists (kernels bind their sockets first).
    /// No cell runs before that, so no interrupt is lost.
    public func setInterruptHandler(_ handler: @escaping @Sendable () -> Void) {
        interruptHandler.withLock { $0 = handler }
    }

    public var shutdownRequest: ShutdownRequest? {
        state.withLock { $0.shutdown }
    }

    public var isExecuting: Bool {
        state.withLock { $0.isExecuting }
    }

    /// Interrupts the running cell, if any; true when one was running.
    @discardableResult
    public func interrupt() -> Bool {
        let running = state.withLock { $0.isExecuting }
        if running, let handler = interruptHandler.withLock({ $0 }) { handler() }
        return running
    }

    /// Records the request (the first one wins) and interrupts a running cell so the shell thread
    /// gets to shut down promptly.
    public func requestShutdown(restart: Bool) {
        state.withLock { state in
            if state.shutdown == nil { state.shutdown = ShutdownRequest(restart: restart) }
        }
        interrupt()
    }

    func executionStarted() {
        state.withLock { $0.isExecuting = true }
    }

    func executionEnded() {
        state.withLock { $0.isExecuting = false }
    }
}
