#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Tick: Equatable {
    var value: Double
    var label: String
}

/// One axis: its range in data units, where its ticks go and how a value maps onto it. Ranges
/// are "loose" (they start and end on a tick), as most plotting libraries draw them.
struct Axis {
    var lower: Double
    var upper: Double
    var ticks: [Tick]
    var isLogarithmic: Bool

    /// Where `value` sits between the ends of the axis: 0 at `lower`, 1 at `upper`.
    func fraction(_ value: Double) -> Double {
        if isLogarithmic {
            let low = log10(lower), high = log10(upper)
            return high > low ? (log10(value) - low) / (high - low) : 0.5
        }
        // Halves keep the difference finite even for values near ±Double.greatestFiniteMagnitude.
        let span = upper / 2 - lower / 2
        return span > 0 ? (value / 2 - lower / 2) / span : 0.5
    }

    /// Ticks at "nice" steps (1, 2 or 5 times a power of ten), at most `maxTicks` of them;
    /// whole-number steps only when `integral` (an axis of training steps).
    static func linear(from low: Double, to high: Double, maxTicks: Int, integral: Bool = false) -> Axis {
        let maxTicks = max(2, maxTicks)
        var low = low, high = high
        let magnitude = max(abs(low), abs(high))
        // A range too narrow to tell apart (one point, or a constant series) is widened around it.
        if !(high / 2 - low / 2 > magnitude * 0.5e-12) {
            var pad = magnitude > 0 ? magnitude * 0.1 : 1
            if integral { pad = max(pad, 1) }
            low = max(low - pad, -Double.greatestFiniteMagnitude)
            high = min(high + pad, Double.greatestFiniteMagnitude)
        }
        let rawStep = (high / 2 - low / 2) / (Double(maxTicks - 1) / 2)
        guard rawStep > 0, rawStep.isFinite else { return fallback(low, high) }
        var exponent = Int(floor(log10(rawStep)))
        if integral { exponent = max(exponent, 0) }
        for power in exponent...(exponent + 1) {
            for multiple: Int64 in [1, 2, 5] {
                let unit = pow(10, Double(power))
                let step = Double(multiple) * unit
                guard step.isFinite, step > 0 else { continue }
                let first = floor(low / step), last = ceil(high / step)
                guard last - first + 1 <= Double(maxTicks),
                      let firstIndex = Int64(exactly: first), let lastIndex = Int64(exactly: last),
                      let firstSignificand = product(firstIndex, multiple), let lastSignificand = product(lastIndex, multiple)
                else { continue }
                let ticks = stride(from: firstSignificand, through: lastSignificand, by: Int(multiple)).map { significand in
                    Tick(value: decimal(significand, power), label: TickLabel.format(significand: significand, exponent: power))
                }
                // Near ±Double.greatestFiniteMagnitude the outer ticks may not exist.
                guard ticks.allSatisfy(\.value.isFinite), let lower = ticks.first?.value, let upper = ticks.last?.value, upper > lower else { continue }
                return Axis(lower: lower, upper: upper, ticks: ticks, isLogarithmic: false)
            }
        }
        return fallback(low, high)
    }

    /// Ticks at powers of ten (every k-th decade over a wide range), or at 1-2-5 and then 1…9
    /// times them over a narrow one; linear nice steps when even those give fewer than three.
    /// `low` and `high` must be positive.
    static func logarithmic(from low: Double, to high: Double, maxTicks: Int) -> Axis {
        let maxTicks = max(2, maxTicks)
        var low = low, high = high
        var lowExponent = log10(low), highExponent = log10(high)
        if !(highExponent - lowExponent > 1e-12) {
            lowExponent -= 1
            highExponent += 1
            low = pow(10, lowExponent)
            high = pow(10, highExponent)
        }
        // 1e-323 is the smallest power of ten a Double holds (subnormal); 1e308 the largest.
        let firstDecade = min(308, max(-323, Int(floor(lowExponent)))), lastDecade = max(-323, min(308, Int(ceil(highExponent))))
        let decades = lastDecade - firstDecade
        if decades >= 2 {
            let stride = max(1, (decades + maxTicks - 2) / (maxTicks - 1))
            let end = firstDecade + stride * ((decades + stride - 1) / stride)
            let ticks = Swift.stride(from: firstDecade, through: min(end, 308), by: stride).map {
                Tick(value: decimal(1, $0), label: TickLabel.format(significand: 1, exponent: $0))
            }
            if let lower = ticks.first?.value, let upper = ticks.last?.value, upper > lower {
                return Axis(lower: lower, upper: upper, ticks: ticks, isLogarithmic: true)
            }
        }
        for multiples: [Int64] in [[1], [1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]] {
            var candidates: [(significand: Int64, power: Int, value: Double)] = []
            for power in (firstDecade - 1)...(lastDecade + 1) {
                for multiple in multiples {
                    let value = decimal(multiple, power)
                    if value > 0, value.isFinite { candidates.append((multiple, power, value)) }
                }
            }
            guard let start = candidates.lastIndex(where: { $0.value <= low * (1 + 1e-12) }),
                  let end = candidates.firstIndex(where: { $0.value >= high * (1 - 1e-12) }), end - start >= 2
            else { continue }
            guard end - start < maxTicks else { continue }
            let ticks = candidates[start...end].map { Tick(value: $0.value, label: TickLabel.format(significand: $0.significand, exponent: $0.power)) }
            return Axis(lower: ticks[0].value, upper: ticks[ticks.count - 1].value, ticks: ticks, isLogarithmic: true)
        }
        var axis = linear(from: low, to: high, maxTicks: maxTicks)
        axis.ticks.removeAll { $0.value <= 0 }
        axis.lower = axis.ticks.first?.value ?? low
        if !(axis.lower > 0) || axis.lower > low { axis.lower = low }
        axis.isLogarithmic = true
        return axis
    }

    /// Two labelled ends, for ranges no decimal step can describe.
    private static func fallback(_ low: Double, _ high: Double) -> Axis {
        let low = low.isFinite ? low : -Double.greatestFiniteMagnitude, high = high.isFinite ? high : Double.greatestFiniteMagnitude
        let upper = high > low ? high : low + 1
        return Axis(lower: low, upper: upper, ticks: [Tick(value: low, label: TickLabel.format(low)), Tick(value: upper, label: TickLabel.format(upper))],
                    isLogarithmic: false)
    }

    /// significand × 10^power, divided rather than multiplied by a power of ten for negative
    /// powers so that 3 × 10^-1 is the Double nearest 0.3.
    static func decimal(_ significand: Int64, _ power: Int) -> Double {
        if power >= 0 { return Double(significand) * pow(10, Double(power)) }
        if power < -300 { return Double(significand) * pow(10, Double(power + 300)) / 1e300 }
        return Double(significand) / pow(10, Double(-power))
    }
}

private func product(_ a: Int64, _ b: Int64) -> Int64? {
    let (result, overflow) = a.multipliedReportingOverflow(by: b)
    return overflow ? nil : result
}
