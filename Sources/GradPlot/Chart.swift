/// A line chart as plain values: what `%plot`, `gradbook plot` and a training summary draw.
/// Renderers (`SVGChart`, `TextChart`) turn it into an SVG document or terminal text; nothing
/// here reads or writes anything.
public struct Chart: Sendable, Equatable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// A base-10 logarithmic y axis (points with y ≤ 0 are left out and counted in a note).
    public var logY: Bool
    /// Whether every x is a whole number (steps, epochs), so the x axis never gets ticks between them.
    public var integralX: Bool
    /// What the reader should know about the data: columns left out, rows without an x.
    public var notes: [String]

    public init(title: String, xLabel: String, yLabel: String, series: [Series], logY: Bool = false, notes: [String] = []) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.logY = logY
        self.notes = notes
        integralX = series.allSatisfy { $0.points.allSatisfy { !$0.x.isFinite || $0.x.rounded() == $0.x } }
    }
}

/// One line of a chart. Points are drawn in order; a point whose y cannot be drawn (NaN, ±inf,
/// a NULL from SQL, or y ≤ 0 on a log axis) breaks the line, as matplotlib does with NaN.
public struct Series: Sendable, Equatable {
    public var name: String
    public var points: [ChartPoint]

    public init(name: String, points: [ChartPoint]) {
        self.name = name
        self.points = points
    }
}

public struct ChartPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}
