#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GradTensor

// The rule table: one row per op, its forward beside its vector-Jacobian product (VJP).
// Elementwise formulas are small functions used by both the scalar fast path and the
// tensor kernels, so the two paths compute the same bits. A VJP returns the gradient for
// each input it was asked for, in the output's (broadcast) shape; the engine sums it down
// to the input's shape and checks it (Backward.swift), so no row deals with broadcasting.

extension OpRule {
    /// Every op's row, indexed by `OpCode.rawValue`.
    public static let table: [OpRule] = {
        let rows = elementwiseRows + reductionRows + shapeRows + networkRows + utilityRows + sourceRows
        return OpCode.allCases.map { op in
            rows.first { $0.op == op } ?? missingRow(op)
        }
    }()

    /// The scalar fast-path rules by `OpCode.rawValue` in a buffer that lives as long as
    /// the process, so hot loops index it without reference counting.
    static let scalarKernels: ScalarKernels = {
        let buffer = UnsafeMutablePointer<ScalarRule?>.allocate(capacity: table.count)
        buffer.initialize(from: table.map(\.scalar), count: table.count)
        return ScalarKernels(base: UnsafePointer(buffer))
    }()

    private static func missingRow(_ op: OpCode) -> OpRule {
        OpRule(op: op, name: "\(op)", callName: nil, symbol: nil, arity: .fixed(0), differentiable: [],
               attributes: [], doc: "", forward: { _ throws(TensorError) in throw TensorError("op has no rule") },
               vjp: nil, jvp: nil, scalar: nil, examples: [])
    }
}

// MARK: - Elementwise formulas (x: input, y: output, g: gradient of the output)

/// The scalar rules' formulas — the one definition of each. A derivative `(…, g)` returns g
/// times the partial derivative, linear in g: reverse mode passes the output's gradient, forward
/// mode an input's tangent (`elementwiseJVP`, `ScalarKernels.jvp`). The rows below reference them
/// (scalar fast path and tensor kernels alike, so both paths compute the same bits), and
/// `ScalarKernels`' dispatch calls the same functions directly by op code, so the engine's
/// hot loops inline them instead of calling through the rows' function pointers.
@usableFromInline
enum ScalarFormula {
    @inlinable static func addForward(_ a: Double, _ b: Double) -> Double { a + b }
    @inlinable static func addVJPFirst(_ a: Double, _ b: Double, _ y: Double, _ g: Double) -> Double { g }
    @inlinable static func addVJPSecond(_ a: Double, _ b: Double, _ y: Double, _ g: Double) -> Double { g }
    @inlinable static func subForward(_ a: Double, _ b: Double) -> Double { a - b }
    @inlinable static func subVJPFirst(_ a: Double, _ b: Double, _ y: Double, _ g: Double) -> Double { g }
    @inlinable static func subVJPSecond(_ a: Double, _ b: Double, _ y: Double, _ g: Double) -> Double { -g }
    @inlinable static func mulForward(_ a: Double, _ b: Double) -> Double { a * b }
    @inlinable static func mulVJPFirst(_ a: Double, _ b: Double, _ y: Double, _ g: Double) -> Double { g * b }
    @inlinable static func mulVJPSecond(_ a: Double, _ b: Double, _ y: Double, _ g: Double) -> Double { g * a }
    @inlinable static func divForward(_ a: Double, _ b: Double) -> Double { a / b }
    @inlinable static func divVJPFirst(_ a: Double, _ b: Double, _ y: Double, _ g: Double) -> Double { g / b }
    @inlinable static func divVJPSecond(_ a: Double, _ b: Double, _ y: Double, _ g: Double) -> Double { (-(g / b) * a) / b }
    @inlinable static func maximumForward(_ a: Double, _ b: Double) -> Double { Scalar.maximum(a, b) }
    // PyTorch's maximum/minimum rule (JAX's too): a tie splits the gradient evenly; where
    // the comparison fails (NaN) both inputs get all of it.
    @inlinable static func maximumVJPFirst(_ a: Double, _ b: Double, _ y: Double, _ g: Double) -> Double { a == b ? g / 2 : (a < b ? 0 : g) }
    @inlinable static func maximumVJPSecond(_ a: Double, _ b: Double, _ y: Double, _ g: Double) -> Double { a == b ? g / 2 : (a > b ? 0 : g) }
    @inlinable static func minimumForward(_ a: Double, _ b: Double) -> Double { Scalar.minimum(a, b) }
    @inlinable static func minimumVJPFirst(_ a: Double, _ b: Double, _ y: Double, _ g: Double) -> Double { a == b ? g / 2 : (a > b ? 0 : g) }
    @inlinable static func minimumVJPSecond(_ a: Double, _ b: Double, _ y: Double, _ g: Double) -> Double { a == b ? g / 2 : (a < b ? 0 : g) }

    @inlinable static func powForward(_ x: Double, _ p: Double) -> Double { pow(x, p) }
    /// PyTorch's `pow_backward`: d/dx is 0 where p == 0; d/dp is 0 where x == 0 and p >= 0.
    @inlinable static func powVJPBase(_ x: Double, _ p: Double, _ y: Double, _ g: Double) -> Double {
        p == 0 ? 0 : g * (p * pow(x, p - 1))
    }
    @inlinable static func powVJPExponent(_ x: Double, _ p: Double, _ y: Double, _ g: Double) -> Double {
        (x == 0 && p >= 0) ? 0 : g * (y * log(x))
    }
    @inlinable static func expForward(_ x: Double) -> Double { exp(x) }
    @inlinable static func expVJP(_ x: Double, _ y: Double, _ g: Double) -> Double { g * y }
    @inlinable static func logForward(_ x: Double) -> Double { log(x) }
    @inlinable static func logVJP(_ x: Double, _ y: Double, _ g: Double) -> Double { g / x }
    @inlinable static func sqrtForward(_ x: Double) -> Double { x.squareRoot() }
    @inlinable static func sqrtVJP(_ x: Double, _ y: Double, _ g: Double) -> Double { g / (2 * y) }
    @inlinable static func absForward(_ x: Double) -> Double { Swift.abs(x) }
    @inlinable static func absVJP(_ x: Double, _ y: Double, _ g: Double) -> Double { g * Scalar.sign(x) }
    @inlinable static func sinForward(_ x: Double) -> Double { sin(x) }
    @inlinable static func sinVJP(_ x: Double, _ y: Double, _ g: Double) -> Double { g * cos(x) }
    @inlinable static func cosForward(_ x: Double) -> Double { cos(x) }
    @inlinable static func cosVJP(_ x: Double, _ y: Double, _ g: Double) -> Double { -g * sin(x) }
    @inlinable static func tanhForward(_ x: Double) -> Double { tanh(x) }
    @inlinable static func tanhVJP(_ x: Double, _ y: Double, _ g: Double) -> Double { g * (1 - y * y) }
    @inlinable static func sigmoidForward(_ x: Double) -> Double { Scalar.sigmoid(x) }
    @inlinable static func sigmoidVJP(_ x: Double, _ y: Double, _ g: Double) -> Double { g * ((1 - y) * y) }
    @inlinable static func reluForward(_ x: Double) -> Double { Scalar.relu(x) }
    @inlinable static func reluVJP(_ x: Double, _ y: Double, _ g: Double) -> Double { x > 0 ? g : 0 }
    @inlinable static func negForward(_ x: Double) -> Double { -x }
    @inlinable static func negVJP(_ x: Double, _ y: Double, _ g: Double) -> Double { -g }
}

