/// Splits a cell into tokens, one at a time.
///
/// The lexer never fails: text that is no token becomes an `.error` token and a diagnostic in
/// `diagnostics`, and lexing goes on after it. It works on UTF-8 bytes (everything but strings, comments
/// and magic text is ASCII) and keeps just enough state for the two context-dependent decisions:
/// `%` starts a magic only at the start of a line outside brackets, and `.5` is a number only where an
/// operand may start (`x.5` is `x` `.` `5`).
public struct Lexer: Sendable {
    let bytes: [UInt8]
    let source: SourceBytes
    /// `ByteClass.table` and `ByteClass.flags`, held here so the hot path reads stored properties, not
    /// lazily initialized globals.
    private let classes = ByteClass.table
    private let flags = ByteClass.flags
    private var position = 0
    private var tracker = LocationTracker()
    private var bracketDepth = 0
    private var atLineStart = true
    private var sawNonBlankLine = false
    private var previousSignificant: TokenKind = .newline
    /// Tokens already made (a magic line yields several at once), last one first.
    private var queued: [Token] = []
    private var hasQueued = false
    /// Diagnostics for the `.error` tokens returned so far.
    public internal(set) var diagnostics: [Diagnostic] = []
    /// Off once the parser has all the errors it will show: messages are then not even built.
    var reportsDiagnostics = true
    /// The diagnostic about the token being scanned, if any.
    private var problem: Problem?

    public init(_ source: String) {
        self.init(bytes: Array(source.utf8))
    }

    init(bytes: [UInt8]) {
        self.bytes = bytes
        source = SourceBytes(bytes: bytes)
    }

    /// Every token of `source`, ending with `.endOfInput`, comments included (for syntax colouring).
    public static func tokenize(_ source: String) -> [Token] {
        scan(source).tokens
    }

    /// Every token and the lexical diagnostics (at most `Parser.errorLimit` of them, then E0002).
    public static func scan(_ source: String) -> (tokens: [Token], diagnostics: [Diagnostic]) {
        var lexer = Lexer(source)
        var collector = DiagnosticCollector()
        var tokens: [Token] = []
        while true {
            let token = lexer.next()
            tokens.append(token)
            collector.take(&lexer.diagnostics)
            if token.kind == .endOfInput { break }
        }
        return (tokens, collector.diagnostics)
    }

    /// The next token; after the end, `.endOfInput` again and again.
    public mutating func next() -> Token {
        if hasQueued { return dequeue() }
        skipWhitespace()
        let start = position
        let startLocation = location(at: start)
        guard start < bytes.count else {
            return Token(kind: .endOfInput, span: SourceSpan(at: startLocation))
        }
        let byteClass = classes[Int(bytes[start])]
        if case .newline = byteClass {
            position += 1
            let token = Token(kind: .newline, span: SourceSpan(start: startLocation, end: location(at: position)))
            tracker.startLine(at: position)
            atLineStart = true
            return token
        }
        if case .percent = byteClass, atLineStart, bracketDepth == 0 {
            return lexMagic(start: start, startLocation: startLocation)
        }
        let kind = scanToken(byteClass, at: start, startLocation: startLocation)
        let span = SourceSpan(start: startLocation, end: location(at: position))
        switch kind {
        case .comment:
            break
        case .error:
            if let problem {
                self.problem = nil
                report(Diagnostic(problem.code, problem.message, span: span, fixIt: problem.fixIt))
            }
            fallthrough
        default:
            atLineStart = false
            previousSignificant = kind
        }
        sawNonBlankLine = true
        return Token(kind: kind, span: span)
    }

    private mutating func dequeue() -> Token {
        let token = queued.removeLast()
        hasQueued = queued.count > 0
        return token
    }

    /// A diagnostic about the whole token being scanned.
    private struct Problem {
        var code: SyntaxErrorCode
        var message: String
        var fixIt: String?
    }

