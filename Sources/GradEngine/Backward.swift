#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GradTensor

/// The result of one backward pass: dTarget/dNode for every node the target depends on
/// through differentiable inputs (constants and non-differentiable inputs have none).
/// Each pass makes a fresh `Gradients`; nothing accumulates across passes.
public struct Gradients: Sendable {
    public let target: NodeID
    /// Gradients of scalar nodes and the reached marks, by position (≤ target).
    let table: GradientTable
    /// Gradients of tensor-valued nodes, by node index.
    let tensorGradients: [Int32: Tensor]
    /// The pass's `stopAt` nodes (other than the target): reached, but their VJPs did not run.
    let boundary: Set<NodeID>

    /// The gradient with the node's shape, or nil if the target does not depend on it.
    public subscript(id: NodeID) -> Tensor? {
        guard contains(id) else { return nil }
        return tensorGradients[id.index] ?? Tensor(table.gradients[id.position])
    }

    /// The gradient of a one-element node without building a tensor.
    public func scalar(_ id: NodeID) -> Double? {
        guard contains(id) else { return nil }
        if let tensor = tensorGradients[id.index] { return tensor.scalarValue }
        return table.gradients[id.position]
    }

    public func contains(_ id: NodeID) -> Bool {
        id.index >= 0 && id.position < table.count && table.reached[id.position]
    }

    /// Every node that received a gradient, in increasing id order.
    public var nodes: [NodeID] {
        (0..<table.count).filter { table.reached[$0] }.map { NodeID(Int32(truncatingIfNeeded: $0)) }
    }
}

/// The scalar gradient table of one backward pass and its reached marks, with huge pages
/// requested before first touch. Written only during the pass that creates it.
///
/// Only `reached` is zeroed (`calloc`, one byte per node). `gradients` starts
/// uninitialized (`malloc`: no 8-byte-per-node zero fill, which from glibc's recycled heap
/// is a memset on every pass): entry i is written when node i is first reached
/// (`accumulate`, or the target's seed) and read only where `reached[i]` is set — for a
/// node flagged `tensorValue` it is never read, its gradient being in `tensorGradients`.
final class GradientTable: @unchecked Sendable {
    // @unchecked: the buffers are written by `backward` before the table is shared, and
    // only read afterwards.
    let count: Int
    let gradients: UnsafeMutablePointer<Double>
    let reached: UnsafeMutablePointer<Bool>

    init(count: Int) {
        self.count = count
        let size = Swift.max(count, 1)
        guard let rawGradients = malloc(size * MemoryLayout<Double>.stride),
              let rawReached = calloc(size, MemoryLayout<Bool>.stride) else {
            fatalError("out of memory allocating gradients for \(count) nodes")
        }
        adviseHugePages(rawGradients, bytes: size * MemoryLayout<Double>.stride)
        adviseHugePages(rawReached, bytes: size)
        gradients = rawGradients.bindMemory(to: Double.self, capacity: size)
        reached = rawReached.bindMemory(to: Bool.self, capacity: size)
    }

    deinit {
        free(gradients)
        free(reached)
    }
}

/// Adds `value` to node `position`'s gradient and marks it reached. The first
/// contribution is added to 0 rather than stored, so the bits are those of a zero-filled
/// table (0 + -0 is +0).
@inline(__always)
private func accumulate(_ value: Double, into position: Int, grads: UnsafeMutablePointer<Double>,
                        reached: UnsafeMutablePointer<Bool>) {
    grads[position] = (reached[position] ? grads[position] : 0) + value
    reached[position] = true
}

extension Graph {
    /// Reverse-mode differentiation of the scalar (one-element) node `target`.
    ///
    /// One sweep from `target` down to id 0 visits only nodes a gradient has reached, so
    /// it costs O(nodes ≤ target) plus the VJPs of the target's ancestors — never
    /// recursion. A node used several times receives the sum of all its paths. Nodes in
    /// `boundary` (other than the target) receive their gradient but pass nothing on
    /// (partial derivatives of one node with respect to chosen nodes).
    public func backward(from target: NodeID, stopAt boundary: Set<NodeID> = []) throws(EngineError) -> Gradients {
        guard target.index >= 0, target.position < count else { throw EngineError("unknown node \(target)") }
        let last = target.position
        let targetShape = shape(target)
        let targetSlot = Int(store.slot(last))
        guard targetSlot < 0 || tensors[targetSlot].count == 1 else {
            throw EngineError("backward needs a scalar, but the target has shape \(formatShape(targetShape)); reduce it first, e.g. with sum(...) or mean(...)")
        }
        let table = GradientTable(count: last + 1)
        var tensorGradients: [Int32: Tensor] = [:]
        table.reached[last] = true
        table.gradients[last] = targetSlot < 0 ? 1 : 0
        if targetSlot >= 0 {
            tensorGradients[target.index] = Tensor(uncheckedOnes: targetShape)
        }
        let stopping = !boundary.isEmpty
        let kernels = self.kernels
        // Column base addresses as locals: the stores into the gradient table below could
        // alias the store object's fields as far as the compiler knows, so reading them
        // through `store` would reload them for every node.
        let ops = store.ops, flags = store.flags, values = store.values
        let inputStart = store.inputStart, inputs = store.inputs
        let grads = table.gradients, hit = table.reached
        var position = last
        while position >= 0 {
            defer { position -= 1 }
            guard hit[position] else { continue }
            let nodeFlags = flags[position]
            guard !nodeFlags.contains(.source), nodeFlags.contains(.requiresGradient) else { continue }
            if stopping && position != last && boundary.contains(NodeID(Int32(truncatingIfNeeded: position))) { continue }
            let op = ops[position]
            if !nodeFlags.contains(.tensorValue), let scalarRule = kernels[op] {
                let start = Int(inputStart[position])
                switch scalarRule {
                case .unary(_, let vjp):
                    let x = Int(inputs[start])
                    let xFlags = flags[x]
                    if !xFlags.contains(.tensorValue) {
                        if xFlags.contains(.requiresGradient) {
                            accumulate(ScalarKernels.vjp(op, values[x], values[position], grads[position], rule: vjp),
                                       into: x, grads: grads, reached: hit)
                        }
                        continue
                    }
                case .binary(_, let vjpFirst, let vjpSecond):
                    let a = Int(inputs[start]), b = Int(inputs[start + 1])
                    let aFlags = flags[a], bFlags = flags[b]
                    if !aFlags.union(bFlags).contains(.tensorValue) {
                        let needA = aFlags.contains(.requiresGradient), needB = bFlags.contains(.requiresGradient)
                        let (ga, gb) = ScalarKernels.vjp(op, values[a], values[b], values[position], grads[position],
                                                         first: needA, second: needB, rules: (vjpFirst, vjpSecond))
                        // (a, b < position: the table's entry for this node is read before either store.)
                        if needA { accumulate(ga, into: a, grads: grads, reached: hit) }
                        if needB { accumulate(gb, into: b, grads: grads, reached: hit) }
                        continue
                    }
                }
            }
            try propagateTensor(at: position, grads: grads, reached: hit, tensorGradients: &tensorGradients)
        }
        return Gradients(target: target, table: table, tensorGradients: tensorGradients, boundary: boundary)
    }

