import GradEngine
import GradLang
import GradTensor

/// Which way `grad(J, x, mode=...)` applies the chain rule.
enum DifferentiationMode: String {
    /// Backpropagation: one backward pass gives dJ/dn for every n (the default).
    case reverse
    /// Left to right: one forward-mode pass per element of x.
    case forward
}

extension Interpreter {
    func differentiationMode(_ call: Call) throws(RuntimeError) -> DifferentiationMode {
        guard let argument = call.keyword("mode") else { return .reverse }
        let text = try string(argument, "mode")
        guard let mode = DifferentiationMode(rawValue: text) else {
            throw RuntimeError(RuntimeErrorID.badArguments, "unknown mode \"\(text)\"", at: argument.span,
                               fixIt: "use mode=\"reverse\" (backpropagation, the default) or mode=\"forward\"")
        }
        return mode
    }

    /// `grad(J, x, mode="forward")`: dJ/dx by one forward-mode pass per element of x, recorded
    /// as a forward_mode run whose steps are the JVPs of all passes.
    mutating func forwardModeGrad(of target: NodeID, withRespectTo input: NodeID, call: Call, context: ExecutionContext,
                                  outcome: inout StatementOutcome) throws(RuntimeError) -> RuntimeValue {
        let targetArgument = call.positional[0]
        guard graph.shape(target).reduce(1, *) == 1 else {
            throw RuntimeError(RuntimeErrorID.notDifferentiable, "grad needs a scalar, but this has shape \(formatShape(graph.shape(target)))",
                               at: targetArgument.span, fixIt: "reduce it first, e.g. sum(...) or mean(...); jvp(J, x, v) gives a tensor J's derivative along v")
        }
        let started = context.now()
        let result: ForwardGradient
        do {
            result = try graph.forwardGradient(of: target, withRespectTo: input)
        } catch {
            throw RuntimeError(RuntimeErrorID.engine, error.description, at: call.span)
        }
        outcome.runs.append(forwardModeRun(target: target, input: input, inputGradient: result.gradient,
                                           seconds: context.now() - started, steps: result.evaluations))
        return .constant(result.gradient)
    }

    /// `jvp(J, x, v)`: the directional derivative of J along v at x — one forward-mode pass
    /// seeded with v at x — shaped like J, recorded as a forward_mode run.
    mutating func callJVP(_ call: Call, context: ExecutionContext, outcome: inout StatementOutcome) throws(RuntimeError) -> RuntimeValue {
        try call.checkKeywords([])
        try call.checkPositionalCount(3...3, usage: "jvp(J, w, 1)")
        let directionArgument = call.positional[2]
        let (target, input) = try differentiatedNodes(of: call, example: "jvp(J, w, 1)")
        let inputShape = graph.shape(input)
        let given = try tensor(directionArgument, "jvp's direction")
        let direction: Tensor
        do {
            direction = try given.broadcast(to: inputShape)
        } catch {
            throw RuntimeError(RuntimeErrorID.shape, "jvp's direction has shape \(formatShape(given.shape)), which does not broadcast to the shape of \(name(of: input) ?? "x"), \(formatShape(inputShape))",
                               at: directionArgument.span, fixIt: "give a direction of shape \(formatShape(inputShape)) (or a number, for that number in every element)")
        }
        let started = context.now()
        let tangents: Tangents
        do {
            tangents = try graph.jvp(from: input, along: direction, through: target)
        } catch {
            throw RuntimeError(RuntimeErrorID.engine, error.description, at: call.span)
        }
        let derivative = tangents[target] ?? Tensor.zeros(like: graph.value(target))
        outcome.runs.append(forwardModeRun(target: target, input: input, inputGradient: nil,
                                           seconds: context.now() - started, steps: tangents.evaluations))
        return .constant(derivative)
    }

    /// The run of a forward-mode computation: the target and the seeded node with their values,
    /// and for `grad(..., mode="forward")` the gradient it found.
    private func forwardModeRun(target: NodeID, input: NodeID, inputGradient: Tensor?, seconds: Double, steps: Int) -> RunEvent {
        var nodes: [NodeSnapshot] = []
        for node in [input, target] {
            guard let name = name(of: node), let definition = definitions[name], !nodes.contains(where: { $0.name == name }) else { continue }
            nodes.append(NodeSnapshot(name: name, value: graph.value(node), gradient: node == input ? inputGradient : nil,
                                      isParam: definition.isParam, isLeaf: definition.isLeaf))
        }
        return RunEvent(kind: .forwardMode, target: name(of: target) ?? "J", step: nil, loss: graph.scalar(target),
                        durationSeconds: seconds, totalSteps: nil, nodes: nodes, settingsJSON: nil, steps: steps)
    }
}
