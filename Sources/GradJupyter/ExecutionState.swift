/// The shell channel's bookkeeping as a state machine: events in, decisions out, no I/O.
///
/// - The execution counter advances for each execute that stores history (silent ones never do).
/// - After a failed execute with `stop_on_error`, queued execute requests are aborted until the
///   queue has drained, so a notebook's "run all" stops at the first failing cell.
public struct ExecutionState: Sendable, Equatable {
    public enum Decision: Sendable, Equatable {
        case run(executionCount: Int)
        case abort
    }

    public private(set) var executionCount = 0
    public private(set) var isAborting = false

    public init() {}

    public mutating func executeRequested(storeHistory: Bool) -> Decision {
        guard !isAborting else { return .abort }
        if storeHistory && executionCount < Int.max {
            executionCount += 1
        }
        return .run(executionCount: executionCount)
    }

    public mutating func executeFinished(failed: Bool, stopOnError: Bool) {
        if failed && stopOnError {
            isAborting = true
        }
    }

    /// No more requests are waiting: the next execute runs again.
    public mutating func queueDrained() {
        isAborting = false
    }
}
