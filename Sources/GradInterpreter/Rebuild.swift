import GradEngine
import GradLang
import GradTensor

extension Interpreter {
    /// The chain of names by which `name` would come to depend on itself, if it would.
    func cyclePath(defining name: String, dependencies: [String]) -> [String]? {
        var parent: [String: String] = [:]
        var stack: [String] = []
        for dependency in dependencies where parent[dependency] == nil {
            parent[dependency] = name
            stack.append(dependency)
        }
        while let current = stack.popLast() {
            if current == name {
                var path = [name]
                var cursor = parent[name] ?? name
                while cursor != name {
                    path.append(cursor)
                    cursor = parent[cursor] ?? name
                }
                path.append(name)
                return path.reversed()
            }
            for next in definitions[current]?.dependencies ?? [] where parent[next] == nil {
                parent[next] = current
                stack.append(next)
            }
        }
        return nil
    }

    /// Every name whose value depends (transitively) on `name`, in an order that respects dependencies.
    func dependents(of name: String) -> [String] {
        var consumers: [String: [String]] = [:]
        for (other, definition) in definitions {
            for dependency in definition.dependencies { consumers[dependency, default: []].append(other) }
        }
        var reached = Set<String>()
        var stack = [name]
        while let current = stack.popLast() {
            for consumer in consumers[current] ?? [] where reached.insert(consumer).inserted {
                stack.append(consumer)
            }
        }
        return topologicalOrder().filter { reached.contains($0) && $0 != name }
    }

    /// Definitions ordered so each comes after the names it uses; ties keep definition order.
    func topologicalOrder() -> [String] {
        var order: [String] = []
        order.reserveCapacity(definitionOrder.count)
        var state: [String: Bool] = [:]  // false: on the stack, true: emitted
        for start in definitionOrder where state[start] == nil {
            var stack: [(name: String, next: Int)] = [(start, 0)]
            state[start] = false
            while let top = stack.last {
                let dependencies = definitions[top.name]?.dependencies ?? []
                if top.next < dependencies.count {
                    stack[stack.count - 1].next += 1
                    let dependency = dependencies[top.next]
                    if state[dependency] == nil, definitions[dependency] != nil {
                        state[dependency] = false
                        stack.append((dependency, 0))
                    }
                } else {
                    stack.removeLast()
                    state[top.name] = true
                    order.append(top.name)
                }
            }
        }
        return order
    }

    /// Rebuilds the engine graph from the definitions. Leaves keep their stored values (so
    /// trained params survive a redefinition elsewhere); expressions are evaluated again.
    mutating func rebuildGraph(context: ExecutionContext, redefined: String) throws(RuntimeError) {
        graph = Graph()
        nodeOfName = [:]
        nameOfNode = [:]
        latestBackward = nil
        valuesVersion &+= 1
        graphGeneration &+= 1
        for name in topologicalOrder() {
            guard let definition = definitions[name] else { continue }
            switch definition.body {
            case .leaf(let value, let isParam):
                bind(name, to: graph.leaf(value, isParam: isParam))
            case .expression(let syntax, let root, let range):
                var scratch = StatementOutcome()
                do {
                    let evaluated = try evaluate(root, range: range, syntax: syntax, context: context, outcome: &scratch)
                    bind(name, to: try namedNode(for: evaluated.value, at: definition.span))
                } catch {
                    guard name != redefined else { throw error }
                    var diagnostic = error.diagnostic
                    diagnostic.message = "redefining '\(redefined)' breaks '\(name)' (cell \(definition.cellNumber): \(name) = \(definition.sourceText)): \(diagnostic.message)"
                    diagnostic.span = definitions[redefined]?.span
                    throw RuntimeError(diagnostic: diagnostic)
                }
            }
        }
    }
}

extension RuntimeError {
    public init(diagnostic: Diagnostic) { self.diagnostic = diagnostic }
}
