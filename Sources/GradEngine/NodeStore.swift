/// The per-node columns of a `Graph` (struct of arrays) in manually managed buffers.
///
/// Why not one Swift `Array` per column: appending a node would then pay a uniqueness
/// check and a capacity check per column. Here a node append is one capacity check and a
/// few stores, and large columns sit on huge pages (`RawBuffer`). `Graph` keeps value
/// semantics by copying the store before mutating it when it is shared
/// (`Graph.mutableStore`).
@usableFromInline
final class NodeStore: @unchecked Sendable {
    // @unchecked: a store is mutated only while uniquely referenced (copy-on-write in
    // Graph), so a store shared between graph copies is immutable.
    // Internal setters, @usableFromInline: `appendScalar` is inlined into clients (the
    // `Graph.apply` fast paths), so its accesses must be visible across the module.
    @usableFromInline @exclusivity(unchecked) var count = 0
    @usableFromInline @exclusivity(unchecked) var inputCount = 0
    @exclusivity(unchecked) private var opColumn = RawBuffer<OpCode>()
    @exclusivity(unchecked) private var flagColumn = RawBuffer<NodeFlags>()
    @exclusivity(unchecked) private var valueColumn = RawBuffer<Double>()
    @exclusivity(unchecked) private var inputStartColumn = RawBuffer<Int32>()
    @exclusivity(unchecked) private var inputColumn = RawBuffer<Int32>()
    // The columns' base addresses, cached so the hot paths read them with one load.
    // @exclusivity(unchecked): these are plain words written only by reserve() and append,
    // while the graph holds the store uniquely; dynamic access checks on every read would
    // cost more than the node work itself.
    @usableFromInline @exclusivity(unchecked) private(set) var ops: UnsafeMutablePointer<OpCode>
    @usableFromInline @exclusivity(unchecked) private(set) var flags: UnsafeMutablePointer<NodeFlags>
    /// A scalar node's value; for a node flagged `tensorValue`, the bit pattern of its index
    /// in the graph's tensor table (see `slot(_:)`) — one column instead of a separate slot
    /// column that scalar graphs would fill with -1.
    @usableFromInline @exclusivity(unchecked) private(set) var values: UnsafeMutablePointer<Double>
    /// `inputs[inputStart[i] ..< inputStart[i + 1]]` are node i's inputs (capacity + 1 entries).
    @usableFromInline @exclusivity(unchecked) private(set) var inputStart: UnsafeMutablePointer<Int32>
    @usableFromInline @exclusivity(unchecked) private(set) var inputs: UnsafeMutablePointer<Int32>
    /// The columns' capacities (nodes, input references), cached beside the base addresses.
    @usableFromInline @exclusivity(unchecked) private(set) var capacity = 0
    @usableFromInline @exclusivity(unchecked) private(set) var inputCapacity = 0

    init() {
        inputStartColumn.grow(to: 1, keeping: 0)
        ops = opColumn.base
        flags = flagColumn.base
        values = valueColumn.base
        inputStart = inputStartColumn.base
        inputs = inputColumn.base
        inputStart[0] = 0
    }

    deinit {
        opColumn.release()
        flagColumn.release()
        valueColumn.release()
        inputStartColumn.release()
        inputColumn.release()
    }

    /// A copy with the same nodes (and the same spare capacity).
    @usableFromInline
    func copy() -> NodeStore {
        let other = NodeStore()
        other.reserve(nodes: capacity, inputs: inputCapacity)
        other.ops.update(from: ops, count: count)
        other.flags.update(from: flags, count: count)
        other.values.update(from: values, count: count)
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
            inputStartColumn.grow(to: nodes + 1, keeping: count + 1)
            ops = opColumn.base
            flags = flagColumn.base
            values = valueColumn.base
            inputStart = inputStartColumn.base
            capacity = opColumn.capacity
        }
        if newInputs > inputColumn.capacity {
            inputColumn.grow(to: newInputs, keeping: inputCount)
            inputs = inputColumn.base
            inputCapacity = inputColumn.capacity
        }
    }

    @inlinable @inline(__always)
    func grow(extraInputs: Int) {
        if count == capacity || inputCount + extraInputs > inputCapacity { growSlow(extraInputs: extraInputs) }
    }

    /// The rare branch of `grow`, out of line so the inlined append stays small.
    @usableFromInline
    func growSlow(extraInputs: Int) {
        reserve(nodes: count == capacity ? NodeStore.grown(capacity) : capacity,
                inputs: inputCount + extraInputs > inputCapacity
                    ? Swift.max(NodeStore.grown(inputCapacity), inputCount + extraInputs) : inputCapacity)
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
        if slot >= 0 {
            flags[position] = nodeFlags.union(.tensorValue)
            values[position] = NodeStore.slotBits(slot)
        } else {
            flags[position] = nodeFlags.subtracting(.tensorValue)
            values[position] = value
        }
        for input in nodeInputs {
            inputs[inputCount] = input
            inputCount += 1
        }
        inputStart[position + 1] = Int32(truncatingIfNeeded: inputCount)
        count += 1
        return position
    }

    /// The hot path of scalar graphs: a node with one or two inputs and a scalar value.
    @inlinable @inline(__always)
    func appendScalar(op: OpCode, flags nodeFlags: NodeFlags, value: Double, first: Int32, second: Int32?) -> Int {
        grow(extraInputs: 2)
        let position = count
        ops[position] = op
        flags[position] = nodeFlags
        values[position] = value
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

    /// Sets a scalar node's value (the node must not hold a tensor: `setSlot(position, -1)` first).
    func setValue(_ position: Int, _ value: Double) { values[position] = value }

    /// Whether node `position` holds a scalar value in `values` (rather than a tensor slot).
    @inlinable @inline(__always)
    func isScalar(_ position: Int) -> Bool { !flags[position].contains(.tensorValue) }

    /// Index into the graph's tensor table, or -1 for a scalar value.
    @inline(__always)
    func slot(_ position: Int) -> Int32 {
        flags[position].contains(.tensorValue) ? Int32(truncatingIfNeeded: values[position].bitPattern) : -1
    }

    /// Makes node `position` hold tensor `slot`, or (slot < 0) the scalar 0.
    func setSlot(_ position: Int, _ slot: Int32) {
        if slot >= 0 {
            flags[position].insert(.tensorValue)
            values[position] = NodeStore.slotBits(slot)
        } else {
            flags[position].remove(.tensorValue)
            values[position] = 0
        }
    }

    /// A tensor slot stored in the value column: its bits, never read as a number.
    @inline(__always)
    private static func slotBits(_ slot: Int32) -> Double {
        Double(bitPattern: UInt64(UInt32(bitPattern: slot)))
    }
    func setFlags(_ position: Int, _ nodeFlags: NodeFlags) { flags[position] = nodeFlags }

    /// Node `position`'s inputs.
    @inline(__always)
    func inputRange(_ position: Int) -> Range<Int> {
        Int(inputStart[position])..<Int(inputStart[position + 1])
    }
}
