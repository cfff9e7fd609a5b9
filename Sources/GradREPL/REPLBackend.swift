/// What running one cell gave, for the REPL to show.
public struct CellOutcome: Sendable, Equatable {
    public var executionCount: Int
    /// The cell's value (`Out[n]`).
    public var value: String?
    /// The error, rendered with its location and a caret.
    public var errorText: String?

    public init(executionCount: Int, value: String? = nil, errorText: String? = nil) {
        self.executionCount = executionCount
        self.value = value
        self.errorText = errorText
    }
}

/// The kernel the REPL talks to: a `Session` in the product, a stand-in in tests. Outputs a
/// cell produces while it runs (prints, tables, warnings) go straight to the terminal; only
/// the value and the error come back here.
public protocol REPLBackend: AnyObject {
    /// The number the next cell will get (`In [n]`).
    var nextExecutionCount: Int { get }
    func execute(_ source: String) -> CellOutcome
    func completionSources() -> CompletionSources
    /// The sources of the latest cells run on this database by any session, oldest first.
    func recentCells(limit: Int) -> [String]
    func definesName(_ name: String) -> Bool
    /// Ends the session (recorded as `ended_at`).
    func close()
}
