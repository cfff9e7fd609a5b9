import GradTensor

extension Graph {
    /// Replaces the value of a leaf or constant (any shape). Dependent nodes keep their old
    /// values until `recomputeForward` runs.
    public mutating func setLeafValue(_ id: NodeID, _ value: Tensor) throws(EngineError) {
        guard id.index >= 0, id.position < count else { throw EngineError("unknown node \(id)") }
        guard store.flags[id.position].contains(.source) else {
            throw EngineError("node \(id) is made by \(store.ops[id.position].rule.name), not a leaf: its value comes from its inputs")
        }
        overwrite(id.position, with: NodeValue(value))
    }

    /// Stores a new value for node `position`, reusing its tensor slot when it has one.
    mutating func overwrite(_ position: Int, with value: NodeValue) {
        setNonFinite(position, !value.isFinite)
        // Fetched after setNonFinite: a second mutableStore() while this reference is held
        // would see a shared store and write to a copy.
        let nodeStore = mutableStore()
        let slot = Int(nodeStore.slot(position))
        switch value {
        case .scalar(let scalar):
            if slot >= 0 {
                // Slots are not reused; replacing the tensor frees its storage.
                tensors[slot] = Tensor(0)
                nodeStore.setSlot(position, -1)
            }
            nodeStore.setValue(position, scalar)
        case .tensor(let tensor):
            if slot >= 0 {
                tensors[slot] = tensor
            } else {
                nodeStore.setSlot(position, Int32(truncatingIfNeeded: tensors.count))
                tensors.append(tensor)
            }
        }
    }

    /// Re-evaluates, in id order, every node after `id` that depends on it (after
    /// `setLeafValue(id, ...)`). On an error the graph is left partly updated: callers
    /// restore a saved copy, as the interpreter does for every failing statement.
    /// Returns how many nodes it re-evaluated.
    @discardableResult
    public mutating func recomputeForward(after id: NodeID) throws(EngineError) -> Int {
        try recomputeForward(changed: [id])
    }

    /// Re-evaluates every node that depends on any of `changed`, once each, in id order, and
    /// returns how many that was (the steps of the forward pass).
    @discardableResult
    public mutating func recomputeForward(changed: [NodeID]) throws(EngineError) -> Int {
        guard let first = changed.min()?.position, first >= 0, first < count else { return 0 }
        var evaluated = 0
        var dirty = [Bool](repeating: false, count: count - first)
        for id in changed where id.position >= first && id.position < count { dirty[id.position - first] = true }
        var position = first + 1
        while position < count {
            var stale = false
            for offset in store.inputRange(position) {
                let input = Int(store.inputs[offset])
                if input >= first && dirty[input - first] {
                    stale = true
                    break
                }
            }
            if stale {
                dirty[position - first] = true
                try recompute(position)
                evaluated += 1
            }
            position += 1
        }
        return evaluated
    }

    /// How many op nodes (not leaves or constants) lie in `range`: the evaluations that made
    /// them, when the range holds the nodes a statement added.
    public func opNodeCount(in range: Range<Int>) -> Int {
        var nodes = 0
        for position in range.clamped(to: 0..<count) where !store.flags[position].contains(.source) { nodes += 1 }
        return nodes
    }

    /// Re-evaluates the listed op nodes in the given (increasing id) order.
    mutating func recompute(plan: [Int32]) throws(EngineError) {
        for position in plan { try recompute(Int(position)) }
    }

    /// Re-evaluates node `position` from its inputs' current values.
    mutating func recompute(_ position: Int) throws(EngineError) {
        let op = store.ops[position]
        let range = store.inputRange(position)
        if store.isScalar(position) {
            switch kernels[op] {
            case .unary(let forward, _)? where range.count == 1 && store.isScalar(Int(store.inputs[range.lowerBound])):
                let value = ScalarKernels.forward(op, store.values[Int(store.inputs[range.lowerBound])], rule: forward)
                mutableStore().setValue(position, value)
                setNonFinite(position, !value.isFinite)
                return
            case .binary(let forward, _, _)? where range.count == 2 && store.isScalar(Int(store.inputs[range.lowerBound]))
                && store.isScalar(Int(store.inputs[range.lowerBound + 1])):
                let value = ScalarKernels.forward(op, store.values[Int(store.inputs[range.lowerBound])],
                                                  store.values[Int(store.inputs[range.lowerBound + 1])], rule: forward)
                mutableStore().setValue(position, value)
                setNonFinite(position, !value.isFinite)
                return
            default:
                break
            }
        }
        let ids = range.map { store.inputs[$0] }
        let value = try evaluate(op, ids, attributeTable[Int32(truncatingIfNeeded: position)] ?? OpAttributes())
        overwrite(position, with: value)
    }

    private mutating func setNonFinite(_ position: Int, _ nonFinite: Bool) {
        let nodeStore = mutableStore()
        var nodeFlags = nodeStore.flags[position]
        if nonFinite {
            nodeFlags.insert(.nonFinite)
        } else {
            nodeFlags.remove(.nonFinite)
        }
        nodeStore.setFlags(position, nodeFlags)
    }

    /// The op nodes in `(source, through]` that depend on `source`, in id order: what a
    /// change of `source` requires recomputing to update `through`.
    func dependents(of source: Int, through last: Int) -> [Int32] {
        guard source < last else { return [] }
        let ancestors = ancestorMask(of: last)
        var dirty = [Bool](repeating: false, count: last - source + 1)
        dirty[0] = true
        var plan: [Int32] = []
        for position in (source + 1)...last where ancestors[position] {
            for offset in store.inputRange(position) {
                let input = Int(store.inputs[offset])
                if input >= source && dirty[input - source] {
                    dirty[position - source] = true
                    plan.append(Int32(truncatingIfNeeded: position))
                    break
                }
            }
        }
        return plan
    }

    /// Runs `body` on the elements of a leaf in place (no allocation when the graph holds
    /// the only reference to the tensor). For scalar leaves the buffer has one element.
    mutating func updateLeafInPlace(_ position: Int, _ body: (inout UnsafeMutableBufferPointer<Double>) -> Void) {
        let slot = Int(store.slot(position))
        let finite: Bool
        if slot < 0 {
            var value = store.values[position]
            withUnsafeMutablePointer(to: &value) { pointer in
                var buffer = UnsafeMutableBufferPointer(start: pointer, count: 1)
                body(&buffer)
            }
            mutableStore().setValue(position, value)
            finite = value.isFinite
        } else {
            tensors[slot].withUnsafeMutableScalars { buffer in body(&buffer) }
            finite = tensors[slot].allFinite
        }
        setNonFinite(position, !finite)
    }
}
