/// A reference to an expression in `CellSyntax.expressions`.
public struct ExprID: Hashable, Sendable, Comparable {
    public let index: Int32

    public init(index: Int32) {
        self.index = index
    }

    public static func < (lhs: ExprID, rhs: ExprID) -> Bool { lhs.index < rhs.index }
}

public enum BinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", matmul = "@", power = "^"

    /// Higher binds tighter. Unary minus sits between `multiply` and `power`: `-x^2` is `-(x^2)`.
    var precedence: Int {
        switch self {
        case .add, .subtract: 1
        case .multiply, .divide, .matmul: 2
        case .power: 4
        }
    }

    var isRightAssociative: Bool { self == .power }
}

/// The precedence of unary minus, between `* / @` and `^`.
let negationPrecedence = 3

public enum ExprKind: Sendable, Hashable {
    case number(Double)
    case string(String)
    /// `true` / `false`
    case boolean(Bool)
    case name(String)
    /// `[1, 2, 3]`; nested lists for matrices; `[]` is the empty list.
    case list([ExprID])
    /// Unary minus.
    case negate(ExprID)
    case binary(BinaryOperator, ExprID, ExprID)
    /// `callee(positional..., label=value...)`; the parser has checked that no positional argument follows
    /// a keyword argument and that no label repeats.
    case call(callee: String, calleeSpan: SourceSpan, arguments: [Argument])
    /// `x[i]`, `x[i, j]`, `x[:, j]`, `x[a:b]`, `x[a:b:s]`
    case index(ExprID, [IndexComponent])
    /// `x.T`, `x.shape`, `w.grad`
    case attribute(ExprID, name: String, nameSpan: SourceSpan)
}

public struct Argument: Sendable, Hashable {
    /// The keyword of `label=value`; nil for a positional argument.
    public var label: String?
    public var labelSpan: SourceSpan?
    public var value: ExprID

    public init(label: String?, labelSpan: SourceSpan?, value: ExprID) {
        self.label = label
        self.labelSpan = labelSpan
        self.value = value
    }
}

public enum IndexComponent: Sendable, Hashable {
    /// `x[i]`
    case single(ExprID)
    /// `x[a:b:s]`, any part may be missing: `x[:]`, `x[::2]`, `x[1:]`.
    case slice(start: ExprID?, stop: ExprID?, step: ExprID?)
}

public struct Expr: Sendable, Hashable {
    public var kind: ExprKind
    /// The expression's text, parentheses included: the span of `(a + b)` covers both parentheses.
    public var span: SourceSpan

    public init(kind: ExprKind, span: SourceSpan) {
        self.kind = kind
        self.span = span
    }
}

public struct Identifier: Sendable, Hashable {
    public var name: String
    public var span: SourceSpan

    public init(name: String, span: SourceSpan) {
        self.name = name
        self.span = span
    }
}

public enum StatementKind: Sendable, Hashable {
    /// `a = e`, or `a, b = e` to destructure a function that returns several values.
    case assign(targets: [Identifier], value: ExprID)
    case expression(ExprID)
    /// `backward J`
    case backward(ExprID)
    /// `%sql SELECT 1` → `("sql", "SELECT 1")`; the argument is the rest of the line, trimmed, raw
    /// (a `#` in it is not a comment: `%sql SELECT '#'`).
    case lineMagic(name: String, argument: String)
    /// `%%sql --write` on the cell's first line → `("sql", "--write", body)`; the body is the rest of the
    /// cell after that line, raw.
    case cellMagic(name: String, argument: String, body: String)
    /// `w?` (detail false) / `w??` (detail true)
    case inspect(name: String, detail: Bool)
}

public struct Statement: Sendable, Hashable {
    public var kind: StatementKind
    public var span: SourceSpan
    /// The arena indices of this statement's expressions. They are contiguous and in bottom-up order, so
    /// the last one is the statement's root expression.
    public var expressions: Range<Int>

    public init(kind: StatementKind, span: SourceSpan, expressions: Range<Int>) {
        self.kind = kind
        self.span = span
        self.expressions = expressions
    }
}

/// A parsed cell: statements over a flat arena of expressions.
///
/// The arena keeps the tree flat: a child always has a smaller index than its parent, so evaluating a
/// statement's `expressions` range in index order is a bottom-up walk with no recursion, and dropping
/// the tree frees one array however deep the expression was.
public struct CellSyntax: Sendable {
    public var source: String
    /// The statements that parsed cleanly, in source order.
    public var statements: [Statement]
    /// Everything that is wrong, in source order. A statement with an error is left out of `statements`
    /// and parsing goes on with the next statement.
    public var diagnostics: [Diagnostic]
    public var expressions: [Expr]

    public init(source: String, statements: [Statement], diagnostics: [Diagnostic], expressions: [Expr]) {
        self.source = source
        self.statements = statements
        self.diagnostics = diagnostics
        self.expressions = expressions
    }

    /// Whether any diagnostic is an error (warnings do not stop a cell).
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// The expression `id` names. `id` must come from this cell.
    public subscript(id: ExprID) -> Expr {
        expressions[Int(id.index)]
    }

    /// The source text of `span`. Offsets outside the source are clamped, never trapped on.
    public func text(of span: SourceSpan) -> Substring {
        let utf8 = source.utf8
        let count = utf8.count
        let lower = min(max(0, span.start.offset), count)
        let upper = min(max(lower, span.end.offset), count)
        let start = utf8.index(utf8.startIndex, offsetBy: lower)
        let end = utf8.index(start, offsetBy: upper - lower)
        return source[start ..< end]
    }

    /// The source text of an expression, e.g. to store a definition's text.
    public func text(of id: ExprID) -> Substring {
        text(of: self[id].span)
    }
}
