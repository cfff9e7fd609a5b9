import GradInterpreter
import GradLang

/// `%explain J --forward w`: forward-mode differentiation shown left to right (the interpreter's
/// `explainForward`), as terminal text and as a Jupyter HTML table like `%explain J`'s.
extension Session {
    func forwardExplainMagic(argument: String, span: SourceSpan, cell: inout CellRun) throws {
        var words = argument.split(separator: " ").map(String.init)
        guard let flag = words.firstIndex(of: "--forward"), flag + 1 < words.count else {
            throw RuntimeError.session("%explain --forward needs the node to differentiate with respect to", at: span,
                                       fixIt: "e.g. %explain J --forward w")
        }
        let seed = words[flag + 1]
        words.removeSubrange(flag...(flag + 1))
        let target = try singleName(words.joined(separator: " "), magic: "explain", span: span)
        _ = try singleName(seed, magic: "explain --forward", span: span)
        do {
            let explanation = try interpreter.explainForward(target, seed: seed)
            emit(.display(RichOutput(plain: explanation.text, html: Self.forwardExplanationHTML(explanation))), into: &cell)
        } catch {
            var diagnostic = error.diagnostic
            diagnostic.span = span
            throw RuntimeError(diagnostic: diagnostic)
        }
    }

    static func forwardExplanationHTML(_ explanation: ForwardExplanation) -> String {
        let rows = explanation.steps.map { "<tr><td style=\"text-align:left\"><code>\(escapeHTML($0))</code></td></tr>" }.joined()
        return "<table><thead><tr><th style=\"text-align:left\">\(escapeHTML(explanation.heading))</th></tr></thead><tbody>\(rows)</tbody></table>"
    }
}
