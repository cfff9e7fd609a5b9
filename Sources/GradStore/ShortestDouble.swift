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

    /// Appends the text of a finite `value`, without the `.0` Swift puts after integral values.
    static func appendJSON(_ value: Double, to output: inout [UInt8]) {
        let bits = value.bitPattern
        if value.sign == .minus { output.append(UInt8(ascii: "-")) }
        let ieeeMantissa = bits & ((1 << UInt64(mantissaBits)) - 1)
        let ieeeExponent = Int((bits >> UInt64(mantissaBits)) & 0x7FF)
        if ieeeExponent == 0 && ieeeMantissa == 0 {
            output.append(UInt8(ascii: "0"))
            return
        }
        let (digits, exponent) = decimal(mantissa: ieeeMantissa, exponent: ieeeExponent)
        layOut(digits: digits, exponent: exponent, beyondIntegers: value.magnitude > 0x1p53, into: &output)
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
    /// `.0` on integral values (JSON style).
    private static func layOut(digits: UInt64, exponent: Int, beyondIntegers: Bool, into output: inout [UInt8]) {
        var buffer: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 17 digits
        let count = withUnsafeMutableBytes(of: &buffer) { raw -> Int in
            var value = digits
            var length = 0
            repeat {
                raw[length] = UInt8(truncatingIfNeeded: value % 10) &+ UInt8(ascii: "0")
                value /= 10
                length += 1
            } while value > 0 && length < 24
            // Digits were written least significant first.
            var low = 0, high = length - 1
            while low < high {
                raw.swapAt(low, high)
                low += 1
                high -= 1
            }
            return length
        }
        // The exponent of the first digit: value = d.ddd × 10^scientific.
        let scientific = exponent + count - 1
        withUnsafeBytes(of: &buffer) { raw in
            let digitBytes = UnsafeRawBufferPointer(rebasing: raw[0..<count])
            if scientific < -4 || beyondIntegers {
                output.append(digitBytes[0])
                if count > 1 {
                    output.append(UInt8(ascii: "."))
                    output.append(contentsOf: digitBytes[1..<count])
                }
                output.append(UInt8(ascii: "e"))
                output.append(scientific < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
                let magnitude = scientific < 0 ? -scientific : scientific
                if magnitude >= 100 { output.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude / 100)) }
                output.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude / 10 % 10))
                output.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10))
            } else if scientific < 0 {
                output.append(UInt8(ascii: "0"))
                output.append(UInt8(ascii: "."))
                for _ in 0..<(-scientific - 1) { output.append(UInt8(ascii: "0")) }
                output.append(contentsOf: digitBytes)
            } else if count <= scientific + 1 {
                output.append(contentsOf: digitBytes)
                for _ in 0..<(scientific + 1 - count) { output.append(UInt8(ascii: "0")) }
            } else {
                output.append(contentsOf: digitBytes[0...scientific])
                output.append(UInt8(ascii: "."))
                output.append(contentsOf: digitBytes[(scientific + 1)..<count])
            }
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
