import GradLang
import GradTensor

/// A local derivative written out as a textbook does: ∂(0.5 * d^2)/∂d is `d`, ∂(w * x)/∂w is
/// `x`. The derivative of a definition's right-hand side with respect to one name, the other
/// names held fixed, by the sum, product, quotient, power and chain rules over its syntax,
/// then simplified (numbers folded, zeros and ones dropped). `%explain --forward` shows it;
/// its numbers come from the engine, so this only names them.
indirect enum Symbolic: Equatable, Sendable {
    case number(Double)
    /// A name, or a subexpression free of the variable, as written.
    case atom(String, isSimple: Bool)
    case terms([Symbolic])
    /// A numeric coefficient (never 0) and the other factors.
    case factors(Double, [Symbolic])
    case raised(Symbolic, Double)
    case ratio(Symbolic, Symbolic)
    case applied(String, Symbolic)

    static let zero = Symbolic.number(0)
    static let one = Symbolic.number(1)

    var isZero: Bool { self == .zero }

    /// ∂(expression)/∂`variable`, or nil where the expression uses the variable in a way this
    /// does not spell out (`@`, indexing, reductions, …).
    static func derivative(of root: ExprID, in syntax: CellSyntax, withRespectTo variable: String) -> Symbolic? {
        DerivativeWriter(syntax: syntax, variable: variable).derivative(root)
    }

    // MARK: Building, simplified

    static func + (lhs: Symbolic, rhs: Symbolic) -> Symbolic { sum([lhs, rhs]) }
    static func - (lhs: Symbolic, rhs: Symbolic) -> Symbolic { sum([lhs, product([.number(-1), rhs])]) }
    static func * (lhs: Symbolic, rhs: Symbolic) -> Symbolic { product([lhs, rhs]) }

    static func sum(_ terms: [Symbolic]) -> Symbolic {
        var constant = 0.0
        var kept: [Symbolic] = []
        for term in terms {
            switch term {
            case .number(let value): constant += value
            case .terms(let inner): kept.append(contentsOf: inner)
            default: kept.append(term)
            }
        }
        // A number leads, as written by hand: 1 - tanh(x)^2.
        if constant != 0 || kept.isEmpty { kept.insert(.number(constant), at: 0) }
        return kept.count == 1 ? kept[0] : .terms(kept)
    }

    static func product(_ factors: [Symbolic]) -> Symbolic {
        var coefficient = 1.0
        var kept: [Symbolic] = []
        for factor in factors {
            switch factor {
            case .number(let value): coefficient *= value
            case .factors(let inner, let rest):
                coefficient *= inner
                kept.append(contentsOf: rest)
            default: kept.append(factor)
            }
        }
        if coefficient == 0 || kept.isEmpty { return .number(coefficient) }
        if coefficient == 1 && kept.count == 1 { return kept[0] }
        return .factors(coefficient, kept)
    }

    static func power(_ base: Symbolic, _ exponent: Double) -> Symbolic {
        if exponent == 0 { return .one }
        if exponent == 1 { return base }
        return .raised(base, exponent)
    }

    static func quotient(_ numerator: Symbolic, _ denominator: Symbolic) -> Symbolic {
        if numerator.isZero { return .zero }
        if denominator == .one { return numerator }
        return .ratio(numerator, denominator)
    }

    static func call(_ callee: String, _ argument: Symbolic) -> Symbolic { .applied(callee, argument) }

    // MARK: Writing

    /// How tightly the written form binds: 1 sum, 2 product/quotient, 3 negated, 4 power, 5 atom.
    private var precedence: Int {
        switch self {
        case .number(let value): return value < 0 ? 3 : 5
        case .atom(_, let isSimple): return isSimple ? 5 : 1
        case .terms: return 1
        case .factors(let coefficient, _): return coefficient < 0 ? 3 : 2
        case .ratio: return 2
        case .raised: return 4
        case .applied: return 5
        }
    }

    private func written(above level: Int) -> String {
        precedence > level ? text : "(\(text))"
    }

    var text: String {
        switch self {
        case .number(let value):
            return formatScalar(value)
        case .atom(let source, _):
            return source
        case .terms(let terms):
            var out = terms[0].written(above: 0)
            for term in terms.dropFirst() {
                if case .factors(let coefficient, let factors) = term, coefficient < 0 {
                    out += " - " + Symbolic.product([.number(-coefficient)] + factors).written(above: 1)
                } else if case .number(let value) = term, value < 0 {
                    out += " - " + formatScalar(-value)
                } else {
                    out += " + " + term.written(above: 1)
                }
            }
            return out
        case .factors(let coefficient, let factors):
            let written = factors.map { $0.written(above: 2) }.joined(separator: " * ")
            if coefficient == 1 { return written }
            if coefficient == -1 { return "-" + (factors.count == 1 ? factors[0].written(above: 3) : written) }
            return "\(formatScalar(coefficient)) * \(written)"
        case .ratio(let numerator, let denominator):
            return "\(numerator.written(above: 1)) / \(denominator.written(above: 2))"
        case .raised(let base, let exponent):
            return "\(base.written(above: 4))^\(exponent < 0 ? "(\(formatScalar(exponent)))" : formatScalar(exponent))"
        case .applied(let callee, let argument):
            return "\(callee)(\(argument.text))"
        }
    }

    /// The text as one factor of a product: parenthesised where a sum would bind loosely.
    var factorText: String { written(above: 2) }
}