// MARK: - Dispatch by op code

/// The scalar rules by op code, for the engine's hot loops (`Graph.apply`, the backward
/// sweep, recomputation): one switch that calls the `ScalarFormula` functions the rows
/// reference, so their bodies inline (with a constant op the switch folds away), instead
/// of an indirect call through the row's function pointer. An op not listed here calls
/// `rule`, its row's pointer. `OpTableTests` checks that every listed op computes what its
/// row computes.
extension ScalarKernels {
    @inlinable @inline(__always)
    static func forward(_ op: OpCode, _ x: Double, rule: UnaryFunction) -> Double {
        switch op {
        case .neg: return ScalarFormula.negForward(x)
        case .exp: return ScalarFormula.expForward(x)
        case .log: return ScalarFormula.logForward(x)
        case .sqrt: return ScalarFormula.sqrtForward(x)
        case .abs: return ScalarFormula.absForward(x)
        case .sin: return ScalarFormula.sinForward(x)
        case .cos: return ScalarFormula.cosForward(x)
        case .tanh: return ScalarFormula.tanhForward(x)
        case .sigmoid: return ScalarFormula.sigmoidForward(x)
        case .relu: return ScalarFormula.reluForward(x)
        default: return rule(x)
        }
    }

    @inlinable @inline(__always)
    static func vjp(_ op: OpCode, _ x: Double, _ y: Double, _ g: Double, rule: UnaryDerivative) -> Double {
        switch op {
        case .neg: return ScalarFormula.negVJP(x, y, g)
        case .exp: return ScalarFormula.expVJP(x, y, g)
        case .log: return ScalarFormula.logVJP(x, y, g)
        case .sqrt: return ScalarFormula.sqrtVJP(x, y, g)
        case .abs: return ScalarFormula.absVJP(x, y, g)
        case .sin: return ScalarFormula.sinVJP(x, y, g)
        case .cos: return ScalarFormula.cosVJP(x, y, g)
        case .tanh: return ScalarFormula.tanhVJP(x, y, g)
        case .sigmoid: return ScalarFormula.sigmoidVJP(x, y, g)
        case .relu: return ScalarFormula.reluVJP(x, y, g)
        default: return rule(x, y, g)
        }
    }

    @inlinable @inline(__always)
    static func forward(_ op: OpCode, _ a: Double, _ b: Double, rule: BinaryFunction) -> Double {
        switch op {
        case .add: return ScalarFormula.addForward(a, b)
        case .sub: return ScalarFormula.subForward(a, b)
        case .mul: return ScalarFormula.mulForward(a, b)
        case .div: return ScalarFormula.divForward(a, b)
        case .maximum: return ScalarFormula.maximumForward(a, b)
        case .minimum: return ScalarFormula.minimumForward(a, b)
        case .pow: return ScalarFormula.powForward(a, b)
        default: return rule(a, b)
        }
    }

    /// Both input gradients of a binary op in one dispatch; a listed op computes both (its
    /// formulas are pure and cheap), an unlisted one calls only the rules asked for (0 for
    /// the other).
    @inlinable @inline(__always)
    static func vjp(_ op: OpCode, _ a: Double, _ b: Double, _ y: Double, _ g: Double, first: Bool, second: Bool,
                    rules: (first: BinaryDerivative, second: BinaryDerivative)) -> (Double, Double) {
        switch op {
        case .add: return (ScalarFormula.addVJPFirst(a, b, y, g), ScalarFormula.addVJPSecond(a, b, y, g))
        case .sub: return (ScalarFormula.subVJPFirst(a, b, y, g), ScalarFormula.subVJPSecond(a, b, y, g))
        case .mul: return (ScalarFormula.mulVJPFirst(a, b, y, g), ScalarFormula.mulVJPSecond(a, b, y, g))
        case .div: return (ScalarFormula.divVJPFirst(a, b, y, g), ScalarFormula.divVJPSecond(a, b, y, g))
        case .maximum: return (ScalarFormula.maximumVJPFirst(a, b, y, g), ScalarFormula.maximumVJPSecond(a, b, y, g))
        case .minimum: return (ScalarFormula.minimumVJPFirst(a, b, y, g), ScalarFormula.minimumVJPSecond(a, b, y, g))
        default:
            return (first ? rules.first(a, b, y, g) : 0, second ? rules.second(a, b, y, g) : 0)
        }
    }
}

extension ScalarKernels {
    /// Forward mode's scalar step for a two-input op: each input's derivative formula applied to
    /// its own tangent, summed; an input without a tangent (nil) adds no term. The same bits as
    /// the row's tensor `jvp` (`elementwiseJVP`).
    @inlinable @inline(__always)
    static func jvp(_ op: OpCode, _ a: Double, _ b: Double, _ y: Double, _ ta: Double?, _ tb: Double?,
                    rules: (first: BinaryDerivative, second: BinaryDerivative)) -> Double {
        switch (ta, tb) {
        case (let ta?, let tb?):
            return vjp(op, a, b, y, ta, first: true, second: false, rules: rules).0
                + vjp(op, a, b, y, tb, first: false, second: true, rules: rules).1
        case (let ta?, nil):
            return vjp(op, a, b, y, ta, first: true, second: false, rules: rules).0
        case (nil, let tb?):
            return vjp(op, a, b, y, tb, first: false, second: true, rules: rules).1
        case (nil, nil):
            return 0
        }
    }
}

/// The VJP of a two-input elementwise op from its derivative formulas, element by element in the
/// output's (broadcast) shape, so the tensor path computes the scalar path's bits.
private func elementwiseVJP(_ first: @escaping @Sendable (Double, Double, Double, Double) -> Double,
                            _ second: @escaping @Sendable (Double, Double, Double, Double) -> Double)
    -> @Sendable (BackwardArguments) throws(TensorError) -> [Tensor?] {
    { a throws(TensorError) in
        let shape = a.output.shape
        let x = try a.inputs[0].broadcast(to: shape).scalars, p = try a.inputs[1].broadcast(to: shape).scalars
        let y = a.output.scalars, g = a.gradient.scalars
        guard g.count == y.count else { throw TensorError("gradient does not match the output") }
        var dx = [Double](repeating: 0, count: y.count), dp = dx
        for i in 0..<y.count {
            dx[i] = first(x[i], p[i], y[i], g[i])
            dp[i] = second(x[i], p[i], y[i], g[i])
        }
        return [a.wants(0) ? try Tensor(shape: shape, scalars: dx) : nil,
                a.wants(1) ? try Tensor(shape: shape, scalars: dp) : nil]
    }
}

