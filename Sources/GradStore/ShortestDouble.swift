/// The shortest decimal that reads back as the same double, laid out as Swift's
/// `Double.description` lays it out, written straight into a byte buffer.
///
/// Why not `description`: recording a training step formats every param and gradient, and
/// `description` (a `String` per number, the standard library's generic 128-bit arithmetic)
/// took two thirds of the recorder's time. This is Ulf Adams' Ryu (PLDI 2018, the `d2s`
/// algorithm of github.com/ulfjack/ryu) with the hardware's 64 × 64 → 128-bit multiply.
/// Its digits and Swift's are the same by construction (both pick the shortest digit string
/// in the rounding interval, and of those the closest to the exact value); the tests compare
/// the two on millions of doubles.
enum ShortestDouble {
    static let mantissaBits = 52
    static let exponentBias = 1023
    static let pow5InverseBitCount = 125
    static let pow5BitCount = 125

    /// The longest text `write` produces: `-2.2250738585072014e-308`.
    static let maximumLength = 24

    /// Writes the text of a finite `value` at `out`, which has room for `maximumLength`
    /// bytes, and returns its length. The text is `Double.description`'s without the `.0`
    /// Swift puts after integral values.
    static func write(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let bits = value.bitPattern
        var sign = 0
        if value.sign == .minus {
            out[0] = UInt8(ascii: "-")
            sign = 1
        }
        let ieeeMantissa = bits & ((1 << UInt64(mantissaBits)) - 1)
        let ieeeExponent = Int((bits >> UInt64(mantissaBits)) & 0x7FF)
        if ieeeExponent == 0 && ieeeMantissa == 0 {
            out[sign] = UInt8(ascii: "0")
            return sign + 1
        }
        let (digits, exponent) = decimal(mantissa: ieeeMantissa, exponent: ieeeExponent)
        return sign + layOut(digits: digits, exponent: exponent, beyondIntegers: value.magnitude > 0x1p53, into: out + sign)
    }

    /// Ryu's `d2d`: the shortest `digits × 10^exponent` in the value's rounding interval.
    private static func decimal(mantissa ieeeMantissa: UInt64, exponent ieeeExponent: Int) -> (UInt64, Int) {
        let e2: Int
        let m2: UInt64
        if ieeeExponent == 0 {
            e2 = 1 - exponentBias - mantissaBits - 2
            m2 = ieeeMantissa
        } else {
            e2 = ieeeExponent - exponentBias - mantissaBits - 2
            m2 = (1 << UInt64(mantissaBits)) | ieeeMantissa
        }
        let acceptBounds = m2 & 1 == 0
        let mv = 4 &* m2
        let mmShift: UInt64 = ieeeMantissa != 0 || ieeeExponent <= 1 ? 1 : 0

        var vr: UInt64, vp: UInt64, vm: UInt64
        let e10: Int
        var vmIsTrailingZeros = false
        var vrIsTrailingZeros = false
        if e2 >= 0 {
            let q = log10Pow2(e2) - (e2 > 3 ? 1 : 0)
            e10 = q
            let k = pow5InverseBitCount + pow5Bits(q) - 1
            let shift = -e2 + q + k
            let multiplier = pow5InverseSplit[q]
            vr = mulShift(4 &* m2, multiplier, shift)
            vp = mulShift(4 &* m2 &+ 2, multiplier, shift)
            vm = mulShift(4 &* m2 &- 1 &- mmShift, multiplier, shift)
            if q <= 21 {
                if mv % 5 == 0 {
                    vrIsTrailingZeros = isMultipleOfPowerOf5(mv, q)
                } else if acceptBounds {
                    vmIsTrailingZeros = isMultipleOfPowerOf5(mv &- 1 &- mmShift, q)
                } else if isMultipleOfPowerOf5(mv &+ 2, q) {
                    vp &-= 1
                }
            }
        } else {
            let q = log10Pow5(-e2) - (-e2 > 1 ? 1 : 0)
            e10 = q + e2
            let i = -e2 - q
            let k = pow5Bits(i) - pow5BitCount
            let shift = q - k
            let multiplier = pow5Split[i]
            vr = mulShift(4 &* m2, multiplier, shift)
            vp = mulShift(4 &* m2 &+ 2, multiplier, shift)
            vm = mulShift(4 &* m2 &- 1 &- mmShift, multiplier, shift)
            if q <= 1 {
                vrIsTrailingZeros = true
                if acceptBounds {
                    vmIsTrailingZeros = mmShift == 1
                } else {
                    vp &-= 1
                }
            } else if q < 63 {
                vrIsTrailingZeros = mv & ((1 << UInt64(q)) &- 1) == 0
            }
        }

        var removed = 0
        var lastRemovedDigit: UInt64 = 0
        let output: UInt64
        if vmIsTrailingZeros || vrIsTrailingZeros {
            // The rare general case: exact ties are possible.
            func dropDigit() {
                vrIsTrailingZeros = vrIsTrailingZeros && lastRemovedDigit == 0
                lastRemovedDigit = vr % 10
                vr /= 10
                vp /= 10
                vm /= 10
                removed += 1
            }
            while vp / 10 > vm / 10 {
                vmIsTrailingZeros = vmIsTrailingZeros && vm % 10 == 0
                dropDigit()
            }
            if vmIsTrailingZeros {
                while vm % 10 == 0 { dropDigit() }
            }
            if vrIsTrailingZeros && lastRemovedDigit == 5 && vr % 2 == 0 {
                // An exact tie rounds to even.
                lastRemovedDigit = 4
            }
            let roundUp = (vr == vm && (!acceptBounds || !vmIsTrailingZeros)) || lastRemovedDigit >= 5
            output = vr &+ (roundUp ? 1 : 0)
        } else {
            var roundUp = false
            if vp / 100 > vm / 100 {
                roundUp = vr % 100 >= 50
                vr /= 100
                vp /= 100
                vm /= 100
                removed += 2
            }
            while vp / 10 > vm / 10 {
                roundUp = vr % 10 >= 5
                vr /= 10
                vp /= 10
                vm /= 10
                removed += 1
            }
            output = vr &+ (vr == vm || roundUp ? 1 : 0)
        }
        return (output, e10 + removed)
    }

