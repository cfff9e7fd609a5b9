import Testing
@testable import GradPlot

@Suite struct TextChartTests {
    static let loss = Chart(title: "loss by step", xLabel: "step", yLabel: "loss",
                            series: [Series(name: "loss", points: (0..<300).map { ChartPoint(x: Double($0), y: 1 / Double($0 + 1)) })])
    static let norms = Chart(title: "grad_norm by step, per name", xLabel: "step", yLabel: "grad_norm",
                             series: ["W1", "b1", "W2"].enumerated().map { index, name in
                                 Series(name: name, points: (0..<50).map { ChartPoint(x: Double($0), y: Double(index + 1) / Double($0 + 1)) })
                             })

    /// Columns a line takes on screen: its characters without the colour escapes.
    static func visibleWidth(_ line: Substring) -> Int {
        var count = 0
        var inEscape = false
        for character in line {
            if character == "\u{1B}" { inEscape = true; continue }
            if inEscape { if character == "m" { inEscape = false }; continue }
            count += 1
        }
        return count
    }

    @Test(arguments: [24, 40, 60, 80, 120, 200])
    func everyLineFitsTheWidth(width: Int) {
        for chart in [Self.loss, Self.norms] {
            for colors in [false, true] {
                let text = TextChart.render(chart, width: width, colors: colors)
                let widths = text.split(separator: "\n").map(Self.visibleWidth)
                #expect(widths.allSatisfy { $0 <= width }, "width \(width): \(widths)\n\(text)")
                // The plot uses the room it has: its axis line spans nearly the whole width.
                #expect(widths.max() ?? 0 >= width - 1, "width \(width)\n\(text)")
            }
        }
    }

    @Test func aLossCurveHasTitleAxesTicksAndLegend() {
        let text = TextChart.render(Self.loss, width: 80, plotRows: 10)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0].trimmingCharacters() == "loss by step")
        #expect(lines[1] == "loss")
        let plot = lines[2..<12]
        #expect(plot.allSatisfy { $0.contains("┤") || $0.contains("│") })
        #expect(plot.first?.hasPrefix("  1 ┤") == true, "\(text)")
        #expect(plot.last?.hasPrefix("  0 ┤") == true, "\(text)")
        #expect(plot.contains { $0.unicodeScalars.contains { (0x2801...0x28FF).contains($0.value) } }, "braille dots")
        // The x axis starts under the y axis; its first tick (0) is the plot's first column.
        #expect(lines[12].hasPrefix("    └┬─") && lines[12].count == 80)
        #expect(lines[13].split(separator: " ") == ["0", "50", "100", "150", "200", "250", "300"])
        #expect(lines[14].trimmingCharacters() == "step")
        #expect(lines[15] == "── loss")
        #expect(lines.count == 16)
        #expect(!text.contains("\u{1B}"), "no colour unless asked")
    }

    @Test func withoutColourSeveralSeriesAreToldApartByGlyphs() {
        let text = TextChart.render(Self.norms, width: 80)
        for glyph in ["*", "+", "x"] { #expect(text.contains(glyph)) }
        #expect(text.hasSuffix("* W1   + b1   x W2"), "\(text)")
        #expect(!text.unicodeScalars.contains { (0x2801...0x28FF).contains($0.value) }, "no braille: it would merge the series")
        #expect(!text.contains("\u{1B}"))
    }

    @Test func withColourEachSeriesHasItsColour() {
        let text = TextChart.render(Self.norms, width: 80, colors: true)
        for code in ["\u{1B}[34m", "\u{1B}[33m", "\u{1B}[32m"] { #expect(text.contains(code)) }
        #expect(text.contains("\u{1B}[34m──\u{1B}[0m W1"))
        #expect(text.unicodeScalars.contains { (0x2801...0x28FF).contains($0.value) })
    }

    @Test func notesAndOddDataNeverBreakTheLayout() {
        let odd = Chart(title: "t\nwith a newline", xLabel: "x\u{1B}[2J", yLabel: "y", series: [
            Series(name: "one point", points: [ChartPoint(x: 5, y: -3)]),
            Series(name: "gaps", points: [ChartPoint(x: .nan, y: 1), ChartPoint(x: 1, y: .infinity), ChartPoint(x: 2, y: -1e300)]),
        ])
        let text = TextChart.render(odd, width: 50)
        #expect(!text.contains("\u{1B}"), "escape sequences from the data are not passed to the terminal")
        #expect(text.contains("note: 2 points not drawn: NULL, NaN or infinite"))
        #expect(text.split(separator: "\n").allSatisfy { Self.visibleWidth($0) <= 50 })
        // Far from zero and narrow, ticks need many digits (123456.00015): on the narrowest terminal
        // such labels are left out (their ticks stay) rather than pushing the chart past the width.
        let offset = Chart(title: "t", xLabel: "x", yLabel: "y",
                           series: [Series(name: "y", points: [ChartPoint(x: 0, y: 123456.0001), ChartPoint(x: 1, y: 123456.0003)])])
        let narrow = TextChart.render(offset, width: 24)
        #expect(narrow.split(separator: "\n").allSatisfy { $0.count <= 24 }, "\(narrow)")
        #expect(!narrow.contains("123456") && narrow.contains("┤"), "\(narrow)")
        #expect(TextChart.render(offset, width: 80).contains("123456.0002 ┤"))
        let empty = TextChart.render(Chart(title: "empty", xLabel: "x", yLabel: "y", series: []), width: 40)
        #expect(empty.hasSuffix("note: no points to draw"))
    }
}

extension String {
    func trimmingCharacters() -> String {
        var slice = self[...]
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return String(slice)
    }
}
