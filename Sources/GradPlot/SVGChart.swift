/// A chart as a standalone SVG document (what Jupyter shows as `image/svg+xml` and
/// `gradbook plot --output` writes): a title, a y axis and an x axis with labelled ticks and
/// names, grid lines, one polyline per unbroken run of each series (a lone point is a circle),
/// a legend and notes. Elements carry classes (`series`, `tick`, `legend-entry`, …) so tests
/// and stylesheets can find them.
public enum SVGChart {
    public static let defaultWidth = 640
    public static let defaultHeight = 380
    /// Matplotlib's default colour cycle ("tab10"), which people read as "a plot".
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
    /// Beyond the palette, series are told apart by dashes too.
    static let dashes = ["", "6 3", "2 2", "8 3 2 3"]

    public static func render(_ chart: Chart, width: Int = defaultWidth, height: Int = defaultHeight, xmlDeclaration: Bool = false) -> String {
        let characterWidth = 6.6
        let width = Double(max(240, width)), height = Double(max(160, height))
        let rough = PlotData(chart, maxXTicks: 6, maxYTicks: 6)
        let yLabelWidth = Double(rough.yAxis.ticks.map(\.label.count).max() ?? 1) * characterWidth
        let legendNames = chart.series.prefix(maxLegendEntries(height)).map { truncated($0.name, 28) }
        let legendWidth = Double(legendNames.map(\.count).max() ?? 0) * characterWidth + 34
        let left = 30 + yLabelWidth + 10, right = width - legendWidth - 12
        let top = 40.0, bottom = height - 46 - Double(rough.notes.count) * 15
        let plotWidth = max(40, right - left), plotHeight = max(40, bottom - top)
        let data = PlotData(chart, maxXTicks: max(2, min(10, Int(plotWidth / 70))), maxYTicks: max(2, min(8, Int(plotHeight / 40))))

        func px(_ x: Double) -> Double { left + clamp(data.xAxis.fraction(x)) * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - clamp(data.yAxis.fraction(y))) * plotHeight }

        var svg = xmlDeclaration ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" : ""
        svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"gradbook-chart\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        svg += "<title>\(escaped(chart.title))</title>\n"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        svg += "<text class=\"title\" x=\"\(number(left + plotWidth / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"14\" fill=\"#222\">\(escaped(truncated(chart.title, Int((width - 20) / 7.5))))</text>\n"

        svg += "<g class=\"axis y-axis\" stroke=\"#444\">\n"
        for tick in data.yAxis.ticks {
            let y = number(py(tick.value))
            svg += "<line class=\"grid\" x1=\"\(number(left))\" y1=\"\(y)\" x2=\"\(number(left + plotWidth))\" y2=\"\(y)\" stroke=\"#e5e5e5\"/>"
            svg += "<line class=\"tick\" x1=\"\(number(left - 5))\" y1=\"\(y)\" x2=\"\(number(left))\" y2=\"\(y)\"/>"
            svg += "<text class=\"tick-label\" x=\"\(number(left - 8))\" y=\"\(y)\" dy=\"0.32em\" text-anchor=\"end\" stroke=\"none\" fill=\"#222\">\(escaped(tick.label))</text>\n"
        }
        svg += "<line class=\"axis-line\" x1=\"\(number(left))\" y1=\"\(number(top))\" x2=\"\(number(left))\" y2=\"\(number(top + plotHeight))\"/>\n"
        let yTitleX = number(14), yTitleY = number(top + plotHeight / 2)
        svg += "<text class=\"axis-label\" x=\"\(yTitleX)\" y=\"\(yTitleY)\" transform=\"rotate(-90 \(yTitleX) \(yTitleY))\" text-anchor=\"middle\" stroke=\"none\" fill=\"#222\" font-size=\"12\">\(escaped(truncated(chart.yLabel, Int(plotHeight / 7))))\(chart.logY ? " (log scale)" : "")</text>\n"
        svg += "</g>\n"

        svg += "<g class=\"axis x-axis\" stroke=\"#444\">\n"
        let axisY = top + plotHeight
        for tick in data.xAxis.ticks {
            let x = number(px(tick.value))
            svg += "<line class=\"tick\" x1=\"\(x)\" y1=\"\(number(axisY))\" x2=\"\(x)\" y2=\"\(number(axisY + 5))\"/>"
            svg += "<text class=\"tick-label\" x=\"\(x)\" y=\"\(number(axisY + 17))\" text-anchor=\"middle\" stroke=\"none\" fill=\"#222\">\(escaped(tick.label))</text>\n"
        }
        svg += "<line class=\"axis-line\" x1=\"\(number(left))\" y1=\"\(number(axisY))\" x2=\"\(number(left + plotWidth))\" y2=\"\(number(axisY))\"/>\n"
        svg += "<text class=\"axis-label\" x=\"\(number(left + plotWidth / 2))\" y=\"\(number(axisY + 34))\" text-anchor=\"middle\" stroke=\"none\" fill=\"#222\" font-size=\"12\">\(escaped(truncated(chart.xLabel, Int(plotWidth / 7))))</text>\n"
        svg += "</g>\n"