    private mutating func report(_ diagnostic: @autoclosure () -> Diagnostic) {
        if reportsDiagnostics { diagnostics.append(diagnostic()) }
    }

    /// Marks the token being scanned as an error. Callers pass nil unless `reportsDiagnostics`, so that
    /// messages nobody will see are not built.
    private mutating func fail(_ problem: Problem?) -> TokenKind {
        self.problem = problem
        return .error
    }

    private mutating func scanToken(_ byteClass: ByteClass, at start: Int, startLocation: SourceLocation) -> TokenKind {
        position = start + 1
        switch byteClass {
        case .letter:
            skipNameCharacters()
            return source.isReservedWord(start ..< position) ? .keyword : .name
        case .digit:
            return scanNumber(from: start)
        case .leftParen:
            bracketDepth += 1
            return .leftParen
        case .rightParen:
            bracketDepth = max(0, bracketDepth - 1)
            return .rightParen
        case .leftBracket:
            bracketDepth += 1
            return .leftBracket
        case .rightBracket:
            bracketDepth = max(0, bracketDepth - 1)
            return .rightBracket
        case .comma: return .comma
        case .equal: return .equal
        case .plus: return .plus
        case .minus: return .minus
        case .slash: return .slash
        case .at: return .at
        case .caret: return .caret
        case .colon: return .colon
        case .semicolon: return .semicolon
        case .dot:
            if source.isDigit(at: start + 1), !previousSignificant.endsOperand { return scanNumber(from: start) }
            return .dot
        case .star:
            if source.byte(at: position) == Byte.star {
                position += 1
                return .starStar
            }
            return .star
        case .question:
            if source.byte(at: position) == Byte.question {
                position += 1
                return .doubleQuestion
            }
            return .question
        case .hash:
            skipToEndOfLine()
            return .comment
        case .quote:
            return scanString(from: start, startLocation: startLocation)
        case .apostrophe:
            return scanSingleQuoted(from: start)
        case .percent:
            return fail(Problem(
                code: .misplacedPercent, message: "unexpected '%'",
                fixIt: "a magic such as '%who' must start a line; there is no '%' operator"))
        case .nonASCII:
            return scanNonASCII(from: start)
        case .stray, .space, .newline:
            return scanStrayCharacters(from: start)
        }
    }

    // MARK: Numbers

    private mutating func scanNumber(from start: Int) -> TokenKind {
        position = start
        skipDigits()
        if source.byte(at: position) == Byte.dot {
            position += 1
            skipDigits()
        }
        var exponentLacksDigits = false
        if let e = source.byte(at: position), e == Byte.lowerE || e == Byte.upperE {
            position += 1
            if let sign = source.byte(at: position), sign == Byte.plus || sign == Byte.minus { position += 1 }
            if source.isDigit(at: position) {
                skipDigits()
            } else {
                exponentLacksDigits = true
            }
        }
        let wellFormedEnd = position
        // Letters, digits or dots glued on (`1.2.3`, `0x1`, `2x`) make the whole run one malformed number.
        while let byte = source.byte(at: position), Byte.isNameContinue(byte) || byte == Byte.dot { position += 1 }
        guard exponentLacksDigits || position > wellFormedEnd else { return .number }
        return fail(reportsDiagnostics ? numberProblem(start: start, wellFormedEnd: wellFormedEnd) : nil)
    }