/// The JVP of a one-input elementwise op: its derivative formula with the tangent in place of
/// the output's gradient (the Jacobian is diagonal, so both products multiply by f'(x)).
private func elementwiseJVP(_ derivative: @escaping @Sendable (Double, Double, Double) -> Double)
    -> @Sendable (TangentArguments) throws(TensorError) -> Tensor {
    { a throws(TensorError) in try Tensor.elementwise(a.inputs[0], a.output, a.tangent, derivative) }
}

/// The JVP of a two-input elementwise op: the sum of each input's derivative formula applied to
/// its tangent, element by element in the output's shape (a broadcast input's tangent is
/// broadcast with it). An input without a tangent adds no term (not a zero term: 0 · ∞ would
/// be NaN), as in `ScalarKernels.jvp`.
private func elementwiseJVP(_ first: @escaping @Sendable (Double, Double, Double, Double) -> Double,
                            _ second: @escaping @Sendable (Double, Double, Double, Double) -> Double)
    -> @Sendable (TangentArguments) throws(TensorError) -> Tensor {
    { a throws(TensorError) in
        let shape = a.output.shape
        let x = try a.inputs[0].broadcast(to: shape).scalars, p = try a.inputs[1].broadcast(to: shape).scalars
        let dx = try a.tangents[0].map { t throws(TensorError) in try t.broadcast(to: shape).scalars }
        let dp = try a.tangents[1].map { t throws(TensorError) in try t.broadcast(to: shape).scalars }
        let y = a.output.scalars
        var out = [Double](repeating: 0, count: y.count)
        for i in 0..<y.count {
            switch (dx, dp) {
            case (let dx?, let dp?): out[i] = first(x[i], p[i], y[i], dx[i]) + second(x[i], p[i], y[i], dp[i])
            case (let dx?, nil): out[i] = first(x[i], p[i], y[i], dx[i])
            case (nil, let dp?): out[i] = second(x[i], p[i], y[i], dp[i])
            case (nil, nil): break
            }
        }
        return try Tensor(shape: shape, scalars: out)
    }
}

/// `left + right` where either term may be absent (its input has no tangent).
private func sumOfTerms(_ left: Tensor?, _ right: Tensor?) throws(TensorError) -> Tensor {
    switch (left, right) {
    case (let left?, let right?): return try left + right
    case (let left?, nil): return left
    case (nil, let right?): return right
    case (nil, nil): throw TensorError("no input has a tangent")
    }
}

private extension TangentArguments {
    var x: Tensor { inputs[0] }
    /// The one-input ops' tangent (the engine only calls a JVP when some input has one).
    var tangent: Tensor { tangents[0] ?? Tensor.zeros(like: inputs[0]) }
    /// Every input's tangent, zeros where it has none (concat, stack).
    var tangentsOrZeros: [Tensor] { zip(inputs, tangents).map { $1 ?? Tensor.zeros(like: $0) } }
}

/// Which inputs were asked for, as a convenience for VJPs that skip the others.
private extension BackwardArguments {
    func wants(_ position: Int) -> Bool { position < needsGradient.count && needsGradient[position] }
    var x: Tensor { inputs[0] }
    /// VJP of a one-input elementwise op from its derivative formula.
    func elementwise(_ derivative: (Double, Double, Double) -> Double) throws(TensorError) -> [Tensor?] {
        [try Tensor.elementwise(inputs[0], output, gradient, derivative)]
    }
}

private let scalarAndMatrix: [OpExample] = [OpExample([[]]), OpExample([[2, 3]])]

private func unaryExamples(_ domain: InputDomain) -> [OpExample] {
    [OpExample([[]], domains: [domain]), OpExample([[2, 3]], domains: [domain])]
}

private let binaryExamples: [OpExample] = [
    OpExample([[], []]), OpExample([[2, 3], [2, 3]]), OpExample([[2, 3], [3]]),
    OpExample([[], [2]]), OpExample([[2, 1], [1, 3]]),
]

// MARK: - Elementwise rows

