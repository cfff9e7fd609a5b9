import GradEngine
import GradLang
import GradTensor

/// The steps of one `train()` call: what `train()` runs and what a replay re-runs from a
/// checkpoint. One code path, so that a re-executed step computes the same bits as the
/// original did.
///
/// A step is two halves: `backward` (the loss, every named ancestor's value and gradient, and
/// the optimizer's state before the update: what the run history records of the step) and
/// `update` (the optimizer's step and the forward values it changes).
public struct TrainingLoop: Sendable {
    public let target: NodeID
    /// The loss's name (`J`), or its node id for an unnamed expression (`%17`).
    public let label: String
    let params: [NodeID]
    /// The named nodes the loss depends on, recorded at each step.
    let names: [String]
    public private(set) var optimizer: Optimizer
    /// Nodes the previous update's forward pass re-evaluated (0 before the first step, whose
    /// values come from the definitions).
    private var forwardEvaluations = 0

    /// One step's backward pass, before its update.
    public struct Step: Sendable {
        public var loss: Double
        public var nodes: [NodeSnapshot]
        /// The step's steps (README: "Steps"): the forward re-evaluation that gave its loss
        /// plus its backward pass.
        public var steps: Int
        /// The optimizer's state before this step's update: with the params' values of
        /// `nodes`, what it takes to continue exactly from this step.
        public var optimizerState: NamedOptimizerState
        let gradients: Gradients
    }

    init(target: NodeID, label: String, params: [NodeID], names: [String], optimizer: Optimizer) {
        self.target = target
        self.label = label
        self.params = params
        self.names = names
        self.optimizer = optimizer
    }

    /// The backward pass of the next step, from the interpreter's current values.
    public func backward(in interpreter: Interpreter) throws(EngineError) -> Step {
        let graph = interpreter.graph
        let gradients = try graph.backward(from: target)
        let snapshots = names.compactMap { name -> NodeSnapshot? in
            guard let node = interpreter.nodeOfName[name], let definition = interpreter.definitions[name] else { return nil }
            return NodeSnapshot(name: name, value: graph.value(node), gradient: gradients[node], isParam: definition.isParam,
                                isLeaf: definition.isLeaf)
        }
        return Step(loss: graph.scalar(target) ?? .nan, nodes: snapshots, steps: forwardEvaluations + graph.steps(of: gradients),
                    optimizerState: NamedOptimizerState(optimizer.state, names: interpreter.nameOfNode), gradients: gradients)
    }

    /// Applies `step`'s update to the params and recomputes what depends on them.
    public mutating func update(_ step: Step, in interpreter: inout Interpreter) throws(EngineError) {
        try optimizer.step(graph: &interpreter.graph, params: params, gradients: step.gradients)
        forwardEvaluations = try interpreter.graph.recomputeForward(changed: params)
        interpreter.valuesVersion &+= 1
        interpreter.latestBackward = nil
    }
}

/// `Optimizer.State` with params named as the notebook names them: what a training step hands
/// to the run history, and what a replay gives back.
public struct NamedOptimizerState: Sendable, Equatable {
    public var stepCount: Int
    public var buffers: [String: [Optimizer.State.Slot: [Double]]]

    public init(stepCount: Int, buffers: [String: [Optimizer.State.Slot: [Double]]]) {
        self.stepCount = stepCount
        self.buffers = buffers
    }

    /// An unnamed param's buffers are left out: the history records named nodes only.
    init(_ state: Optimizer.State, names: [NodeID: String]) {
        stepCount = state.stepCount
        var named: [String: [Optimizer.State.Slot: [Double]]] = [:]
        for (param, slots) in state.buffers {
            if let name = names[param] { named[name] = slots }
        }
        buffers = named
    }
}

extension Interpreter {
    /// The loop of `train(target, ...)` over this interpreter's graph, starting from the params'
    /// current values and, when given, an optimizer state taken at the step to continue from
    /// (a checkpoint). `target` is the loss's name.
    public func trainingLoop(of target: String, optimizer: Optimizer, state: NamedOptimizerState?) throws(RuntimeError) -> TrainingLoop {
        let span = SourceSpan(at: .start)
        guard let node = nodeOfName[target] else {
            throw RuntimeError(RuntimeErrorID.unknownName, "unknown name '\(target)'", at: span)
        }
        guard graph.shape(node).reduce(1, *) == 1 else {
            throw RuntimeError(RuntimeErrorID.notDifferentiable, "train minimises a scalar, but \(target) has shape \(formatShape(graph.shape(node)))", at: span)
        }
        var configured = optimizer
        if let state {
            var buffers: [NodeID: [Optimizer.State.Slot: [Double]]] = [:]
            for (name, slots) in state.buffers {
                guard let param = nodeOfName[name] else {
                    throw RuntimeError(RuntimeErrorID.unknownName, "the optimizer state names '\(name)', which this graph does not define", at: span)
                }
                buffers[param] = slots
            }
            do {
                try configured.restore(Optimizer.State(stepCount: state.stepCount, buffers: buffers), graph: graph)
            } catch {
                throw RuntimeError(RuntimeErrorID.engine, error.description, at: span)
            }
        }
        return TrainingLoop(target: node, label: target, params: graph.params(of: node),
                            names: namedAncestors(of: target).filter { nodeOfName[$0] != nil }, optimizer: configured)
    }
}