    private func numberProblem(start: Int, wellFormedEnd: Int) -> Problem {
        let literal = source.text(from: start, to: position)
        let shown = Self.quoted(literal)
        let fixIt: String
        if literal.hasPrefix("0x") || literal.hasPrefix("0X") || literal.hasPrefix("0b") || literal.hasPrefix("0o") {
            fixIt = "only decimal numbers are supported"
        } else if literal.contains("_") && literal.allSatisfy({ $0.isNumber || $0 == "_" || $0 == "." }) {
            fixIt = "write the number without '_' separators"
        } else if literal.filter({ $0 == "." }).count > 1 {
            fixIt = "a number has at most one '.'"
        } else if let last = literal.last, "eE+-".contains(last) {
            fixIt = "an exponent needs digits, as in '1e-3'"
        } else {
            let number = source.text(from: start, to: wellFormedEnd)
            let rest = source.text(from: wellFormedEnd, to: position)
            if let first = rest.utf8.first, Byte.isNameStart(first), rest.utf8.allSatisfy(Byte.isNameContinue) {
                fixIt = "write '\(number) * \(rest)' to multiply"
            } else {
                fixIt = "numbers look like '2', '0.5', '.5', '1e-3' or '2.5E+4'"
            }
        }
        return Problem(code: .malformedNumber, message: "malformed number \(shown)", fixIt: fixIt)
    }

    // MARK: Strings

    /// Scans `"…"`; reports an unterminated string at its opening quote and bad escapes where they are.
    private mutating func scanString(from start: Int, startLocation: SourceLocation) -> TokenKind {
        position = start + 1
        var valid = true
        while let current = source.byte(at: position), current != Byte.newline {
            switch current {
            case Byte.quote:
                position += 1
                return valid ? .string : .error
            case Byte.backslash:
                let next = source.byte(at: position + 1)
                if let next,
                   next == Byte.quote || next == Byte.backslash || next == Byte.lowerN || next == Byte.lowerT {
                    position += 2
                } else if next == nil || next == Byte.newline {
                    position += 1
                } else {
                    valid = false
                    scanInvalidEscape(at: position)
                }
            default:
                if current >= 0x80 { tracker.noteNonASCII(at: position) }
                position += 1
            }
        }
        let quoteEnd = SourceLocation(line: startLocation.line, column: startLocation.column + 1, offset: start + 1)
        report(Diagnostic(
            .unterminatedString, "unterminated string",
            span: SourceSpan(start: startLocation, end: quoteEnd),
            fixIt: "close it with '\"' on the same line"))
        return .error
    }

    private mutating func scanInvalidEscape(at backslash: Int) {
        let escapeStart = location(at: backslash)
        var end = backslash + 1
        if let lead = source.byte(at: end) {
            if lead >= 0x80 { tracker.noteNonASCII(at: end) }
            end = min(bytes.count, end + Byte.scalarLength(lead))
        }
        position = end
        let escapeEnd = location(at: end)
        let text = source.text(from: backslash, to: end)
        report(Diagnostic(
            .invalidEscape, "unknown escape sequence \(Self.quoted(text)) in a string",
            span: SourceSpan(start: escapeStart, end: escapeEnd),
            fixIt: "the escapes are \\\" \\\\ \\n \\t; write '\\\\' for a backslash"))
    }

    /// `'text'`: one error token for the whole would-be string.
    private mutating func scanSingleQuoted(from start: Int) -> TokenKind {
        position = start + 1
        while let current = source.byte(at: position), current != Byte.newline, current != Byte.apostrophe {
            if current >= 0x80 { tracker.noteNonASCII(at: position) }
            position += 1
        }
        if source.byte(at: position) == Byte.apostrophe { position += 1 }
        return fail(Problem(
            code: .unexpectedCharacter, message: "unexpected \"'\"", fixIt: "strings use double quotes: \"...\""))
    }

    // MARK: Stray characters

    private mutating func scanNonASCII(from start: Int) -> TokenKind {
        tracker.noteNonASCII(at: start)
        while position < bytes.count, bytes[position] >= 0x80 { position += 1 }
        return fail(reportsDiagnostics ? nonASCIIProblem(start: start) : nil)
    }

    private func nonASCIIProblem(start: Int) -> Problem {
        let text = source.text(from: start, to: position)
        let plural = text.count > 1 ? "s" : ""
        return Problem(
            code: .nonASCIICharacter,
            message: "unexpected non-ASCII character\(plural) \(Self.quoted(text))",
            fixIt: Self.suggestion(forNonASCII: text.unicodeScalars.first))
    }