private let elementwiseRows: [OpRule] = [
    OpRule(op: .add, name: "add", callName: nil, symbol: "+", arity: .fixed(2), differentiable: [true, true],
           attributes: [], doc: "a + b: elementwise sum, NumPy broadcasting.",
           forward: { a throws(TensorError) in try a.inputs[0] + a.inputs[1] },
           vjp: { a in [a.gradient, a.gradient] },
           jvp: elementwiseJVP(ScalarFormula.addVJPFirst, ScalarFormula.addVJPSecond),
           scalar: .binary(forward: { ScalarFormula.addForward($0, $1) }, vjpFirst: { ScalarFormula.addVJPFirst($0, $1, $2, $3) },
                           vjpSecond: { ScalarFormula.addVJPSecond($0, $1, $2, $3) }),
           examples: binaryExamples),
    OpRule(op: .sub, name: "sub", callName: nil, symbol: "-", arity: .fixed(2), differentiable: [true, true],
           attributes: [], doc: "a - b: elementwise difference, NumPy broadcasting.",
           forward: { a throws(TensorError) in try a.inputs[0] - a.inputs[1] },
           vjp: { a in [a.gradient, a.wants(1) ? -a.gradient : nil] },
           jvp: elementwiseJVP(ScalarFormula.subVJPFirst, ScalarFormula.subVJPSecond),
           scalar: .binary(forward: { ScalarFormula.subForward($0, $1) }, vjpFirst: { ScalarFormula.subVJPFirst($0, $1, $2, $3) },
                           vjpSecond: { ScalarFormula.subVJPSecond($0, $1, $2, $3) }),
           examples: binaryExamples),
    OpRule(op: .mul, name: "mul", callName: nil, symbol: "*", arity: .fixed(2), differentiable: [true, true],
           attributes: [], doc: "a * b: elementwise product, NumPy broadcasting.",
           forward: { a throws(TensorError) in try a.inputs[0] * a.inputs[1] },
           vjp: { a throws(TensorError) in
               [a.wants(0) ? try a.gradient * a.inputs[1] : nil, a.wants(1) ? try a.gradient * a.inputs[0] : nil]
           },
           jvp: elementwiseJVP(ScalarFormula.mulVJPFirst, ScalarFormula.mulVJPSecond),
           scalar: .binary(forward: { ScalarFormula.mulForward($0, $1) }, vjpFirst: { ScalarFormula.mulVJPFirst($0, $1, $2, $3) },
                           vjpSecond: { ScalarFormula.mulVJPSecond($0, $1, $2, $3) }),
           examples: binaryExamples),
    OpRule(op: .div, name: "div", callName: nil, symbol: "/", arity: .fixed(2), differentiable: [true, true],
           attributes: [], doc: "a / b: elementwise quotient, NumPy broadcasting.",
           forward: { a throws(TensorError) in try a.inputs[0] / a.inputs[1] },
           vjp: { a throws(TensorError) in
               let quotient = try a.gradient / a.inputs[1]
               return [quotient, a.wants(1) ? try (-quotient * a.inputs[0]) / a.inputs[1] : nil]
           },
           jvp: elementwiseJVP(ScalarFormula.divVJPFirst, ScalarFormula.divVJPSecond),
           scalar: .binary(forward: { ScalarFormula.divForward($0, $1) }, vjpFirst: { ScalarFormula.divVJPFirst($0, $1, $2, $3) },
                           vjpSecond: { ScalarFormula.divVJPSecond($0, $1, $2, $3) }),
           examples: [OpExample([[], []], domains: [.any, .awayFromZero]),
                      OpExample([[2, 3], [3]], domains: [.any, .awayFromZero]),
                      OpExample([[2, 1], [1, 3]], domains: [.any, .awayFromZero])]),
    OpRule(op: .neg, name: "neg", callName: nil, symbol: "-", arity: .fixed(1), differentiable: [true],
           attributes: [], doc: "-x: elementwise negation.",
           forward: { a in a.inputs[0].map(ScalarFormula.negForward) },
           vjp: { a throws(TensorError) in try a.elementwise(ScalarFormula.negVJP) },
           jvp: elementwiseJVP(ScalarFormula.negVJP),
           scalar: .unary(forward: { ScalarFormula.negForward($0) }, vjp: { ScalarFormula.negVJP($0, $1, $2) }),
           examples: scalarAndMatrix),
    OpRule(op: .pow, name: "pow", callName: "pow", symbol: "^", arity: .fixed(2), differentiable: [true, true],
           attributes: [], doc: "pow(x, p), also x ^ p and x ** p: elementwise power, NumPy broadcasting. The gradient in p is x^p · log(x) (NaN for negative x, as in PyTorch).",
           forward: { a throws(TensorError) in try a.inputs[0].zipWith(a.inputs[1], ScalarFormula.powForward) },
           vjp: elementwiseVJP(ScalarFormula.powVJPBase, ScalarFormula.powVJPExponent),
           jvp: elementwiseJVP(ScalarFormula.powVJPBase, ScalarFormula.powVJPExponent),
           scalar: .binary(forward: { ScalarFormula.powForward($0, $1) }, vjpFirst: { ScalarFormula.powVJPBase($0, $1, $2, $3) },
                           vjpSecond: { ScalarFormula.powVJPExponent($0, $1, $2, $3) }),
           examples: [OpExample([[], []], domains: [.positive, .any]),
                      OpExample([[2, 3], []], domains: [.positive, .any]),
                      OpExample([[2, 3], [3]], domains: [.positive, .any])]),
    OpRule(op: .matmul, name: "matmul", callName: "matmul", symbol: "@", arity: .fixed(2), differentiable: [true, true],
           attributes: [], doc: "a @ b: matrix product as NumPy's matmul — vector·vector is a scalar, a vector operand is treated as a row (left) or column (right), leading axes are batch axes and broadcast.",
           forward: { a throws(TensorError) in
               try Tensor.matmul(a.inputs[0], a.inputs[1], transposeLeft: a.attributes.transposeLeft, transposeRight: a.attributes.transposeRight)
           },
           vjp: { a throws(TensorError) in
               let (left, right) = try Tensor.matmulGradients(a.inputs[0], a.inputs[1], resultGradient: a.gradient,
                                                              needLeft: a.wants(0), needRight: a.wants(1),
                                                              transposeLeft: a.attributes.transposeLeft, transposeRight: a.attributes.transposeRight)
               return [left, right]
           },
           jvp: { a throws(TensorError) in
               // d(op(a) @ op(b)) = op(da) @ op(b) + op(a) @ op(db), op a transpose where the product reads one
               let (transA, transB) = (a.attributes.transposeLeft, a.attributes.transposeRight)
               let left = try a.tangents[0].map { t throws(TensorError) in
                   try Tensor.matmul(t, a.inputs[1], transposeLeft: transA, transposeRight: transB)
               }
               let right = try a.tangents[1].map { t throws(TensorError) in
                   try Tensor.matmul(a.inputs[0], t, transposeLeft: transA, transposeRight: transB)
               }
               return try sumOfTerms(left, right)
           },
           scalar: nil,
           examples: [OpExample([[3], [3]]), OpExample([[2, 3], [3]]), OpExample([[3], [3, 2]]),
                      OpExample([[2, 3], [3, 4]]), OpExample([[2, 2, 3], [3, 4]]),
                      OpExample([[2, 1, 2, 3], [3, 3, 2]]), OpExample([[8, 9], [9, 10]]),
                      OpExample([[9], [4, 9, 20]]),
                      OpExample([[3, 2], [3, 4]], attributes: OpAttributes(transposeLeft: true)),
                      OpExample([[2, 3], [4, 3]], attributes: OpAttributes(transposeRight: true)),
                      OpExample([[2, 3, 2], [4, 3]], attributes: OpAttributes(transposeLeft: true, transposeRight: true)),
                      OpExample([[3], [4, 3]], attributes: OpAttributes(transposeRight: true))]),
    OpRule(op: .exp, name: "exp", callName: "exp", symbol: nil, arity: .fixed(1), differentiable: [true],
           attributes: [], doc: "exp(x): elementwise e^x.",
           forward: { a in a.inputs[0].map(ScalarFormula.expForward) },
           vjp: { a throws(TensorError) in try a.elementwise(ScalarFormula.expVJP) },
           jvp: elementwiseJVP(ScalarFormula.expVJP),
           scalar: .unary(forward: { ScalarFormula.expForward($0) }, vjp: { ScalarFormula.expVJP($0, $1, $2) }), examples: scalarAndMatrix),
    OpRule(op: .log, name: "log", callName: "log", symbol: nil, arity: .fixed(1), differentiable: [true],
           attributes: [], doc: "log(x): elementwise natural logarithm (NaN below 0, -inf at 0).",
           forward: { a in a.inputs[0].map(ScalarFormula.logForward) },
           vjp: { a throws(TensorError) in try a.elementwise(ScalarFormula.logVJP) },
           jvp: elementwiseJVP(ScalarFormula.logVJP),
           scalar: .unary(forward: { ScalarFormula.logForward($0) }, vjp: { ScalarFormula.logVJP($0, $1, $2) }), examples: unaryExamples(.positive)),
    OpRule(op: .sqrt, name: "sqrt", callName: "sqrt", symbol: nil, arity: .fixed(1), differentiable: [true],
           attributes: [], doc: "sqrt(x): elementwise square root.",
           forward: { a in a.inputs[0].map(ScalarFormula.sqrtForward) },
           vjp: { a throws(TensorError) in try a.elementwise(ScalarFormula.sqrtVJP) },
           jvp: elementwiseJVP(ScalarFormula.sqrtVJP),
           scalar: .unary(forward: { ScalarFormula.sqrtForward($0) }, vjp: { ScalarFormula.sqrtVJP($0, $1, $2) }), examples: unaryExamples(.positive)),
    OpRule(op: .abs, name: "abs", callName: "abs", symbol: nil, arity: .fixed(1), differentiable: [true],
           attributes: [], doc: "abs(x): elementwise |x|; its gradient at 0 is 0 (as PyTorch).",
           forward: { a in a.inputs[0].map(ScalarFormula.absForward) },
           vjp: { a throws(TensorError) in try a.elementwise(ScalarFormula.absVJP) },
           jvp: elementwiseJVP(ScalarFormula.absVJP),
           scalar: .unary(forward: { ScalarFormula.absForward($0) }, vjp: { ScalarFormula.absVJP($0, $1, $2) }), examples: unaryExamples(.awayFromZero)),
    OpRule(op: .sin, name: "sin", callName: "sin", symbol: nil, arity: .fixed(1), differentiable: [true],
           attributes: [], doc: "sin(x): elementwise sine (radians).",
           forward: { a in a.inputs[0].map(ScalarFormula.sinForward) },
           vjp: { a throws(TensorError) in try a.elementwise(ScalarFormula.sinVJP) },
           jvp: elementwiseJVP(ScalarFormula.sinVJP),
           scalar: .unary(forward: { ScalarFormula.sinForward($0) }, vjp: { ScalarFormula.sinVJP($0, $1, $2) }), examples: scalarAndMatrix),
    OpRule(op: .cos, name: "cos", callName: "cos", symbol: nil, arity: .fixed(1), differentiable: [true],
           attributes: [], doc: "cos(x): elementwise cosine (radians).",
           forward: { a in a.inputs[0].map(ScalarFormula.cosForward) },
           vjp: { a throws(TensorError) in try a.elementwise(ScalarFormula.cosVJP) },
           jvp: elementwiseJVP(ScalarFormula.cosVJP),
           scalar: .unary(forward: { ScalarFormula.cosForward($0) }, vjp: { ScalarFormula.cosVJP($0, $1, $2) }), examples: scalarAndMatrix),
    OpRule(op: .tanh, name: "tanh", callName: "tanh", symbol: nil, arity: .fixed(1), differentiable: [true],
           attributes: [], doc: "tanh(x): elementwise hyperbolic tangent.",
           forward: { a in a.inputs[0].map(ScalarFormula.tanhForward) },
           vjp: { a throws(TensorError) in try a.elementwise(ScalarFormula.tanhVJP) },
           jvp: elementwiseJVP(ScalarFormula.tanhVJP),
           scalar: .unary(forward: { ScalarFormula.tanhForward($0) }, vjp: { ScalarFormula.tanhVJP($0, $1, $2) }), examples: scalarAndMatrix),
    OpRule(op: .sigmoid, name: "sigmoid", callName: "sigmoid", symbol: nil, arity: .fixed(1), differentiable: [true],
           attributes: [], doc: "sigmoid(x): elementwise 1 / (1 + e^-x).",
           forward: { a in a.inputs[0].map(ScalarFormula.sigmoidForward) },
           vjp: { a throws(TensorError) in try a.elementwise(ScalarFormula.sigmoidVJP) },
           jvp: elementwiseJVP(ScalarFormula.sigmoidVJP),
           scalar: .unary(forward: { ScalarFormula.sigmoidForward($0) }, vjp: { ScalarFormula.sigmoidVJP($0, $1, $2) }), examples: scalarAndMatrix),
    OpRule(op: .relu, name: "relu", callName: "relu", symbol: nil, arity: .fixed(1), differentiable: [true],
           attributes: [], doc: "relu(x): elementwise max(x, 0); its gradient is 1 where x > 0, else 0.",
           forward: { a in a.inputs[0].map(ScalarFormula.reluForward) },
           vjp: { a throws(TensorError) in try a.elementwise(ScalarFormula.reluVJP) },
           jvp: elementwiseJVP(ScalarFormula.reluVJP),
           scalar: .unary(forward: { ScalarFormula.reluForward($0) }, vjp: { ScalarFormula.reluVJP($0, $1, $2) }), examples: unaryExamples(.awayFromZero)),
    OpRule(op: .maximum, name: "maximum", callName: "max", symbol: nil, arity: .fixed(2), differentiable: [true, true],
           attributes: [], doc: "max(a, b): elementwise maximum, NumPy broadcasting; on ties a and b share the gradient equally (as torch.maximum and JAX).",
           forward: { a throws(TensorError) in try a.inputs[0].zipWith(a.inputs[1], Scalar.maximum) },
           vjp: elementwiseVJP(ScalarFormula.maximumVJPFirst, ScalarFormula.maximumVJPSecond),
           jvp: elementwiseJVP(ScalarFormula.maximumVJPFirst, ScalarFormula.maximumVJPSecond),
           scalar: .binary(forward: { ScalarFormula.maximumForward($0, $1) }, vjpFirst: { ScalarFormula.maximumVJPFirst($0, $1, $2, $3) },
                           vjpSecond: { ScalarFormula.maximumVJPSecond($0, $1, $2, $3) }),
           examples: [OpExample([[], []]), OpExample([[2, 3], [2, 3]]), OpExample([[2, 3], [3]])]),
    OpRule(op: .minimum, name: "minimum", callName: "min", symbol: nil, arity: .fixed(2), differentiable: [true, true],
           attributes: [], doc: "min(a, b): elementwise minimum, NumPy broadcasting; on ties a and b share the gradient equally (as torch.minimum and JAX).",
           forward: { a throws(TensorError) in try a.inputs[0].zipWith(a.inputs[1], Scalar.minimum) },
           vjp: elementwiseVJP(ScalarFormula.minimumVJPFirst, ScalarFormula.minimumVJPSecond),
           jvp: elementwiseJVP(ScalarFormula.minimumVJPFirst, ScalarFormula.minimumVJPSecond),
           scalar: .binary(forward: { ScalarFormula.minimumForward($0, $1) }, vjpFirst: { ScalarFormula.minimumVJPFirst($0, $1, $2, $3) },
                           vjpSecond: { ScalarFormula.minimumVJPSecond($0, $1, $2, $3) }),
           examples: [OpExample([[], []]), OpExample([[2, 3], [2, 3]]), OpExample([[2, 3], [3]])]),
]

