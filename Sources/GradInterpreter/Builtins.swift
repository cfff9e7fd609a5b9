import GradEngine
import GradLang
import GradTensor

/// The built-in functions that are not graph ops (ops come from the engine's rule table, so
/// they are documented and dispatched from there and listed nowhere else).
enum Builtins {
    struct Doc {
        var usage: String
        var summary: String
    }

    static let functions: [String: Doc] = [
        "param": Doc(usage: "w = param(expr)", summary: "Evaluate expr once and make the result a trainable leaf: only params are changed by train."),
        "grad": Doc(usage: "grad(J, x, mode=\"reverse\"|\"forward\")", summary: "dJ/dx as a value. Reverse mode (the default) takes it from the latest backward pass from J (run afresh if the graph changed); mode=\"forward\" makes one forward-mode pass per element of x instead (the same numbers to a few ulps, at p times the cost). Not differentiable itself."),
        "jvp": Doc(usage: "jvp(J, x, v)", summary: "The directional derivative of J along v at x (forward mode: dJ/dx · v in one pass, left to right), shaped like J; v has x's shape or broadcasts to it. Not differentiable itself."),
        "train": Doc(usage: "train(J, steps=100, lr=0.1, optimizer=\"sgd\"|\"momentum\"|\"adam\", momentum=0.9, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0, lr_end=lr, checkpoint_every=100)",
                     summary: "Minimise the scalar J over every param it depends on: forward, backward, update, `steps` times; each step is recorded as a run (every param's value and gradient in full, with the optimizer state, at the first, the last and every checkpoint_every-th step; summaries in between, which replay recovers exactly). Ctrl-C stops after the current step."),
        "print": Doc(usage: "print(values...)", summary: "Write values and strings to standard output, separated by spaces."),
        "gradcheck": Doc(usage: "gradcheck(J, eps=1e-6)", summary: "Compare the backward pass with central finite differences for every param J depends on (two forward passes per element) and report the worst relative error and the passes made."),
        "zeros": Doc(usage: "zeros(shape...)", summary: "A tensor of zeros, e.g. zeros(2, 3)."),
        "ones": Doc(usage: "ones(shape...)", summary: "A tensor of ones."),
        "full": Doc(usage: "full(shape..., value=v)", summary: "A tensor filled with v."),
        "eye": Doc(usage: "eye(n)", summary: "The n×n identity matrix."),
        "arange": Doc(usage: "arange(n) or arange(start, stop, step)", summary: "Evenly spaced values: 0, 1, …, n-1 (NumPy's arange)."),
        "linspace": Doc(usage: "linspace(a, b, n)", summary: "n evenly spaced values from a to b inclusive."),
        "randn": Doc(usage: "randn(shape..., seed=s)", summary: "Standard normal samples; with a seed, the same numbers on every machine (SplitMix64 + Marsaglia polar)."),
        "rand": Doc(usage: "rand(shape..., seed=s)", summary: "Uniform samples in [0, 1); with a seed, the same numbers on every machine."),
        "moons": Doc(usage: "X, y = moons(n, noise=0.1, seed=s)", summary: "Two interleaving half circles (scikit-learn's make_moons): X is n×2, y holds class indices 0 and 1."),
        "blobs": Doc(usage: "X, y = blobs(n, centers=3, std=1, seed=s)", summary: "Gaussian clusters in 2-D (scikit-learn's make_blobs): y holds class indices 0..centers-1."),
        "load_csv": Doc(usage: "load_csv(\"path\", header=true)", summary: "Read a CSV file of numbers into a matrix (the first row is skipped when header=true)."),
    ]

    static func isFunction(_ name: String) -> Bool {
        functions[name] != nil || OpCode.builtinNames.contains(name)
    }

    /// Every callable name, for completion and did-you-mean.
    static var allNames: [String] { (Array(functions.keys) + OpCode.builtinNames).sorted() }

    /// `name?` for a built-in: its usage and documentation.
    static func documentation(of name: String) -> String? {
        if let doc = functions[name] { return "\(doc.usage)\n\n\(doc.summary)" }
        let rules = OpRule.table.filter { $0.callName == name }
        guard !rules.isEmpty else { return nil }
        return rules.map { rule in "\(usage(of: rule))\n\n\(rule.doc)" }.joined(separator: "\n\n")
    }

