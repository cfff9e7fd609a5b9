/// Whether a REPL or Jupyter (`is_complete_request`) should run the text typed so far.
public enum Completeness: Sendable, Equatable {
    /// Run it (it may still fail at run time).
    case complete
    /// Ask for another line, pre-filled with `indent`.
    case incomplete(indent: String)
    /// Run it anyway: more lines cannot fix it, and running shows the error.
    case invalid
}

extension Parser {
    /// `.incomplete` while a `(` or `[` is open or the text ends with an operator (`x = 2 *`), or, for a
    /// cell magic, until a blank line ends its body (as IPython does); `.invalid` for any other syntax
    /// error (e.g. a stray `)`); `.complete` otherwise.
    public static func completeness(of source: String) -> Completeness {
        let bytes = Array(source.utf8)
        guard bytes.count < Int(Int32.max) else { return .invalid }
        var parser = CellParser(bytes: bytes)
        parser.parseCell()
        let diagnostics = parser.stream.collector.diagnostics
        let lastLine = source.split(separator: "\n", omittingEmptySubsequences: false).last ?? ""
        let indent = String(lastLine.prefix { $0 == " " || $0 == "\t" })
        guard diagnostics.isEmpty else {
            return parser.endedInsideOpenConstruct && diagnostics.count == 1 ? .incomplete(indent: indent) : .invalid
        }
        if case .cellMagic = parser.statements.first?.kind {
            let endsWithBlankLine = source.contains("\n") && lastLine.allSatisfy { $0.isWhitespace }
            return endsWithBlankLine ? .complete : .incomplete(indent: "")
        }
        return .complete
    }
}
