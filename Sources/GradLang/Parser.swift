/// Parses cells. Never fails and never prints: problems come back as `CellSyntax.diagnostics`.
public enum Parser {
    /// How deeply brackets, calls, unary minuses and `^` chains may nest. The parser itself uses no
    /// recursion; the limit keeps every later consumer of the tree safe too, and no real cell comes near it.
    public static let nestingLimit = 256
    /// After this many errors a cell's parse stops with E0002.
    public static let errorLimit = 50

    public static func parse(_ source: String) -> CellSyntax {
        let bytes = Array(source.utf8)
        // ExprIDs are Int32 and every expression owns at least one byte of source.
        guard bytes.count < Int(Int32.max) else {
            let diagnostic = Diagnostic(
                .sourceTooLarge, "cell is too large (limit 2 GiB)", span: nil,
                fixIt: "split it into several cells")
            return CellSyntax(source: source, statements: [], diagnostics: [diagnostic], expressions: [])
        }
        var parser = CellParser(bytes: bytes)
        parser.parseCell()
        return CellSyntax(
            source: source,
            statements: parser.statements,
            diagnostics: sortedBySourceOrder(parser.stream.collector),
            expressions: parser.expressions)
    }

    /// Diagnostics in source order (the parser reports some, e.g. an unclosed bracket, after later
    /// lexical ones); E0002 stays last.
    private static func sortedBySourceOrder(_ collector: DiagnosticCollector) -> [Diagnostic] {
        var diagnostics = collector.diagnostics
        let limitNotice = collector.isFull ? diagnostics.popLast() : nil
        let ordered = diagnostics.enumerated().sorted { lhs, rhs in
            let left = lhs.element.span?.start.offset ?? -1
            let right = rhs.element.span?.start.offset ?? -1
            return left != right ? left < right : lhs.offset < rhs.offset
        }
        diagnostics = ordered.map(\.element)
        if let limitNotice { diagnostics.append(limitNotice) }
        return diagnostics
    }
}

/// The parser's state for one cell. Statements are parsed here; expressions in `ExpressionParser.swift`.
struct CellParser {
    let source: SourceBytes
    var stream: TokenStream
    var expressions: [Expr] = []
    var statements: [Statement] = []

    /// The constructs waiting for an operand, innermost last (the iterative parser's explicit stack).
    var pending: [PendingConstruct] = []
    /// List elements, call arguments and index components of all open brackets, flat, so that adding
    /// one never copies an array held inside an enum payload.
    var pendingItems: [ExprID] = []
    var pendingArguments: [Argument] = []
    var pendingComponents: [IndexComponent] = []
    /// Entries of `pending` that count toward `Parser.nestingLimit`.
    var nesting = 0
    /// Entries of `pending` that are open brackets.
    var openBrackets = 0

    /// The statement being parsed has an error (possibly one that did not stop its parse).
    var statementFailed = false
    /// The last error was the cell ending inside a bracket or after an operator: more input could fix it.
    var endedInsideOpenConstruct = false
    /// Offsets of `(` and `[` that no bracket ever closes; computed on the first error inside brackets.
    var unmatchedOpenerOffsets: Set<Int>?

    init(bytes: [UInt8]) {
        source = SourceBytes(bytes: bytes)
        stream = TokenStream(bytes: bytes)
    }

    mutating func parseCell() {
        while !stream.collector.isFull {
            while stream.peekKind() == .newline || stream.peekKind() == .semicolon { stream.advance() }
            if stream.peekKind() == .endOfInput { break }
            parseStatement()
        }
    }

    private mutating func parseStatement() {
        let first = stream.peek()
        let arenaStart = expressions.count
        statementFailed = false
        guard let kind = parseStatementKind(startingWith: first), expectEndOfStatement(after: kind), !statementFailed
        else {
            expressions.removeSubrange(arenaStart...)
            return
        }
        let end = stream.previous?.span.end ?? first.span.end
        statements.append(Statement(
            kind: kind, span: SourceSpan(start: first.span.start, end: end),
            expressions: arenaStart ..< expressions.count))
    }