    static func usage(of rule: OpRule) -> String {
        let inputs: [String]
        switch rule.arity {
        case .fixed(let count): inputs = count == 1 ? ["x"] : (0..<count).map { ["a", "b", "c", "d"][min($0, 3)] }
        case .variadic: inputs = ["tensors..."]
        }
        let attributes = rule.attributes.filter { $0.kind != .index }.map { spec in
            spec.positional ? spec.name : "\(spec.name)=\(spec.defaultDescription ?? "…")"
        }
        return "\(rule.callName ?? rule.name)(\((inputs + attributes).joined(separator: ", ")))"
    }
}

extension Interpreter {
    mutating func callBuiltin(_ call: Call, context: ExecutionContext, outcome: inout StatementOutcome) throws(RuntimeError) -> RuntimeValue {
        do {
            switch call.callee {
            case "param": return try callParam(call)
            case "grad": return try callGrad(call, context: context, outcome: &outcome)
            case "jvp": return try callJVP(call, context: context, outcome: &outcome)
            case "train": return try callTrain(call, context: context, outcome: &outcome)
            case "print": return try callPrint(call, outcome: &outcome)
            case "gradcheck": return try callGradcheck(call, context: context, outcome: &outcome)
            case "zeros", "ones", "full", "eye", "arange", "linspace", "randn", "rand":
                return .constant(try construct(call))
            case "moons", "blobs": return try dataset(call)
            case "load_csv": return .constant(try loadCSV(call, context: context))
            default: return try callOp(call)
            }
        } catch let error as RuntimeError {
            throw error
        } catch let error as TensorError {
            throw RuntimeError(RuntimeErrorID.badArguments, "\(call.callee)(): \(error.message)", at: call.span)
        } catch {
            throw RuntimeError(RuntimeErrorID.engine, "\(call.callee)(): \(error)", at: call.span)
        }
    }

    private func callParam(_ call: Call) throws(RuntimeError) -> RuntimeValue {
        try call.checkKeywords([])
        try call.checkPositionalCount(1...1, usage: "w = param(2)")
        return .constant(try tensor(call.positional[0], "param's value"))
    }

    private mutating func callGrad(_ call: Call, context: ExecutionContext, outcome: inout StatementOutcome) throws(RuntimeError) -> RuntimeValue {
        try call.checkKeywords(["mode"])
        try call.checkPositionalCount(2...2, usage: "grad(J, w)")
        let targetArgument = call.positional[0]
        let (target, input) = try differentiatedNodes(of: call, example: "grad(J, w)")
        if try differentiationMode(call) == .forward {
            return try forwardModeGrad(of: target, withRespectTo: input, call: call, context: context, outcome: &outcome)
        }
        let gradients = try freshBackward(from: target, at: targetArgument.span, context: context, outcome: &outcome)
        return .constant(gradients[input] ?? Tensor.zeros(like: graph.value(input)))
    }

    /// The latest backward pass from `target` if the values are unchanged since, else a new
    /// one, recorded as a backward run.
    mutating func freshBackward(from target: NodeID, at span: SourceSpan, context: ExecutionContext,
                                outcome: inout StatementOutcome) throws(RuntimeError) -> Gradients {
        let isFresh = latestBackward.map { $0.target == target && $0.valuesVersion == valuesVersion } ?? false
        if !isFresh {
            // An unnamed loss is labelled by its node id, as train() labels it.
            let label = name(of: target) ?? String(describing: target)
            let run = try backwardRun(from: target, label: label, at: span, context: context)
            follow(node: target, label: label, expression: nil, gradients: run.gradients)
            outcome.runs.append(run.event)
        }
        return try backwardPass(from: target, at: span)
    }

    /// The loss J and the node x of `grad(J, x, ...)` / `jvp(J, x, ...)`: both nodes of the graph,
    /// and J not computed from gradients (which are not differentiated further).
    func differentiatedNodes(of call: Call, example: String) throws(RuntimeError) -> (target: NodeID, input: NodeID) {
        let targetArgument = call.positional[0], inputArgument = call.positional[1]
        guard case .node(let target) = targetArgument.value else {
            throw RuntimeError(RuntimeErrorID.notDifferentiable, "\(call.callee)'s first argument must be a node of the graph, got a constant", at: targetArgument.span)
        }
        guard case .node(let input) = inputArgument.value else {
            throw RuntimeError(RuntimeErrorID.notDifferentiable, "\(call.callee)'s second argument must be a node of the graph (a name), got a constant", at: inputArgument.span,
                               fixIt: "name it first, e.g. w = param(2), then \(example)")
        }
        try checkNoGradientUse(beneath: target, statementUsesGrad: false, at: targetArgument.span)
        return (target, input)
    }

