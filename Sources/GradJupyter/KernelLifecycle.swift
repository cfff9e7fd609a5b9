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
    private let interruptHandler: @Sendable () -> Void

    public init(interruptHandler: @escaping @Sendable () -> Void) {
        self.interruptHandler = interruptHandler
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
        if running { interruptHandler() }
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
