import GradEngine
import GradLang
import GradTensor

/// `%explain J`: the forward pass as the sequence of definitions with their values, and the
/// backward pass as chain-rule steps with numbers, the way a textbook works the seed example.
public struct Explanation: Sendable {
    public var target: String
    public var forward: [String]
    public var backward: [String]

    public var text: String {
        (["Forward pass"] + forward.map { "  " + $0 } + ["", "Backward pass (chain rule)"] + backward.map { "  " + $0 })
            .joined(separator: "\n")
    }
}

extension Interpreter {
    /// The named nodes `name` depends on (itself included), in dependency order.
    public func namedAncestors(of name: String) -> [String] {
        var reached: Set<String> = [name]
        var stack = [name]
        while let current = stack.popLast() {
            for dependency in definitions[current]?.dependencies ?? [] where reached.insert(dependency).inserted {
                stack.append(dependency)
            }
        }
        return topologicalOrder().filter { reached.contains($0) }
    }

    public mutating func explain(_ name: String) throws(RuntimeError) -> Explanation {
        guard let target = nodeOfName[name] else {
            let suggestion = NameSuggestion.nearest(to: name, among: definitionOrder)
            throw RuntimeError(RuntimeErrorID.unknownName, "%explain: unknown name '\(name)'", at: nil, fixIt: suggestion.map { "did you mean '\($0)'?" })
        }
        let order = namedAncestors(of: name)
        var forward: [String] = []
        for node in order {
            guard let definition = definitions[node], let id = nodeOfName[node] else { continue }
            let value = displayValue(graph.value(id))
            let source = definition.sourceText.isEmpty ? value : definition.sourceText
            forward.append(source == value ? "\(node) = \(value)" : "\(node) = \(source) = \(value)")
        }
        guard graph.shape(target).reduce(1, *) == 1 else {
            return Explanation(target: name, forward: forward, backward: ["(\(name) is not a scalar: the chain rule starts from a scalar loss)"])
        }
        let gradients: Gradients
        do { gradients = try graph.backward(from: target) } catch { throw RuntimeError(RuntimeErrorID.engine, error.description, at: nil) }

        var consumers: [String: [String]] = [:]
        for node in order {
            for dependency in definitions[node]?.dependencies ?? [] { consumers[dependency, default: []].append(node) }
        }
        var backward = ["d\(name)/d\(name) = 1"]
        for node in order.reversed() where node != name {
            guard let id = nodeOfName[node], let total = gradients[id] else { continue }
            var symbols: [String] = []
            var numbers: [String] = []
            var exact = true
            for consumer in consumers[node] ?? [] {
                guard let local = localDerivative(of: consumer, withRespectTo: node), let upstreamID = nodeOfName[consumer],
                      let upstream = gradients[upstreamID] else {
                    exact = false
                    continue
                }
                if consumer == name {
                    symbols.append("∂\(name)/∂\(node)")
                    numbers.append(displayFactor(local))
                } else {
                    symbols.append("d\(name)/d\(consumer) * d\(consumer)/d\(node)")
                    numbers.append("\(displayFactor(upstream)) * \(displayFactor(local))")
                }
            }
            let totalText = displayValue(total)
            if !exact || symbols.isEmpty {
                backward.append("d\(name)/d\(node) = \(totalText)")
            } else if symbols.count == 1 && !symbols[0].contains("*") {
                backward.append("d\(name)/d\(node) = \(symbols[0]) = \(totalText)")
            } else {
                backward.append("d\(name)/d\(node) = \(symbols.joined(separator: " + ")) = \(numbers.joined(separator: " + ")) = \(totalText)")
            }
        }
        return Explanation(target: name, forward: forward, backward: backward)
    }

    /// ∂consumer/∂input holding the consumer's other named inputs fixed, when both are scalars.
    func localDerivative(of consumer: String, withRespectTo input: String) -> Tensor? {
        guard let consumerID = nodeOfName[consumer], let inputID = nodeOfName[input],
              graph.shape(consumerID).reduce(1, *) == 1, graph.shape(inputID).reduce(1, *) == 1 else { return nil }
        let boundary = Set((definitions[consumer]?.dependencies ?? []).compactMap { nodeOfName[$0] })
        guard let gradients = try? graph.backward(from: consumerID, stopAt: boundary) else { return nil }
        return gradients[inputID]
    }

    func displayValue(_ tensor: Tensor) -> String {
        if tensor.count == 1, let scalar = tensor.scalars.first, tensor.rank == 0 { return formatScalar(scalar) }
        return tensor.description
    }

    /// A factor in a product: negative numbers in parentheses, as written by hand.
    func displayFactor(_ tensor: Tensor) -> String {
        let text = displayValue(tensor)
        return text.hasPrefix("-") ? "(\(text))" : text
    }
}
