import GradEngine
import GradLang
import GradTensor

/// `%explain J --forward w`: forward-mode differentiation worked left to right, as the seed
/// example is worked by hand — each named node after `w` gets dnode/dw from its inputs'
/// tangents (`dc/dw = x = -2`, …, `dJ/dw = d * dd/dw = 2 * (-2) = -4`).
public struct ForwardExplanation: Sendable {
    public var target: String
    public var seed: String
    /// One line per named node that depends on the seed, in evaluation order.
    public var steps: [String]

    public var heading: String { "Forward mode (d\(seed)/d\(seed) = 1, left to right)" }

    public var text: String { ([heading] + steps.map { "  " + $0 }).joined(separator: "\n") }
}

extension Interpreter {
    public func explainForward(_ name: String, seed: String) throws(RuntimeError) -> ForwardExplanation {
        guard let target = nodeOfName[name] else { throw unknownName(name) }
        guard let seedNode = nodeOfName[seed] else { throw unknownName(seed) }
        let seedShape = graph.shape(seedNode)
        guard seedShape.reduce(1, *) == 1 else {
            throw RuntimeError(RuntimeErrorID.badArguments,
                               "%explain --forward follows one pass seeded with d\(seed)/d\(seed) = 1, so \(seed) must be a scalar; it has shape \(formatShape(seedShape))",
                               at: nil, fixIt: "jvp(\(name), \(seed), u) gives the derivative along a direction u of shape \(formatShape(seedShape))")
        }
        let tangents: Tangents
        do {
            tangents = try graph.jvp(from: seedNode, along: graph.value(seedNode).map { _ in 1 }, through: target)
        } catch {
            throw RuntimeError(RuntimeErrorID.engine, error.description, at: nil)
        }
        var steps: [String] = []
        for node in namedAncestors(of: name) where node != seed {
            guard let id = nodeOfName[node], let total = tangents[id], let definition = definitions[node] else { continue }
            steps.append(forwardStep(node, definition: definition, total: total, seed: seed, tangents: tangents))
        }
        if name == seed {
            steps = ["d\(name)/d\(seed) = 1"]
        } else if steps.isEmpty {
            steps.append("d\(name)/d\(seed) = 0 (\(name) does not depend on \(seed))")
        }
        return ForwardExplanation(target: name, seed: seed, steps: steps)
    }

    /// `dnode/dseed = Σ ∂node/∂input · dinput/dseed` over the named inputs that depend on the
    /// seed: the symbols, the numbers where every factor is a scalar, and the tangent the pass found.
    private func forwardStep(_ node: String, definition: Definition, total: Tensor, seed: String, tangents: Tangents) -> String {
        let lhs = "d\(node)/d\(seed)"
        let totalText = displayValue(total)
        guard case .expression(let syntax, let root, _) = definition.body, let nodeID = nodeOfName[node] else {
            return "\(lhs) = \(totalText)"
        }
        var symbols: [String] = []
        var numbers: [String]? = []
        for input in definition.dependencies {
            guard let inputID = nodeOfName[input], input == seed || tangents[inputID] != nil else { continue }
            let symbolic = Symbolic.derivative(of: root, in: syntax, withRespectTo: input)
            let local = localTangent(of: nodeID, from: inputID, holding: definition.dependencies)
            let inputTangent = input == seed ? Tensor(1) : tangents[inputID]
            let tangentName = "d\(input)/d\(seed)"
            let partial = symbolic?.text ?? "∂\(node)/∂\(input)"
            switch (input == seed, symbolic) {
            case (true, _): symbols.append(partial)
            case (false, .number(1)?): symbols.append(tangentName)
            case (false, .number(-1)?): symbols.append("-" + tangentName)
            default: symbols.append("\(symbolic?.factorText ?? partial) * \(tangentName)")
            }
            // Numbers only where the local derivative is a number, not a Jacobian.
            if let local, local.count == 1, let inputTangent, inputTangent.count == 1, graph.value(inputID).count == 1 {
                if input == seed {
                    numbers?.append(displayValue(local))
                } else if local.scalars[0] == 1 {
                    numbers?.append(displayValue(inputTangent))
                } else if local.scalars[0] == -1 {
                    numbers?.append("-" + displayFactor(inputTangent))
                } else {
                    numbers?.append("\(displayFactor(local)) * \(displayFactor(inputTangent))")
                }
            } else {
                numbers = nil
            }
        }
        var parts = [lhs, symbols.isEmpty ? "∂\(node)/∂\(seed)" : Self.joinedTerms(symbols)]
        if let numbers, !numbers.isEmpty {
            let written = Self.joinedTerms(numbers)
            if !parts.contains(written) && written != totalText { parts.append(written) }
        }
        if !parts.contains(totalText) { parts.append(totalText) }
        return parts.joined(separator: " = ")
    }

    /// ∂node/∂input holding the node's other named inputs fixed, when the input is a scalar.
    private func localTangent(of node: NodeID, from input: NodeID, holding names: [String]) -> Tensor? {
        guard graph.value(input).count == 1 else { return nil }
        let fixed = Set(names.compactMap { nodeOfName[$0] }.filter { $0 != input })
        guard let tangents = try? graph.jvp(from: input, along: graph.value(input).map { _ in 1 }, through: node, holdingFixed: fixed) else {
            return nil
        }
        return tangents[node] ?? Tensor.zeros(like: graph.value(node))
    }

    /// Terms joined by +, a negative one as − (`a - b` rather than `a + -b`).
    private static func joinedTerms(_ terms: [String]) -> String {
        var out = terms[0]
        for term in terms.dropFirst() {
            out += term.hasPrefix("-") ? " - " + term.dropFirst() : " + " + term
        }
        return out
    }

    private func unknownName(_ name: String) -> RuntimeError {
        let suggestion = NameSuggestion.nearest(to: name, among: definitionOrder)
        return RuntimeError(RuntimeErrorID.unknownName, "%explain: unknown name '\(name)'", at: nil,
                            fixIt: suggestion.map { "did you mean '\($0)'?" })
    }
}