/// The rules over one definition's syntax tree. Iterative over the tree in arena order (a
/// child always precedes its parent), as the evaluator is, so no expression costs stack depth.
private struct DerivativeWriter {
    let syntax: CellSyntax
    let variable: String

    /// Per expression: its written form (nil where not expressible) and its derivative (nil
    /// where not expressible); `mentions` says whether it uses the variable at all.
    private struct Entry {
        var value: Symbolic?
        var derivative: Symbolic?
        var mentions: Bool
    }

    func derivative(_ root: ExprID) -> Symbolic? {
        var entries: [Int32: Entry] = [:]
        var pending: [ExprID] = [root]
        var order: [ExprID] = []
        while let id = pending.popLast() {
            order.append(id)
            pending.append(contentsOf: children(of: id))
        }
        for id in order.sorted() {
            entries[id.index] = entry(for: id, entries)
        }
        guard let rootEntry = entries[root.index] else { return nil }
        return rootEntry.mentions ? rootEntry.derivative : .zero
    }

    private func children(of id: ExprID) -> [ExprID] {
        switch syntax[id].kind {
        case .negate(let operand): return [operand]
        case .binary(_, let lhs, let rhs): return [lhs, rhs]
        case .call(_, _, let arguments): return arguments.map(\.value)
        case .list(let items): return items
        case .index(let base, _): return [base]
        case .attribute(let base, _, _): return [base]
        default: return []
        }
    }

    private func entry(for id: ExprID, _ entries: [Int32: Entry]) -> Entry {
        let kind = syntax[id].kind
        let childEntries = children(of: id).map { entries[$0.index] ?? Entry(value: nil, derivative: nil, mentions: true) }
        let mentions: Bool
        if case .name(let name) = kind {
            mentions = name == variable
        } else {
            mentions = childEntries.contains { $0.mentions }
        }
        let atom = Symbolic.atom(String(syntax.text(of: id)), isSimple: isSimple(kind))
        guard mentions else {
            if case .number(let number) = kind { return Entry(value: .number(number), derivative: .zero, mentions: false) }
            return Entry(value: atom, derivative: .zero, mentions: false)
        }
        switch kind {
        case .name:
            return Entry(value: atom, derivative: .one, mentions: true)
        case .negate:
            let operand = childEntries[0]
            return Entry(value: operand.value.map { Symbolic.product([.number(-1), $0]) },
                         derivative: operand.derivative.map { Symbolic.product([.number(-1), $0]) }, mentions: true)
        case .binary(let op, _, _):
            return binary(op, childEntries[0], childEntries[1])
        case .call(let callee, _, let arguments):
            guard arguments.allSatisfy({ $0.label == nil }) else { return Entry(value: nil, derivative: nil, mentions: true) }
            if callee == "pow", childEntries.count == 2 { return binary(.power, childEntries[0], childEntries[1]) }
            guard childEntries.count == 1 else { return Entry(value: nil, derivative: nil, mentions: true) }
            return call(callee, childEntries[0])
        default:
            return Entry(value: nil, derivative: nil, mentions: true)
        }
    }

    private func isSimple(_ kind: ExprKind) -> Bool {
        switch kind {
        case .name, .call, .index, .attribute, .list: return true
        case .number(let number): return number >= 0
        default: return false
        }
    }

    private func binary(_ op: BinaryOperator, _ lhs: Entry, _ rhs: Entry) -> Entry {
        guard let u = lhs.value, let v = rhs.value, let du = lhs.derivative, let dv = rhs.derivative else {
            return Entry(value: nil, derivative: nil, mentions: true)
        }
        switch op {
        case .add:
            return Entry(value: u + v, derivative: du + dv, mentions: true)
        case .subtract:
            return Entry(value: u - v, derivative: du - dv, mentions: true)
        case .multiply:
            return Entry(value: u * v, derivative: du * v + u * dv, mentions: true)
        case .divide:
            // (u / v)' = u' / v - u · v' / v^2
            let derivative = Symbolic.quotient(du, v) - Symbolic.quotient(u * dv, Symbolic.power(v, 2))
            return Entry(value: Symbolic.quotient(u, v), derivative: derivative, mentions: true)
        case .power:
            // u^k with a number k: k · u^(k - 1) · u'.
            guard !rhs.mentions, case .number(let k) = v else { return Entry(value: nil, derivative: nil, mentions: true) }
            return Entry(value: Symbolic.power(u, k), derivative: Symbolic.product([.number(k), Symbolic.power(u, k - 1), du]), mentions: true)
        case .matmul:
            return Entry(value: nil, derivative: nil, mentions: true)
        }
    }

    private func call(_ callee: String, _ argument: Entry) -> Entry {
        guard let u = argument.value, let du = argument.derivative else { return Entry(value: nil, derivative: nil, mentions: true) }
        let value = Symbolic.call(callee, u)
        let outer: Symbolic
        switch callee {
        case "exp": outer = value
        case "log": return Entry(value: value, derivative: Symbolic.quotient(du, u), mentions: true)
        case "sqrt": return Entry(value: value, derivative: Symbolic.quotient(du, Symbolic.product([.number(2), value])), mentions: true)
        case "sin": outer = .call("cos", u)
        case "cos": outer = Symbolic.product([.number(-1), .call("sin", u)])
        case "tanh": outer = .one - Symbolic.power(value, 2)
        case "sigmoid": outer = value * (.one - value)
        default: return Entry(value: nil, derivative: nil, mentions: true)
        }
        return Entry(value: value, derivative: outer * du, mentions: true)
    }
}
