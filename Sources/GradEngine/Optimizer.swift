#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GradTensor

/// Parameter updates with PyTorch's formulas (`torch.optim.SGD`, `SGD(momentum=)`, `Adam`),
/// applied in place to the param leaves of a graph. State (velocities, moments) is kept
/// per param id and updated in place, so a step allocates nothing after the first.
public struct Optimizer: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case sgd, momentum, adam
    }

    public var kind: Kind
    /// The learning rate at step 0.
    public var learningRate: Double
    /// With `totalSteps`, a linear decay: step k (0-based) uses
    /// `lr − (lr − lrEnd) · k / totalSteps`, the rate micrograd's demo uses
    /// (`1.0 − 0.9·k/100` for lr 1, lr_end 0.1, 100 steps).
    public var learningRateEnd: Double?
    public var totalSteps: Int
    /// SGD momentum (PyTorch: no dampening, no Nesterov).
    public var momentum: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    /// L2 penalty added to the gradient (`grad + weight_decay · p`), as PyTorch's SGD and Adam.
    public var weightDecay: Double
    /// Steps taken so far.
    public private(set) var stepCount = 0

    /// Velocity (momentum) or first moment (Adam), per param.
    private var firstMoments: [NodeID: [Double]] = [:]
    /// Second moment (Adam), per param.
    private var secondMoments: [NodeID: [Double]] = [:]

    public init(kind: Kind, learningRate: Double, learningRateEnd: Double? = nil, totalSteps: Int = 1,
                momentum: Double = 0.9, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                weightDecay: Double = 0) {
        self.kind = kind
        self.learningRate = learningRate
        self.learningRateEnd = learningRateEnd
        self.totalSteps = totalSteps
        self.momentum = momentum
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// What a training run must keep, beside the params, to continue exactly where it stopped
    /// (a training checkpoint, as PyTorch's `optimizer.state_dict()`): the number of steps
    /// taken, which the learning-rate decay and Adam's bias corrections depend on, and each
    /// param's buffers under PyTorch's names. A param without a buffer has none yet (momentum
    /// starts its buffer at the first gradient, not at zero), so absence is state too.
    public struct State: Sendable, Equatable {
        public enum Slot: String, Sendable, CaseIterable, Comparable {
            /// `momentum`: the velocity.
            case momentumBuffer = "momentum_buffer"
            /// `adam`: the first and second moments.
            case expAvg = "exp_avg"
            case expAvgSq = "exp_avg_sq"

            public static func < (lhs: Slot, rhs: Slot) -> Bool { lhs.rawValue < rhs.rawValue }
        }

        public var stepCount: Int
        public var buffers: [NodeID: [Slot: [Double]]]

        public init(stepCount: Int = 0, buffers: [NodeID: [Slot: [Double]]] = [:]) {
            self.stepCount = stepCount
            self.buffers = buffers
        }
    }

    /// The slots this kind of optimizer keeps per param.
    public var slots: [State.Slot] {
        switch kind {
        case .sgd: []
        case .momentum: [.momentumBuffer]
        case .adam: [.expAvg, .expAvgSq]
        }
    }

    /// The state as plain arrays. Cheap: the arrays are shared until the next step writes them.
    public var state: State {
        var buffers: [NodeID: [State.Slot: [Double]]] = [:]
        switch kind {
        case .sgd:
            break
        case .momentum:
            for (param, velocity) in firstMoments { buffers[param, default: [:]][.momentumBuffer] = velocity }
        case .adam:
            for (param, moment) in firstMoments { buffers[param, default: [:]][.expAvg] = moment }
            for (param, moment) in secondMoments { buffers[param, default: [:]][.expAvgSq] = moment }
        }
        return State(stepCount: stepCount, buffers: buffers)
    }

    /// Puts back a state taken with `state` (by this or an identically set up optimizer), so
    /// that the next step computes exactly what it would have. Checked against the graph: a
    /// buffer must belong to a param leaf, have its element count, and be a slot of this kind
    /// of optimizer; Adam keeps both moments of a param or neither.
    public mutating func restore(_ state: State, graph: Graph) throws(EngineError) {
        guard state.stepCount >= 0 else { throw EngineError("optimizer state: step count \(state.stepCount) is negative") }
        var first: [NodeID: [Double]] = [:]
        var second: [NodeID: [Double]] = [:]
        let allowed = Set(slots)
        for (param, slotted) in state.buffers {
            guard param.index >= 0, param.position < graph.count, graph.isParam(param) else {
                throw EngineError("optimizer state: node \(param) is not a param of this graph")
            }
            let count = graph.value(elementCountOf: param)
            for (slot, buffer) in slotted {
                guard allowed.contains(slot) else {
                    throw EngineError("optimizer state: \(kind.rawValue) keeps no \(slot.rawValue) (param \(param))")
                }
                guard buffer.count == count else {
                    throw EngineError("optimizer state: \(slot.rawValue) of \(param) has \(buffer.count) elements, the param \(count)")
                }
                if slot == .expAvgSq { second[param] = buffer } else { first[param] = buffer }
            }
            if kind == .adam && (first[param] == nil) != (second[param] == nil) {
                throw EngineError("optimizer state: adam needs both exp_avg and exp_avg_sq of \(param)")
            }
        }
        stepCount = state.stepCount
        firstMoments = first
        secondMoments = second
    }

    /// The learning rate the next step uses.
    public var currentLearningRate: Double {
        guard let end = learningRateEnd, totalSteps > 0 else { return learningRate }
        return learningRate - (learningRate - end) * Double(stepCount) / Double(totalSteps)
    }

    /// Updates every param in `params` that has a gradient in `gradients` (others are left
    /// alone, as PyTorch skips params whose `.grad` is None). The caller recomputes the
    /// forward values afterwards (`recomputeForward(changed: params)`).
    public mutating func step(graph: inout Graph, params: [NodeID], gradients: Gradients) throws(EngineError) {
        let lr = currentLearningRate
        stepCount += 1
        let t = Double(stepCount)
        for param in params {
            guard param.index >= 0, param.position < graph.count, graph.isLeaf(param) else {
                throw EngineError("optimizer: node \(param) is not a leaf and cannot be updated")
            }
            guard gradients.contains(param) else { continue }
            let gradient = gradients.gradientStorage(param)
            let count = gradient.count
            guard count == graph.value(elementCountOf: param) else {
                throw EngineError("optimizer: gradient of \(param) has \(count) elements, its value \(graph.value(elementCountOf: param))")
            }
            switch kind {
            case .sgd:
                let decay = weightDecay
                graph.updateLeafInPlace(param.position) { p in
                    for i in 0..<count {
                        let g = decay != 0 ? gradient[i] + decay * p[i] : gradient[i]
                        p[i] -= lr * g
                    }
                }
            case .momentum:
                let decay = weightDecay, mu = momentum
                let first = firstMoments[param] == nil
                if first { firstMoments[param] = [Double](repeating: 0, count: count) }
                firstMoments[param, default: []].withUnsafeMutableBufferPointer { velocity in
                    graph.updateLeafInPlace(param.position) { p in
                        for i in 0..<Swift.min(count, velocity.count) {
                            let g = decay != 0 ? gradient[i] + decay * p[i] : gradient[i]
                            velocity[i] = first ? g : mu * velocity[i] + g
                            p[i] -= lr * velocity[i]
                        }
                    }
                }
            case .adam:
                let decay = weightDecay, b1 = beta1, b2 = beta2, eps = epsilon
                if firstMoments[param] == nil { firstMoments[param] = [Double](repeating: 0, count: count) }
                if secondMoments[param] == nil { secondMoments[param] = [Double](repeating: 0, count: count) }
                let stepSize = lr / (1 - pow(b1, t))
                let correction2Root = (1 - pow(b2, t)).squareRoot()
                firstMoments[param, default: []].withUnsafeMutableBufferPointer { m in
                    secondMoments[param, default: []].withUnsafeMutableBufferPointer { v in
                        graph.updateLeafInPlace(param.position) { p in
                            for i in 0..<Swift.min(count, m.count, v.count) {
                                let g = decay != 0 ? gradient[i] + decay * p[i] : gradient[i]
                                // torch.lerp_(m, g, 1 − β1) for a weight below 0.5.
                                m[i] = m[i] + (1 - b1) * (g - m[i])
                                v[i] = v[i] * b2 + (1 - b2) * (g * g)
                                let denominator = v[i].squareRoot() / correction2Root + eps
                                p[i] = p[i] + (-stepSize) * (m[i] / denominator)
                            }
                        }
                    }
                }
            }
        }
    }
}

extension Gradients {
    /// A node's gradient elements without building a tensor for scalar nodes.
    func gradientStorage(_ id: NodeID) -> [Double] {
        if let tensor = tensorGradients[id.index] { return tensor.scalars }
        return [table.gradients[id.position]]
    }
}

extension Graph {
    /// Element count of a node's value without building a tensor.
    func value(elementCountOf id: NodeID) -> Int {
        let slot = Int(store.slot(checked(id)))
        return slot < 0 ? 1 : tensors[slot].count
    }
}
