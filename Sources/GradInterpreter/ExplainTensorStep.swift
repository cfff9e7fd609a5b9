import GradEngine
import GradTensor

/// The values a tensor step's formula names: gradients (`dL/dz`), named nodes (`x`) and the
/// unnamed parts of expressions (`x @ W`), each once.
private struct StepSymbols {
    struct Symbol {
        var text: String
        var atomic: Bool
        var value: Tensor
        var isGradient: Bool
    }

    var symbols: [Symbol] = []

    mutating func add(_ text: String, atomic: Bool, value: Tensor, isGradient: Bool = false) -> ChainTerm {
        if let existing = symbols.firstIndex(where: { $0.text == text && $0.isGradient == isGradient }) { return .symbol(existing) }
        symbols.append(Symbol(text: text, atomic: atomic, value: value, isGradient: isGradient))
        return .symbol(symbols.count - 1)
    }

    var naming: ChainNaming {
        let symbols = self.symbols
        return ChainNaming(symbol: { index in index < symbols.count ? (symbols[index].text, symbols[index].atomic) : ("?", true) },
                           symbolIsScalar: { index in index < symbols.count && symbols[index].value.rank == 0 })
    }

    var values: ChainValues { ChainValues(symbols: symbols.map(\.value)) }

    func isGradient(_ term: ChainTerm) -> Bool {
        if case .symbol(let index) = term, index < symbols.count { return symbols[index].isGradient }
        return false
    }
}

extension Interpreter {
    /// A backward step over tensors: the chain rule of each use of `node`, composed from the
    /// op table's symbolic rules through the unnamed nodes of the using definition
    /// (`dL/dW = x.T @ dL/dz`), then the tensors it multiplies and the result. A formula is shown
    /// only if it evaluates to the engine's gradient; otherwise the step shows the gradient alone.
    func tensorStep(_ node: String, total: Tensor, consumers: [String], target name: String, gradients: Gradients) -> ExplanationStep {
        let result = ExplanationStep.Working(label: "d\(name)/d\(node)", value: total)
        guard let id = nodeOfName[node] else { return ExplanationStep(rule: "d\(name)/d\(node)", workings: [result]) }
        var symbols = StepSymbols()
        var terms: [ChainTerm] = []
        for consumer in consumers {
            guard let consumerID = nodeOfName[consumer], let upstream = gradients[consumerID] else { continue }
            let gradient = symbols.add("d\(name)/d\(consumer)", atomic: true, value: upstream, isGradient: true)
            if let term = chain(from: consumerID, to: id, upstream: gradient, symbols: &symbols, depth: 0) {
                terms.append(term.simplified())
            }
        }
        guard let first = terms.first else { return ExplanationStep(rule: "d\(name)/d\(node)", workings: [result]) }
        let sum = terms.dropFirst().reduce(first) { ChainTerm.add($0, $1) }
        guard let value = try? sum.evaluate(symbols.values), value.shape == total.shape,
              zip(value.scalars, total.scalars).allSatisfy({ Swift.abs($0 - $1) <= 1e-9 * Swift.max(1, Swift.abs($1)) }) else {
            return ExplanationStep(rule: "d\(name)/d\(node)", workings: [result])
        }
        let naming = symbols.naming
        // One summand per path from the node to the loss.
        var summands: [ChainTerm] = []
        var pending = terms.reversed() as [ChainTerm]
        while let term = pending.popLast() {
            if case .add(let left, let right) = term { pending += [right, left] } else { summands.append(term) }
        }
        let formula = summands.count == 1 ? summands[0].text(naming) : summands.map { $0.text(naming, inWords: false) }.joined(separator: " + ")
        var workings: [ExplanationStep.Working] = []
        var labels = Set<String>()
        for factor in factors(of: sum, symbols: symbols) {
            let label = factor.text(naming)
            guard labels.insert(label).inserted, let value = try? factor.evaluate(symbols.values) else { continue }
            workings.append(.init(label: label, value: value))
        }
        return ExplanationStep(rule: "d\(name)/d\(node) = \(formula)", workings: workings + [result])
    }