    /// How many steps a backward pass made, as the seed counts them: one per op node whose
    /// VJP ran (n) plus one per element of every param that received a gradient (p), so a
    /// pass over n op nodes to p parameters is n + p. Counted afterwards from the reached
    /// marks, O(nodes ≤ target), so the sweep itself does no counting.
    public func steps(of gradients: Gradients) -> Int {
        let last = gradients.target.position
        guard last >= 0, last < count, last < gradients.table.count else { return 0 }
        var steps = 0
        let reached = gradients.table.reached
        for position in 0...last where reached[position] {
            let nodeFlags = store.flags[position]
            if nodeFlags.contains(.param) {
                let slot = Int(store.slot(position))
                steps += slot < 0 ? 1 : tensors[slot].count
            } else if !nodeFlags.contains(.source), nodeFlags.contains(.requiresGradient),
                      position == last || !gradients.boundary.contains(NodeID(Int32(truncatingIfNeeded: position))) {
                steps += 1
            }
        }
        return steps
    }

    /// The general step: calls the op's VJP on tensors, then — in this one place — checks
    /// every result, sums broadcast gradients down to the input's shape and accumulates.
    private func propagateTensor(at position: Int, grads: UnsafeMutablePointer<Double>, reached: UnsafeMutablePointer<Bool>,
                                 tensorGradients: inout [Int32: Tensor]) throws(EngineError) {
        let op = store.ops[position]
        let rule = op.rule
        let inputIDs = store.inputRange(position).map { store.inputs[$0] }
        var needs = [Bool](repeating: false, count: inputIDs.count)
        var anyNeeded = false
        for (k, input) in inputIDs.enumerated()
        where rule.isDifferentiable(inputAt: k) && store.flags[Int(input)].contains(.requiresGradient) {
            needs[k] = true
            anyNeeded = true
        }
        guard anyNeeded, let vjp = rule.vjp else { return }
        let index = Int32(truncatingIfNeeded: position)
        let output = value(at: position)
        let upstream = tensorGradients[index] ?? (store.isScalar(position) ? Tensor(grads[position]) : Tensor.zeros(like: output))
        let inputs = inputIDs.map { value(at: Int($0)) }
        let produced: [Tensor?]
        do {
            produced = try vjp(BackwardArguments(inputs: inputs, output: output, gradient: upstream,
                                                 attributes: attributeTable[index] ?? OpAttributes(), needsGradient: needs))
        } catch {
            throw EngineError("backward of \(rule.name): \(error.message)", op: op)
        }
        guard produced.count == inputIDs.count else {
            throw EngineError("backward of \(rule.name) returned \(produced.count) gradients for \(inputIDs.count) inputs", op: op)
        }
        for (k, input) in inputIDs.enumerated() where needs[k] {
            guard var gradient = produced[k] else {
                throw EngineError("backward of \(rule.name) returned no gradient for input \(k + 1)", op: op)
            }
            let inputShape = inputs[k].shape
            if gradient.shape != inputShape {
                guard gradient.canReduce(to: inputShape), let reduced = try? gradient.sumTo(inputShape) else {
                    throw EngineError("backward of \(rule.name) returned a gradient of shape \(formatShape(gradient.shape)) for input \(k + 1) of shape \(formatShape(inputShape))", op: op)
                }
                gradient = reduced
            }
            let target = Int(input)
            if store.isScalar(target) {
                accumulate(gradient.scalars[0], into: target, grads: grads, reached: reached)
                continue
            }
            reached[target] = true
            if var existing = tensorGradients.removeValue(forKey: input) {
                do {
                    try existing.addInPlace(gradient)
                } catch {
                    throw EngineError("backward of \(rule.name): \(error.message)", op: op)
                }
                tensorGradients[input] = existing
            } else {
                tensorGradients[input] = gradient
            }
        }
    }
}

extension Tensor {
    /// Ones of a shape known to be valid (a node's existing shape).
    init(uncheckedOnes shape: [Int]) {
        var count = 1
        for dim in shape { count &*= dim }
        self = (try? Tensor(shape: shape, scalars: [Double](repeating: 1, count: count))) ?? Tensor(1)
    }
}
