import GradEngine
import GradLang
import GradTensor

extension Interpreter {
    /// `train(J, steps=, lr=, optimizer=, ...)`: forward, backward and update, `steps` times, each
    /// step handed to the session as a run as soon as it is done. An interrupt stops it after
    /// the current step; the steps done so far stay done.
    mutating func callTrain(_ call: Call, context: ExecutionContext, outcome: inout StatementOutcome) throws(RuntimeError) -> RuntimeValue {
        try call.checkKeywords(["steps", "lr", "optimizer", "momentum", "beta1", "beta2", "eps", "weight_decay", "lr_end", "checkpoint_every"])
        try call.checkPositionalCount(1...1, usage: "train(J, steps=100, lr=0.1, optimizer=\"adam\")")
        guard case .node(let target) = call.positional[0].value else {
            throw RuntimeError(RuntimeErrorID.notDifferentiable, "train needs a loss node that depends on params", at: call.positional[0].span)
        }
        let label = name(of: target) ?? String(describing: target)
        guard graph.shape(target).reduce(1, *) == 1 else {
            throw RuntimeError(RuntimeErrorID.notDifferentiable, "train minimises a scalar, but \(label) has shape \(formatShape(graph.shape(target)))",
                               at: call.positional[0].span, fixIt: "reduce it first, e.g. mean(...)")
        }
        try checkNoGradientUse(beneath: target, statementUsesGrad: false, at: call.positional[0].span)
        func option(_ name: String, _ fallback: Double) throws(RuntimeError) -> Double {
            guard let argument = call.keyword(name) else { return fallback }
            return try number(argument, name)
        }
        let steps = try call.keyword("steps").map { (argument: CallArgument) throws(RuntimeError) -> Int in try integer(argument, "steps", minimum: 1) } ?? 100
        let optimizerName = try call.keyword("optimizer").map { (argument: CallArgument) throws(RuntimeError) -> String in try string(argument, "optimizer") } ?? "sgd"
        guard let kind = Optimizer.Kind(rawValue: optimizerName) else {
            throw RuntimeError(RuntimeErrorID.badArguments, "unknown optimizer \"\(optimizerName)\"", at: call.keyword("optimizer")?.span ?? call.span,
                               fixIt: "use \"sgd\", \"momentum\" or \"adam\"")
        }
        let learningRate = try option("lr", kind == .adam ? 0.001 : 0.01)
        let optimizerSettings = Optimizer(
            kind: kind, learningRate: learningRate, learningRateEnd: try call.keyword("lr_end").map { (argument: CallArgument) throws(RuntimeError) -> Double in try number(argument, "lr_end") },
            totalSteps: steps, momentum: try option("momentum", 0.9), beta1: try option("beta1", 0.9), beta2: try option("beta2", 0.999),
            epsilon: try option("eps", 1e-8), weightDecay: try option("weight_decay", 0))
        if let problem = Self.validate(optimizerSettings) {
            throw RuntimeError(RuntimeErrorID.badArguments, "train: \(problem)", at: call.span)
        }
        let checkpointEvery = try call.keyword("checkpoint_every").map { (argument: CallArgument) throws(RuntimeError) -> Int in
            try integer(argument, "checkpoint_every", minimum: 1)
        }
        let settingsJSON = Self.json(optimizerSettings)
        let params = graph.params(of: target)
        guard !params.isEmpty else {
            throw RuntimeError(RuntimeErrorID.notDifferentiable, "\(label) depends on no param, so there is nothing to train", at: call.positional[0].span,
                               fixIt: "make the weights params, e.g. w = param(randn(3, seed=1))")
        }
        var loop = TrainingLoop(target: target, label: label, params: params,
                                names: namedAncestors(of: label).filter { nodeOfName[$0] != nil }, optimizer: optimizerSettings)
        let started = context.now()
        var losses: [Double] = []
        var interrupted = false
        for step in 0..<steps {
            if context.interrupt.consume() {
                interrupted = true
                break
            }
            let stepStarted = context.now()
            let done: TrainingLoop.Step
            do { done = try loop.backward(in: self) } catch { throw RuntimeError(RuntimeErrorID.engine, error.description, at: call.span) }
            losses.append(done.loss)
            let event = RunEvent(kind: .train, target: label, step: step, loss: done.loss, durationSeconds: context.now() - stepStarted,
                                 totalSteps: steps, nodes: done.nodes, settingsJSON: settingsJSON, steps: done.steps,
                                 optimizerState: done.optimizerState, checkpointEvery: checkpointEvery)
            do { try context.recordTrainingStep(event) } catch {
                throw RuntimeError(RuntimeErrorID.io, "train stopped at step \(step): the run history could not be written: \(error)", at: call.span)
            }
            do {
                try loop.update(done, in: &self)
            } catch {
                throw RuntimeError(RuntimeErrorID.engine, error.description, at: call.span)
            }
            context.reportProgress(TrainingProgress(target: label, step: step + 1, totalSteps: steps, loss: done.loss,
                                                    elapsedSeconds: context.now() - started, finished: false))
        }
        valuesVersion &+= 1
        latestBackward = nil
        for (name, node) in namedNodes where definitions[name]?.isParam == true {
            definitions[name]?.body = .leaf(graph.value(node), isParam: true)
        }
        // The last step's gradients predate its update: `.grad` shows the gradients at the
        // trained values, computed when the statement ends (GradientTargets.swift).
        followAfterStatement(node: target, label: label)
        changedNames.formUnion(params.compactMap { name(of: $0) })
        let elapsed = context.now() - started
        context.reportProgress(TrainingProgress(target: label, step: losses.count, totalSteps: steps, loss: losses.last ?? .nan,
                                                elapsedSeconds: elapsed, finished: true))
        outcome.interrupted = interrupted
        outcome.outputs.append(.rich(TrainingSummary.output(target: label, losses: losses, steps: steps, interrupted: interrupted, seconds: elapsed)))
        return .nothing
    }
}

