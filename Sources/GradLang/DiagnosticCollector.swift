/// Collects diagnostics up to `Parser.errorLimit`, then one E0002 and nothing more, so that a megabyte
/// of garbage costs bounded memory and a reader sees the first errors, not a wall of them.
struct DiagnosticCollector {
    private(set) var diagnostics: [Diagnostic] = []
    private(set) var isFull = false

    mutating func report(_ diagnostic: Diagnostic) {
        guard !isFull else { return }
        if diagnostics.count == Parser.errorLimit {
            isFull = true
            diagnostics.append(Diagnostic(
                .tooManyErrors, "too many errors (limit \(Parser.errorLimit)); stopped here",
                span: diagnostic.span, fixIt: "fix the errors above and run the cell again"))
            return
        }
        diagnostics.append(diagnostic)
    }

    /// Moves every diagnostic out of `pending` (which is left empty).
    mutating func take(_ pending: inout [Diagnostic]) {
        guard !pending.isEmpty else { return }
        for diagnostic in pending { report(diagnostic) }
        pending.removeAll(keepingCapacity: true)
    }
}
