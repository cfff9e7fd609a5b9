#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GradTensor

/// A formula of textbook backpropagation: one op's vector-Jacobian product in symbols, such as
/// `dL/dy ⊙ (1 - y^2)` for tanh or `dL/dy @ b.T` for the left input of a matmul. Terms are
/// concrete (axes and shapes resolved for one node), so `%explain` can show them, compose them
/// through the unnamed nodes of an expression, and evaluate their parts; and a test can check
/// that each evaluates to what the op's `vjp` computes.
public indirect enum ChainTerm: Sendable, Equatable {
    /// The gradient of the op's output, dL/dy.
    case upstream
    /// The op's input at a position (x; a and b).
    case input(Int)
    /// The op's output, y.
    case output
    /// A value named from outside the rule (a node, a gradient) once the rule is bound.
    case symbol(Int)
    case number(Double)
    case negate(ChainTerm)
    case add(ChainTerm, ChainTerm)
    case subtract(ChainTerm, ChainTerm)
    /// Elementwise (Hadamard) product, with broadcasting.
    case multiply(ChainTerm, ChainTerm)
    case divide(ChainTerm, ChainTerm)
    case power(ChainTerm, ChainTerm)
    /// Matrix product, batched as NumPy's matmul.
    case matmul(ChainTerm, ChainTerm)
    /// Matrix times vector, where both may carry batch axes in front.
    case matvec(ChainTerm, ChainTerm)
    /// Outer product over the last axis of each: `[..., m] ⊗ [..., n] → [..., m, n]`.
    case outer(ChainTerm, ChainTerm)
    /// Swaps the last two axes (`.T`).
    case transpose(ChainTerm)
    case function(ChainFunction, ChainTerm)
    /// 1 where the comparison holds, else 0 (an Iverson bracket).
    case indicator(ChainTerm, ChainComparison, ChainTerm)
    /// 1 where `of` equals its reduction's result `extremum`, divided among ties.
    case extremumShare(of: ChainTerm, extremum: ChainTerm, isMaximum: Bool, axes: [Int]?, keepdims: Bool)
    /// A reduction's result (or its gradient) copied back over the axes it removed, to `shape`.
    case spread(ChainTerm, axes: [Int]?, keepdims: Bool, shape: [Int])
    /// A sum the op itself computes (softmax's normaliser).
    case sum(ChainTerm, axes: [Int]?, keepdims: Bool)
    /// The engine's broadcasting reduction: an input that was broadcast gets its gradient
    /// summed over `axes` down to its own `shape` — the first `leading` axes, which the input
    /// lacks, and axes where the input has size 1 (kept).
    case sumTo(ChainTerm, axes: [Int], leading: Int, shape: [Int])
    case reshape(ChainTerm, shape: [Int])
    case index(ChainTerm, [IndexComponent])
    /// The term placed at `index` in zeros of `shape`.
    case scatter(ChainTerm, [IndexComponent], shape: [Int])
    /// exp(x - logsumexp(x)) over `axes` (nil: all).
    case softmax(ChainTerm, axes: [Int]?)
    case oneHot(ChainTerm, classes: Int)
}

public enum ChainFunction: String, Sendable, Equatable {
    case exp, log, sin, cos, sign

    func apply(_ x: Double) -> Double {
        switch self {
        case .exp: return libmExp(x)
        case .log: return libmLog(x)
        case .sin: return libmSin(x)
        case .cos: return libmCos(x)
        case .sign: return Scalar.sign(x)
        }
    }
}

// The C library's functions under names the cases above do not shadow.
private func libmExp(_ x: Double) -> Double { exp(x) }
private func libmLog(_ x: Double) -> Double { log(x) }
private func libmSin(_ x: Double) -> Double { sin(x) }
private func libmCos(_ x: Double) -> Double { cos(x) }

public enum ChainComparison: String, Sendable, Equatable {
    case greater = ">", atLeast = "≥", less = "<", atMost = "≤", equal = "="

    func holds(_ a: Double, _ b: Double) -> Bool {
        switch self {
        case .equal: return a == b
        case .greater: return a > b
        case .atLeast: return a >= b
        case .less: return a < b
        case .atMost: return a <= b
        }
    }
}

// MARK: - Binding and simplification

extension ChainTerm {
    /// The term with its rule-relative leaves replaced: how a rule is applied to one node, and
    /// how rules compose (the upstream of an inner node's rule is the outer node's term).
    public func substituting(upstream: ChainTerm, input: (Int) -> ChainTerm, output: ChainTerm) -> ChainTerm {
        func walk(_ term: ChainTerm) -> ChainTerm {
            term.mapChildren(walk) { leaf in
                switch leaf {
                case .upstream: return upstream
                case .input(let position): return input(position)
                case .output: return output
                default: return leaf
                }
            }
        }
        return walk(self)
    }

