import Foundation
import Testing
@testable import GradStore

/// ShortestDouble must write exactly what `Double.description` writes (less a trailing `.0`):
/// the JSON columns, the display and the tests all agree on one text per number.
@Suite struct ShortestDoubleTests {
    static func reference(_ value: Double) -> String {
        let text = value.description
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }

    static func written(_ value: Double) -> String {
        String(unsafeUninitializedCapacity: ShortestDouble.maximumLength) { buffer in
            guard let out = buffer.baseAddress else { return 0 }
            return ShortestDouble.write(value, to: out)
        }
    }

    static func mismatches(_ values: some Sequence<Double>) -> [String] {
        var found: [String] = []
        for value in values where value.isFinite {
            let expected = reference(value), actual = written(value)
            if expected != actual && found.count < 10 {
                found.append("\(value.bitPattern): expected \(expected), wrote \(actual)")
            }
        }
        return found
    }

    @Test func landmarksAndLayoutBoundaries() {
        let values: [Double] = [
            0, -0.0, 1, -1, 0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, 100, 123.456, 1e15, 1e16, 9.999999999999998e15,
            9007199254740992, 9007199254740994, 18014398509481984, 1.2345678901234567e16, 1e-4, 9.999999999999999e-5,
            1e-5, 1.5e-5, 0.00012, 1e21, 1e22, 1e23, 1e100, 1e-100, 1e300, .leastNonzeroMagnitude, 2 * .leastNonzeroMagnitude, .leastNormalMagnitude,
            Double.leastNormalMagnitude.nextDown, .greatestFiniteMagnitude, Double.pi, .ulpOfOne, 1 + .ulpOfOne, 0.30000000000000004,
            2.0000000000000004, 123456789012345680, 4.35, 0.1 + 0.2, 1e-7, 299792458, 6.02214076e23,
        ]
        #expect(Self.mismatches(values + values.map { -$0 }).isEmpty, "\(Self.mismatches(values))")
        #expect(Self.written(-4) == "-4" && Self.written(0.5) == "0.5" && Self.written(1e-5) == "1e-05")
    }

    @Test func everyPowerOfTwoAndTenAndTheirNeighbours() {
        var values: [Double] = []
        for exponent in -1074...1023 {
            let power = Double(sign: .plus, exponent: exponent, significand: 1)
            values += [power, power.nextUp, power.nextDown]
        }
        for exponent in -323...308 {
            guard let power = Double("1e\(exponent)") else { continue }
            values += [power, power.nextUp, power.nextDown, power * 3, power * 7]
        }
        let found = Self.mismatches(values)
        #expect(found.isEmpty, "\(found)")
    }

    @Test func millionsOfRandomDoubles() {
        var random = TestRandom(state: 20261127)
        // Any bit pattern (every exponent), then values of the sizes training produces.
        let anyBits = (0..<1_000_000).lazy.map { _ in random.anyDouble() }
        #expect(Self.mismatches(anyBits).isEmpty, "\(Self.mismatches(anyBits))")
        var more = TestRandom(state: 7)
        let weights = (0..<1_000_000).lazy.map { _ in (Double(more.next() >> 11) / 9007199254740992.0 - 0.5) * 4 }
        #expect(Self.mismatches(weights).isEmpty)
        var integers = TestRandom(state: 11)
        let integral = (0..<200_000).lazy.map { _ in Double(Int64(bitPattern: integers.next()) >> Int64(integers.next() % 64)) }
        #expect(Self.mismatches(integral).isEmpty)
    }
}