    private mutating func scanStrayCharacters(from start: Int) -> TokenKind {
        position = start + 1
        while position < bytes.count, case .stray = classes[Int(bytes[position])] { position += 1 }
        return fail(reportsDiagnostics ? strayProblem(start: start) : nil)
    }

    private func strayProblem(start: Int) -> Problem {
        let text = source.text(from: start, to: position)
        let plural = text.count > 1 ? "s" : ""
        let fixIt: String? = switch bytes[start] {
        case Byte.backslash: "a line goes on by itself while '(' or '[' is open or after a trailing operator"
        case Byte.leftBrace, Byte.rightBrace: "lists are written with '[' and ']'"
        case Byte.backtick: "strings use double quotes: \"...\""
        default: nil
        }
        return Problem(
            code: .unexpectedCharacter, message: "unexpected character\(plural) \(Self.quoted(text))",
            fixIt: fixIt)
    }

    private static func suggestion(forNonASCII scalar: Unicode.Scalar?) -> String? {
        guard let scalar else { return nil }
        switch scalar.value {
        case 0x2212, 0x2010, 0x2011, 0x2012, 0x2013, 0x2014: return "replace it with the ASCII '-'"
        case 0x00D7, 0x00B7, 0x22C5, 0x2217: return "replace it with '*'"
        case 0x00F7, 0x2215: return "replace it with '/'"
        case 0x201C, 0x201D, 0x201E, 0x2018, 0x2019: return "strings use the ASCII double quote '\"'"
        case 0x00A0, 0x2000 ... 0x200B, 0x202F, 0x205F, 0x3000, 0xFEFF: return "replace it with a plain space"
        default:
            if scalar.properties.isAlphabetic {
                return "names use only the ASCII letters, digits and '_'"
            }
            return nil
        }
    }

    // MARK: Magics

    /// `%name args` or `%%name args` + body. Yields the magic, its trimmed argument (if any), and for
    /// a cell magic the line break and the raw body.
    private mutating func lexMagic(start: Int, startLocation: SourceLocation) -> Token {
        let isCellMagic = source.byte(at: start + 1) == Byte.percent
        position = start + (isCellMagic ? 2 : 1)
        if let first = source.byte(at: position), Byte.isNameStart(first) {
            skipNameCharacters()
        }
        let nameEnd = position
        let magicSpan = SourceSpan(start: startLocation, end: location(at: nameEnd))
        let hasName = nameEnd > start + (isCellMagic ? 2 : 1)
        atLineStart = false
        previousSignificant = .lineMagic
        let onFirstLine = !sawNonBlankLine
        sawNonBlankLine = true

        if !hasName || (isCellMagic && !onFirstLine) {
            if !hasName {
                report(Diagnostic(
                    .missingMagicName, "expected a magic name after '\(isCellMagic ? "%%" : "%")'",
                    span: magicSpan, fixIt: "for example '%who' or '%%sql'; '%help' lists them"))
            } else {
                let name = source.text(from: start + 2, to: nameEnd)
                report(Diagnostic(
                    .misplacedCellMagic, "cell magic '%%\(name)' must be on the first line of the cell",
                    span: magicSpan,
                    fixIt: "move it to the first line, or use the line magic '%\(name)'"))
            }
            // A cell magic's body is not code: lexing it would only add errors that are not there.
            if isCellMagic {
                advanceToEnd()
            } else {
                skipToEndOfLine()
            }
            return Token(kind: .error, span: SourceSpan(start: startLocation, end: location(at: position)))
        }

        var tokens = [Token(kind: isCellMagic ? .cellMagic : .lineMagic, span: magicSpan)]
        while position < bytes.count, bytes[position] == Byte.space || bytes[position] == Byte.tab { position += 1 }
        let argumentStart = position
        let argumentStartLocation = location(at: argumentStart)
        skipToEndOfLine()
        var argumentEnd = position
        while argumentEnd > argumentStart, Byte.isWhitespace(bytes[argumentEnd - 1]) { argumentEnd -= 1 }
        if argumentEnd > argumentStart {
            let span = SourceSpan(start: argumentStartLocation, end: location(at: argumentEnd))
            tokens.append(Token(kind: .magicArgument, span: span))
        }
        if isCellMagic, source.byte(at: position) == Byte.newline {
            let newlineLocation = location(at: position)
            position += 1
            tokens.append(Token(kind: .newline, span: SourceSpan(start: newlineLocation, end: location(at: position))))
            tracker.startLine(at: position)
            let bodyStart = position
            let bodyStartLocation = location(at: bodyStart)
            advanceToEnd()
            if position > bodyStart {
                let bodySpan = SourceSpan(start: bodyStartLocation, end: location(at: position))
                tokens.append(Token(kind: .magicBody, span: bodySpan))
            }
        }
        queued = tokens.reversed()
        hasQueued = true
        return dequeue()
    }