    /// Swift's layout of `digits × 10^exponent`: positional from 1e-4 up to 2^53 (beyond it
    /// not every integer is a double), `1.5e-05` / `9.007199254740994e+15` outside, and no
    /// `.0` on integral values (JSON style). Returns the bytes written (at most 23).
    private static func layOut(digits: UInt64, exponent: Int, beyondIntegers: Bool,
                               into out: UnsafeMutablePointer<UInt8>) -> Int {
        let count = decimalLength(digits)
        writeDigits(digits, count: count, to: out)
        // The exponent of the first digit: value = d.ddd × 10^scientific.
        let scientific = exponent + count - 1
        if scientific < -4 || beyondIntegers {
            var length = 1
            if count > 1 {
                (out + 2).update(from: out + 1, count: count - 1)
                out[1] = UInt8(ascii: ".")
                length = count + 1
            }
            out[length] = UInt8(ascii: "e")
            out[length + 1] = scientific < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+")
            length += 2
            let magnitude = scientific < 0 ? -scientific : scientific
            if magnitude >= 100 {
                out[length] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude / 100)
                length += 1
            }
            out[length] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude / 10 % 10)
            out[length + 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
            return length + 2
        }
        if scientific < 0 {
            // 0.000ddd: shift the digits right past "0." and the zeros.
            let zeros = -scientific - 1
            (out + 2 + zeros).update(from: out, count: count)
            out[0] = UInt8(ascii: "0")
            out[1] = UInt8(ascii: ".")
            (out + 2).update(repeating: UInt8(ascii: "0"), count: zeros)
            return count + 2 + zeros
        }
        if count <= scientific + 1 {
            (out + count).update(repeating: UInt8(ascii: "0"), count: scientific + 1 - count)
            return scientific + 1
        }
        (out + scientific + 2).update(from: out + scientific + 1, count: count - scientific - 1)
        out[scientific + 1] = UInt8(ascii: ".")
        return count + 1
    }

    /// The number of decimal digits of `value` (at most 17 for Ryu's output, 20 in general).
    @inline(__always)
    private static func decimalLength(_ value: UInt64) -> Int {
        // Most doubles print 15 to 17 digits: test from the top.
        var length = 20
        var power: UInt64 = 10_000_000_000_000_000_000
        while length > 1 && value < power {
            length &-= 1
            power /= 10
        }
        return length
    }

    /// "00", "01", ..., "99": two digits per division, as Ryu writes them.
    private static let digitPairs: StaticString =
        """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """

    /// Writes the `count` digits of `value`, most significant first.
    @inline(__always)
    private static func writeDigits(_ value: UInt64, count: Int, to out: UnsafeMutablePointer<UInt8>) {
        let pairs = digitPairs.utf8Start
        var remaining = value
        var end = count
        while end >= 2 {
            let pair = Int(truncatingIfNeeded: remaining % 100) &* 2
            remaining /= 100
            end &-= 2
            out[end] = pairs[pair]
            out[end &+ 1] = pairs[pair &+ 1]
        }
        if end == 1 {
            out[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: remaining)
        }
    }

    /// `(m × multiplier) >> shift` for a 125-bit multiplier and a shift of at least 64.
    @inline(__always)
    private static func mulShift(_ m: UInt64, _ multiplier: (low: UInt64, high: UInt64), _ shift: Int) -> UInt64 {
        let lowProduct = m.multipliedFullWidth(by: multiplier.low)
        let highProduct = m.multipliedFullWidth(by: multiplier.high)
        let (sumLow, carry) = highProduct.low.addingReportingOverflow(lowProduct.high)
        let sumHigh = highProduct.high &+ (carry ? 1 : 0)
        // Ryu's bounds keep `distance` in (0, 64); the other branches keep this total anyway.
        let distance = shift &- 64
        if distance <= 0 { return sumLow }
        if distance >= 64 { return sumHigh >> UInt64(distance &- 64) }
        return (sumHigh << UInt64(64 &- distance)) | (sumLow >> UInt64(distance))
    }

    @inline(__always)
    private static func pow5Bits(_ e: Int) -> Int { ((e &* 1_217_359) >> 19) &+ 1 }
    @inline(__always)
    private static func log10Pow2(_ e: Int) -> Int { (e &* 78_913) >> 18 }
    @inline(__always)
    private static func log10Pow5(_ e: Int) -> Int { (e &* 732_923) >> 20 }

    private static func isMultipleOfPowerOf5(_ value: UInt64, _ power: Int) -> Bool {
        var value = value
        var count = 0
        while value > 0 && value % 5 == 0 {
            value /= 5
            count += 1
        }
        return count >= power
    }
}
