import GradLang
import GradTensor

extension Interpreter {
    /// Binds `name` to a leaf that holds `value`, as if a cell had defined it: how a replay puts
    /// back the leaves and params of a stored run, with the exact values that run used (a
    /// param's value at a training step is not the value its definition computed).
    ///
    /// Redefining an existing name rebuilds its dependents, like any redefinition.
    /// - Parameter sourceText: the definition's right-hand side as stored (`param(2)`), shown
    ///   by `name?` and `%who`; empty for leaves that came from destructuring.
    public mutating func defineLeaf(name: String, value: Tensor, isParam: Bool, sourceText: String = "",
                                    cellNumber: Int = 0) throws(RuntimeError) {
        let span = SourceSpan(at: .start)
        try Self.checkAssignable(Identifier(name: name, span: span))
        let saved = self
        let definition = Definition(name: name, body: .leaf(value, isParam: isParam), sourceText: sourceText,
                                    dependencies: [], cellNumber: cellNumber, span: span)
        var outcome = StatementOutcome()
        do {
            try define(definition, evaluatedNode: .constant(value), context: ExecutionContext(cellNumber: cellNumber),
                       outcome: &outcome)
        } catch {
            self = saved
            throw error
        }
    }
}
