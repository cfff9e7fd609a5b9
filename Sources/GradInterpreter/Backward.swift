import GradEngine
import GradLang
import GradTensor

extension Interpreter {
    /// Runs a backward pass from `target`: each named node's gradient, and the pass described
    /// as a run for the history.
    mutating func backwardRun(from target: NodeID, label: String, at span: SourceSpan, context: ExecutionContext) throws(RuntimeError) -> (event: RunEvent, warnings: [CellOutput], gradients: [String: Tensor]) {
        let started = context.now()
        // Always a pass of its own (a run records the work it did), never the cached one.
        let gradients = try backwardPass(from: target, at: span, reuse: false)
        let duration = context.now() - started
        var snapshots: [NodeSnapshot] = []
        var reachedParam = false
        var byName: [String: Tensor] = [:]
        for (name, node) in namedNodes {
            guard let gradient = gradients[node], let definition = definitions[name] else { continue }
            byName[name] = gradient
            reachedParam = reachedParam || definition.isParam
            snapshots.append(NodeSnapshot(name: name, value: graph.value(node), gradient: gradient, isParam: definition.isParam, isLeaf: definition.isLeaf))
        }
        var warnings: [CellOutput] = []
        if !reachedParam {
            warnings.append(.warning("warning: backward \(label) reached no param: nothing it depends on was made with param(...), so training would change nothing"))
        }
        if let bad = snapshots.first(where: { !($0.gradient?.allFinite ?? true) }) {
            warnings.append(.warning("warning: the gradient d\(label)/d\(bad.name) is not finite (NaN or ±Inf): check the ops between \(bad.name) and \(label)"))
        }
        let event = RunEvent(kind: .backward, target: label, step: nil, loss: graph.scalar(target), durationSeconds: duration,
                             totalSteps: nil, nodes: snapshots, settingsJSON: nil, steps: graph.steps(of: gradients))
        return (event, warnings, byName)
    }

    /// - Parameter reuse: return the latest pass from `target` when the values have not changed since.
    mutating func backwardPass(from target: NodeID, at span: SourceSpan, reuse: Bool = true) throws(RuntimeError) -> Gradients {
        if reuse, let latest = latestBackward, latest.target == target, latest.valuesVersion == valuesVersion {
            return latest.gradients
        }
        guard graph.shape(target).reduce(1, *) == 1 else {
            throw RuntimeError(RuntimeErrorID.notDifferentiable,
                               "backward needs a scalar, but this has shape \(graph.shape(target))", at: span,
                               fixIt: "reduce it first, e.g. sum(...) or mean(...)")
        }
        do {
            let gradients = try graph.backward(from: target)
            latestBackward = (target, valuesVersion, gradients)
            return gradients
        } catch {
            throw RuntimeError(RuntimeErrorID.engine, error.description, at: span)
        }
    }

    /// `grad(...)` results are values, not differentiable nodes (SPEC §1): refuse to
    /// differentiate through a named node built from one.
    func checkNoGradientUse(beneath target: NodeID, statementUsesGrad: Bool, at span: SourceSpan) throws(RuntimeError) {
        if statementUsesGrad {
            throw RuntimeError(RuntimeErrorID.notDifferentiable, "grad(...) and jvp(...) are not differentiable in this version", at: span,
                               fixIt: "differentiate the original expression instead")
        }
        var stack = [target]
        var seen = Set<NodeID>()
        let namesUsingGrad = Set(definitions.values.filter(\.usesGrad).map(\.name))
        guard !namesUsingGrad.isEmpty else { return }
        while let node = stack.popLast() {
            guard seen.insert(node).inserted else { continue }
            if let name = nameOfNode[node], namesUsingGrad.contains(name) {
                throw RuntimeError(RuntimeErrorID.notDifferentiable,
                                   "this depends on '\(name)', which is computed with grad(...) or jvp(...); they are not differentiable in this version",
                                   at: span, fixIt: "differentiate the original expression instead of \(name)")
            }
            stack.append(contentsOf: graph.inputs(node))
        }
    }

    /// The first new node whose value became NaN or ±Inf from finite inputs: where it appeared
    /// and which op made it (anomaly detection, always on).
    func nonFiniteWarnings(createdFrom start: Int) -> [CellOutput] {
        guard start < graph.count else { return [] }
        for index in start..<graph.count {
            let node = NodeID(Int32(index))
            guard graph.isNonFinite(node) else { continue }
            let inputs = graph.inputs(node)
            guard inputs.allSatisfy({ !graph.isNonFinite($0) }) else { continue }
            let owner = nameOfNode[node].map { "'\($0)'" } ?? "an intermediate value"
            if inputs.isEmpty { return [.warning("warning: \(owner) is NaN or ±Inf")] }
            return [.warning("warning: \(owner) became NaN or ±Inf: first appeared in op '\(graph.op(node).rule.name)' with finite inputs")]
        }
        return []
    }
}

extension Definition {
    /// Whether the definition calls `grad(...)` or `jvp(...)` anywhere in its expression.
    var usesGrad: Bool {
        guard case .expression(let syntax, _, let range) = body else { return false }
        for index in range {
            if case .call(let callee, _, _) = syntax[ExprID(index: Int32(index))].kind, callee == "grad" || callee == "jvp" { return true }
        }
        return false
    }
}