    // MARK: Scanning helpers

    private mutating func location(at offset: Int) -> SourceLocation {
        if offset <= tracker.firstNonASCIIOnLine {
            return SourceLocation(line: tracker.line, column: offset - tracker.lineStart + 1, offset: offset)
        }
        return tracker.location(at: offset, in: bytes)
    }

    // The byte loops are written for debug builds, where they are the lexer's cost: the arrays are read
    // into locals once (a stored array read inside the loop is a retain and a release per byte), the test
    // is a flag mask (no enum comparison call), and no predicate closure is called per byte.

    private mutating func skipWhitespace() {
        skip(ByteClass.spaceFlag)
    }

    private mutating func skipDigits() {
        skip(ByteClass.digitFlag)
    }

    private mutating func skipNameCharacters() {
        skip(ByteClass.nameFlag)
    }

    /// Advances over bytes whose flags have any bit of `mask`.
    private mutating func skip(_ mask: UInt8) {
        let bytes = self.bytes
        let flags = self.flags
        let count = bytes.count
        var index = position
        while index < count, flags[Int(bytes[index])] & mask != 0 { index += 1 }
        position = index
    }

    /// Up to (not over) the next line break, noting non-ASCII text for column counting.
    private mutating func skipToEndOfLine() {
        while position < bytes.count, bytes[position] != Byte.newline {
            if bytes[position] >= 0x80 { tracker.noteNonASCII(at: position) }
            position += 1
        }
    }

    /// To the end of the source, keeping line numbers right.
    private mutating func advanceToEnd() {
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if byte == Byte.newline {
                tracker.startLine(at: position)
            } else if byte >= 0x80 {
                tracker.noteNonASCII(at: position - 1)
            }
        }
    }

    /// `text` in single quotes for a message, control characters spelled `U+0007`, long text cut.
    static func quoted(_ text: String, limit: Int = 24) -> String {
        var shown = ""
        var count = 0
        for character in text {
            if count == limit {
                shown += "…"
                break
            }
            if let scalar = character.unicodeScalars.first, character.unicodeScalars.count == 1,
               scalar.value < 0x20 || scalar.value == 0x7F {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                shown += "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            } else {
                shown.append(character)
            }
            count += 1
        }
        return "'\(shown)'"
    }
}

extension TokenKind {
    /// Tokens after which a `.` is attribute access rather than the start of `.5`. (Not keywords:
    /// `backward .5 * J` must work, and `true.x` means nothing either way.)
    var endsOperand: Bool {
        switch self {
        case .name, .number, .string, .rightParen, .rightBracket: true
        default: false
        }
    }
}