    /// Folds arithmetic on numbers and drops identities (`x^1`, `1 * x`, `--x`), so a rule
    /// bound to constants reads as written by hand (`d^(2 - 1)` becomes `d`); numbers move
    /// in front of products (`2 * x`).
    public func simplified() -> ChainTerm {
        let term = mapChildren({ $0.simplified() }, leaf: { $0 })
        switch term {
        case .negate(.number(let a)): return .number(-a)
        case .negate(.negate(let inner)): return inner
        case .add(.number(let a), .number(let b)): return .number(a + b)
        case .subtract(.number(let a), .number(let b)): return .number(a - b)
        case .multiply(.number(let a), .number(let b)): return .number(a * b)
        case .divide(.number(let a), .number(let b)) where b != 0: return .number(a / b)
        case .power(.number(let a), .number(let b)): return .number(pow(a, b))
        case .power(let base, .number(1)): return base
        case .multiply(.number(1), let other), .multiply(let other, .number(1)), .divide(let other, .number(1)): return other
        case .multiply(let other, .number(let a)): return .multiply(.number(a), other)
        case .multiply(.multiply(let other, .number(let a)), let right): return .multiply(.number(a), .multiply(other, right)).simplified()
        default: return term
        }
    }

    /// The same term with `transform` applied to each child (and `leaf` to leaves).
    func mapChildren(_ transform: (ChainTerm) -> ChainTerm, leaf: (ChainTerm) -> ChainTerm) -> ChainTerm {
        switch self {
        case .upstream, .input, .output, .symbol, .number: return leaf(self)
        case .negate(let t): return .negate(transform(t))
        case .add(let l, let r): return .add(transform(l), transform(r))
        case .subtract(let l, let r): return .subtract(transform(l), transform(r))
        case .multiply(let l, let r): return .multiply(transform(l), transform(r))
        case .divide(let l, let r): return .divide(transform(l), transform(r))
        case .power(let l, let r): return .power(transform(l), transform(r))
        case .matmul(let l, let r): return .matmul(transform(l), transform(r))
        case .matvec(let l, let r): return .matvec(transform(l), transform(r))
        case .outer(let l, let r): return .outer(transform(l), transform(r))
        case .transpose(let t): return .transpose(transform(t))
        case .function(let f, let t): return .function(f, transform(t))
        case .indicator(let l, let c, let r): return .indicator(transform(l), c, transform(r))
        case let .extremumShare(x, y, isMaximum, axes, keepdims):
            return .extremumShare(of: transform(x), extremum: transform(y), isMaximum: isMaximum, axes: axes, keepdims: keepdims)
        case let .spread(t, axes, keepdims, shape): return .spread(transform(t), axes: axes, keepdims: keepdims, shape: shape)
        case let .sum(t, axes, keepdims): return .sum(transform(t), axes: axes, keepdims: keepdims)
        case let .sumTo(t, axes, leading, shape): return .sumTo(transform(t), axes: axes, leading: leading, shape: shape)
        case let .reshape(t, shape): return .reshape(transform(t), shape: shape)
        case let .index(t, components): return .index(transform(t), components)
        case let .scatter(t, components, shape): return .scatter(transform(t), components, shape: shape)
        case let .softmax(t, axes): return .softmax(transform(t), axes: axes)
        case let .oneHot(t, classes): return .oneHot(transform(t), classes: classes)
        }
    }

    /// The direct subterms, left to right.
    public var children: [ChainTerm] {
        switch self {
        case .upstream, .input, .output, .symbol, .number: return []
        case .negate(let t), .transpose(let t), .function(_, let t), .spread(let t, _, _, _), .sum(let t, _, _),
             .sumTo(let t, _, _, _), .reshape(let t, _), .index(let t, _), .scatter(let t, _, _), .softmax(let t, _), .oneHot(let t, _):
            return [t]
        case .add(let l, let r), .subtract(let l, let r), .multiply(let l, let r), .divide(let l, let r), .power(let l, let r),
             .matmul(let l, let r), .matvec(let l, let r), .outer(let l, let r), .indicator(let l, _, let r),
             .extremumShare(let l, let r, _, _, _):
            return [l, r]
        }
    }

    /// Whether any leaf satisfies `predicate`.
    public func contains(where predicate: (ChainTerm) -> Bool) -> Bool {
        var stack = [self]
        while let term = stack.popLast() {
            if predicate(term) { return true }
            stack.append(contentsOf: term.children)
        }
        return false
    }
}