extension Interpreter {
    /// Settings no optimizer can use, said before the first step rather than as NaNs after it.
    static func validate(_ optimizer: Optimizer) -> String? {
        let checks: [(Bool, String)] = [
            (optimizer.learningRate.isFinite && optimizer.learningRate > 0, "lr must be a positive number"),
            (optimizer.learningRateEnd.map { $0.isFinite && $0 >= 0 } ?? true, "lr_end must be a non-negative number"),
            (optimizer.momentum >= 0 && optimizer.momentum < 1, "momentum must be in [0, 1)"),
            (optimizer.beta1 >= 0 && optimizer.beta1 < 1, "beta1 must be in [0, 1)"),
            (optimizer.beta2 >= 0 && optimizer.beta2 < 1, "beta2 must be in [0, 1)"),
            (optimizer.epsilon > 0, "eps must be positive"),
            (optimizer.weightDecay >= 0 && optimizer.weightDecay.isFinite, "weight_decay must be a non-negative number"),
        ]
        return checks.first { !$0.0 }?.1
    }

    /// The optimizer settings as the run history stores them (`{"name":"adam","lr":0.01,...}`).
    static func json(_ optimizer: Optimizer) -> String {
        var fields = ["\"name\":\"\(optimizer.kind.rawValue)\"", "\"lr\":\(formatScalar(optimizer.learningRate))"]
        if let end = optimizer.learningRateEnd { fields.append("\"lr_end\":\(formatScalar(end))") }
        switch optimizer.kind {
        case .sgd: break
        case .momentum: fields.append("\"momentum\":\(formatScalar(optimizer.momentum))")
        case .adam:
            fields.append("\"beta1\":\(formatScalar(optimizer.beta1))")
            fields.append("\"beta2\":\(formatScalar(optimizer.beta2))")
            fields.append("\"eps\":\(formatScalar(optimizer.epsilon))")
        }
        if optimizer.weightDecay != 0 { fields.append("\"weight_decay\":\(formatScalar(optimizer.weightDecay))") }
        fields.append("\"steps\":\(optimizer.totalSteps)")
        return "{" + fields.joined(separator: ",") + "}"
    }
}
