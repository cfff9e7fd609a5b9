import GradTensor

/// Per-node bits.
/// (@usableFromInline with computed constants: the `Graph.apply` fast paths are inlined
/// into clients, where a `static let` would be read through an accessor call.)
@usableFromInline
struct NodeFlags: OptionSet, Sendable {
    @usableFromInline let rawValue: UInt8
    @inlinable init(rawValue: UInt8) { self.rawValue = rawValue }
    /// A trainable leaf (`param(...)`).
    @inlinable static var param: NodeFlags { NodeFlags(rawValue: 1) }
    /// A leaf or constant: no inputs, value set from outside.
    @inlinable static var source: NodeFlags { NodeFlags(rawValue: 2) }
    /// A source that takes no gradient.
    @inlinable static var constant: NodeFlags { NodeFlags(rawValue: 4) }
    /// Gradients flow into this node (a non-constant leaf, or an op with such an ancestor
    /// through a differentiable input).
    @inlinable static var requiresGradient: NodeFlags { NodeFlags(rawValue: 8) }
    /// The value holds NaN or ±Inf.
    @inlinable static var nonFinite: NodeFlags { NodeFlags(rawValue: 16) }
    /// The value is a tensor in the graph's tensor table; the value column holds its slot
    /// (`NodeStore.slot(_:)`). Without this bit the value column holds the scalar value.
    @inlinable static var tensorValue: NodeFlags { NodeFlags(rawValue: 32) }
}

/// A node's value as stored: scalars inline, everything else in the tensor side table.
enum NodeValue {
    case scalar(Double)
    case tensor(Tensor)

    init(_ tensor: Tensor) {
        self = tensor.isScalar ? .scalar(tensor.scalars[0]) : .tensor(tensor)
    }

    var isFinite: Bool {
        switch self {
        case .scalar(let value): return value.isFinite
        case .tensor(let tensor): return tensor.allFinite
        }
    }
}

/// The scalar fast-path table (`OpRule.scalarKernels`): a process-lifetime buffer.
@usableFromInline
struct ScalarKernels: @unchecked Sendable {
    // @unchecked: the buffer is written once, before first use, and never freed.
    @usableFromInline let base: UnsafePointer<ScalarRule?>

    init(base: UnsafePointer<ScalarRule?>) { self.base = base }

    @inlinable @inline(__always)
    subscript(op: OpCode) -> ScalarRule? { base[Int(op.rawValue)] }
}

/// The computation graph: nodes with integer ids in append-only columns (struct of
/// arrays, `NodeStore`), values computed eagerly as nodes are added.
///
/// A rank-0 node costs 22 bytes (op, flags, value, input offset and two input ids) and
/// no heap allocation of its own. Other values live in `tensors` and the node's value
/// column records the slot (flag `tensorValue`). Ids are a topological order, so forward
/// recomputation and backward are single loops over ids, without recursion.
///
/// `Graph` is a value: `let saved = graph` costs a few reference-count increments; the
/// node columns are copied only when one of the copies is mutated afterwards.
public struct Graph: Sendable {
    @usableFromInline var store: NodeStore
    var tensors: [Tensor] = []
    /// Attributes of the nodes that have any.
    var attributeTable: [Int32: OpAttributes] = [:]
    @usableFromInline let kernels: ScalarKernels

    /// The most nodes (and input references) a graph holds; ids are `Int32`.
    public static let maxNodeCount = Int(Int32.max) - 2
    /// `maxNodeCount` for the inlined fast paths, without a global accessor call.
    @inlinable static var nodeLimit: Int { Int(Int32.max) - 2 }

    public init() {
        Tensor.keepFreedBuffersInProcess()
        store = NodeStore()
        kernels = OpRule.scalarKernels
    }

    public var count: Int { store.count }

    /// The store, copied first if another graph value shares it.
    @inlinable @inline(__always)
    mutating func mutableStore() -> NodeStore {
        if !isKnownUniquelyReferenced(&store) { store = store.copy() }
        return store
    }