// MARK: - Evaluation

/// The tensors a term's leaves stand for.
public struct ChainValues {
    public var upstream: Tensor?
    public var inputs: [Tensor]
    public var output: Tensor?
    public var symbols: [Tensor]

    public init(upstream: Tensor? = nil, inputs: [Tensor] = [], output: Tensor? = nil, symbols: [Tensor] = []) {
        self.upstream = upstream
        self.inputs = inputs
        self.output = output
        self.symbols = symbols
    }
}

extension ChainTerm {
    /// The term's value. Recursion depth is the term's depth, which its builders bound.
    public func evaluate(_ values: ChainValues) throws(TensorError) -> Tensor {
        func leaf(_ tensor: Tensor?, _ what: String) throws(TensorError) -> Tensor {
            guard let tensor else { throw TensorError("chain rule: no value for \(what)") }
            return tensor
        }
        switch self {
        case .upstream: return try leaf(values.upstream, "the upstream gradient")
        case .input(let i): return try leaf(i >= 0 && i < values.inputs.count ? values.inputs[i] : nil, "input \(i)")
        case .output: return try leaf(values.output, "the output")
        case .symbol(let i): return try leaf(i >= 0 && i < values.symbols.count ? values.symbols[i] : nil, "symbol \(i)")
        case .number(let value): return Tensor(value)
        case .negate(let t): return -(try t.evaluate(values))
        case .add(let l, let r): return try l.evaluate(values) + r.evaluate(values)
        case .subtract(let l, let r): return try l.evaluate(values) - r.evaluate(values)
        case .multiply(let l, let r): return try l.evaluate(values) * r.evaluate(values)
        case .divide(let l, let r): return try l.evaluate(values) / r.evaluate(values)
        case .power(let l, let r): return try l.evaluate(values).zipWith(try r.evaluate(values)) { pow($0, $1) }
        case .matmul(let l, let r): return try Tensor.matmul(try l.evaluate(values), try r.evaluate(values))
        case .matvec(let l, let r):
            let vector = try r.evaluate(values)
            let product = try Tensor.matmul(try l.evaluate(values), try vector.reshaped(vector.shape + [1]))
            return try product.reshaped(Array(product.shape.dropLast()))
        case .outer(let l, let r):
            let left = try l.evaluate(values), right = try r.evaluate(values)
            guard let last = right.shape.last else { throw TensorError("outer product of a scalar") }
            return try left.reshaped(left.shape + [1]) * right.reshaped(Array(right.shape.dropLast()) + [1, last])
        case .transpose(let t): return try t.evaluate(values).transposedLastTwo()
        case .function(let f, let t): return try t.evaluate(values).map(f.apply)
        case .indicator(let l, let comparison, let r):
            return try l.evaluate(values).zipWith(try r.evaluate(values)) { comparison.holds($0, $1) ? 1 : 0 }
        case let .extremumShare(x, y, _, axes, keepdims):
            let input = try x.evaluate(values)
            let winners = try input.zipWith(try input.expandReduced(try y.evaluate(values), axes: axes, keepdims: keepdims)) { $0 == $1 ? 1 : 0 }
            return try winners / winners.sum(axes: axes, keepdims: true)
        case let .spread(t, axes, keepdims, shape):
            return try Tensor.zeros(shape).expandReduced(try t.evaluate(values), axes: axes, keepdims: keepdims)
        case let .sum(t, axes, keepdims): return try t.evaluate(values).sum(axes: axes, keepdims: keepdims)
        case let .sumTo(t, _, _, shape): return try t.evaluate(values).sumTo(shape)
        case let .reshape(t, shape): return try t.evaluate(values).reshaped(shape)
        case let .index(t, components): return try t.evaluate(values).indexed(components)
        case let .scatter(t, components, shape): return try Tensor.zeros(shape).scatterIndexed(components, values: try t.evaluate(values))
        case let .softmax(t, axes):
            let x = try t.evaluate(values)
            return try x.zipWith(try x.logsumexp(axes: axes, keepdims: true)) { exp($0 - $1) }
        case let .oneHot(t, classes):
            let labels = try t.evaluate(values)
            var scalars = [Double](repeating: 0, count: labels.count * classes)
            for (position, label) in labels.scalars.enumerated() {
                guard label == label.rounded(), label >= 0, label < Double(classes) else {
                    throw TensorError("one_hot: label \(formatScalar(label)) is not a class index in 0..<\(classes)")
                }
                scalars[position * classes + Int(label)] = 1
            }
            return try Tensor(shape: labels.shape + [classes], scalars: scalars)
        }
    }
}