// MARK: - Reductions

private let reductionAttributes = [AttributeSpec("axis", .axes, default: "none (all axes)"),
                                   AttributeSpec("keepdims", .keepdims, default: "false")]

private let reductionExamples: [OpExample] = [
    OpExample([[2, 3]]), OpExample([[2, 3]], attributes: OpAttributes(axis: 0)),
    OpExample([[2, 3]], attributes: OpAttributes(axis: -1, keepdims: true)),
    OpExample([[2, 3, 2]], attributes: OpAttributes(axes: [0, 2])), OpExample([[]]),
]

/// Gradient of max/min reductions: split evenly among the elements equal to the result
/// (PyTorch's `amax`/`amin` and full `max()` rule).
private func extremumVJP(_ a: BackwardArguments) throws(TensorError) -> [Tensor?] {
    let x = a.inputs[0]
    let axes = a.attributes.axes, keepdims = a.attributes.keepdims
    let winners = try x.zipWith(try x.expandReduced(a.output, axes: axes, keepdims: keepdims)) { $0 == $1 ? 1 : 0 }
    let counts = try winners.sum(axes: axes, keepdims: true)
    let share = try x.expandReduced(a.gradient, axes: axes, keepdims: keepdims) / counts
    return [try share * winners]
}

/// Tangent of max/min reductions, the adjoint of `extremumVJP`: the mean of the tangents of
/// the elements equal to the result.
private func extremumJVP(_ a: TangentArguments) throws(TensorError) -> Tensor {
    let x = a.inputs[0]
    let axes = a.attributes.axes
    let winners = try x.zipWith(try x.expandReduced(a.output, axes: axes, keepdims: a.attributes.keepdims)) { $0 == $1 ? 1 : 0 }
    let counts = try winners.sum(axes: axes, keepdims: true)
    let shared = try (try winners * a.tangent).sum(axes: axes, keepdims: true) / counts
    return try shared.reshaped(a.output.shape)
}

