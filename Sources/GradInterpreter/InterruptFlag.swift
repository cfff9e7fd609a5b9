import Synchronization

/// Set from a signal handler's thread or a Jupyter control thread, read between training steps,
/// so Ctrl-C stops a long `train` after the current step and keeps what was done.
public final class InterruptFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    public init() {}

    public func raise() { raised.store(true, ordering: .relaxed) }

    /// Reads and clears: one interrupt stops one running statement.
    public func consume() -> Bool { raised.exchange(false, ordering: .relaxed) }

    public var isRaised: Bool { raised.load(ordering: .relaxed) }
}
