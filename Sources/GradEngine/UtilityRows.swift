import GradTensor

// Ops the notebook language needs beyond SPEC §1's list: a node of its own for an alias
// (`c2 = c`), and `argmax` for accuracies (`mean(sum(one_hot(argmax(logits, axis=1), k) * one_hot(y, k), axis=1))`).

let utilityRows: [OpRule] = [
    OpRule(op: .identity, name: "identity", callName: nil, symbol: nil, arity: .fixed(1), differentiable: [true],
           attributes: [], doc: "identity: the value of its input, as a node of its own (what `b = a` makes).",
           forward: { a in a.inputs[0] },
           vjp: { a in [a.gradient] },
           jvp: { a in a.tangents[0] ?? Tensor.zeros(like: a.output) },
           scalar: .unary(forward: identityForward, vjp: identityVJP),
           examples: [OpExample([[]]), OpExample([[2, 3]])]),
    OpRule(op: .argmax, name: "argmax", callName: "argmax", symbol: nil, arity: .fixed(1), differentiable: [false],
           attributes: [AttributeSpec("axis", .axis, default: "none (the flattened tensor)")],
           doc: "argmax(x, axis=): the index of the largest element (the first one on ties), over the flattened tensor or along an axis, as NumPy. Not differentiable.",
           forward: { a throws(TensorError) in try argmax(a.inputs[0], axis: a.attributes.axes?.first) },
           vjp: nil, jvp: nil, scalar: nil, examples: []),
]

private func identityForward(_ x: Double) -> Double { x }
private func identityVJP(_ x: Double, _ y: Double, _ g: Double) -> Double { g }

/// NumPy's argmax: with no axis over the flattened tensor (a scalar result), else along `axis`
/// (that axis removed). NaN counts as the largest value, as in NumPy.
func argmax(_ x: Tensor, axis: Int?) throws(TensorError) -> Tensor {
    guard x.count > 0 else { throw TensorError("argmax of an empty tensor") }
    guard let axis else {
        return Tensor(Double(bestIndex(count: x.count) { x.scalars[$0] }))
    }
    let resolved = try normalizeAxis(axis, rank: x.rank)
    let length = x.shape[resolved]
    guard length > 0 else { throw TensorError("argmax along an empty axis") }
    let inner = x.shape[(resolved + 1)...].reduce(1, *)
    let outer = x.shape[..<resolved].reduce(1, *)
    var result: [Double] = []
    result.reserveCapacity(outer * inner)
    for o in 0..<outer {
        for i in 0..<inner {
            let base = o * length * inner + i
            result.append(Double(bestIndex(count: length) { x.scalars[base + $0 * inner] }))
        }
    }
    var shape = x.shape
    shape.remove(at: resolved)
    return try Tensor(shape: shape, scalars: result)
}

private func bestIndex(count: Int, _ value: (Int) -> Double) -> Int {
    var best = 0
    var bestValue = value(0)
    for index in 1..<max(count, 1) {
        let candidate = value(index)
        if bestValue.isNaN { break }
        if candidate > bestValue || candidate.isNaN {
            best = index
            bestValue = candidate
        }
    }
    return best
}
