import Foundation
import Testing
@testable import GradStore

@Suite struct TensorJSONTests {
    @Test func randomDoublesRoundTripBitForBit() throws {
        var random = TestRandom(state: 0x9E37_79B9_7F4A_7C15)
        var elements = (0..<20_000).map { _ in random.anyDouble() }
        elements += [0.0, -0.0, 1e308, -1e308, .greatestFiniteMagnitude, .leastNonzeroMagnitude,
                     -.leastNonzeroMagnitude, .leastNormalMagnitude, .leastNonzeroMagnitude, .leastNormalMagnitude.nextDown,
                     0.1, 0.5, -4, 2.0000000000000004, .infinity, -.infinity, 1e16, 123456789012345680]
        let shape = [elements.count / 2, 2]
        let text = try TensorJSON.encode(shape: shape, elements: elements)
        let decoded = try TensorJSON.decode(text)
        #expect(decoded.shape == shape)
        #expect(decoded.elements.map(\.bitPattern) == elements.map(\.bitPattern))
        // Foundation's JSON reader agrees that it is valid JSON (it rejects 9e999, the
        // infinities, which SQLite's JSON functions and Python read as +/-inf).
        let finite = elements.filter(\.isFinite)
        let finiteText = try TensorJSON.encode(shape: [finite.count], elements: finite)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(finiteText.utf8)) as? [NSNumber])
        #expect(parsed.count == finite.count)
    }

    @Test func bytesRoundTripBitForBitIncludingNaNPayloads() {
        let elements = [Double(bitPattern: 0x7FF8_0000_0000_1234), -0.0, Double.leastNormalMagnitude / 4, .infinity]
        let bytes = Float64Bytes.encode(elements)
        #expect(bytes.count == 32)
        #expect(Array(bytes[8..<16]) == [0, 0, 0, 0, 0, 0, 0, 0x80])  // -0.0, little-endian
        #expect(Float64Bytes.decode(bytes)?.map(\.bitPattern) == elements.map(\.bitPattern))
        #expect(Float64Bytes.decode([1, 2, 3]) == nil)
    }

    @Test(arguments: [
        ([], [2.5], "2.5"),
        ([3], [1, -4, 0.5], "[1,-4,0.5]"),
        ([2, 2], [1, 2, 3, 4], "[[1,2],[3,4]]"),
        ([2, 1, 3], [1, 2, 3, 4, 5, 6], "[[[1,2,3]],[[4,5,6]]]"),
        ([2, 3, 2], (1...12).map(Double.init), "[[[1,2],[3,4],[5,6]],[[7,8],[9,10],[11,12]]]"),
        ([1, 4], [1e-05, 123456789.25, 9007199254740994, -1.5e300], "[[1e-05,123456789.25,9.007199254740994e+15,-1.5e+300]]"),
        ([0], [], "[]"),
        ([2, 0], [], "[[],[]]"),
        ([2, 0, 3], [], "[[],[]]"),
        ([0, 3], [], "[]"),
        ([1, 1, 1], [-0.0], "[[[-0]]]"),
    ] as [([Int], [Double], String)])
    func nestsByShape(shape: [Int], elements: [Double], expected: String) throws {
        #expect(try TensorJSON.encode(shape: shape, elements: elements) == expected)
        let decoded = try TensorJSON.decode(expected)
        #expect(decoded.elements.map(\.bitPattern) == elements.map(\.bitPattern))
        // Dimensions after a zero one leave no trace in JSON: [2,0,3] reads as [2,0], [0,3] as [0].
        if let zero = shape.firstIndex(of: 0), zero < shape.count - 1 {
            #expect(decoded.shape == Array(shape.prefix(zero + 1)))
        } else {
            #expect(decoded.shape == shape)
        }
    }

    @Test func nonFiniteValuesAreValidJSON() throws {
        let text = try TensorJSON.encode(shape: [3], elements: [.nan, .infinity, -.infinity])
        #expect(text == "[null,9e999,-9e999]")
        let decoded = try TensorJSON.decode(text)
        #expect(decoded.elements[0].isNaN)
        #expect(decoded.elements[1] == .infinity)
        #expect(decoded.elements[2] == -.infinity)
        let store = try RunStore(path: ":memory:")
        #expect(try store.query("SELECT json_valid(?1), json_extract(?1, '$[1]') > 1e308", arguments: [.text(text)]).rows
                == [[.integer(1), .integer(1)]])
    }

    @Test(arguments: ["[1,[2]]", "[[1],2]", "[[1,2],[3]]", "[[1],[2,3]]", "[1,]", "[,1]", "[1 2]", "[", "]", "[1]]",
                      "[[1]] [2]", "\"text\"", "[true]", "", "1 2", "[+1]", "[1e]", "[[[]],[1]]"])
    func malformedTensorsAreErrors(text: String) {
        #expect(throws: TensorJSON.Error.self) { try TensorJSON.decode(text) }
    }

    @Test func deepNestingIsBoundedWithoutRecursion() throws {
        let deep = String(repeating: "[", count: 100_000) + "1" + String(repeating: "]", count: 100_000)
        #expect(throws: TensorJSON.Error.self) { try TensorJSON.decode(deep) }
        let rank64 = String(repeating: "[", count: 64) + "1" + String(repeating: "]", count: 64)
        #expect(try TensorJSON.decode(rank64).shape == [Int](repeating: 1, count: 64))
    }

    @Test func wrongElementCountIsAnError() {
        #expect(throws: TensorJSON.Error.self) { try TensorJSON.encode(shape: [2, 2], elements: [1, 2, 3]) }
        #expect(throws: TensorJSON.Error.self) { try TensorJSON.encode(shape: [-1], elements: []) }
        #expect(throws: TensorJSON.Error.self) { try TensorJSON.encode(shape: [Int.max, 3], elements: []) }
    }

    @Test func summariesAreExactForSimpleTensorsAndPropagateNaN() {
        let summary = TensorSummary(summarizing: [3, -4, 0, 1])
        #expect(summary == TensorSummary(numel: 4, min: -4, max: 3, mean: 0, l2: (26.0).squareRoot()))
        let huge = TensorSummary(summarizing: [1e200, 1e200])
        #expect(huge.l2 == 1e200 * (2.0).squareRoot())
        let tiny = TensorSummary(summarizing: [3e-200, 4e-200])
        #expect(abs(tiny.l2 - 5e-200) <= 1e-214)
        let broken = TensorSummary(summarizing: [1, .nan, 2])
        #expect(broken.min?.isNaN == true && broken.max?.isNaN == true && broken.mean?.isNaN == true && broken.l2.isNaN)
        #expect(TensorSummary(summarizing: [Double]()) == TensorSummary(numel: 0, min: nil, max: nil, mean: nil, l2: 0))
    }
}
