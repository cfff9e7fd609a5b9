import GradLang
import GradPlot
import GradTensor

/// Something a statement shows the user. Front ends decide how (terminal text, Jupyter MIME).
public enum CellOutput: Sendable, Equatable {
    /// `print(...)`: the stdout stream.
    case stdout(String)
    /// Warnings (NaN/Inf, a backward pass that reached no param): the stderr stream.
    case warning(String)
    /// A value to display: `name = value` after a definition, or a bare expression's value.
    case value(label: String?, Tensor)
    /// Preformatted text with optional richer renderings (magics: tables, graphs).
    case rich(RichOutput)
}

/// A display with alternative renderings, like a Jupyter MIME bundle.
public struct RichOutput: Sendable, Equatable {
    public var plain: String
    public var html: String?
    public var svg: String?
    /// A chart that a terminal draws at its own width and colours; `plain` holds it drawn
    /// at 80 columns without colour (Jupyter's `text/plain`, the stored outputs).
    public var chart: TerminalChart?

    public init(plain: String, html: String? = nil, svg: String? = nil) {
        self.plain = plain
        self.html = html
        self.svg = svg
    }

    /// A chart shown as an SVG where the front end can, and as terminal text elsewhere.
    public init(chart: TerminalChart) {
        self.init(plain: chart.text(width: TextChart.defaultWidth, colors: false), svg: SVGChart.render(chart.chart))
        self.chart = chart
    }

    /// What a terminal `width` columns wide shows.
    public func terminalText(width: Int, colors: Bool) -> String {
        chart?.text(width: width, colors: colors) ?? plain
    }
}

/// A chart with the lines of text that introduce it, drawn for a terminal.
public struct TerminalChart: Sendable, Equatable {
    public var heading: String?
    public var chart: Chart
    public var plotRows: Int

    public init(heading: String? = nil, chart: Chart, plotRows: Int = 12) {
        self.heading = heading
        self.chart = chart
        self.plotRows = plotRows
    }

    public func text(width: Int, colors: Bool) -> String {
        let drawing = TextChart.render(chart, width: width, plotRows: plotRows, colors: colors)
        return heading.map { $0 + "\n" + drawing } ?? drawing
    }
}

/// A named node that a statement defined or redefined, with what the database records of it.
public struct DefinitionEvent: Sendable {
    public var name: String
    public var op: String
    public var inputs: [String]
    public var shape: [Int]
    public var isParam: Bool
    public var expression: String
    public var attributesJSON: String
    /// The full value of a leaf (params included), so the run history can rebuild it.
    public var leafValue: Tensor?
}

public enum RunKind: String, Sendable {
    case forward, backward, train, replay
    /// Forward-mode differentiation: `jvp(...)` (one pass) or `grad(..., mode="forward")`.
    case forwardMode = "forward_mode"
    /// `gradcheck(J)`'s finite differences.
    case gradcheck
}

/// A named node's value (and gradient, after a backward pass) at the moment of a run.
public struct NodeSnapshot: Sendable {
    public var name: String
    public var value: Tensor
    public var gradient: Tensor?
    public var isParam: Bool
    public var isLeaf: Bool
}

/// A forward pass, backward pass or training step, with the named nodes it touched.
public struct RunEvent: Sendable {
    public var kind: RunKind
    public var target: String
    public var step: Int?
    public var loss: Double?
    public var durationSeconds: Double
    /// Training runs: how many steps the `train` call will make, so policies can tell the last.
    public var totalSteps: Int?
    public var nodes: [NodeSnapshot]
    /// Optimizer settings of a training step, as JSON, for the database.
    public var settingsJSON: String?
    /// Node evaluations the run made (README: "Steps"); nil where not counted.
    public var steps: Int? = nil
    /// Training steps: the optimizer's state before this step's update, which a checkpoint
    /// of the step stores.
    public var optimizerState: NamedOptimizerState? = nil
    /// Training steps: `train(..., checkpoint_every=K)`, when given.
    public var checkpointEvery: Int? = nil
}

/// What one statement did: its outputs, the definitions it made and the runs it performed.
public struct StatementOutcome: Sendable {
    public var outputs: [CellOutput] = []
    public var definitions: [DefinitionEvent] = []
    public var runs: [RunEvent] = []
    /// The value of a bare expression: the cell's result when it is the last statement.
    public var result: Tensor?
    /// A `train` stopped by an interrupt: its finished steps are kept, but the cell stops here.
    public var interrupted = false

    public init() {}
}
