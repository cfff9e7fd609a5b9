import GradEngine
import GradLang
import GradTensor

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
        var forward: [ExplanationStep] = []
        for node in order {
            guard let definition = definitions[node], let id = nodeOfName[node] else { continue }
            forward.append(forwardStep(node, definition: definition, value: graph.value(id)))
        }
        guard graph.shape(target).reduce(1, *) == 1 else {
            return Explanation(target: name, forwardSteps: forward,
                               backwardSteps: [ExplanationStep(rule: "(\(name) is not a scalar: the chain rule starts from a scalar loss)")])
        }
        let gradients: Gradients
        do { gradients = try graph.backward(from: target) } catch { throw RuntimeError(RuntimeErrorID.engine, error.description, at: nil) }

        var consumers: [String: [String]] = [:]
        for node in order {
            for dependency in definitions[node]?.dependencies ?? [] { consumers[dependency, default: []].append(node) }
        }
        var backward = [ExplanationStep(rule: "d\(name)/d\(name) = 1")]
        for node in order.reversed() where node != name {
            guard let id = nodeOfName[node], let total = gradients[id] else { continue }
            let users = consumers[node] ?? []
            let allScalar = graph.shape(id).reduce(1, *) == 1
                && users.allSatisfy { user in nodeOfName[user].map { graph.shape($0).reduce(1, *) == 1 } ?? true }
            if allScalar {
                backward.append(ExplanationStep(rule: scalarStep(node, total: total, consumers: users, target: name, gradients: gradients)))
            } else {
                backward.append(tensorStep(node, total: total, consumers: users, target: name, gradients: gradients))
            }
        }
        return Explanation(target: name, forwardSteps: forward, backwardSteps: backward)
    }

    /// `c = w * x = -4` for a scalar; `h = tanh(z)` with its value for a tensor.
    private func forwardStep(_ node: String, definition: Definition, value: Tensor) -> ExplanationStep {
        if value.rank == 0 {
            let shown = displayValue(value)
            let source = definition.sourceText.isEmpty ? shown : definition.sourceText
            return ExplanationStep(rule: source == shown ? "\(node) = \(shown)" : "\(node) = \(source) = \(shown)")
        }
        // A literal whose text is its value (`X = [[1, 2], [3, 4]]`) is not written twice.
        let oneLine = value.description.split(separator: "\n").map { $0.trimmingPrefix(while: \.isWhitespace) }.joined(separator: " ")
        let source = definition.sourceText
        let rule = source.isEmpty || source == oneLine ? node : "\(node) = \(source)"
        return ExplanationStep(rule: rule, workings: [.init(label: node, value: value)])
    }

    /// `dJ/dc = dJ/da * da/dc = 2 * 1 = 2`: each use's upstream gradient times the local
    /// derivative, with numbers.
    private func scalarStep(_ node: String, total: Tensor, consumers: [String], target name: String, gradients: Gradients) -> String {
        var symbols: [String] = []
        var numbers: [String] = []
        var exact = true
        for consumer in consumers {
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
            return "d\(name)/d\(node) = \(totalText)"
        } else if symbols.count == 1 && !symbols[0].contains("*") {
            return "d\(name)/d\(node) = \(symbols[0]) = \(totalText)"
        }
        return "d\(name)/d\(node) = \(symbols.joined(separator: " + ")) = \(numbers.joined(separator: " + ")) = \(totalText)"
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
