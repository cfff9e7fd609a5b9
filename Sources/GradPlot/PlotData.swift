/// What a renderer can draw of a chart: each series cut into runs of drawable points, the axes
/// over them, and notes for what was left out. Both renderers start from this, so the terminal
/// and the SVG always agree on ranges, ticks and notes.
struct PlotData {
    /// Per series, its unbroken runs of drawable points.
    var segments: [[[ChartPoint]]]
    var xAxis: Axis
    var yAxis: Axis
    var notes: [String]
    var hasPoints: Bool

    init(_ chart: Chart, maxXTicks: Int, maxYTicks: Int) {
        var undrawable = 0, nonPositive = 0
        var xLow = Double.infinity, xHigh = -Double.infinity, yLow = Double.infinity, yHigh = -Double.infinity
        segments = chart.series.map { series in
            var runs: [[ChartPoint]] = []
            var current: [ChartPoint] = []
            for point in series.points {
                var drawable = point.x.isFinite && point.y.isFinite
                if !drawable {
                    undrawable += 1
                } else if chart.logY && point.y <= 0 {
                    nonPositive += 1
                    drawable = false
                }
                guard drawable else {
                    if !current.isEmpty { runs.append(current) }
                    current = []
                    continue
                }
                current.append(point)
                xLow = min(xLow, point.x)
                xHigh = max(xHigh, point.x)
                yLow = min(yLow, point.y)
                yHigh = max(yHigh, point.y)
            }
            if !current.isEmpty { runs.append(current) }
            return runs
        }
        hasPoints = xLow <= xHigh
        if !hasPoints {
            (xLow, xHigh, yLow, yHigh) = (0, 1, chart.logY ? 1 : 0, chart.logY ? 10 : 1)
        }
        xAxis = Axis.linear(from: xLow, to: xHigh, maxTicks: maxXTicks, integral: chart.integralX)
        yAxis = chart.logY ? Axis.logarithmic(from: yLow, to: yHigh, maxTicks: maxYTicks) : Axis.linear(from: yLow, to: yHigh, maxTicks: maxYTicks)
        notes = chart.notes
        if undrawable > 0 {
            notes.append("\(Self.count(undrawable, "point")) not drawn: NULL, NaN or infinite")
        }
        if nonPositive > 0 {
            notes.append("\(Self.count(nonPositive, "point")) not drawn: y ≤ 0 has no place on a log scale")
        }
        if !hasPoints { notes.append("no points to draw") }
    }

    static func count(_ number: Int, _ noun: String) -> String {
        "\(number) \(noun)\(number == 1 ? "" : "s")"
    }
}
