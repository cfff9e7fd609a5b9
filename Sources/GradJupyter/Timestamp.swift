#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Message header dates: ISO 8601 UTC with microseconds, as jupyter_client writes them
/// (`2024-05-01T12:34:56.789012Z`).
enum Timestamp {
    static func now() -> String {
        String(decoding: nowUTF8(), as: UTF8.self)
    }

    static func nowUTF8() -> [UInt8] {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        var seconds = time_t(time.tv_sec)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var output: [UInt8] = []
        output.reserveCapacity(27)
        append(Int(parts.tm_year) + 1900, width: 4, to: &output)
        output.append(UInt8(ascii: "-"))
        append(Int(parts.tm_mon) + 1, width: 2, to: &output)
        output.append(UInt8(ascii: "-"))
        append(Int(parts.tm_mday), width: 2, to: &output)
        output.append(UInt8(ascii: "T"))
        append(Int(parts.tm_hour), width: 2, to: &output)
        output.append(UInt8(ascii: ":"))
        append(Int(parts.tm_min), width: 2, to: &output)
        output.append(UInt8(ascii: ":"))
        append(Int(parts.tm_sec), width: 2, to: &output)
        output.append(UInt8(ascii: "."))
        append(Int(time.tv_nsec / 1_000), width: 6, to: &output)
        output.append(UInt8(ascii: "Z"))
        return output
    }

    /// Appends `value` (non-negative) as exactly `width` decimal digits.
    private static func append(_ value: Int, width: Int, to output: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var remaining = max(0, value)
        while divisor > 0 {
            output.append(UInt8(ascii: "0") + UInt8((remaining / divisor) % 10))
            remaining %= divisor
            divisor /= 10
        }
    }
}
