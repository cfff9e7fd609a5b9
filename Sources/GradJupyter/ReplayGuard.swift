/// Remembers the signatures of recently accepted messages so that a captured message replayed
/// on the wire is dropped, as jupyter_client does for the kernel's messages. Bounded: the oldest
/// signature is forgotten once `capacity` are held.
public final class ReplayGuard: Sendable {
    private struct State {
        var seen: Set<[UInt8]> = []
        var order: [[UInt8]] = []
        var oldest = 0
    }

    private let capacity: Int
    private let state = Locked(State())

    public init(capacity: Int = 65_536) {
        self.capacity = max(1, capacity)
    }

    /// Records `signature`; false if it was already seen. Empty signatures (no key) are never recorded.
    public func admit(_ signature: [UInt8]) -> Bool {
        if signature.isEmpty { return true }
        return state.withLock { state in
            guard !state.seen.contains(signature) else { return false }
            state.seen.insert(signature)
            if state.order.count < capacity {
                state.order.append(signature)
            } else {
                state.seen.remove(state.order[state.oldest])
                state.order[state.oldest] = signature
                state.oldest = (state.oldest + 1) % capacity
            }
            return true
        }
    }
}
