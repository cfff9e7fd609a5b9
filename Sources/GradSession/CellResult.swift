import GradInterpreter
import GradLang
import GradTensor

/// One thing a cell showed, in the order it was shown.
public enum SessionOutput: Sendable, Equatable {
    /// Text for standard output: `print`, `name = value` after definitions.
    case stdout(String)
    /// Warnings, for standard error.
    case stderr(String)
    /// A displayed value or magic output (a Jupyter `display_data`).
    case display(RichOutput)
    /// `name?`: help text, which Jupyter shows in its pager rather than in the cell.
    case page(String)
    /// `%clear`: forget what the cell has shown so far (Jupyter's `clear_output`).
    case clearOutput
}

public enum CellStatus: String, Sendable {
    case ok, error
}

/// What running a cell produced. Front ends render it; nothing here is printed.
public struct CellResult: Sendable {
    public var executionCount: Int
    public var status: CellStatus
    public var outputs: [SessionOutput]
    /// The value of the cell's last bare expression (IPython's `Out[n]`).
    public var result: RichOutput?
    /// The error, rendered with `line:column`, the source line and a caret.
    public var errorText: String?
    /// The error's one-line message (Jupyter's `evalue`) and kind (`ename`).
    public var errorName: String?
    public var errorMessage: String?
    public var durationSeconds: Double
}
