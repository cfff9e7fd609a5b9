public enum Severity: String, Sendable {
    case error, warning, note
}

/// Something wrong (or worth saying) about a place in the source.
///
/// Front ends never print diagnostics themselves as they are found: the lexer and parser collect them,
/// and whoever shows them calls `rendered(source:origin:lineOffset:)` so that the CLI, the REPL and a
/// Jupyter traceback all look alike.
public struct Diagnostic: Error, Hashable, Sendable {
    /// A stable identifier, e.g. `"E0201"`. The ids GradLang emits are the raw values of `SyntaxErrorCode`
    /// (`E00xx` limits, `E01xx` lexical, `E02xx` syntax); later stages pick their own range (E03xx and up).
    public var id: String
    public var severity: Severity
    /// What is wrong, in one line.
    public var message: String
    public var span: SourceSpan?
    /// Extra lines shown as `note: …`, e.g. both shapes of a shape mismatch.
    public var notes: [String]
    /// How to fix it, shown as `help: …`, e.g. "did you mean 'w'?".
    public var fixIt: String?

    public init(
        id: String,
        severity: Severity = .error,
        message: String,
        span: SourceSpan?,
        notes: [String] = [],
        fixIt: String? = nil
    ) {
        self.id = id
        self.severity = severity
        self.message = message
        self.span = span
        self.notes = notes
        self.fixIt = fixIt
    }

    /// An error with one of GradLang's own ids.
    public init(
        _ code: SyntaxErrorCode,
        _ message: String,
        span: SourceSpan?,
        notes: [String] = [],
        fixIt: String? = nil
    ) {
        self.init(id: code.rawValue, severity: .error, message: message, span: span, notes: notes, fixIt: fixIt)
    }
}

/// Every id the lexer and parser emit. The raw value is `Diagnostic.id`; ids never change meaning.
public enum SyntaxErrorCode: String, Sendable, CaseIterable {
    // Limits
    /// The cell is larger than the front end can address (2 GiB).
    case sourceTooLarge = "E0001"
    /// More errors than `Parser.errorLimit`; parsing stopped.
    case tooManyErrors = "E0002"
    /// Brackets, calls, unary minuses or `^` chains nested deeper than `Parser.nestingLimit`.
    case nestedTooDeeply = "E0003"
    /// Input bytes that are not UTF-8 (a binary file, a Latin-1 export): found before lexing,
    /// by `InvalidUTF8.find`, since a `String` cannot hold them.
    case invalidUTF8 = "E0004"

    // Lexical
    /// A character that starts no token: `$`, `'`, `!`, a control character, …
    case unexpectedCharacter = "E0101"
    /// A non-ASCII character outside a string or comment (e.g. `−` or `×` pasted from a document).
    case nonASCIICharacter = "E0102"
    /// A `"` with no closing `"` on the same line.
    case unterminatedString = "E0103"
    /// A `\` in a string followed by anything but `"`, `\`, `n` or `t`.
    case invalidEscape = "E0104"
    /// A number that does not follow `digits[.digits][e[+-]digits]`: `1e`, `1.2.3`, `0x1`, `1abc`.
    case malformedNumber = "E0105"
    /// A number too large for a 64-bit float (`1e400`).
    case numberOutOfRange = "E0106"
    /// A `%` that does not start a line (magics are `%name` at the start of a line).
    case misplacedPercent = "E0107"
    /// `%%name` on a line other than the cell's first.
    case misplacedCellMagic = "E0108"
    /// `%` or `%%` without a magic name after it.
    case missingMagicName = "E0109"

    // Syntax
    /// An operand was needed: `x = 2 *`, `f(,)`, `()`.
    case expectedExpression = "E0201"
    /// A token that cannot appear where it is: `x = 1)`, `x = 1 2`.
    case unexpectedToken = "E0202"
    /// A `(` or `[` that is never closed; the span is the opening bracket.
    case unclosedBracket = "E0203"
    /// A closing bracket of the wrong kind: `(1]`.
    case mismatchedBracket = "E0204"
    /// The left side of `=` is not a name: `1 = x`, `f(x) = 2`.
    case invalidAssignmentTarget = "E0205"
    /// Assigning to `true`, `false` or `backward`.
    case assignmentToReservedWord = "E0206"
    /// `f(a=1, 2)`: positional arguments must come first.
    case positionalAfterKeyword = "E0207"
    /// `f(a=1, a=2)`.
    case duplicateKeywordArgument = "E0208"
    /// `a, a = f()`.
    case duplicateAssignmentTarget = "E0209"
    /// `(x)(1)`, `x.T(1)`: only a function name can be called.
    case invalidCallee = "E0210"
    /// `x.` not followed by a name.
    case expectedAttributeName = "E0211"
    /// `x[]`, `x[1,,2]`, `x[1:2:3:4]`.
    case invalidIndex = "E0212"
    /// `x = y = 1`.
    case chainedAssignment = "E0213"
    /// A `?` that is not `name?` / `name??` at the end of a statement.
    case invalidInspect = "E0214"
    /// `a, b` without `= expr`.
    case expectedAssignment = "E0215"
}