    private mutating func parseStatementKind(startingWith first: Token) -> StatementKind? {
        switch first.kind {
        case .lineMagic:
            stream.advance()
            let name = String(source.text(of: first).dropFirst())
            let argument = stream.consume(.magicArgument).map { source.text(of: $0) } ?? ""
            return .lineMagic(name: name, argument: argument)
        case .cellMagic:
            stream.advance()
            let name = String(source.text(of: first).dropFirst(2))
            let argument = stream.consume(.magicArgument).map { source.text(of: $0) } ?? ""
            _ = stream.consume(.newline)
            let body = stream.consume(.magicBody).map { source.text(of: $0) } ?? ""
            return .cellMagic(name: name, argument: argument, body: body)
        case .name, .keyword:
            switch stream.peekKind(1) {
            case .equal, .comma:
                return parseAssignment()
            case .question, .doubleQuestion:
                let nameToken = stream.advance()
                let mark = stream.advance()
                return .inspect(name: source.text(of: nameToken), detail: mark.kind == .doubleQuestion)
            default:
                if first.kind == .keyword, source.text(of: first) == "backward" {
                    stream.advance()
                    return parseExpression(introducedBy: first).map(StatementKind.backward)
                }
            }
        default:
            break
        }
        return parseExpression(introducedBy: nil).map(StatementKind.expression)
    }

    /// `a = e` or `a, b = e`; entered with a name (or reserved word) followed by `=` or `,`.
    private mutating func parseAssignment() -> StatementKind? {
        var targets: [Identifier] = []
        var seen: Set<String> = []
        while true {
            let token = stream.peek()
            guard token.kind == .name || token.kind == .keyword else {
                if token.kind == .error { return failQuietly() }
                return fail(Diagnostic(
                    .invalidAssignmentTarget, "expected a name after ',', found \(describe(token))",
                    span: spanForFound(token),
                    fixIt: "the left side of '=' is one or more names: 'a, b = f(x)'"))
            }
            stream.advance()
            let target = Identifier(name: source.text(of: token), span: token.span)
            if token.kind == .keyword {
                reportNonFatal(Diagnostic(
                    .assignmentToReservedWord, "cannot assign to '\(target.name)': it is a reserved word",
                    span: target.span, fixIt: "choose another name"))
            } else if !seen.insert(target.name).inserted {
                reportNonFatal(Diagnostic(
                    .duplicateAssignmentTarget, "'\(target.name)' is assigned twice in one statement",
                    span: target.span, fixIt: "give each value its own name"))
            }
            targets.append(target)
            if stream.consume(.comma) != nil { continue }
            if let equal = stream.consume(.equal) {
                return parseExpression(introducedBy: equal).map { StatementKind.assign(targets: targets, value: $0) }
            }
            let next = stream.peek()
            if next.kind == .error { return failQuietly() }
            let names = Lexer.quoted(targets.map(\.name).joined(separator: ", "), limit: 40)
            let found = Self.isEndOfStatement(next.kind) ? "" : ", found \(describe(next))"
            return fail(Diagnostic(
                .expectedAssignment, "expected '=' after \(names)\(found)",
                span: spanForFound(next),
                fixIt: "several names take the values of one call: 'X, y = moons(100)'"))
        }
    }

    /// Checks that the statement ends here (line break, `;` or end of cell), reporting what follows if not.
    private mutating func expectEndOfStatement(after kind: StatementKind) -> Bool {
        let token = stream.peek()
        if Self.isEndOfStatement(token.kind) { return true }
        if token.kind == .error { return failQuietly() != nil }
        let diagnostic: Diagnostic
        switch token.kind {
        case .equal:
            if case .assign = kind {
                diagnostic = Diagnostic(
                    .chainedAssignment, "chained assignment 'a = b = …' is not supported", span: token.span,
                    fixIt: "assign one name per statement")
            } else {
                let target = statementRootSpan(kind).map { SourceSpan(start: $0.start, end: token.span.end) }
                diagnostic = Diagnostic(
                    .invalidAssignmentTarget, "cannot assign to an expression; the left side of '=' must be a name",
                    span: target ?? token.span, fixIt: "write 'name = expression'")
            }
        case .question, .doubleQuestion:
            diagnostic = Diagnostic(
                .invalidInspect, "'?' inspects a name and ends the statement", span: token.span,
                fixIt: "write 'w?' or 'w??'")
        case .rightParen, .rightBracket:
            let text = source.text(of: token)
            let opener = token.kind == .rightParen ? "(" : "["
            diagnostic = Diagnostic(
                .unexpectedToken, "unexpected '\(text)'", span: token.span,
                fixIt: "remove it, or add the matching '\(opener)' before it")
        case .comma:
            diagnostic = Diagnostic(
                .unexpectedToken, "unexpected ','", span: token.span,
                fixIt: "to take several values from one call write 'a, b = f(...)'")
        default:
            diagnostic = Diagnostic(
                .unexpectedToken, "unexpected \(describe(token)); expected the end of the statement",
                span: token.span,
                fixIt: "insert an operator, or start a new statement with a line break or ';'")
        }
        return fail(diagnostic) != nil
    }

