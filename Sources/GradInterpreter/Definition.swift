import GradLang
import GradTensor

/// One named node of the notebook as the user wrote it. The engine graph is derived from the
/// definitions (and rebuilt from them when one is redefined), so a definition keeps what is
/// needed to evaluate it again: a leaf keeps its value, an op node keeps its syntax.
public struct Definition: Sendable {
    public enum Body: Sendable {
        /// A value with no inputs. Params are the only leaves that training changes.
        case leaf(Tensor, isParam: Bool)
        /// An expression over other named nodes, re-evaluated whenever one of them changes.
        case expression(CellSyntax, root: ExprID, range: Range<Int>)
    }

    public var name: String
    public var body: Body
    /// The definition's right-hand side as written (`w * x`), shown by `%explain` and stored.
    public var sourceText: String
    /// Named nodes the expression refers to, in order of first mention.
    public var dependencies: [String]
    /// Which cell (the session's execution count) defined it, for `name?` and the database.
    public var cellNumber: Int
    /// Where the definition was written, to point at it in later errors.
    public var span: SourceSpan

    public var isParam: Bool {
        if case .leaf(_, let isParam) = body { return isParam }
        return false
    }

    public var isLeaf: Bool {
        if case .leaf = body { return true }
        return false
    }
}
