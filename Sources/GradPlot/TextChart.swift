/// A chart as terminal text that fits `width` columns: braille lines, a y axis with labelled
/// ticks, an x axis with labelled ticks, the axis names, a legend and notes. With `colors`
/// each series has an ANSI colour; without, several series are told apart by their glyphs
/// (`*`, `+`, `x`, …) at one point per cell, since braille dots of different series would merge.
public enum TextChart {
    public static let defaultWidth = 80
    /// The narrowest chart drawn; a narrower terminal gets lines this long.
    public static let minimumWidth = 24

    public static func render(_ chart: Chart, width: Int = defaultWidth, plotRows: Int = 12, colors: Bool = false) -> String {
        let width = max(minimumWidth, width)
        let rows = max(3, plotRows)
        // The y labels decide the gutter, and the gutter the plot's width, which decides the x ticks.
        let yTicks = max(2, min(rows / 2 + 1, 7))
        let roughData = PlotData(chart, maxXTicks: 2, maxYTicks: yTicks)
        // A label that would leave the plot fewer than 12 columns (a long decimal far from zero on a
        // narrow terminal) is left out; its tick stays.
        let widestLabel = max(4, width - 14)
        let gutter = roughData.yAxis.ticks.map(\.label.count).filter { $0 <= widestLabel }.max() ?? 1
        let columns = max(8, width - gutter - 2)
        let widestX = roughData.xAxis.ticks.map(\.label.count).max() ?? 1
        let data = PlotData(chart, maxXTicks: max(2, min(11, columns / (widestX + 4))), maxYTicks: yTicks)
        let glyphs = !colors && chart.series.count > 1

        var canvas = DotCanvas(columns: columns, rows: rows)
        for (index, runs) in data.segments.enumerated() {
            for run in runs {
                let dots = run.map { point in dot(point, data: data, canvas: canvas) }
                guard var previous = dots.first else { continue }
                canvas.set(previous.x, previous.y, series: index)
                for next in dots.dropFirst() {
                    canvas.line(from: previous, to: next, series: index)
                    previous = next
                }
            }
        }

        var lines: [String] = []
        lines.append(centered(fitted(chart.title, width), in: width))
        lines.append(fitted(chart.yLabel, width))
        var labelOfRow: [Int: String] = [:]
        for tick in data.yAxis.ticks {
            let position = ((1 - data.yAxis.fraction(tick.value)) * Double(canvas.dotHeight - 1)).rounded()
            guard position >= 0, position < Double(canvas.dotHeight) else { continue }
            let row = Int(position) / 4
            if labelOfRow[row] == nil { labelOfRow[row] = tick.label.count <= gutter ? tick.label : "" }
        }
        for row in 0..<rows {
            var line = padLeft(labelOfRow[row] ?? "", to: gutter) + " " + (labelOfRow[row] == nil ? "│" : "┤")
            var currentColor: Int?
            for column in 0..<columns {
                let owner = canvas.series(column: column, row: row)
                let character: Character
                if glyphs {
                    character = owner.map { glyph($0) } ?? " "
                } else {
                    character = canvas.braille(column: column, row: row) ?? " "
                }
                if colors {
                    let color = character == " " ? nil : owner
                    if color != currentColor {
                        line += color.map { ansi($0) } ?? reset
                        currentColor = color
                    }
                }
                line.append(character)
            }
            if colors && currentColor != nil { line += reset }
            lines.append(trimmedRight(line))
        }

        var axis = Array(repeating: Character("─"), count: columns)
        var tickLabels = Array(repeating: Character(" "), count: columns)
        var nextFree = 0
        for tick in data.xAxis.ticks {
            let position = (data.xAxis.fraction(tick.value) * Double(canvas.dotWidth - 1)).rounded()
            guard position >= 0, position < Double(canvas.dotWidth) else { continue }
            let column = Int(position) / 2
            axis[column] = "┬"
            let label = Array(tick.label)
            let start = min(max(0, column - label.count / 2), columns - label.count)
            guard start >= nextFree, start >= 0 else { continue }
            for (offset, character) in label.enumerated() { tickLabels[start + offset] = character }
            nextFree = start + label.count + 1
        }
        let indent = String(repeating: " ", count: gutter + 1)
        lines.append(indent + "└" + String(axis))
        lines.append(trimmedRight(indent + " " + String(tickLabels)))
        lines.append(trimmedRight(indent + " " + centered(fitted(chart.xLabel, columns), in: columns)))

        var entries: [(visible: Int, text: String)] = []
        for (index, series) in chart.series.enumerated() {
            let sample = glyphs ? String(glyph(index)) : "──"
            let name = fitted(series.name, width - sample.count - 1)
            let shownSample = colors ? ansi(index) + sample + reset : sample
            entries.append((sample.count + 1 + name.count, shownSample + " " + name))
        }
        var legend = ""
        var legendWidth = 0
        for entry in entries {
            if legendWidth > 0 && legendWidth + 3 + entry.visible > width {
                lines.append(legend)
                legend = ""
                legendWidth = 0
            }
            if legendWidth > 0 {
                legend += "   "
                legendWidth += 3
            }
            legend += entry.text
            legendWidth += entry.visible
        }
        if !legend.isEmpty { lines.append(legend) }
        for note in data.notes { lines.append(contentsOf: wrapped("note: " + note, width)) }
        return lines.joined(separator: "\n")
    }

    /// The dot a point falls on; points on the axis range's edge stay on the canvas.
    private static func dot(_ point: ChartPoint, data: PlotData, canvas: DotCanvas) -> (x: Int, y: Int) {
        func clamp(_ fraction: Double, _ size: Int) -> Int {
            let position = (fraction * Double(size - 1)).rounded()
            guard position.isFinite else { return 0 }
            return Int(min(Double(size - 1), max(0, position)))
        }
        return (clamp(data.xAxis.fraction(point.x), canvas.dotWidth), canvas.dotHeight - 1 - clamp(data.yAxis.fraction(point.y), canvas.dotHeight))
    }

    static let glyphCharacters: [Character] = ["*", "+", "x", "o", "#", "@", "%", "&", "=", "$"]
    static let ansiColors = [34, 33, 32, 31, 35, 36]
    static let reset = "\u{1B}[0m"

    static func glyph(_ series: Int) -> Character { glyphCharacters[series % glyphCharacters.count] }
    static func ansi(_ series: Int) -> String { "\u{1B}[\(ansiColors[series % ansiColors.count])m" }

    /// `text` on one line of at most `width` columns; control characters (a newline, an
    /// escape sequence from the data) become spaces so they cannot break or restyle the chart.
    static func fitted(_ text: String, _ width: Int) -> String {
        let width = max(1, width)
        var clean = ""
        for scalar in text.unicodeScalars {
            clean.unicodeScalars.append(scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) ? " " : scalar)
        }
        return clean.count <= width ? clean : String(clean.prefix(width - 1)) + "…"
    }

    static func centered(_ text: String, in width: Int) -> String {
        String(repeating: " ", count: max(0, (width - text.count) / 2)) + text
    }

    static func padLeft(_ text: String, to width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    static func trimmedRight(_ text: String) -> String {
        var text = text
        while text.last == " " { text.removeLast() }
        return text
    }

    /// Words wrapped at `width` (a word longer than a line is cut).
    static func wrapped(_ text: String, _ width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            let word = fitted(String(word), width)
            if !line.isEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}