    /// Reserves room for `nodes` more nodes with `inputs` input references in all, so
    /// building a graph of known size does not reallocate.
    public mutating func reserveCapacity(nodes: Int, inputs: Int) {
        let nodeStore = mutableStore()
        nodeStore.reserve(nodes: nodeStore.count + Swift.max(0, nodes), inputs: nodeStore.inputCount + Swift.max(0, inputs))
    }

    // MARK: Adding nodes

    /// A leaf holding `value`; `isParam` makes it trainable. Leaves take gradients.
    public mutating func leaf(_ value: Tensor, isParam: Bool = false) -> NodeID {
        appendSource(.leaf, flags: isParam ? [.source, .requiresGradient, .param] : [.source, .requiresGradient],
                     value: NodeValue(value))
    }

    /// A rank-0 leaf without building a `Tensor`.
    public mutating func leaf(scalar value: Double, isParam: Bool = false) -> NodeID {
        appendSource(.leaf, flags: isParam ? [.source, .requiresGradient, .param] : [.source, .requiresGradient],
                     value: .scalar(value))
    }

    /// A constant: a source that takes no gradient (as a PyTorch tensor without
    /// `requires_grad`), so backward does no work for it — literals, data matrices.
    public mutating func constant(_ value: Tensor) -> NodeID {
        appendSource(.constant, flags: [.source, .constant], value: NodeValue(value))
    }

    public mutating func constant(scalar value: Double) -> NodeID {
        appendSource(.constant, flags: [.source, .constant], value: .scalar(value))
    }

    /// Sources are not limited by `maxNodeCount`: reaching 2^31 nodes needs more than 50 GB.
    private mutating func appendSource(_ op: OpCode, flags nodeFlags: NodeFlags, value: NodeValue) -> NodeID {
        append(op, [], OpAttributes(), value, flags: nodeFlags)
    }

    /// Adds an op node with its value computed now. Shape and domain errors are thrown
    /// (naming the op and both shapes) and leave the graph unchanged.
    public mutating func apply(_ op: OpCode, _ inputs: [NodeID], attributes: OpAttributes = OpAttributes()) throws(EngineError) -> NodeID {
        let rule = op.rule
        guard !rule.isSource else { throw EngineError("\(rule.name) nodes are made with leaf() or constant()", op: op) }
        guard rule.arity.accepts(inputs.count) else {
            throw EngineError("\(rule.callName ?? rule.name) takes \(arityDescription(rule.arity)), got \(inputs.count)", op: op)
        }
        guard count < Graph.maxNodeCount, store.inputCount + inputs.count < Graph.maxNodeCount else {
            throw EngineError("the graph is full (\(Graph.maxNodeCount) nodes)", op: op)
        }
        var ids: [Int32] = []
        ids.reserveCapacity(inputs.count)
        for input in inputs {
            guard input.index >= 0, input.position < count else { throw EngineError("unknown node \(input)", op: op) }
            ids.append(input.index)
        }
        let value = try evaluate(op, ids, attributes)
        var requires = false
        for (position, input) in ids.enumerated()
        where rule.isDifferentiable(inputAt: position) && store.flags[Int(input)].contains(.requiresGradient) {
            requires = true
            break
        }
        return append(op, ids, attributes, value, flags: requires ? .requiresGradient : [])
    }

