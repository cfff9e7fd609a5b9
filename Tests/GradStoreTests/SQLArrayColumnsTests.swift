import Foundation
import Testing
@testable import GradStore

/// The binary array format (PostgreSQL's `array_send`) that groups of rows travel in. The
/// server reading these bytes back is tested by the PostgreSQL suites; here, the bytes.
@Suite struct SQLArrayColumnsTests {
    /// Big-endian 32-bit words, the format's unit.
    static func words(_ values: [UInt32]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    }

    @Test func aColumnIsAOneDimensionalArrayWithItsNulls() throws {
        var columns = SQLArrayColumns([.bigint, .text])
        columns.append(Int64(-2))
        try columns.append("[2]")
        columns.append(nil as Int64?)
        try columns.append(nil as String?)
        #expect(columns.rowCount == 2)
        let minusTwo = withUnsafeBytes(of: Int64(-2).bigEndian) { Array($0) }
        #expect(columns.binaryArray(0) == Self.words([1, 1, 20, 2, 1]) + Self.words([8]) + minusTwo + Self.words([UInt32.max]))
        #expect(columns.binaryArray(1) == Self.words([1, 1, 25, 2, 1]) + Self.words([3]) + Array("[2]".utf8) + Self.words([UInt32.max]))
    }

    @Test func doublesKeepEveryBitAndNaNIsNull() {
        var columns = SQLArrayColumns([.double])
        for value in [-0.0, .infinity, Double.leastNonzeroMagnitude, .nan] { columns.append(value as Double?) }
        let bits = [-0.0, .infinity, Double.leastNonzeroMagnitude].flatMap { value in
            Self.words([8]) + withUnsafeBytes(of: value.bitPattern.bigEndian) { Array($0) }
        }
        #expect(columns.binaryArray(0) == Self.words([1, 1, 701, 4, 1]) + bits + Self.words([UInt32.max]))
    }

    @Test func aWideColumnIsTwoDimensional() {
        var columns = SQLArrayColumns([.integer, .double], widths: [1, 3])
        for row in 0..<2 {
            columns.append(Int32(row) as Int32?)
            for element in 0..<3 { columns.append(Double(row * 3 + element) as Double?) }
        }
        #expect(columns.rowCount == 2)
        #expect(columns.binaryArray(0).prefix(20) == Self.words([1, 0, 23, 2, 1])[...])
        let header = Self.words([2, 0, 701, 2, 1, 3, 1])
        #expect(columns.binaryArray(1).prefix(header.count) == header[...])
        #expect(columns.binaryArray(1).count == header.count + 6 * 12)
    }

    @Test func fourDoublesAtOnceAreFourAppendsOneByOne() {
        let values: [Double?] = [1.5, nil, .nan, -0.0, 2, 3, 4, 5]
        var oneByOne = SQLArrayColumns([.bigint, .double], widths: [1, 8])
        var fourAtOnce = oneByOne
        oneByOne.append(Int64(7))
        fourAtOnce.append(Int64(7))
        for value in values { oneByOne.append(value) }
        fourAtOnce.append(values[0], values[1], values[2], values[3])
        fourAtOnce.append(values[4], values[5], values[6], values[7])
        #expect(fourAtOnce.rowCount == 1)
        #expect(fourAtOnce.binaryArray(1) == oneByOne.binaryArray(1))
        // The NULLs set the array's has-nulls flag, as one by one.
        #expect(fourAtOnce.binaryArray(1).prefix(8) == Self.words([2, 1])[...])
    }

    @Test func aCopyIsAValueOfItsOwn() {
        var original = SQLArrayColumns([.double])
        original.append(1.0 as Double?)
        var copy = original
        copy.append(2.0 as Double?)
        original.append(3.0 as Double?)
        let element = { (value: Double) in Self.words([8]) + withUnsafeBytes(of: value.bitPattern.bigEndian) { Array($0) } }
        #expect(original.binaryArray(0) == Self.words([1, 0, 701, 2, 1]) + element(1) + element(3))
        #expect(copy.binaryArray(0) == Self.words([1, 0, 701, 2, 1]) + element(1) + element(2))
    }

    @Test func aBufferGrowsKeepingWhatItHolds() {
        var buffer = ByteBuffer(capacity: 16)
        let text = Array("a text longer than the buffer's first capacity, several times over".utf8)
        for round in 0..<100 {
            buffer.appendBigEndian(UInt32(round))
            text.withUnsafeBytes { buffer.append(contentsOf: $0) }
        }
        let expected = (0..<100).flatMap { Self.words([UInt32($0)]) + text }
        #expect(buffer.count == expected.count)
        #expect(buffer.withUnsafeBytes { Array($0) } == expected)
    }

    @Test func noRowsIsAnEmptyArray() {
        let columns = SQLArrayColumns([.text, .bytea])
        #expect(columns.binaryArray(0) == Self.words([0, 0, 25]))
        #expect(columns.binaryArray(1) == Self.words([0, 0, 17]))
    }

    @Test func textWithANulIsRefusedNotCutShort() {
        var columns = SQLArrayColumns([.text])
        #expect(throws: StoreError.self) { try columns.append("a\u{0}b") }
    }
}