    private func statementRootSpan(_ kind: StatementKind) -> SourceSpan? {
        switch kind {
        case .expression(let id), .backward(let id), .assign(_, let id):
            expressions.indices.contains(Int(id.index)) ? expressions[Int(id.index)].span : nil
        default:
            nil
        }
    }

    static func isEndOfStatement(_ kind: TokenKind) -> Bool {
        kind == .newline || kind == .semicolon || kind == .endOfInput
    }

    // MARK: Errors and recovery

    /// Reports an error that ends the statement and skips to its end. Always returns nil.
    mutating func fail<T>(_ diagnostic: Diagnostic, skipRest: Bool = true) -> T? {
        stream.report(diagnostic)
        statementFailed = true
        if skipRest { skipRestOfStatement() }
        return nil
    }

    /// An `.error` token: the lexer has already said what is wrong with it.
    mutating func failQuietly<T>() -> T? {
        statementFailed = true
        skipRestOfStatement()
        return nil
    }

    /// Reports an error after which the statement still parses (so that its other errors show too).
    mutating func reportNonFatal(_ diagnostic: Diagnostic) {
        stream.report(diagnostic)
        statementFailed = true
    }

    /// Skips to the line break or `;` that ends the statement, stepping over whole bracketed groups.
    /// Brackets that are never closed are not waited for, or one missing `)` would swallow the cell.
    mutating func skipRestOfStatement() {
        var depth = openBracketsThatClose()
        while true {
            switch stream.peekKind() {
            case .endOfInput:
                return
            case .newline, .semicolon:
                if depth == 0 { return }
            case .leftParen, .leftBracket:
                depth += 1
            case .rightParen, .rightBracket:
                depth = max(0, depth - 1)
            default:
                break
            }
            stream.advance()
        }
    }

    private mutating func openBracketsThatClose() -> Int {
        guard openBrackets > 0 else { return 0 }
        let unmatched = unmatchedOpeners()
        return pending.reduce(0) { count, construct in
            guard let opener = construct.opener else { return count }
            return unmatched.contains(opener.span.start.offset) ? count : count + 1
        }
    }

    /// Pairs brackets over the whole cell (one extra lexing pass, done at most once per cell). A closer
    /// pairs with the innermost opener of its kind, and openers it skips over stay unmatched; a closer
    /// with no opener of its kind is ignored.
    mutating func unmatchedOpeners() -> Set<Int> {
        if let unmatchedOpenerOffsets { return unmatchedOpenerOffsets }
        var lexer = Lexer(bytes: source.bytes)
        var open: [Token] = []
        // Open parentheses and brackets on `open`: a closer without a partner is dismissed in O(1), and
        // the search for a partner only passes over openers it then removes, so the pass stays linear.
        var openParentheses = 0
        var openSquareBrackets = 0
        var unmatched: Set<Int> = []
        while true {
            let token = lexer.next()
            if token.kind == .endOfInput { break }
            if token.kind.isOpeningBracket {
                open.append(token)
                if token.kind == .leftParen { openParentheses += 1 } else { openSquareBrackets += 1 }
            } else if token.kind.isClosingBracket {
                let opener: TokenKind = token.kind == .rightParen ? .leftParen : .leftBracket
                guard (opener == .leftParen ? openParentheses : openSquareBrackets) > 0,
                      let match = open.lastIndex(where: { $0.kind == opener })
                else { continue }
                for removed in open[match...] {
                    if removed.kind == .leftParen { openParentheses -= 1 } else { openSquareBrackets -= 1 }
                    if removed.span.start.offset != open[match].span.start.offset {
                        unmatched.insert(removed.span.start.offset)
                    }
                }
                open.removeSubrange(match...)
            }
        }
        for token in open { unmatched.insert(token.span.start.offset) }
        unmatchedOpenerOffsets = unmatched
        return unmatched
    }

    // MARK: Describing tokens in messages

    mutating func describe(_ token: Token) -> String {
        switch token.kind {
        case .newline: return "the end of the line"
        case .endOfInput: return "the end of the cell"
        case .name: return "name \(Lexer.quoted(source.text(of: token)))"
        case .number: return "number \(Lexer.quoted(source.text(of: token)))"
        case .string: return "a string"
        case .lineMagic, .cellMagic: return "magic \(Lexer.quoted(source.text(of: token)))"
        default: return Lexer.quoted(source.text(of: token))
        }
    }

    /// Where to point for "expected X, found `token`": at the token, or, when the line or cell ended
    /// there, at the token before it (the `*` of `x = 2 *`).
    mutating func spanForFound(_ token: Token) -> SourceSpan {
        guard token.kind == .newline || token.kind == .endOfInput, let previous = stream.previous else {
            return token.span
        }
        return previous.span
    }
}
