import GradTensor

/// What a term's leaves are called when it is written out.
public struct ChainNaming {
    public var upstream: String
    public var inputs: [String]
    public var output: String
    /// A bound symbol's text, and whether it reads as one unit (`w`, `dL/dz`, `tanh(z)`)
    /// rather than an expression that needs parentheses inside a bigger one (`x @ W`).
    public var symbol: (Int) -> (text: String, atomic: Bool)
    /// Whether a symbol is a scalar: products with a scalar are written `*`, others `⊙`.
    public var symbolIsScalar: (Int) -> Bool

    public init(upstream: String = "dL/dy", inputs: [String] = ["a", "b"], output: String = "y",
                symbol: @escaping (Int) -> (text: String, atomic: Bool) = { ("s\($0)", true) },
                symbolIsScalar: @escaping (Int) -> Bool = { _ in false }) {
        self.upstream = upstream
        self.inputs = inputs
        self.output = output
        self.symbol = symbol
        self.symbolIsScalar = symbolIsScalar
    }
}

extension ChainTerm {
    /// The term as a textbook writes it: `dL/dy ⊙ (1 - y^2)`, `dL/dy @ b.T`,
    /// `sum over axis 0 of dL/dy` (a broadcasting sum is said in words at the top level,
    /// unless `inWords` is false: a term of a sum is written as a call, `sum(dL/dy, axis=0)`).
    public func text(_ naming: ChainNaming, inWords: Bool = true) -> String {
        guard inWords else { return written(naming, level: .multiplicative) }
        if case let .sumTo(inner, axes, leading, shape) = self {
            let over = axes.count == 1 ? "axis \(axes[0])" : "axes " + axes.map(String.init).joined(separator: ", ")
            let kept = leading < axes.count ? ", to shape \(formatShape(shape))" : ""
            return "sum over \(over) of \(inner.written(naming, level: .additive))" + kept
        }
        if case let .scatter(inner, components, shape) = self {
            return "\(inner.written(naming, level: .additive)) at \(formatIndex(components)) of zeros \(formatShape(shape))"
        }
        return written(naming, level: .additive)
    }

    /// Binding strength, loosest first: a subterm looser than its context gets parentheses.
    enum Level: Int, Comparable {
        case additive, multiplicative, unary, power, postfix

        static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    var level: Level {
        switch self {
        case .add, .subtract: return .additive
        case .multiply, .divide, .matmul, .matvec: return .multiplicative
        case .negate: return .unary
        case .number(let value): return value < 0 ? .unary : .postfix
        case .power: return .power
        default: return .postfix
        }
    }

    /// Whether the term is known to be a scalar (a number, a scalar symbol, or made of them).
    func isScalar(_ naming: ChainNaming) -> Bool {
        switch self {
        case .number: return true
        case .symbol(let index): return naming.symbolIsScalar(index)
        case .upstream, .input, .output: return false
        case .negate(let t), .function(_, let t): return t.isScalar(naming)
        case .add(let l, let r), .subtract(let l, let r), .multiply(let l, let r), .divide(let l, let r), .power(let l, let r),
             .indicator(let l, _, let r):
            return l.isScalar(naming) && r.isScalar(naming)
        case .sum(_, let axes, let keepdims): return axes == nil && !keepdims
        case .sumTo(_, _, _, let shape), .spread(_, _, _, let shape), .reshape(_, let shape): return shape.isEmpty
        default: return false
        }
    }

    /// The term written inside a context of binding strength `level`.
    func written(_ naming: ChainNaming, level context: Level) -> String {
        let text: String
        switch self {
        case .upstream: text = naming.upstream
        case .input(let position): text = position < naming.inputs.count ? naming.inputs[position] : "x\(position)"
        case .output: text = naming.output
        case .symbol(let index):
            let (name, atomic) = naming.symbol(index)
            return atomic || context == .additive ? name : "(\(name))"
        case .number(let value): text = formatScalar(value)
        case .negate(let t): text = "-" + t.written(naming, level: .power)
        case .add(let l, let r): text = "\(l.written(naming, level: .additive)) + \(r.written(naming, level: .multiplicative))"
        case .subtract(let l, let r): text = "\(l.written(naming, level: .additive)) - \(r.written(naming, level: .multiplicative))"
        case .multiply(let l, let r):
            let sign = l.isScalar(naming) || r.isScalar(naming) ? "*" : "⊙"
            text = "\(l.written(naming, level: .multiplicative)) \(sign) \(r.written(naming, level: .unary))"
        case .divide(let l, let r): text = "\(l.written(naming, level: .multiplicative)) / \(r.written(naming, level: .unary))"
        case .matmul(let l, let r), .matvec(let l, let r):
            text = "\(l.written(naming, level: .multiplicative)) @ \(r.written(naming, level: .unary))"
        case .power(let l, let r): text = "\(l.written(naming, level: .postfix))^\(r.written(naming, level: .postfix))"
        case .outer(let l, let r): text = "outer(\(l.written(naming, level: .additive)), \(r.written(naming, level: .additive)))"
        case .transpose(let t): text = t.written(naming, level: .postfix) + ".T"
        case .function(let f, let t): text = "\(f.rawValue)(\(t.written(naming, level: .additive)))"
        case .indicator(let l, let comparison, let r):
            text = "[\(l.written(naming, level: .multiplicative)) \(comparison.rawValue) \(r.written(naming, level: .multiplicative))]"
        case let .extremumShare(x, _, isMaximum, axes, _):
            let inner = x.written(naming, level: .additive)
            text = "[\(inner) = \(isMaximum ? "max" : "min")(\(inner)\(Self.axisArgument(axes)))]"
        case let .spread(t, _, _, shape): text = "broadcast(\(t.written(naming, level: .additive)), \(formatShape(shape)))"
        case let .sum(t, axes, keepdims):
            text = "sum(\(t.written(naming, level: .additive))\(Self.axisArgument(axes))\(keepdims ? ", keepdims=true" : ""))"
        case let .sumTo(t, axes, leading, _):
            var inner = t.written(naming, level: .additive)
            let kept = Array(axes.dropFirst(leading))
            if !kept.isEmpty { inner = "sum(\(inner)\(Self.axisArgument(kept)), keepdims=true)" }
            text = leading == 0 ? inner : "sum(\(inner)\(Self.axisArgument(Array(axes.prefix(leading)))))"
        case let .reshape(t, shape): text = "reshape(\(t.written(naming, level: .additive)), \(formatShape(shape)))"
        case let .index(t, components): text = t.written(naming, level: .postfix) + formatIndex(components)
        case let .scatter(t, components, shape):
            text = "scatter(\(t.written(naming, level: .additive)), \(formatIndex(components)), \(formatShape(shape)))"
        case let .softmax(t, axes): text = "softmax(\(t.written(naming, level: .additive))\(Self.axisArgument(axes)))"
        case let .oneHot(t, classes): text = "one_hot(\(t.written(naming, level: .additive)), \(classes))"
        }
        return level < context ? "(\(text))" : text
    }

    private static func axisArgument(_ axes: [Int]?) -> String {
        guard let axes else { return "" }
        return axes.count == 1 ? ", axis=\(axes[0])" : ", axis=\(formatShape(axes))"
    }
}
