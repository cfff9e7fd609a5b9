/// Words that look like names but are not: they cannot be assigned.
public let reservedWords: Set<String> = ["true", "false", "backward"]

public enum TokenKind: UInt8, Sendable, Hashable {
    case name
    /// One of `reservedWords`.
    case keyword
    case number
    case string

    case plus, minus, star, slash, at
    /// `^`
    case caret
    /// `**`, the other spelling of `^`
    case starStar
    case equal, comma, colon, semicolon, dot
    /// `?` after a name: inspect.
    case question
    /// `??` after a name: inspect in detail.
    case doubleQuestion
    case leftParen, rightParen, leftBracket, rightBracket

    /// The end of a line. Emitted for every line break; the parser decides which ones end statements.
    case newline
    /// `# …` to the end of the line (kept for syntax colouring; the parser skips it).
    case comment
    /// `%name` at the start of a line.
    case lineMagic
    /// `%%name` on the cell's first line.
    case cellMagic
    /// The rest of a magic's line, trimmed; raw text, not tokenized.
    case magicArgument
    /// Everything after a cell magic's first line, raw.
    case magicBody
    /// Text that is no token; the lexer reported a diagnostic for it.
    case error
    case endOfInput

    /// The binary operator this token spells, if any.
    var binaryOperator: BinaryOperator? {
        switch self {
        case .plus: .add
        case .minus: .subtract
        case .star: .multiply
        case .slash: .divide
        case .at: .matmul
        case .caret, .starStar: .power
        default: nil
        }
    }

    /// Spelled out so that callers bind to it directly: the synthesized `==` is reached through the
    /// `Equatable` witness table from other files, several times slower in a debug build's hot loop.
    public static func == (lhs: TokenKind, rhs: TokenKind) -> Bool {
        lhs.rawValue == rhs.rawValue
    }

    var isOpeningBracket: Bool { self == .leftParen || self == .leftBracket }
    var isClosingBracket: Bool { self == .rightParen || self == .rightBracket }
}

public struct Token: Sendable, Hashable {
    public var kind: TokenKind
    public var span: SourceSpan

    public init(kind: TokenKind, span: SourceSpan) {
        self.kind = kind
        self.span = span
    }
}