private let reductionRows: [OpRule] = [
    OpRule(op: .sum, name: "sum", callName: "sum", symbol: nil, arity: .fixed(1), differentiable: [true],
           attributes: reductionAttributes, doc: "sum(x, axis=, keepdims=false): sum of the elements, over all axes or the given ones.",
           forward: { a throws(TensorError) in try a.inputs[0].sum(axes: a.attributes.axes, keepdims: a.attributes.keepdims) },
           vjp: { a throws(TensorError) in [try a.x.expandReduced(a.gradient, axes: a.attributes.axes, keepdims: a.attributes.keepdims)] },
           jvp: { a throws(TensorError) in try a.tangent.sum(axes: a.attributes.axes, keepdims: a.attributes.keepdims) },
           scalar: nil, examples: reductionExamples),
    OpRule(op: .mean, name: "mean", callName: "mean", symbol: nil, arity: .fixed(1), differentiable: [true],
           attributes: reductionAttributes, doc: "mean(x, axis=, keepdims=false): arithmetic mean, over all axes or the given ones.",
           forward: { a throws(TensorError) in try a.inputs[0].mean(axes: a.attributes.axes, keepdims: a.attributes.keepdims) },
           vjp: { a throws(TensorError) in
               let spread = try a.x.expandReduced(a.gradient, axes: a.attributes.axes, keepdims: a.attributes.keepdims)
               let reduced = a.output.count == 0 ? 1 : a.x.count / a.output.count
               return [spread / Double(reduced)]
           },
           jvp: { a throws(TensorError) in try a.tangent.mean(axes: a.attributes.axes, keepdims: a.attributes.keepdims) },
           scalar: nil, examples: reductionExamples),
    OpRule(op: .max, name: "max", callName: "max", symbol: nil, arity: .fixed(1), differentiable: [true],
           attributes: reductionAttributes, doc: "max(x, axis=, keepdims=false): largest element, over all axes or the given ones; tied maxima share the gradient equally.",
           forward: { a throws(TensorError) in try a.inputs[0].max(axes: a.attributes.axes, keepdims: a.attributes.keepdims) },
           vjp: extremumVJP, jvp: extremumJVP, scalar: nil, examples: reductionExamples),
    OpRule(op: .min, name: "min", callName: "min", symbol: nil, arity: .fixed(1), differentiable: [true],
           attributes: reductionAttributes, doc: "min(x, axis=, keepdims=false): smallest element, over all axes or the given ones; tied minima share the gradient equally.",
           forward: { a throws(TensorError) in try a.inputs[0].min(axes: a.attributes.axes, keepdims: a.attributes.keepdims) },
           vjp: extremumVJP, jvp: extremumJVP, scalar: nil, examples: reductionExamples),
    OpRule(op: .logsumexp, name: "logsumexp", callName: "logsumexp", symbol: nil, arity: .fixed(1), differentiable: [true],
           attributes: reductionAttributes, doc: "logsumexp(x, axis=, keepdims=false): log(sum(exp(x))) computed without overflow.",
           forward: { a throws(TensorError) in try a.inputs[0].logsumexp(axes: a.attributes.axes, keepdims: a.attributes.keepdims) },
           vjp: { a throws(TensorError) in
               let axes = a.attributes.axes, keepdims = a.attributes.keepdims
               let weights = try a.x.zipWith(try a.x.expandReduced(a.output, axes: axes, keepdims: keepdims)) { exp($0 - $1) }
               return [try weights * (try a.x.expandReduced(a.gradient, axes: axes, keepdims: keepdims))]
           },
           jvp: { a throws(TensorError) in
               // The softmax weights of the reduced elements, applied to their tangents.
               let axes = a.attributes.axes, keepdims = a.attributes.keepdims
               let weights = try a.x.zipWith(try a.x.expandReduced(a.output, axes: axes, keepdims: keepdims)) { exp($0 - $1) }
               return try (try weights * a.tangent).sum(axes: axes, keepdims: keepdims)
           },
           scalar: nil, examples: reductionExamples),
]

// MARK: - Shape ops