    private func callPrint(_ call: Call, outcome: inout StatementOutcome) throws(RuntimeError) -> RuntimeValue {
        try call.checkKeywords([])
        let parts = call.arguments.map { argument -> String in
            switch argument.value {
            case .string(let text): return text
            case .boolean(let flag): return flag ? "true" : "false"
            case .nothing: return ""
            case .tuple(let items): return items.compactMap { tensorValue($0)?.description }.joined(separator: " ")
            case .node, .constant: return tensorValue(argument.value)?.description ?? ""
            }
        }
        outcome.outputs.append(.stdout(parts.joined(separator: " ") + "\n"))
        return .nothing
    }

    /// `gradcheck(J)`: the backward pass from J (the latest, or a new recorded one) against
    /// central finite differences for every param J depends on, recorded as a gradcheck run
    /// whose steps are the finite differences' node evaluations.
    private mutating func callGradcheck(_ call: Call, context: ExecutionContext, outcome: inout StatementOutcome) throws(RuntimeError) -> RuntimeValue {
        try call.checkKeywords(["eps"])
        try call.checkPositionalCount(1...1, usage: "gradcheck(J)")
        let targetArgument = call.positional[0]
        guard case .node(let target) = targetArgument.value else {
            throw RuntimeError(RuntimeErrorID.notDifferentiable, "gradcheck needs a node that depends on params", at: targetArgument.span)
        }
        let epsilon = try call.keyword("eps").map { (argument: CallArgument) throws(RuntimeError) -> Double in try number(argument, "eps") } ?? 1e-6
        guard epsilon > 0, epsilon.isFinite else {
            throw RuntimeError(RuntimeErrorID.badArguments, "eps must be a positive number, got \(formatScalar(epsilon))", at: call.keyword("eps")?.span ?? call.span)
        }
        guard graph.shape(target).reduce(1, *) == 1 else {
            throw RuntimeError(RuntimeErrorID.notDifferentiable, "gradcheck needs a scalar, but this has shape \(formatShape(graph.shape(target)))",
                               at: targetArgument.span, fixIt: "reduce it first, e.g. sum(...) or mean(...)")
        }
        try checkNoGradientUse(beneath: target, statementUsesGrad: false, at: targetArgument.span)
        let gradients = try freshBackward(from: target, at: targetArgument.span, context: context, outcome: &outcome)
        let params = graph.params(of: target)
        let started = context.now()
        let report: GradcheckReport
        do {
            report = try graph.gradcheck(target: target, params: params, epsilon: epsilon, gradients: gradients)
        } catch {
            throw RuntimeError(RuntimeErrorID.engine, error.description, at: call.span)
        }
        let label = name(of: target) ?? "J"
        let snapshots = report.params.compactMap { result -> NodeSnapshot? in
            guard let name = name(of: result.param) else { return nil }
            return NodeSnapshot(name: name, value: graph.value(result.param), gradient: result.numeric, isParam: true, isLeaf: true)
        }
        outcome.runs.append(RunEvent(kind: .gradcheck, target: label, step: nil, loss: graph.scalar(target),
                                     durationSeconds: context.now() - started, totalSteps: nil, nodes: snapshots,
                                     settingsJSON: nil, steps: report.evaluations))
        outcome.outputs.append(.rich(RichOutput(plain: gradcheckText(report, target: label))))
        return .constant(Tensor(report.maxRelativeError))
    }

