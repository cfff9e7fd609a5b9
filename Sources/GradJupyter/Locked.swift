import Foundation

/// A value shared between the shell thread, the control thread and signal handlers.
///
/// `@unchecked Sendable` is justified by the lock: `value` is read and written only inside
/// `withLock`, and `Value: Sendable` keeps references from escaping it unprotected.
public final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) {
        self.value = value
    }

    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    public var current: Value {
        withLock { $0 }
    }
}