private let shapeRows: [OpRule] = [
    OpRule(op: .reshape, name: "reshape", callName: "reshape", symbol: nil, arity: .fixed(1), differentiable: [true],
           attributes: [AttributeSpec("shape", .shape, positional: true, required: true)],
           doc: "reshape(x, d1, d2, ...): the same elements in a new shape (row-major); one dimension may be -1.",
           forward: { a throws(TensorError) in
               guard let shape = a.attributes.shape else { throw TensorError("reshape needs a target shape") }
               return try a.inputs[0].reshaped(shape)
           },
           vjp: { a throws(TensorError) in [try a.gradient.reshaped(a.x.shape)] },
           jvp: { a throws(TensorError) in try a.tangent.reshaped(a.output.shape) },
           scalar: nil,
           examples: [OpExample([[2, 3]], attributes: OpAttributes(shape: [3, -1])),
                      OpExample([[]], attributes: OpAttributes(shape: [1, 1]))]),
    OpRule(op: .transpose, name: "transpose", callName: "transpose", symbol: nil, arity: .fixed(1), differentiable: [true],
           attributes: [], doc: "transpose(x), also x.T: swaps the last two axes (vectors and scalars are unchanged).",
           forward: { a in a.inputs[0].transposedLastTwo() },
           vjp: { a in [a.gradient.transposedLastTwo()] },
           jvp: { a in a.tangent.transposedLastTwo() },
           scalar: nil, examples: [OpExample([[2, 3]]), OpExample([[2, 3, 4]]), OpExample([[3]])]),
    OpRule(op: .flatten, name: "flatten", callName: "flatten", symbol: nil, arity: .fixed(1), differentiable: [true],
           attributes: [], doc: "flatten(x): all elements as a vector (row-major).",
           forward: { a in a.inputs[0].flattened() },
           vjp: { a throws(TensorError) in [try a.gradient.reshaped(a.x.shape)] },
           jvp: { a in a.tangent.flattened() },
           scalar: nil, examples: [OpExample([[2, 3]]), OpExample([[]])]),
    OpRule(op: .concat, name: "concat", callName: "concat", symbol: nil, arity: .variadic(minimum: 1), differentiable: [true],
           attributes: [AttributeSpec("axis", .axis, default: "0")],
           doc: "concat(a, b, ..., axis=0): joins tensors along an existing axis; the other axes must agree.",
           forward: { a throws(TensorError) in
               try Tensor.concat(a.inputs, axis: try a.attributes.singleAxis(default: 0, op: "concat"))
           },
           vjp: { a throws(TensorError) in
               let axis = try normalizeAxis(try a.attributes.singleAxis(default: 0, op: "concat"), rank: a.output.rank)
               return try a.gradient.split(sizes: a.inputs.map { $0.shape[axis] }, axis: axis)
           },
           jvp: { a throws(TensorError) in
               try Tensor.concat(a.tangentsOrZeros, axis: try a.attributes.singleAxis(default: 0, op: "concat"))
           },
           scalar: nil,
           examples: [OpExample([[2, 3], [1, 3]]), OpExample([[2, 1], [2, 2], [2, 3]], attributes: OpAttributes(axis: -1))]),
    OpRule(op: .stack, name: "stack", callName: "stack", symbol: nil, arity: .variadic(minimum: 1), differentiable: [true],
           attributes: [AttributeSpec("axis", .axis, default: "0")],
           doc: "stack(a, b, ..., axis=0): joins equally shaped tensors along a new axis.",
           forward: { a throws(TensorError) in
               try Tensor.stack(a.inputs, axis: try a.attributes.singleAxis(default: 0, op: "stack"))
           },
           vjp: { a throws(TensorError) in
               try a.gradient.unstack(axis: try a.attributes.singleAxis(default: 0, op: "stack"))
           },
           jvp: { a throws(TensorError) in
               try Tensor.stack(a.tangentsOrZeros, axis: try a.attributes.singleAxis(default: 0, op: "stack"))
           },
           scalar: nil,
           examples: [OpExample([[], [], []]), OpExample([[2], [2]], attributes: OpAttributes(axis: 1))]),
    OpRule(op: .index, name: "index", callName: nil, symbol: "[]", arity: .fixed(1), differentiable: [true],
           attributes: [AttributeSpec("index", .index, positional: true, required: true)],
           doc: "x[i], x[i, j], x[:, j], x[a:b], x[a:b:step]: indexing and slicing as in NumPy; negative indices count from the end. The gradient flows back to the selected elements.",
           forward: { a throws(TensorError) in try a.inputs[0].indexed(a.attributes.index ?? []) },
           vjp: { a throws(TensorError) in [try a.x.scatterIndexed(a.attributes.index ?? [], values: a.gradient)] },
           jvp: { a throws(TensorError) in try a.tangent.indexed(a.attributes.index ?? []) },
           scalar: nil,
           examples: [OpExample([[4, 3]], attributes: OpAttributes(index: [.index(1)])),
                      OpExample([[4, 3]], attributes: OpAttributes(index: [.all, .index(-1)])),
                      OpExample([[4, 3]], attributes: OpAttributes(index: [.slice(start: 1, stop: 3, step: nil)])),
                      OpExample([[4, 3]], attributes: OpAttributes(index: [.slice(start: nil, stop: nil, step: -2), .index(0)])),
                      OpExample([[4, 3]], attributes: OpAttributes(index: [.index(2), .index(-3)]))]),
]

// MARK: - Neural-network ops

/// A label as a class index, or an error naming the offending element.
private func classIndex(_ value: Double, classes: Int, position: Int, op: String) throws(TensorError) -> Int {
    guard value == value.rounded(), value >= 0, value < Double(classes) else {
        throw TensorError("\(op): label \(formatScalar(value)) at position \(position) is not a class index in 0..<\(classes)")
    }
    return Int(value)
}

/// Logits as `[batch, classes]` and the labels as class indices, checked.
private func crossEntropyOperands(_ logits: Tensor, _ labels: Tensor) throws(TensorError) -> (batch: Int, classes: Int, labels: [Int]) {
    let valid = (logits.rank == 2 && labels.rank == 1 && labels.shape[0] == logits.shape[0])
        || (logits.rank == 1 && labels.count == 1 && labels.rank <= 1)
    guard valid else {
        throw TensorError("cross_entropy expects logits [batch, classes] with labels [batch] (or logits [classes] with one label), got shapes \(formatShape(logits.shape)) and \(formatShape(labels.shape))")
    }
    let classes = logits.shape[logits.rank - 1]
    let batch = logits.rank == 2 ? logits.shape[0] : 1
    var indices: [Int] = []
    indices.reserveCapacity(batch)
    for (position, value) in labels.scalars.enumerated() {
        indices.append(try classIndex(value, classes: classes, position: position, op: "cross_entropy"))
    }
    return (batch, classes, indices)
}