    private func construct(_ call: Call) throws -> Tensor {
        let positional = call.positional
        switch call.callee {
        case "zeros":
            try call.checkKeywords([])
            return try Tensor.zeros(try shape(from: positional, callee: call.callee))
        case "ones":
            try call.checkKeywords([])
            return try Tensor.ones(try shape(from: positional, callee: call.callee))
        case "full":
            try call.checkKeywords(["value"])
            guard let value = call.keyword("value") else {
                throw RuntimeError(RuntimeErrorID.badArguments, "full() needs value=", at: call.span, fixIt: "e.g. full(2, 3, value=0.5)")
            }
            return try Tensor.full(try shape(from: positional, callee: call.callee), value: try number(value, "value"))
        case "eye":
            try call.checkKeywords([])
            try call.checkPositionalCount(1...1, usage: "eye(3)")
            return try Tensor.eye(try integer(positional[0], "n", minimum: 0))
        case "arange":
            try call.checkKeywords([])
            try call.checkPositionalCount(1...3, usage: "arange(5) or arange(0, 1, 0.25)")
            if positional.count == 1 { return try Tensor.arange(try integer(positional[0], "n", minimum: 0)) }
            let step = positional.count == 3 ? try number(positional[2], "step") : 1
            return try Tensor.arange(start: try number(positional[0], "start"), stop: try number(positional[1], "stop"), step: step)
        case "linspace":
            try call.checkKeywords([])
            try call.checkPositionalCount(3...3, usage: "linspace(0, 1, 5)")
            return try Tensor.linspace(try number(positional[0], "start"), try number(positional[1], "stop"), count: try integer(positional[2], "n", minimum: 0))
        default:
            try call.checkKeywords(["seed"])
            let shape = try shape(from: positional, callee: call.callee)
            let seed = try seed(call.keyword("seed")) ?? UInt64.random(in: 0...UInt64.max)
            return call.callee == "randn" ? try Tensor.randn(shape, seed: seed) : try Tensor.rand(shape, seed: seed)
        }
    }

    private func dataset(_ call: Call) throws -> RuntimeValue {
        let isMoons = call.callee == "moons"
        try call.checkKeywords(isMoons ? ["noise", "seed"] : ["centers", "std", "seed"])
        try call.checkPositionalCount(1...1, usage: isMoons ? "X, y = moons(100, noise=0.1, seed=1)" : "X, y = blobs(100, centers=3, seed=1)")
        let count = try integer(call.positional[0], "the number of samples", minimum: 1)
        let seed = try seed(call.keyword("seed")) ?? 0
        let data: (X: Tensor, y: Tensor)
        if isMoons {
            let noise = try call.keyword("noise").map { (argument: CallArgument) throws(RuntimeError) -> Double in try number(argument, "noise") } ?? 0
            data = try Datasets.moons(count, noise: noise, seed: seed)
        } else {
            let centers = try call.keyword("centers").map { (argument: CallArgument) throws(RuntimeError) -> Int in try integer(argument, "centers", minimum: 1) } ?? 3
            let spread = try call.keyword("std").map { (argument: CallArgument) throws(RuntimeError) -> Double in try number(argument, "std") } ?? 1
            data = try Datasets.blobs(count, centers: centers, clusterStd: spread, seed: seed)
        }
        return .tuple([.constant(data.X), .constant(data.y)])
    }
}

extension Interpreter {
    func gradcheckText(_ report: GradcheckReport, target: String) -> String {
        let elements = report.params.reduce(0) { $0 + $1.numeric.count }
        let paramWord = report.params.count == 1 ? "param" : "params"
        var lines = ["gradcheck \(target): \(report.params.count) \(paramWord) (\(CountText.grouped(elements)) element\(elements == 1 ? "" : "s")), "
                        + "\(CountText.grouped(report.forwardPasses)) forward pass\(report.forwardPasses == 1 ? "" : "es") "
                        + "(\(CountText.grouped(report.evaluations)) node evaluations) of central differences, eps \(formatScalar(report.epsilon))",
                     "  worst relative error \(formatScalar(report.maxRelativeError))"]
        for result in report.params {
            let label = name(of: result.param) ?? String(describing: result.param)
            lines.append("  \(label): max relative error \(formatScalar(result.maxRelativeError)), max absolute error \(formatScalar(result.maxAbsoluteError))")
        }
        if report.params.isEmpty {
            lines.append("  \(target) depends on no param: nothing to check")
        } else {
            lines.append(report.passed() ? "  ok: the backward pass agrees with finite differences" : "  MISMATCH: the backward pass disagrees with finite differences")
        }
        return lines.joined(separator: "\n")
    }
}