    /// `op(a)` without allocating when `a` is a scalar. Inlinable, so a client's loop of
    /// scalar ops runs without a call per node (the op's formula inlines too: `ScalarKernels.forward`).
    @inlinable @inline(__always)
    public mutating func apply(_ op: OpCode, _ a: NodeID) throws(EngineError) -> NodeID {
        let ia = Int(a.index)
        if ia >= 0, ia < store.count, store.isScalar(ia), store.count < Graph.nodeLimit,
           store.inputCount < Graph.nodeLimit - 2,
           case .unary(let forward, _)? = kernels[op] {
            let value = ScalarKernels.forward(op, store.values[ia], rule: forward)
            var nodeFlags: NodeFlags = store.flags[ia].contains(.requiresGradient) ? .requiresGradient : []
            if !value.isFinite { nodeFlags.insert(.nonFinite) }
            let position = mutableStore().appendScalar(op: op, flags: nodeFlags, value: value, first: a.index, second: nil)
            return NodeID(Int32(truncatingIfNeeded: position))
        }
        return try apply(op, [a])
    }

    /// `op(a, b)` without allocating when both are scalars (the hot path of scalar graphs).
    /// Inlinable, like `apply(_:_:)`.
    @inlinable @inline(__always)
    public mutating func apply(_ op: OpCode, _ a: NodeID, _ b: NodeID) throws(EngineError) -> NodeID {
        let ia = Int(a.index), ib = Int(b.index)
        if ia >= 0, ia < store.count, ib >= 0, ib < store.count, store.isScalar(ia), store.isScalar(ib),
           store.count < Graph.nodeLimit, store.inputCount < Graph.nodeLimit - 2,
           case .binary(let forward, _, _)? = kernels[op] {
            let value = ScalarKernels.forward(op, store.values[ia], store.values[ib], rule: forward)
            var nodeFlags: NodeFlags = store.flags[ia].union(store.flags[ib]).contains(.requiresGradient) ? .requiresGradient : []
            if !value.isFinite { nodeFlags.insert(.nonFinite) }
            let position = mutableStore().appendScalar(op: op, flags: nodeFlags, value: value, first: a.index, second: b.index)
            return NodeID(Int32(truncatingIfNeeded: position))
        }
        return try apply(op, [a, b])
    }

    private mutating func append(_ op: OpCode, _ ids: [Int32], _ attributes: OpAttributes, _ value: NodeValue,
                                 flags nodeFlags: NodeFlags) -> NodeID {
        var nodeFlags = nodeFlags
        if !value.isFinite { nodeFlags.insert(.nonFinite) }
        var scalar = 0.0
        var slot: Int32 = -1
        switch value {
        case .scalar(let number):
            scalar = number
        case .tensor(let tensor):
            slot = Int32(truncatingIfNeeded: tensors.count)
            tensors.append(tensor)
        }
        let position = ids.withUnsafeBufferPointer { buffer in
            mutableStore().append(op: op, flags: nodeFlags, value: scalar, slot: slot, inputs: buffer)
        }
        let id = Int32(truncatingIfNeeded: position)
        if !attributes.isEmpty { attributeTable[id] = attributes }
        return NodeID(id)
    }

    /// Computes an op's value from the current values of `ids`.
    func evaluate(_ op: OpCode, _ ids: [Int32], _ attributes: OpAttributes) throws(EngineError) -> NodeValue {
        switch kernels[op] {
        case .unary(let forward, _)? where ids.count == 1 && store.isScalar(Int(ids[0])):
            return .scalar(ScalarKernels.forward(op, store.values[Int(ids[0])], rule: forward))
        case .binary(let forward, _, _)? where ids.count == 2 && store.isScalar(Int(ids[0])) && store.isScalar(Int(ids[1])):
            return .scalar(ScalarKernels.forward(op, store.values[Int(ids[0])], store.values[Int(ids[1])], rule: forward))
        default:
            break
        }
        let rule = op.rule
        let inputs = ids.map { value(at: Int($0)) }
        do {
            return NodeValue(try rule.forward(ForwardArguments(inputs: inputs, attributes: attributes)))
        } catch {
            throw EngineError(prefixed(error.message, rule: rule), op: op)
        }
    }

    // MARK: Reading nodes

    public func op(_ id: NodeID) -> OpCode { store.ops[checked(id)] }

