/// The parser's view of the lexer: comments dropped, up to three tokens of lookahead, the last token
/// consumed, and every diagnostic (the lexer's and the parser's) in one bounded collector.
struct TokenStream {
    private var lexer: Lexer
    // A fixed three-slot queue rather than an array: this is the parser's innermost loop.
    private var first = Token(kind: .endOfInput, span: SourceSpan(at: .start))
    private var second = Token(kind: .endOfInput, span: SourceSpan(at: .start))
    private var third = Token(kind: .endOfInput, span: SourceSpan(at: .start))
    private var buffered = 0
    /// The last consumed token other than a line break.
    private(set) var previous: Token?
    /// Whether a line break was consumed after `previous`, i.e. the next token starts a later line.
    private(set) var followsLineBreak = false
    var collector = DiagnosticCollector()

    init(bytes: [UInt8]) {
        lexer = Lexer(bytes: bytes)
    }

    private mutating func lexSignificant() -> Token {
        var token = lexer.next()
        while token.kind == .comment { token = lexer.next() }
        if lexer.diagnostics.count > 0 {
            collector.take(&lexer.diagnostics)
            // Once the collector is full, the lexer's messages would only be built to be dropped.
            if collector.isFull { lexer.reportsDiagnostics = false }
        }
        return token
    }

    /// The token `distance` (0, 1 or 2) tokens ahead.
    mutating func peek(_ distance: Int = 0) -> Token {
        if distance == 0, buffered > 0 { return first }
        while buffered <= distance {
            let token = lexSignificant()
            switch buffered {
            case 0: first = token
            case 1: second = token
            default: third = token
            }
            buffered += 1
        }
        switch distance {
        case 0: return first
        case 1: return second
        default: return third
        }
    }

    mutating func peekKind(_ distance: Int = 0) -> TokenKind {
        if distance == 0, buffered > 0 { return first.kind }
        return peek(distance).kind
    }

    @discardableResult
    mutating func advance() -> Token {
        let token = peek()
        switch token.kind {
        case .endOfInput:
            previous = token
            followsLineBreak = false
            return token
        case .newline:
            followsLineBreak = true
        default:
            previous = token
            followsLineBreak = false
        }
        first = second
        second = third
        buffered -= 1
        return token
    }

    /// Consumes the next token if it is of `kind`.
    mutating func consume(_ kind: TokenKind) -> Token? {
        peekKind() == kind ? advance() : nil
    }

    mutating func skipLineBreaks() {
        while peekKind() == .newline { advance() }
    }

    mutating func report(_ diagnostic: Diagnostic) {
        collector.report(diagnostic)
    }
}
