/// The per-node columns of a `Graph` (struct of arrays) in manually managed buffers.
///
/// Why not one Swift `Array` per column: appending a node would then pay a uniqueness
/// check and a capacity check per column. Here a node append is one capacity check and a
/// few stores, and large columns sit on huge pages (`RawBuffer`). `Graph` keeps value
/// semantics by copying the store before mutating it when it is shared
/// (`Graph.mutableStore`).
final class NodeStore: @unchecked Sendable {
    // @unchecked: a store is mutated only while uniquely referenced (copy-on-write in
    // Graph), so a store shared between graph copies is immutable.
    @exclusivity(unchecked) private(set) var count = 0
    @exclusivity(unchecked) private(set) var inputCount = 0
    @exclusivity(unchecked) private var opColumn = RawBuffer<OpCode>()
    @exclusivity(unchecked) private var flagColumn = RawBuffer<NodeFlags>()
    @exclusivity(unchecked) private var valueColumn = RawBuffer<Double>()
    @exclusivity(unchecked) private var slotColumn = RawBuffer<Int32>()
    @exclusivity(unchecked) private var inputStartColumn = RawBuffer<Int32>()
    @exclusivity(unchecked) private var inputColumn = RawBuffer<Int32>()
    // The columns' base addresses, cached so the hot paths read them with one load.
    // @exclusivity(unchecked): these are plain words written only by reserve() and append,
    // while the graph holds the store uniquely; dynamic access checks on every read would
    // cost more than the node work itself.
    @exclusivity(unchecked) private(set) var ops: UnsafeMutablePointer<OpCode>
    @exclusivity(unchecked) private(set) var flags: UnsafeMutablePointer<NodeFlags>
    /// A scalar node's value; unused (0) for tensor nodes.
    @exclusivity(unchecked) private(set) var values: UnsafeMutablePointer<Double>
    /// Index into the graph's tensor table, or -1 for a scalar value.
    @exclusivity(unchecked) private(set) var slots: UnsafeMutablePointer<Int32>
    /// `inputs[inputStart[i] ..< inputStart[i + 1]]` are node i's inputs (capacity + 1 entries).
    @exclusivity(unchecked) private(set) var inputStart: UnsafeMutablePointer<Int32>
    @exclusivity(unchecked) private(set) var inputs: UnsafeMutablePointer<Int32>

    var capacity: Int { opColumn.capacity }
    var inputCapacity: Int { inputColumn.capacity }

    init() {
        inputStartColumn.grow(to: 1, keeping: 0)
        ops = opColumn.base
        flags = flagColumn.base
        values = valueColumn.base
        slots = slotColumn.base
        inputStart = inputStartColumn.base
        inputs = inputColumn.base
        inputStart[0] = 0
    }

    deinit {
        opColumn.release()
        flagColumn.release()
        valueColumn.release()
        slotColumn.release()
        inputStartColumn.release()
        inputColumn.release()
    }

    /// A copy with the same nodes (and the same spare capacity).
    func copy() -> NodeStore {
        let other = NodeStore()
        other.reserve(nodes: capacity, inputs: inputCapacity)
        other.ops.update(from: ops, count: count)
        other.flags.update(from: flags, count: count)
        other.values.update(from: values, count: count)
        other.slots.update(from: slots, count: count)
        other.inputStart.update(from: inputStart, count: count + 1)
        other.inputs.update(from: inputs, count: inputCount)
        other.count = count
        other.inputCount = inputCount
        return other
    }

    /// Ensures room for `nodes` nodes and `inputs` input references in total.
    func reserve(nodes: Int, inputs newInputs: Int) {
        if nodes > opColumn.capacity {
            opColumn.grow(to: nodes, keeping: count)
            flagColumn.grow(to: nodes, keeping: count)
            valueColumn.grow(to: nodes, keeping: count)
            slotColumn.grow(to: nodes, keeping: count)
            inputStartColumn.grow(to: nodes + 1, keeping: count + 1)
            ops = opColumn.base
            flags = flagColumn.base
            values = valueColumn.base
            slots = slotColumn.base
            inputStart = inputStartColumn.base
        }
        if newInputs > inputColumn.capacity {
            inputColumn.grow(to: newInputs, keeping: inputCount)
            inputs = inputColumn.base
        }
    }

    @inline(__always)
    private func grow(extraInputs: Int) {
        if count == capacity || inputCount + extraInputs > inputCapacity {
            reserve(nodes: count == capacity ? NodeStore.grown(capacity) : capacity,
                    inputs: inputCount + extraInputs > inputCapacity
                        ? Swift.max(NodeStore.grown(inputCapacity), inputCount + extraInputs) : inputCapacity)
        }
    }

    /// The next capacity: doubling while small; ×8 once columns are mapped (half a million
    /// entries and up), because growing a mapped column copies it, while capacity that is
    /// never touched costs address space only.
    private static func grown(_ capacity: Int) -> Int {
        capacity >= 1 << 19 ? capacity * 8 : Swift.max(64, capacity * 2)
    }

    /// Appends a node; returns its position.
    @inline(__always)
    func append(op: OpCode, flags nodeFlags: NodeFlags, value: Double, slot: Int32, inputs nodeInputs: UnsafeBufferPointer<Int32>) -> Int {
        grow(extraInputs: nodeInputs.count)
        let position = count
        ops[position] = op
        flags[position] = nodeFlags
        values[position] = value
        slots[position] = slot
        for input in nodeInputs {
            inputs[inputCount] = input
            inputCount += 1
        }
        inputStart[position + 1] = Int32(truncatingIfNeeded: inputCount)
        count += 1
        return position
    }

    /// The hot path of scalar graphs: a node with one or two inputs and a scalar value.
    @inline(__always)
    func appendScalar(op: OpCode, flags nodeFlags: NodeFlags, value: Double, first: Int32, second: Int32?) -> Int {
        grow(extraInputs: 2)
        let position = count
        ops[position] = op
        flags[position] = nodeFlags
        values[position] = value
        slots[position] = -1
        inputs[inputCount] = first
        inputCount += 1
        if let second {
            inputs[inputCount] = second
            inputCount += 1
        }
        inputStart[position + 1] = Int32(truncatingIfNeeded: inputCount)
        count += 1
        return position
    }

    func setValue(_ position: Int, _ value: Double) { values[position] = value }
    func setSlot(_ position: Int, _ slot: Int32) { slots[position] = slot }
    func setFlags(_ position: Int, _ nodeFlags: NodeFlags) { flags[position] = nodeFlags }

    /// Node `position`'s inputs.
    @inline(__always)
    func inputRange(_ position: Int) -> Range<Int> {
        Int(inputStart[position])..<Int(inputStart[position + 1])
    }
}