    public func inputs(_ id: NodeID) -> [NodeID] {
        store.inputRange(checked(id)).map { NodeID(store.inputs[$0]) }
    }

    public func attributes(_ id: NodeID) -> OpAttributes { attributeTable[id.index] ?? OpAttributes() }

    public func value(_ id: NodeID) -> Tensor { value(at: checked(id)) }

    func value(at position: Int) -> Tensor {
        let slot = Int(store.slot(position))
        return slot < 0 ? Tensor(store.values[position]) : tensors[slot]
    }

    /// The value of a one-element node (any rank) without building a tensor; nil otherwise.
    public func scalar(_ id: NodeID) -> Double? {
        let position = checked(id)
        let slot = Int(store.slot(position))
        return slot < 0 ? store.values[position] : tensors[slot].scalarValue
    }

    public func shape(_ id: NodeID) -> [Int] {
        let slot = Int(store.slot(checked(id)))
        return slot < 0 ? [] : tensors[slot].shape
    }

    public func isParam(_ id: NodeID) -> Bool { store.flags[checked(id)].contains(.param) }
    /// True for nodes without inputs: leaves and constants.
    public func isLeaf(_ id: NodeID) -> Bool { store.flags[checked(id)].contains(.source) }
    public func isConstant(_ id: NodeID) -> Bool { store.flags[checked(id)].contains(.constant) }
    /// Whether a backward pass can give this node a gradient.
    public func requiresGradient(_ id: NodeID) -> Bool { store.flags[checked(id)].contains(.requiresGradient) }
    /// Whether the node's value holds NaN or ±Inf.
    public func isNonFinite(_ id: NodeID) -> Bool { store.flags[checked(id)].contains(.nonFinite) }

    /// The position of an id of this graph. Ids come from this graph (or an earlier copy of
    /// it, which holds a prefix of its nodes); anything else is a programming error, caught
    /// here rather than as a read outside the columns.
    @inline(__always)
    func checked(_ id: NodeID) -> Int {
        precondition(id.index >= 0 && id.position < store.count, "node \(id) is not in this graph (\(store.count) nodes)")
        return id.position
    }

    /// The first node in `range` (by id) whose value holds NaN or ±Inf — with ids in
    /// creation order this is where a non-finite value first appeared.
    public func firstNonFinite(in range: Range<Int>) -> NodeID? {
        let clamped = range.clamped(to: 0..<count)
        for position in clamped where store.flags[position].contains(.nonFinite) {
            return NodeID(Int32(truncatingIfNeeded: position))
        }
        return nil
    }

    /// The nodes `target` depends on, itself included, in increasing id order.
    public func ancestors(of target: NodeID) -> [NodeID] {
        let mask = ancestorMask(of: checked(target))
        return mask.indices.filter { mask[$0] }.map { NodeID(Int32(truncatingIfNeeded: $0)) }
    }

    /// The params `target` depends on, in increasing id order.
    public func params(of target: NodeID) -> [NodeID] {
        ancestors(of: target).filter { isParam($0) }
    }

    /// `mask[i]` for i ≤ target: whether `target` depends on node i.
    func ancestorMask(of target: Int) -> [Bool] {
        var mask = [Bool](repeating: false, count: target + 1)
        mask[target] = true
        var position = target
        while position >= 0 {
            if mask[position] {
                for offset in store.inputRange(position) { mask[Int(store.inputs[offset])] = true }
            }
            position -= 1
        }
        return mask
    }
}

func arityDescription(_ arity: Arity) -> String {
    switch arity {
    case .fixed(let n): return n == 1 ? "1 argument" : "\(n) arguments"
    case .variadic(let minimum): return "at least \(minimum) argument\(minimum == 1 ? "" : "s")"
    }
}

/// `name: message`, unless the message already starts with the op's name.
func prefixed(_ message: String, rule: OpRule) -> String {
    message.hasPrefix(rule.name) ? message : "\(rule.name): \(message)"
}
