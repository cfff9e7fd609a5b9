#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Tick labels spelled from exact decimals (an integer times a power of ten), so a tick at
/// 3 × 0.1 reads `0.3`, never `0.30000000000000004`.
enum TickLabel {
    /// `significand × 10^exponent` as people write it: plain for moderate magnitudes
    /// (`0.002`, `150`, `250000`), scientific beyond (`1e-7`, `2.5e9`).
    static func format(significand: Int64, exponent: Int) -> String {
        guard significand != 0 else { return "0" }
        var digits = String(significand.magnitude)
        var exponent = exponent
        while digits.count > 1, digits.hasSuffix("0") {
            digits.removeLast()
            exponent += 1
        }
        let sign = significand < 0 ? "-" : ""
        // Digits before the decimal point; the leading digit's power of ten is pointPosition - 1.
        let pointPosition = digits.count + exponent
        guard (-4...6).contains(pointPosition - 1) else {
            let mantissa = digits.count > 1 ? String(digits.prefix(1)) + "." + String(digits.dropFirst()) : digits
            return sign + mantissa + "e" + String(pointPosition - 1)
        }
        if exponent >= 0 { return sign + digits + String(repeating: "0", count: exponent) }
        if pointPosition > 0 { return sign + String(digits.prefix(pointPosition)) + "." + String(digits.dropFirst(pointPosition)) }
        return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
    }

    /// A value with no exact decimal form at hand (the ends of a fallback axis, a series named
    /// by a number): whole numbers in full, others to three significant digits (`1.8e308`).
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return value.description }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        let exponent = Int(floor(log10(abs(value)))) - 2
        let scaled = (value / pow(10, Double(exponent))).rounded()
        guard scaled.isFinite, let significand = Int64(exactly: scaled) else { return value.description }
        return format(significand: significand, exponent: exponent)
    }
}
