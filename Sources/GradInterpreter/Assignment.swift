import GradEngine
import GradLang
import GradTensor

extension Interpreter {
    /// Names a built-in may not be shadowed by: a user who writes `exp = 3` would lose `exp(...)`.
    static func checkAssignable(_ target: Identifier) throws(RuntimeError) {
        if Builtins.isFunction(target.name) {
            throw RuntimeError(RuntimeErrorID.reserved, "'\(target.name)' is a built-in function and cannot be assigned", at: target.span,
                               fixIt: "pick another name, e.g. \(target.name)_")
        }
    }

    mutating func assign(_ targets: [Identifier], value root: ExprID, statement: Statement, syntax: CellSyntax, context: ExecutionContext, outcome: inout StatementOutcome) throws(RuntimeError) {
        for target in targets { try Self.checkAssignable(target) }
        let nodesBefore = graph.count
        let evaluated = try evaluate(root, statement: statement, syntax: syntax, context: context, outcome: &outcome)
        if targets.count > 1 {
            try destructure(targets, evaluated.value, at: syntax[root].span, context: context, outcome: &outcome)
            return
        }
        guard let target = targets.first else { return }
        let sourceText = String(syntax.text(of: syntax[root].span))
        let body: Definition.Body
        switch evaluated.value {
        case .constant(let tensor) where evaluated.isParamDefinition:
            body = .leaf(tensor, isParam: true)
        case .constant(let tensor) where evaluated.dependencies.isEmpty:
            body = .leaf(tensor, isParam: false)
        case .node, .constant:
            if evaluated.isParamDefinition, let tensor = tensorValue(evaluated.value) {
                body = .leaf(tensor, isParam: true)
            } else {
                body = .expression(syntax, root: root, range: statement.expressions)
            }
        default:
            throw RuntimeError(RuntimeErrorID.typeMismatch, "cannot assign \(evaluated.value.kindDescription) to '\(target.name)': a node holds a tensor",
                               at: syntax[root].span)
        }
        let definition = Definition(name: target.name, body: body, sourceText: sourceText,
                                    dependencies: body.isExpression ? evaluated.dependencies : [],
                                    cellNumber: context.cellNumber, span: statement.span)
        try define(definition, evaluatedNode: evaluated.value, evaluatedSince: nodesBefore, context: context, outcome: &outcome)
    }

    /// `X, y = moons(100)`: each target becomes a leaf holding one of the returned tensors.
    mutating func destructure(_ targets: [Identifier], _ value: RuntimeValue, at span: SourceSpan, context: ExecutionContext, outcome: inout StatementOutcome) throws(RuntimeError) {
        guard case .tuple(let items) = value else {
            throw RuntimeError(RuntimeErrorID.typeMismatch, "cannot unpack \(value.kindDescription) into \(targets.count) names", at: span,
                               fixIt: "only functions that return several tensors, like moons(...) and blobs(...), can be unpacked")
        }
        guard items.count == targets.count else {
            throw RuntimeError(RuntimeErrorID.typeMismatch, "this returns \(items.count) values but \(targets.count) names are given", at: span)
        }
        for (target, item) in zip(targets, items) {
            guard let tensor = tensorValue(item) else { continue }
            let definition = Definition(name: target.name, body: .leaf(tensor, isParam: false), sourceText: "",
                                        dependencies: [], cellNumber: context.cellNumber, span: target.span)
            try define(definition, evaluatedNode: .constant(tensor), context: context, outcome: &outcome)
        }
    }