    /// The term of dL/d`target` through node `from` (a named use, or an unnamed node inside
    /// its expression), given dL/d`from` as `upstream`; nil if `target` is not reached.
    private func chain(from node: NodeID, to target: NodeID, upstream: ChainTerm, symbols: inout StepSymbols, depth: Int) -> ChainTerm? {
        // Expressions nest as deep as a cell writes them; a formula deeper than this is not
        // worth reading, and the step then shows its gradient alone.
        guard depth < 32 else { return nil }
        let inputs = graph.inputs(node)
        let rule = graph.op(node).rule.chainRule(inputShapes: inputs.map { graph.shape($0) }, outputShape: graph.shape(node),
                                                 attributes: graph.attributes(node))
        var parts: [ChainTerm] = []
        for (position, input) in inputs.enumerated() where position < rule.count {
            guard let local = rule[position] else { continue }
            let isUnnamedOp = nameOfNode[input] == nil && !graph.isLeaf(input)
            guard input == target || isUnnamedOp else { continue }
            var operands: [ChainTerm] = []
            for other in inputs { operands.append(operand(other, symbols: &symbols)) }
            let bound = local.substituting(upstream: upstream, input: { $0 < operands.count ? operands[$0] : .number(.nan) },
                                           output: operand(node, symbols: &symbols))
            if input == target {
                parts.append(bound)
            } else if let deeper = chain(from: input, to: target, upstream: bound, symbols: &symbols, depth: depth + 1) {
                parts.append(deeper)
            }
        }
        guard let first = parts.first else { return nil }
        return parts.dropFirst().reduce(first) { .add($0, $1) }
    }

    /// A node as it appears in a formula: its name, a scalar constant's number, or an
    /// unnamed node's expression (`x @ W`).
    private func operand(_ node: NodeID, symbols: inout StepSymbols) -> ChainTerm {
        if let name = nameOfNode[node] { return symbols.add(name, atomic: true, value: graph.value(node)) }
        let value = graph.value(node)
        if graph.isConstant(node), value.rank == 0, let scalar = value.scalars.first { return .number(scalar) }
        let (text, atomic) = expressionText(node, depth: 0)
        return symbols.add(text, atomic: atomic, value: value)
    }

    /// An unnamed node written back as an expression from the op table's spellings.
    private func expressionText(_ node: NodeID, depth: Int) -> (text: String, atomic: Bool) {
        if let name = nameOfNode[node] { return (name, true) }
        let value = graph.value(node)
        if graph.isLeaf(node) {
            if value.rank == 0, let scalar = value.scalars.first { return (formatScalar(scalar), scalar >= 0) }
            return (value.count <= 6 ? value.description.split(separator: "\n").map { $0.trimmingPrefix(while: \.isWhitespace) }.joined(separator: " ")
                                     : "constant \(formatShape(value.shape))", true)
        }
        guard depth < 6 else { return ("…", true) }
        let rule = graph.op(node).rule
        let inputs = graph.inputs(node).map { expressionText($0, depth: depth + 1) }
        func wrapped(_ part: (text: String, atomic: Bool)) -> String { part.atomic ? part.text : "(\(part.text))" }
        let attributes = graph.attributes(node)
        switch graph.op(node) {
        case .identity:
            return inputs.first ?? ("?", true)
        case .neg:
            return ("-" + wrapped(inputs.first ?? ("?", true)), false)
        case .transpose:
            return (wrapped(inputs.first ?? ("?", true)) + ".T", true)
        case .index:
            return (wrapped(inputs.first ?? ("?", true)) + formatIndex(attributes.index ?? []), true)
        default:
            if let symbol = rule.symbol, inputs.count == 2 {
                return ("\(wrapped(inputs[0])) \(symbol) \(wrapped(inputs[1]))", false)
            }
            var arguments = inputs.map(\.text)
            if let shape = attributes.shape { arguments += shape.map(String.init) }
            if let classes = attributes.classes { arguments.append(String(classes)) }
            if let axes = attributes.axes { arguments.append("axis=" + (axes.count == 1 ? String(axes[0]) : formatShape(axes))) }
            if attributes.keepdims { arguments.append("keepdims=true") }
            return ("\(rule.callName ?? rule.name)(\(arguments.joined(separator: ", ")))", true)
        }
    }

    /// What a formula multiplies, in order: each gradient it starts from, and each largest
    /// part without a gradient in it (`x.T`, `1 - h^2`), numbers left out.
    private func factors(of term: ChainTerm, symbols: StepSymbols) -> [ChainTerm] {
        var found: [ChainTerm] = []
        var stack = [term]
        while let current = stack.popLast() {
            if symbols.isGradient(current) {
                found.append(current)
            } else if !current.contains(where: { symbols.isGradient($0) }) {
                if case .number = current { continue }
                found.append(current)
            } else {
                stack.append(contentsOf: current.children.reversed())
            }
        }
        return found
    }
}