        for (index, runs) in data.segments.enumerated() {
            let style = stroke(index)
            svg += "<g class=\"series\" data-name=\"\(escaped(chart.series[index].name))\"><title>\(escaped(chart.series[index].name))</title>\n"
            for run in runs {
                let points = thinned(run, buckets: Int(plotWidth))
                if points.count == 1, let point = points.first {
                    svg += "<circle class=\"point\" cx=\"\(number(px(point.x)))\" cy=\"\(number(py(point.y)))\" r=\"2.5\" fill=\"\(style.color)\"/>\n"
                    continue
                }
                let list = points.map { "\(number(px($0.x))),\(number(py($0.y)))" }.joined(separator: " ")
                svg += "<polyline fill=\"none\" stroke=\"\(style.color)\" stroke-width=\"1.6\"\(style.dash.isEmpty ? "" : " stroke-dasharray=\"\(style.dash)\"") stroke-linejoin=\"round\" points=\"\(list)\"/>\n"
            }
            svg += "</g>\n"
        }

        svg += "<g class=\"legend\" stroke=\"none\">\n"
        let legendX = right + 14
        for (index, name) in legendNames.enumerated() {
            let y = top + 8 + Double(index) * 17
            let style = stroke(index)
            svg += "<g class=\"legend-entry\"><line x1=\"\(number(legendX))\" y1=\"\(number(y))\" x2=\"\(number(legendX + 20))\" y2=\"\(number(y))\" stroke=\"\(style.color)\" stroke-width=\"2\"\(style.dash.isEmpty ? "" : " stroke-dasharray=\"\(style.dash)\"")/>"
            svg += "<text x=\"\(number(legendX + 26))\" y=\"\(number(y))\" dy=\"0.32em\" fill=\"#222\">\(escaped(name))</text></g>\n"
        }
        if chart.series.count > legendNames.count {
            let y = top + 8 + Double(legendNames.count) * 17
            svg += "<text class=\"legend-more\" x=\"\(number(legendX))\" y=\"\(number(y))\" dy=\"0.32em\" fill=\"#666\">… and \(chart.series.count - legendNames.count) more</text>\n"
        }
        svg += "</g>\n"

        for (index, note) in data.notes.enumerated() {
            svg += "<text class=\"note\" x=\"\(number(left))\" y=\"\(number(axisY + 52 + Double(index) * 15))\" fill=\"#666\">note: \(escaped(note))</text>\n"
        }
        svg += "</svg>"
        return svg
    }

    private static func maxLegendEntries(_ height: Double) -> Int { max(1, Int((height - 100) / 17)) }

    private static func stroke(_ index: Int) -> (color: String, dash: String) {
        (palette[index % palette.count], dashes[(index / palette.count) % dashes.count])
    }

    private static func clamp(_ fraction: Double) -> Double {
        fraction.isFinite ? min(1, max(0, fraction)) : 0
    }

    /// At most about four points per horizontal pixel: each bucket of x keeps its first, lowest,
    /// highest and last point (the "M4" reduction), so the drawn line is the same.
    static func thinned(_ points: [ChartPoint], buckets: Int) -> [ChartPoint] {
        let buckets = max(1, buckets)
        guard points.count > 4 * buckets else { return points }
        var kept: [ChartPoint] = []
        var start = 0
        while start < points.count {
            let end = min(points.count, start + (points.count + buckets - 1) / buckets)
            let slice = points[start..<end]
            var indices: Set<Int> = [start, end - 1]
            if let low = slice.indices.min(by: { points[$0].y < points[$1].y }) { indices.insert(low) }
            if let high = slice.indices.max(by: { points[$0].y < points[$1].y }) { indices.insert(high) }
            kept.append(contentsOf: indices.sorted().map { points[$0] })
            start = end
        }
        return kept
    }

    /// A coordinate with at most two decimals (`12.5`, `300`).
    static func number(_ value: Double) -> String {
        let hundredths = (value * 100).rounded()
        guard hundredths.isFinite, abs(hundredths) < 1e15 else { return "0" }
        return TickLabel.format(significand: Int64(hundredths), exponent: -2)
    }

    static func truncated(_ text: String, _ limit: Int) -> String {
        let limit = max(2, limit)
        return text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    /// Text for XML character data and attribute values; characters XML 1.0 forbids (control
    /// characters, U+FFFE, U+FFFF) become U+FFFD.
    static func escaped(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case "\n", "\t": result.unicodeScalars.append(scalar)
            default:
                let forbidden = scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF
                result.unicodeScalars.append(forbidden ? "\u{FFFD}" : scalar)
            }
        }
        return result
    }
}