private let networkRows: [OpRule] = [
    OpRule(op: .softmax, name: "softmax", callName: "softmax", symbol: nil, arity: .fixed(1), differentiable: [true],
           attributes: [AttributeSpec("axis", .axis, default: "-1")],
           doc: "softmax(x, axis=-1): exp(x) normalised to sum to 1 along the axis.",
           forward: { a throws(TensorError) in try a.inputs[0].softmax(axis: try a.attributes.singleAxis(default: -1, op: "softmax")) },
           vjp: { a throws(TensorError) in
               let axis = try a.attributes.singleAxis(default: -1, op: "softmax")
               let y = a.output
               let inner = try (try a.gradient * y).sum(axes: [axis], keepdims: true)
               return [try y * (try a.gradient - inner)]
           },
           jvp: { a throws(TensorError) in
               // dy = y * (dx - sum(y * dx))
               let axis = try a.attributes.singleAxis(default: -1, op: "softmax")
               let y = a.output
               let inner = try (try y * a.tangent).sum(axes: [axis], keepdims: true)
               return try y * (try a.tangent - inner)
           },
           scalar: nil,
           examples: [OpExample([[2, 3]]), OpExample([[2, 3]], attributes: OpAttributes(axis: 0)), OpExample([[4]])]),
    OpRule(op: .logSoftmax, name: "log_softmax", callName: "log_softmax", symbol: nil, arity: .fixed(1), differentiable: [true],
           attributes: [AttributeSpec("axis", .axis, default: "-1")],
           doc: "log_softmax(x, axis=-1): x - logsumexp(x) along the axis, computed stably.",
           forward: { a throws(TensorError) in try a.inputs[0].logSoftmax(axis: try a.attributes.singleAxis(default: -1, op: "log_softmax")) },
           vjp: { a throws(TensorError) in
               let axis = try a.attributes.singleAxis(default: -1, op: "log_softmax")
               let total = try a.gradient.sum(axes: [axis], keepdims: true)
               let probabilities = a.output.map { exp($0) }
               return [try a.gradient - (try probabilities * total)]
           },
           jvp: { a throws(TensorError) in
               // dy = dx - sum(softmax(x) * dx)
               let axis = try a.attributes.singleAxis(default: -1, op: "log_softmax")
               let probabilities = a.output.map { exp($0) }
               return try a.tangent - (try (try probabilities * a.tangent).sum(axes: [axis], keepdims: true))
           },
           scalar: nil,
           examples: [OpExample([[2, 3]]), OpExample([[2, 3]], attributes: OpAttributes(axis: 0))]),
    OpRule(op: .mse, name: "mse", callName: "mse", symbol: nil, arity: .fixed(2), differentiable: [true, true],
           attributes: [], doc: "mse(pred, target): mean of (pred - target)^2 over all elements (broadcasting as NumPy).",
           forward: { a throws(TensorError) in
               let difference = try a.inputs[0] - a.inputs[1]
               return try (try difference * difference).mean()
           },
           vjp: { a throws(TensorError) in
               let difference = try a.inputs[0] - a.inputs[1]
               let scale = 2 * (a.gradient.scalarValue ?? 0) / Double(Swift.max(difference.count, 1))
               let d = difference * scale
               return [d, a.wants(1) ? -d : nil]
           },
           jvp: { a throws(TensorError) in
               // d mean((p - t)^2) = 2 · mean((p - t) · (dp - dt))
               let difference = try a.inputs[0] - a.inputs[1]
               let direction: Tensor
               switch (a.tangents[0], a.tangents[1]) {
               case (let dp?, let dt?): direction = try dp - dt
               case (let dp?, nil): direction = dp
               case (nil, let dt?): direction = -dt
               case (nil, nil): direction = Tensor(0)
               }
               let total = try (try difference * direction).sum().scalarValue ?? 0
               return Tensor(2 * total / Double(Swift.max(difference.count, 1)))
           },
           scalar: nil, examples: [OpExample([[4], [4]]), OpExample([[2, 3], [3]]), OpExample([[], []])]),
    OpRule(op: .crossEntropy, name: "cross_entropy", callName: "cross_entropy", symbol: nil, arity: .fixed(2), differentiable: [true, false],
           attributes: [],
           doc: "cross_entropy(logits, labels): softmax cross-entropy with labels as class indices 0..k-1, averaged over the batch (PyTorch's F.cross_entropy). logits: [batch, k] with labels [batch], or [k] with one label. Not differentiable in the labels.",
           forward: { a throws(TensorError) in
               let (batch, classes, labels) = try crossEntropyOperands(a.inputs[0], a.inputs[1])
               let logProbabilities = try a.inputs[0].logSoftmax(axis: -1)
               var total = 0.0
               for (row, label) in labels.enumerated() { total += logProbabilities.scalars[row &* classes &+ label] }
               return Tensor(-total / Double(batch))
           },
           vjp: { a throws(TensorError) in
               let (batch, classes, labels) = try crossEntropyOperands(a.inputs[0], a.inputs[1])
               var probabilities = try a.inputs[0].softmax(axis: -1)
               let scale = (a.gradient.scalarValue ?? 0) / Double(batch)
               probabilities.withUnsafeMutableScalars { p in
                   for (row, label) in labels.enumerated() { p[row &* classes &+ label] -= 1 }
                   for position in p.indices { p[position] *= scale }
               }
               return [probabilities, nil]
           },
           jvp: { a throws(TensorError) in
               // d loss = sum((softmax(logits) - one_hot(labels)) · d logits) / batch
               let (batch, classes, labels) = try crossEntropyOperands(a.inputs[0], a.inputs[1])
               var weights = try a.inputs[0].softmax(axis: -1)
               weights.withUnsafeMutableScalars { p in
                   for (row, label) in labels.enumerated() { p[row &* classes &+ label] -= 1 }
               }
               let total = try (try weights * a.tangent).sum().scalarValue ?? 0
               return Tensor(total / Double(batch))
           },
           scalar: nil,
           examples: [OpExample([[4, 3], [4]], domains: [.any, .classIndex(3)]),
                      OpExample([[3], []], domains: [.any, .classIndex(3)])]),
    OpRule(op: .oneHot, name: "one_hot", callName: "one_hot", symbol: nil, arity: .fixed(1), differentiable: [false],
           attributes: [AttributeSpec("n", .classes, positional: true, required: true)],
           doc: "one_hot(labels, n): rows of n zeros with a 1 at each label's class index; shape labels.shape + [n]. Not differentiable.",
           forward: { a throws(TensorError) in
               guard let classes = a.attributes.classes, classes >= 1 else {
                   throw TensorError("one_hot needs a positive number of classes")
               }
               let labels = a.inputs[0]
               var out = try Tensor.zeros(labels.shape + [classes])
               var indices: [Int] = []
               for (position, value) in labels.scalars.enumerated() {
                   indices.append(try classIndex(value, classes: classes, position: position, op: "one_hot"))
               }
               out.withUnsafeMutableScalars { buffer in
                   for (position, label) in indices.enumerated() { buffer[position &* classes &+ label] = 1 }
               }
               return out
           },
           vjp: nil, jvp: nil, scalar: nil, examples: []),
]

// MARK: - Sources

private let sourceRows: [OpRule] = [
    OpRule(op: .leaf, name: "leaf", callName: nil, symbol: nil, arity: .fixed(0), differentiable: [],
           attributes: [], doc: "An input value; param(...) makes a trainable one.",
           forward: { _ throws(TensorError) in throw TensorError("a leaf has no forward computation") },
           vjp: nil, jvp: nil, scalar: nil, examples: []),
    OpRule(op: .constant, name: "constant", callName: nil, symbol: nil, arity: .fixed(0), differentiable: [],
           attributes: [], doc: "A literal value that takes no gradient.",
           forward: { _ throws(TensorError) in throw TensorError("a constant has no forward computation") },
           vjp: nil, jvp: nil, scalar: nil, examples: []),
]
