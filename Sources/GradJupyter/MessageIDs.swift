/// Message ids as jupyter_client makes them: a random UUID for the process, then a counter
/// (`<uuid>_<n>`). Unique across kernels and within one, and free of the per-id system calls
/// Foundation's `UUID()` makes (it opens /dev/urandom for each one on Linux).
public final class MessageIDs: Sendable {
    private let prefix: String
    private let counter = Locked<UInt64>(0)

    public init() {
        var generator = SystemRandomNumberGenerator()
        prefix = Self.randomUUID(using: &generator)
    }

    public func next() -> String {
        let number = counter.withLock { value in
            value &+= 1
            return value
        }
        return prefix + "_" + String(number)
    }

    /// A version 4 UUID string, lowercase.
    public static func randomUUID(using generator: inout some RandomNumberGenerator) -> String {
        let high = (generator.next() as UInt64) & 0xFFFF_FFFF_FFFF_0FFF | 0x0000_0000_0000_4000
        let low = (generator.next() as UInt64) & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
        let hex = hex16(high) + hex16(low)
        let characters = Array(hex)
        return String(characters[0..<8]) + "-" + String(characters[8..<12]) + "-" + String(characters[12..<16]) + "-"
            + String(characters[16..<20]) + "-" + String(characters[20..<32])
    }

    private static func hex16(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
