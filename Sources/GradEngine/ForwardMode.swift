import GradTensor

/// The result of one forward-mode pass: for every node the pass reached, its tangent — the
/// derivative of the node along the direction given to the seed (∂node/∂seed · direction).
/// Nodes the pass did not reach (they do not depend on the seed, or only through a node held
/// fixed or a non-differentiable input) have no tangent: it is zero.
public struct Tangents: Sendable {
    public let seed: NodeID
    /// Tangents of scalar nodes and the reached marks, by position − seed position.
    let scalars: [Double]
    let reached: [Bool]
    /// Tangents of tensor-valued nodes, by node index.
    let tensors: [Int32: Tensor]
    /// Node evaluations the pass made: the JVPs it ran (the seed itself is given, not evaluated).
    public let evaluations: Int

    /// The tangent with the node's shape, or nil where it is zero.
    public subscript(id: NodeID) -> Tensor? {
        let offset = Int(id.index) - Int(seed.index)
        guard offset >= 0, offset < reached.count, reached[offset] else { return nil }
        return tensors[id.index] ?? Tensor(scalars[offset])
    }
}

/// dTarget/dInput by forward mode, one pass per element of the input.
public struct ForwardGradient: Sendable {
    /// Shaped like the input.
    public let gradient: Tensor
    /// Forward-mode passes made: the input's element count.
    public let passes: Int
    /// Node evaluations over all passes (JVPs run).
    public let evaluations: Int
}

extension Graph {
    /// Forward-mode differentiation: one pass from `seed` with tangent `direction` (the seed's
    /// shape) up to `target`, applying each op's JVP left to right. Only the op nodes between
    /// the two that depend on the seed and that the target depends on are evaluated — an
    /// iterative loop in id order, O(nodes ≤ target) per pass, no recursion. Nodes in `fixed`
    /// keep a zero tangent (partial derivatives holding chosen nodes fixed, as `backward`'s
    /// `stopAt`).
    public func jvp(from seed: NodeID, along direction: Tensor, through target: NodeID,
                    holdingFixed fixed: Set<NodeID> = []) throws(EngineError) -> Tangents {
        var sweep = try ForwardSweep(graph: self, seed: seed, target: target, fixed: fixed)
        try sweep.run(on: self, direction: direction)
        return sweep.tangents(seed: seed)
    }

    /// dTarget/dInput for a one-element `target` by forward mode: one pass per element of
    /// `input`, each seeded with that element's unit tangent (what `grad(J, w, mode="forward")`
    /// computes). The plan of nodes to evaluate is found once and reused by every pass.
    public func forwardGradient(of target: NodeID, withRespectTo input: NodeID) throws(EngineError) -> ForwardGradient {
        guard target.index >= 0, target.position < count else { throw EngineError("unknown node \(target)") }
        guard scalar(target) != nil else {
            throw EngineError("forward-mode gradients need a scalar, but the target has shape \(formatShape(shape(target))); reduce it first, e.g. with sum(...) or mean(...)")
        }
        var sweep = try ForwardSweep(graph: self, seed: input, target: target, fixed: [])
        let inputValue = value(input)
        var gradient = [Double](repeating: 0, count: inputValue.count)
        var direction = Tensor.zeros(like: inputValue)
        var evaluations = 0
        for element in 0..<inputValue.count {
            direction.withUnsafeMutableScalars { $0[element] = 1 }
            try sweep.run(on: self, direction: direction)
            gradient[element] = sweep.scalarTangent(at: target.position) ?? 0
            evaluations += sweep.evaluations
            direction.withUnsafeMutableScalars { $0[element] = 0 }
        }
        let shaped = (try? Tensor(shape: inputValue.shape, scalars: gradient)) ?? Tensor.zeros(like: inputValue)
        return ForwardGradient(gradient: shaped, passes: inputValue.count, evaluations: evaluations)
    }
}

/// The state of forward-mode passes from one seed to one target: the plan (which nodes to
/// evaluate, found once) and the tangent buffers, reset in O(plan) between passes.
struct ForwardSweep {
    let first: Int
    let last: Int
    /// Op nodes in (seed, target] that depend on the seed and that the target depends on,
    /// minus the fixed ones, in id order.
    let plan: [Int32]
    var scalars: [Double]
    var reached: [Bool]
    var tensors: [Int32: Tensor] = [:]
    var evaluations = 0

    init(graph: Graph, seed: NodeID, target: NodeID, fixed: Set<NodeID>) throws(EngineError) {
        guard seed.index >= 0, seed.position < graph.count else { throw EngineError("unknown node \(seed)") }
        guard target.index >= 0, target.position < graph.count else { throw EngineError("unknown node \(target)") }
        first = seed.position
        last = Swift.max(target.position, seed.position)
        plan = graph.dependents(of: first, through: target.position).filter { !fixed.contains(NodeID($0)) }
        scalars = [Double](repeating: 0, count: last - first + 1)
        reached = [Bool](repeating: false, count: last - first + 1)
    }

