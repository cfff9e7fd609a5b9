import GradLang

/// The lines of the cell being typed. A line ends the cell when the parser says the text is
/// complete (or beyond repair: running it shows the error); it continues while a bracket is
/// open, after a trailing operator, and in a `%%` cell until an empty line.
public struct CellBuffer: Sendable, Equatable {
    public enum Step: Sendable, Equatable {
        /// Run this source as one cell.
        case run(String)
        /// Ask for another line, pre-filled with `indent`.
        case needMore(indent: String)
        /// Nothing was typed: prompt again with the same number.
        case nothing
    }

    public private(set) var lines: [String] = []

    public init() {}

    public var isEmpty: Bool { lines.isEmpty }
    public var text: String { lines.joined(separator: "\n") }

    /// Adds a line as read from the terminal; it may hold several lines (a cell recalled from history).
    public mutating func add(_ line: String) -> Step {
        if lines.isEmpty && line.allSatisfy(\.isWhitespace) { return .nothing }
        lines.append(line)
        switch Parser.completeness(of: text) {
        case .incomplete(let indent):
            return .needMore(indent: indent)
        case .complete, .invalid:
            let source = text
            lines = []
            return .run(source)
        }
    }

    /// Text that ends without finishing its cell (end of a script): run it as it is, so the
    /// parser reports what is missing.
    public mutating func takeRemainder() -> String? {
        defer { lines = [] }
        let source = text
        return source.allSatisfy(\.isWhitespace) ? nil : source
    }

    public mutating func clear() {
        lines = []
    }
}
