/// The seeded generator behind `rand`, `randn`, `moons` and `blobs`: the same seed gives
/// the same numbers on every machine, because every step is integer arithmetic or IEEE 754
/// float64 `+ - * /` and `sqrt` (correctly rounded everywhere) — no platform `log`/`sin`.
///
/// - Bits: SplitMix64 (Steele, Lea & Flood 2014). `state += 0x9E3779B97F4A7C15`, then
///   `z = state; z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9; z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
///   z ^ (z >> 31)` (wrapping multiplication). The seed is the initial state.
/// - Uniform in [0, 1): `Double(next() >> 11) * 2^-53` (every value a multiple of 2^-53).
/// - Normal(0, 1): Marsaglia's polar method. Draw `u = 2·uniform − 1`, `v = 2·uniform − 1`
///   until `0 < s = u² + v² < 1`; then `f = sqrt(−2·log(s) / s)` and the pair `u·f, v·f` is
///   returned in that order (the second from a one-value cache). `log` is fdlibm's
///   `__ieee754_log` transcribed below, so it does not depend on the C library.
/// - Integer below n (shuffles): the high 64 bits of `next() · n` (Lemire's multiply-shift,
///   without rejection; the bias is below n / 2^64).
public struct SeededGenerator: Sendable {
    public private(set) var state: UInt64
    private var cachedNormal: Double?

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    public mutating func nextNormal() -> Double {
        if let cached = cachedNormal {
            cachedNormal = nil
            return cached
        }
        while true {
            let u = 2 * nextUniform() - 1
            let v = 2 * nextUniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                let factor = (-2 * portableLog(s) / s).squareRoot()
                cachedNormal = v * factor
                return u * factor
            }
        }
    }

    /// A uniformly chosen integer in `0..<bound` (`bound` > 0).
    public mutating func nextInt(below bound: Int) -> Int {
        guard bound > 1 else { return 0 }
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }
}

/// Natural logarithm by fdlibm's algorithm (e_log.c, Sun Microsystems 1993), using only
/// float64 arithmetic, so its result is the same on every IEEE 754 machine.
public func portableLog(_ value: Double) -> Double {
    let ln2Hi = 6.93147180369123816490e-01
    let ln2Lo = 1.90821492927058770002e-10
    let lg1 = 6.666666666666735130e-01
    let lg2 = 3.999999999940941908e-01
    let lg3 = 2.857142874366239149e-01
    let lg4 = 2.222219843214978396e-01
    let lg5 = 1.818357216161805012e-01
    let lg6 = 1.531383769920937332e-01
    let lg7 = 1.479819860511658591e-01

    if value.isNaN || value < 0 { return .nan }
    if value == 0 { return -.infinity }
    if value.isInfinite { return value }
    var x = value
    var k: Int32 = 0
    if x < 0x1.0p-1022 {
        k -= 54
        x *= 0x1.0p54
    }
    var hx = Int32(truncatingIfNeeded: x.bitPattern >> 32)
    let lowWord = x.bitPattern & 0xFFFF_FFFF
    k += (hx >> 20) - 1023
    hx &= 0x000F_FFFF
    let i0 = (hx &+ 0x95F64) & 0x10_0000
    let highWord = UInt64(UInt32(bitPattern: hx | (i0 ^ 0x3FF0_0000)))
    x = Double(bitPattern: (highWord << 32) | lowWord)
    k += i0 >> 20
    let f = x - 1.0
    let dk = Double(k)
    if (0x000F_FFFF & (2 &+ hx)) < 3 {
        if f == 0 {
            return k == 0 ? 0 : dk * ln2Hi + dk * ln2Lo
        }
        let r = f * f * (0.5 - 0.33333333333333333 * f)
        return k == 0 ? f - r : dk * ln2Hi - ((r - dk * ln2Lo) - f)
    }
    let s = f / (2.0 + f)
    let z = s * s
    var i = hx &- 0x6147A
    let w = z * z
    let j = 0x6B851 &- hx
    let t1 = w * (lg2 + w * (lg4 + w * lg6))
    let t2 = z * (lg1 + w * (lg3 + w * (lg5 + w * lg7)))
    i |= j
    let r = t2 + t1
    if i > 0 {
        let hfsq = 0.5 * f * f
        return k == 0 ? f - (hfsq - s * (hfsq + r)) : dk * ln2Hi - ((hfsq - (s * (hfsq + r) + dk * ln2Lo)) - f)
    }
    return k == 0 ? f - s * (f - r) : dk * ln2Hi - ((s * (f - r) - dk * ln2Lo) - f)
}

extension Tensor {
    /// Uniform samples in [0, 1), drawn in row-major order (see `SeededGenerator`).
    public static func rand(_ shape: [Int], seed: UInt64) throws(TensorError) -> Tensor {
        let count = try elementCount(of: shape)
        var generator = SeededGenerator(seed: seed)
        return Tensor(uncheckedShape: shape, scalars: (0..<count).map { _ in generator.nextUniform() })
    }

    /// Standard normal samples, drawn in row-major order (see `SeededGenerator`).
    public static func randn(_ shape: [Int], seed: UInt64) throws(TensorError) -> Tensor {
        let count = try elementCount(of: shape)
        var generator = SeededGenerator(seed: seed)
        return Tensor(uncheckedShape: shape, scalars: (0..<count).map { _ in generator.nextNormal() })
    }
}