/// ASCII bytes by name, and byte classes.
enum Byte {
    static let tab = UInt8(ascii: "\t")
    static let newline = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let quote = UInt8(ascii: "\"")
    static let hash = UInt8(ascii: "#")
    static let percent = UInt8(ascii: "%")
    static let apostrophe = UInt8(ascii: "'")
    static let leftParen = UInt8(ascii: "(")
    static let rightParen = UInt8(ascii: ")")
    static let star = UInt8(ascii: "*")
    static let plus = UInt8(ascii: "+")
    static let minus = UInt8(ascii: "-")
    static let dot = UInt8(ascii: ".")
    static let zero = UInt8(ascii: "0")
    static let nine = UInt8(ascii: "9")
    static let question = UInt8(ascii: "?")
    static let upperE = UInt8(ascii: "E")
    static let leftBracket = UInt8(ascii: "[")
    static let backslash = UInt8(ascii: "\\")
    static let rightBracket = UInt8(ascii: "]")
    static let underscore = UInt8(ascii: "_")
    static let backtick = UInt8(ascii: "`")
    static let lowerE = UInt8(ascii: "e")
    static let lowerN = UInt8(ascii: "n")
    static let lowerT = UInt8(ascii: "t")
    static let leftBrace = UInt8(ascii: "{")
    static let rightBrace = UInt8(ascii: "}")

    static func isDigit(_ byte: UInt8) -> Bool { byte >= zero && byte <= nine }

    static func isNameStart(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == underscore
    }

    static func isNameContinue(_ byte: UInt8) -> Bool { isNameStart(byte) || isDigit(byte) }

    /// Space, tab, carriage return, form feed, vertical tab (not the line break).
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == space || byte == tab || byte == 0x0D || byte == 0x0C || byte == 0x0B
    }

    /// How many bytes the UTF-8 sequence starting with `lead` has.
    static func scalarLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: 4
        case 0xE0...: 3
        case 0xC0...: 2
        default: 1
        }
    }
}

/// What a byte can start. The lexer dispatches on a table of these: in a debug build a `switch` over
/// byte values compiles to a chain of generic `~=` calls, a `switch` over an enum to one jump.
enum ByteClass {
    case stray, space, newline, letter, digit, nonASCII
    case dot, quote, apostrophe, hash, percent, star, question
    case leftParen, rightParen, leftBracket, rightBracket
    case plus, minus, slash, at, caret, equal, comma, colon, semicolon

    static let spaceFlag: UInt8 = 1
    static let digitFlag: UInt8 = 2
    /// Letters, digits and `_`.
    static let nameFlag: UInt8 = 4

    static let flags: [UInt8] = table.enumerated().map { byte, byteClass in
        switch byteClass {
        case .space: spaceFlag
        case .digit: digitFlag | nameFlag
        case .letter: nameFlag
        default: 0
        }
    }

    static let table: [ByteClass] = {
        var table = [ByteClass](repeating: .stray, count: 256)
        for byte in 0x80 ... 0xFF { table[byte] = .nonASCII }
        for byte in UInt8(ascii: "a") ... UInt8(ascii: "z") { table[Int(byte)] = .letter }
        for byte in UInt8(ascii: "A") ... UInt8(ascii: "Z") { table[Int(byte)] = .letter }
        for byte in UInt8(ascii: "0") ... UInt8(ascii: "9") { table[Int(byte)] = .digit }
        let others: [(Unicode.Scalar, ByteClass)] = [
            ("_", .letter), (" ", .space), ("\t", .space), ("\r", .space), ("\u{0B}", .space), ("\u{0C}", .space),
            ("\n", .newline), (".", .dot), ("\"", .quote), ("'", .apostrophe), ("#", .hash), ("%", .percent),
            ("*", .star), ("?", .question), ("(", .leftParen), (")", .rightParen), ("[", .leftBracket),
            ("]", .rightBracket), ("+", .plus), ("-", .minus), ("/", .slash), ("@", .at), ("^", .caret),
            ("=", .equal), (",", .comma), (":", .colon), (";", .semicolon),
        ]
        for (scalar, byteClass) in others { table[Int(scalar.value)] = byteClass }
        return table
    }()
}
