import GradEngine
import GradLang
import GradTensor

/// A loss whose gradients the notebook keeps current: the target of a `backward J`, a
/// `grad(J, x)` or a `train(J, ...)`. Like a spreadsheet cell, its gradients are recomputed
/// (and recorded as a backward run) by the statement that changes something the loss depends
/// on, so `.grad`, `%graph`, `%who` and `name?` never show the gradients of an older graph.
struct GradientTarget: Sendable {
    /// How runs and messages name it: `J`, or the expression's text for an unnamed loss.
    var label: String
    /// A named loss is followed by name, through redefinitions of itself and its inputs.
    var name: String?
    /// An unnamed loss's source, evaluated again once the graph has been rebuilt; nil when
    /// the text is unknown (`train` of an expression), which then cannot be followed past a rebuild.
    var expression: String?
    /// The loss's node in the graph of generation `graphGeneration`.
    var node: NodeID
    var graphGeneration: Int
    /// Named nodes the loss's value depends on (its own name included): changing any of them
    /// makes the gradients stale.
    var ancestors: Set<String>
    /// d(loss)/d(name) for every named node the pass reached; empty while `unavailable`.
    var gradients: [String: Tensor]
    /// Why there are no gradients now (the loss stopped being a scalar, ...), said by `.grad`.
    var unavailable: String?
    /// Computed at the end of the statement that asked for it (`train`, whose last step's
    /// gradients predate its last update).
    var pending: Bool

    func identifies(_ other: GradientTarget) -> Bool {
        if let name { return other.name == name }
        return other.name == nil && other.label == label
    }
}

extension Interpreter {
    /// Each named node's gradient from the most recent loss that reaches it (what `w.grad` shows).
    public var latestGradients: [String: Tensor] {
        var merged: [String: Tensor] = [:]
        for target in gradientTargets { merged.merge(target.gradients) { _, newer in newer } }
        return merged
    }

    /// `name.grad`: the gradient from the most recently requested loss that reaches `name`.
    public func gradient(of name: String) -> Tensor? {
        for target in gradientTargets.reversed() {
            if let gradient = target.gradients[name] { return gradient }
        }
        return nil
    }

    /// The gradients `%graph name` labels its nodes with: the loss's own when `name` is a loss
    /// the notebook follows, else each node's latest (as `.grad`).
    public func gradients(shownWith name: String) -> [String: Tensor] {
        if let own = gradientTargets.last(where: { $0.name == name && $0.unavailable == nil }) { return own.gradients }
        return latestGradients
    }

    /// Why `name` has no gradient although a loss that depended on it was differentiated.
    func missingGradientReason(of name: String) -> String? {
        gradientTargets.last { $0.unavailable != nil && $0.ancestors.contains(name) }?.unavailable
    }

    /// Starts following `target` (or moves it to the end: the latest request wins where two
    /// losses reach the same node).
    mutating func follow(_ target: GradientTarget) {
        gradientTargets.removeAll { $0.identifies(target) }
        gradientTargets.append(target)
    }

    /// Follows a loss whose gradients were just computed from `node`.
    mutating func follow(node: NodeID, label: String, expression: String?, gradients: [String: Tensor]) {
        follow(GradientTarget(label: name(of: node) ?? label, name: name(of: node), expression: name(of: node) == nil ? expression : nil,
                              node: node, graphGeneration: graphGeneration, ancestors: namedAncestors(ofNode: node),
                              gradients: gradients, unavailable: nil, pending: false))
    }

    /// Follows a loss whose gradients are computed when the current statement ends.
    mutating func followAfterStatement(node: NodeID, label: String) {
        follow(GradientTarget(label: name(of: node) ?? label, name: name(of: node), expression: nil, node: node,
                              graphGeneration: graphGeneration, ancestors: namedAncestors(ofNode: node),
                              gradients: [:], unavailable: nil, pending: true))
    }

    func namedAncestors(ofNode node: NodeID) -> Set<String> {
        Set(graph.ancestors(of: node).compactMap { nameOfNode[$0] })
    }

    /// After a statement: recomputes the gradients of every followed loss that the statement
    /// made stale, each as a recorded backward run. A loss that can no longer be
    /// differentiated loses its gradients with a warning saying why; the statement stands.
    mutating func refreshGradients(context: ExecutionContext, outcome: inout StatementOutcome) {
        guard gradientTargets.contains(where: { $0.pending || !$0.ancestors.isDisjoint(with: changedNames) }) else { return }
        for index in gradientTargets.indices {
            let target = gradientTargets[index]
            guard target.pending || !target.ancestors.isDisjoint(with: changedNames) else { continue }
            gradientTargets[index].pending = false
            do throws(RuntimeError) {
                let node = try currentNode(of: target, context: context)
                gradientTargets[index].node = node
                gradientTargets[index].graphGeneration = graphGeneration
                gradientTargets[index].ancestors = namedAncestors(ofNode: node)
                let span = SourceSpan(at: .start)
                guard graph.shape(node).reduce(1, *) == 1 else {
                    throw RuntimeError(RuntimeErrorID.notDifferentiable,
                                       "\(target.label) has shape \(formatShape(graph.shape(node))) now, and backward needs a scalar", at: span)
                }
                try checkNoGradientUse(beneath: node, statementUsesGrad: false, at: span)
                let run = try backwardRun(from: node, label: target.label, at: span, context: context)
                gradientTargets[index].gradients = run.gradients
                gradientTargets[index].unavailable = nil
                outcome.runs.append(run.event)
                outcome.outputs.append(contentsOf: run.warnings)
            } catch {
                let reason = error.diagnostic.message
                if target.unavailable == nil {
                    outcome.outputs.append(.warning("warning: the gradients of backward \(target.label) are cleared: \(reason); they come back when it can be differentiated again"))
                }
                gradientTargets[index].gradients = [:]
                gradientTargets[index].unavailable = "the backward pass of \(target.label) cannot run: \(reason)"
            }
        }
    }

    /// The loss's node in the current graph: by name, as the same node if the graph was not
    /// rebuilt since, or by evaluating its text again.
    private mutating func currentNode(of target: GradientTarget, context: ExecutionContext) throws(RuntimeError) -> NodeID {
        let span = SourceSpan(at: .start)
        if let name = target.name {
            guard let node = nodeOfName[name] else {
                throw RuntimeError(RuntimeErrorID.unknownName, "'\(name)' is no longer defined", at: span)
            }
            return node
        }
        if target.graphGeneration == graphGeneration { return target.node }
        guard let text = target.expression else {
            throw RuntimeError(RuntimeErrorID.notDifferentiable,
                               "it is an unnamed expression whose text is not kept, so it cannot be followed through a redefinition (name the loss, J = ..., then train(J, ...))",
                               at: span)
        }
        let syntax = Parser.parse(text)
        guard !syntax.hasErrors, syntax.statements.count == 1, let statement = syntax.statements.first,
              case .expression(let root) = statement.kind else {
            throw RuntimeError(RuntimeErrorID.notDifferentiable, "'\(text)' is not an expression gradbook can evaluate again", at: span)
        }
        var scratch = StatementOutcome()
        let evaluated = try evaluate(root, statement: statement, syntax: syntax, context: context, outcome: &scratch)
        guard case .node(let node) = evaluated.value else {
            throw RuntimeError(RuntimeErrorID.notDifferentiable, "'\(text)' no longer depends on any node", at: span)
        }
        return node
    }
}