    /// Binds a name. A new name just joins the graph; a redefinition rebuilds the graph from the
    /// definitions so everything downstream sees the new value (spreadsheet semantics).
    /// - Parameter nodesBefore: the graph's node count before the definition's expression was
    ///   evaluated (its op nodes are the forward run's steps); nil: now.
    mutating func define(_ definition: Definition, evaluatedNode: RuntimeValue, evaluatedSince nodesBefore: Int? = nil,
                         context: ExecutionContext, outcome: inout StatementOutcome) throws(RuntimeError) {
        let name = definition.name
        var recomputed: [String] = [name]
        var evaluatedFrom = nodesBefore ?? graph.count
        if definitions[name] != nil {
            if let cycle = cyclePath(defining: name, dependencies: definition.dependencies) {
                throw RuntimeError(RuntimeErrorID.cycle, "defining '\(name)' this way would make it depend on itself: \(cycle.joined(separator: " → "))",
                                   at: definition.span, fixIt: "use a new name, e.g. \(name)2 = ...")
            }
            recomputed += dependents(of: name)
            changedNames.insert(name)
            definitions[name] = definition
            try rebuildGraph(context: context, redefined: name)
            evaluatedFrom = 0
        } else {
            definitions[name] = definition
            definitionOrder.append(name)
            let node: NodeID
            switch definition.body {
            case .leaf(let value, let isParam):
                node = graph.leaf(value, isParam: isParam)
            case .expression:
                node = try namedNode(for: evaluatedNode, at: definition.span)
            }
            bind(name, to: node)
        }
        for changed in recomputed {
            guard let event = definitionEvent(changed) else { continue }
            if changed == name { outcome.definitions.append(event) }
        }
        outcome.runs.append(forwardRun(target: name, names: recomputed, steps: graph.opNodeCount(in: evaluatedFrom..<graph.count)))
        if let node = nodeOfName[name] {
            outcome.outputs.append(.value(label: name, graph.value(node)))
        }
    }

    /// The node that carries a definition's name. An expression that is just another name
    /// (`c2 = c`) or a constant still gets a node of its own, so every name has one node.
    mutating func namedNode(for value: RuntimeValue, at span: SourceSpan) throws(RuntimeError) -> NodeID {
        switch value {
        case .node(let id) where nameOfNode[id] == nil:
            return id
        case .node(let id):
            do { return try graph.apply(.identity, [id]) } catch { throw engineFailure(error, at: span) }
        case .constant(let tensor):
            return graph.constant(tensor)
        default:
            throw RuntimeError(RuntimeErrorID.typeMismatch, "expected a tensor, got \(value.kindDescription)", at: span)
        }
    }

    mutating func bind(_ name: String, to node: NodeID) {
        if let old = nodeOfName[name], nameOfNode[old] == name { nameOfNode[old] = nil }
        nodeOfName[name] = node
        nameOfNode[node] = name
    }

    func definitionEvent(_ name: String) -> DefinitionEvent? {
        guard let definition = definitions[name], let node = nodeOfName[name] else { return nil }
        let isLeaf = definition.isLeaf
        let op = isLeaf ? (definition.isParam ? "param" : "leaf") : graph.op(node).rule.name
        return DefinitionEvent(
            name: name, op: op, inputs: definition.dependencies, shape: graph.shape(node), isParam: definition.isParam,
            expression: definition.sourceText, attributesJSON: isLeaf ? "{}" : graph.attributes(node).json,
            leafValue: isLeaf ? graph.value(node) : nil)
    }

    /// - Parameter steps: the op nodes evaluated (a rebuild after a redefinition evaluates all of them).
    func forwardRun(target: String, names: [String], steps: Int) -> RunEvent {
        let nodes = names.compactMap { name -> NodeSnapshot? in
            guard let node = nodeOfName[name], let definition = definitions[name] else { return nil }
            return NodeSnapshot(name: name, value: graph.value(node), gradient: nil, isParam: definition.isParam, isLeaf: definition.isLeaf)
        }
        let loss = nodeOfName[target].flatMap { graph.scalar($0) }
        return RunEvent(kind: .forward, target: target, step: nil, loss: loss, durationSeconds: 0, totalSteps: nil, nodes: nodes, settingsJSON: nil,
                        steps: steps)
    }
}

extension Definition.Body {
    var isExpression: Bool {
        if case .expression = self { return true }
        return false
    }
}
