import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import GradPlot

/// Charts of awkward numbers (NaN, ±inf, ±Double.greatestFiniteMagnitude, subnormals, zeros,
/// negatives on a log axis, single points, empty series) render without a crash: the SVG is
/// well-formed XML and the terminal chart fits its width.
@Suite struct OddDataTests {
    static let pool: [Double] = [0, -0.0, 1, -1, 0.5, 3, 1e-300, -1e-300, 1e300, -1e300, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                                 .leastNonzeroMagnitude, .nan, .infinity, -.infinity, 1e15, 1e15 + 2, 42]

    /// A small deterministic generator (SplitMix64), so a failure names a reproducible case.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
        mutating func value() -> Double { OddDataTests.pool[below(OddDataTests.pool.count)] }
    }

    @Test func awkwardNumbersNeverBreakAChart() throws {
        var generator = Generator(state: 2026)
        for trial in 0..<300 {
            let series = (0..<generator.below(4)).map { index in
                Series(name: "s\(index)", points: (0..<generator.below(8)).map { _ in ChartPoint(x: generator.value(), y: generator.value()) })
            }
            let chart = Chart(title: "trial \(trial)", xLabel: "x", yLabel: "y", series: series, logY: generator.below(2) == 0)
            let svg = SVGChart.render(chart)
            #expect(throws: Never.self, "trial \(trial)") { _ = try XMLDocument(xmlString: svg, options: []) }
            let width = 30 + generator.below(100)
            let text = TextChart.render(chart, width: width, colors: generator.below(2) == 0)
            let widest = text.split(separator: "\n").map { line in
                line.replacing(/\u{1B}\[[0-9;]*m/, with: "").count
            }.max() ?? 0
            #expect(widest <= width, "trial \(trial): \(widest) > \(width)\n\(text)")
        }
    }
}
