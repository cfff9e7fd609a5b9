import GradLang

/// An error raised while a statement runs, always tied to the place in the cell that caused it.
/// It becomes a `Diagnostic` so every front end renders it the same way as a parse error.
public struct RuntimeError: Error, Sendable {
    public var diagnostic: Diagnostic

    init(_ id: String, _ message: String, at span: SourceSpan?, notes: [String] = [], fixIt: String? = nil) {
        diagnostic = Diagnostic(id: id, severity: .error, message: message, span: span, notes: notes, fixIt: fixIt)
    }
}

/// Stable ids of the interpreter's diagnostics (the parser's ids are GradLang's).
enum RuntimeErrorID {
    static let unknownName = "E0301"
    static let notCallable = "E0302"
    static let badArguments = "E0303"
    static let shape = "E0304"
    static let cycle = "E0305"
    static let notDifferentiable = "E0306"
    static let noGradient = "E0307"
    static let typeMismatch = "E0308"
    static let reserved = "E0309"
    static let engine = "E0310"
    static let interrupted = "E0311"
    static let io = "E0312"
}