    func scalarTangent(at position: Int) -> Double? {
        let offset = position - first
        guard offset >= 0, offset < reached.count, reached[offset] else { return nil }
        if let tensor = tensors[Int32(truncatingIfNeeded: position)] { return tensor.scalarValue }
        return scalars[offset]
    }

    func tangents(seed: NodeID) -> Tangents {
        Tangents(seed: seed, scalars: scalars, reached: reached, tensors: tensors, evaluations: evaluations)
    }

    /// One pass: the seed's tangent is `direction`; every planned node gets the JVP of its op
    /// from its inputs' tangents (skipped, and not counted, when none has one).
    mutating func run(on graph: Graph, direction: Tensor) throws(EngineError) {
        for position in plan { reached[Int(position) - first] = false }
        tensors.removeAll(keepingCapacity: true)
        evaluations = 0
        let seedShape = graph.shape(NodeID(Int32(truncatingIfNeeded: first)))
        guard direction.shape == seedShape else {
            throw EngineError("forward mode: the direction has shape \(formatShape(direction.shape)) but the seed has shape \(formatShape(seedShape))")
        }
        reached[0] = true
        if graph.store.isScalar(first) {
            scalars[0] = direction.scalars[0]
        } else {
            tensors[Int32(truncatingIfNeeded: first)] = direction
        }
        let store = graph.store
        let kernels = graph.kernels
        for planned in plan {
            let position = Int(planned)
            let op = store.ops[position]
            let range = store.inputRange(position)
            if store.isScalar(position), let scalarRule = kernels[op] {
                switch scalarRule {
                case .unary(_, let derivative) where range.count == 1:
                    let x = Int(store.inputs[range.lowerBound])
                    guard store.isScalar(x) else { break }
                    guard let tx = tangentOfScalarNode(at: x) else { continue }
                    set(ScalarKernels.vjp(op, store.values[x], store.values[position], tx, rule: derivative), at: position)
                    continue
                case .binary(_, let derivativeA, let derivativeB) where range.count == 2:
                    let a = Int(store.inputs[range.lowerBound]), b = Int(store.inputs[range.lowerBound + 1])
                    guard store.isScalar(a), store.isScalar(b) else { break }
                    let ta = tangentOfScalarNode(at: a), tb = tangentOfScalarNode(at: b)
                    guard ta != nil || tb != nil else { continue }
                    set(ScalarKernels.jvp(op, store.values[a], store.values[b], store.values[position], ta, tb,
                                          rules: (derivativeA, derivativeB)), at: position)
                    continue
                default:
                    break
                }
            }
            try propagateTensor(at: position, graph: graph)
        }
    }

    /// The tangent of an input (before the node being evaluated) that holds a scalar value.
    @inline(__always)
    private func tangentOfScalarNode(at position: Int) -> Double? {
        let offset = position - first
        return offset >= 0 && reached[offset] ? scalars[offset] : nil
    }

    private mutating func set(_ tangent: Double, at position: Int) {
        scalars[position - first] = tangent
        reached[position - first] = true
        evaluations += 1
    }

    /// The general step: the op's JVP on tensors, its result checked — and broadcast to the
    /// output's shape where the row returned a broadcastable one — in this one place.
    private mutating func propagateTensor(at position: Int, graph: Graph) throws(EngineError) {
        let store = graph.store
        let op = store.ops[position]
        let rule = op.rule
        guard let jvp = rule.jvp else { return }
        let inputIDs = store.inputRange(position).map { Int(store.inputs[$0]) }
        var inputTangents: [Tensor?] = []
        inputTangents.reserveCapacity(inputIDs.count)
        var any = false
        for (k, input) in inputIDs.enumerated() {
            guard rule.isDifferentiable(inputAt: k), let tangent = tangent(at: input) else {
                inputTangents.append(nil)
                continue
            }
            inputTangents.append(tangent)
            any = true
        }
        guard any else { return }
        let index = Int32(truncatingIfNeeded: position)
        let output = graph.value(at: position)
        var produced: Tensor
        do {
            produced = try jvp(TangentArguments(inputs: inputIDs.map { graph.value(at: $0) }, output: output,
                                                tangents: inputTangents, attributes: graph.attributeTable[index] ?? OpAttributes()))
        } catch {
            throw EngineError("forward mode of \(rule.name): \(error.message)", op: op)
        }
        if produced.shape != output.shape {
            guard let broadcast = try? produced.broadcast(to: output.shape) else {
                throw EngineError("forward mode of \(rule.name) returned a tangent of shape \(formatShape(produced.shape)) for an output of shape \(formatShape(output.shape))", op: op)
            }
            produced = broadcast
        }
        if store.isScalar(position) {
            set(produced.scalars[0], at: position)
        } else {
            tensors[index] = produced
            reached[position - first] = true
            evaluations += 1
        }
    }

    private func tangent(at position: Int) -> Tensor? {
        let offset = position - first
        guard offset >= 0, offset < reached.count, reached[offset] else { return nil }
        return tensors[Int32(truncatingIfNeeded: position)] ?? Tensor(scalars[offset])
    }
}
