/// Every kind of node. `leaf` and `constant` are sources (no inputs); every other case has
/// exactly one row in `OpRule.table`, which holds its name, arity, attributes, documentation,
/// forward and vector-Jacobian product.
public enum OpCode: UInt8, CaseIterable, Sendable, CustomStringConvertible {
    case leaf, constant
    case add, sub, mul, div, neg, pow, matmul
    case exp, log, sqrt, abs, sin, cos, tanh, sigmoid, relu
    case maximum, minimum
    case sum, mean, max, min, logsumexp
    case reshape, transpose, flatten, concat, stack, index
    case softmax, logSoftmax, mse, crossEntropy, oneHot
    case identity, argmax

    /// This op's row of the rule table.
    public var rule: OpRule { OpRule.table[Int(rawValue)] }

    /// The op's unique name (as recorded in the database and shown by `%graph`).
    public var description: String { rule.name }

    /// The op a built-in call `name(...)` with `arity` tensor arguments denotes, e.g.
    /// `max` with 2 arguments is `.maximum`, with 1 the reduction `.max`.
    public init?(builtinName name: String, arity: Int) {
        guard let found = OpRule.table.first(where: { $0.callName == name && $0.arity.accepts(arity) }) else { return nil }
        self = found.op
    }

    /// The op with this unique `name` (the inverse of `description`).
    public init?(name: String) {
        guard let found = OpRule.table.first(where: { $0.name == name }) else { return nil }
        self = found.op
    }

    /// Every name a user can call as a function (`exp`, `max`, `softmax`, …), each once.
    public static var builtinNames: [String] {
        var seen = Set<String>()
        return OpRule.table.compactMap(\.callName).filter { seen.insert($0).inserted }
    }
}
