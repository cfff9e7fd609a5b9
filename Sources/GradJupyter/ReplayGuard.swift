/// Remembers the signatures of recently accepted messages so that a captured message replayed
/// on the wire is dropped, as jupyter_client does for the kernel's messages. Bounded: the oldest
/// signature is forgotten once `capacity` are held.
public final class ReplayGuard: Sendable {
    /// A signature as a set member, hashed as one block of bytes: `[UInt8]`'s own `Hashable`
    /// feeds the hasher byte by byte, for every message.
    private struct Signature: Hashable {
        let bytes: [UInt8]

        func hash(into hasher: inout Hasher) {
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    private struct State {
        var seen: Set<Signature> = []
        var order: [Signature] = []
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
        let signature = Signature(bytes: signature)
        return state.withLock { state in
            guard state.seen.insert(signature).inserted else { return false }
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
