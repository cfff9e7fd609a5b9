/// A construct whose operand is still being parsed: the iterative parser's explicit stack frame.
/// Plain values only (spans, not strings), so that pushing and popping never touches a reference count.
enum PendingConstruct {
    /// `lhs op _`
    case binary(BinaryOperator, lhs: ExprID, operatorSpan: SourceSpan)
    /// `-_`
    case negate(minus: SourceSpan)
    /// `(_)`
    case group(open: SourceSpan)
    /// `[a, b, _`; the elements so far are `pendingItems[firstItem...]`.
    case list(open: SourceSpan, firstItem: Int)
    /// `f(a, label=_`; the arguments so far are `pendingArguments[firstArgument...]`.
    case call(callee: SourceSpan, open: SourceSpan, firstArgument: Int, label: SourceSpan?)
    /// `x[i, a:_`; the finished components are `pendingComponents[firstComponent...]`.
    case index(base: ExprID, open: SourceSpan, firstComponent: Int, slice: SliceInProgress)

    /// The `(` or `[` of a bracketed construct.
    var opener: Opener? {
        switch self {
        case .group(let open), .call(_, let open, _, _): Opener(span: open, isParenthesis: true)
        case .list(let open, _), .index(_, let open, _, _): Opener(span: open, isParenthesis: false)
        case .binary, .negate: nil
        }
    }

    /// Left-associative chains (`1+1+…+1`) never stack up, so only these count toward the limit.
    var countsTowardNesting: Bool {
        switch self {
        case .binary(let op, _, _): op == .power
        default: true
        }
    }
}

struct Opener {
    var span: SourceSpan
    var isParenthesis: Bool

    var text: String { isParenthesis ? "(" : "[" }
    var closer: String { isParenthesis ? ")" : "]" }
}

/// The parts of an index component seen so far: `start`, `:`, `stop`, `:`, `step`.
struct SliceInProgress {
    var colons = 0
    var start: ExprID?
    var stop: ExprID?
    var step: ExprID?

    var isEmpty: Bool { colons == 0 && start == nil }

    /// Whether the part after the last `:` is still to come (`x[1:` then `2`), as opposed to `x[1:2 3]`.
    var nextPartIsFree: Bool { colons == 1 ? stop == nil : step == nil }

    var component: IndexComponent? {
        if colons == 0 { return start.map(IndexComponent.single) }
        return .slice(start: start, stop: stop, step: step)
    }
}

/// Where the iterative expression parser is.
private enum ParseStep {
    /// An operand must come next (after an operator, an opening bracket, a `,`).
    case needOperand
    /// `ExprID` was just completed; postfix, infix or closing tokens may follow.
    case haveOperand(ExprID)
    case finished(ExprID)
    case failed
}

/// Expressions: operator precedence parsing with an explicit stack instead of recursion, so that
/// neither deep nesting nor long chains can overflow the call stack. Left-associative operators are
/// folded as soon as the next operator is seen; `^` and brackets wait on the `pending` stack.
extension CellParser {
    /// Parses one expression. `introducer` is the token before it (`=`, `backward`), nil at the start of a
    /// statement; it names the place in "expected an expression after '='".
    mutating func parseExpression(introducedBy introducer: Token?) -> ExprID? {
        resetExpressionState()
        defer { resetExpressionState() }
        var step = ParseStep.needOperand
        while true {
            switch step {
            case .needOperand:
                step = parseOperand(introducer: introducer)
            case .haveOperand(let operand):
                step = continueAfter(operand)
            case .finished(let expression):
                return expression
            case .failed:
                return nil
            }
        }
    }

    private mutating func resetExpressionState() {
        // After a clean parse the stacks are already empty; only a failure leaves anything behind.
        if pending.count > 0 { pending.removeAll(keepingCapacity: true) }
        if pendingItems.count > 0 { pendingItems.removeAll(keepingCapacity: true) }
        if pendingArguments.count > 0 { pendingArguments.removeAll(keepingCapacity: true) }
        if pendingComponents.count > 0 { pendingComponents.removeAll(keepingCapacity: true) }
        nesting = 0
        openBrackets = 0
    }

    // MARK: Operands

    private mutating func parseOperand(introducer: Token?) -> ParseStep {
        // After an operator or inside brackets an expression goes on over line breaks, unless the next
        // line after a trailing operator plainly starts a statement of its own (`b = 2 *` then `c = 3`).
        if pending.count > 0 {
            let continuesAfterOperator = openBrackets == 0 && stream.peekKind() == .newline
            stream.skipLineBreaks()
            if continuesAfterOperator, nextLineStartsStatement(), let operatorToken = stream.previous {
                let message = "expected an expression after '\(source.text(of: operatorToken))'"
                return fail(Diagnostic(.expectedExpression, message, span: operatorToken.span), skipRest: false)
                    ?? .failed
            }
        }
        let token = stream.peek()
        switch token.kind {
        case .minus:
            stream.advance()
            return push(.negate(minus: token.span), at: token) ? .needOperand : .failed
        case .leftParen:
            stream.advance()
            guard push(.group(open: token.span), at: token) else { return .failed }
            stream.skipLineBreaks()
            if stream.peekKind() == .rightParen {
                return fail(Diagnostic(
                    .expectedExpression, "expected an expression inside '()'",
                    span: token.span.union(stream.peek().span))) ?? .failed
            }
            return .needOperand
        case .leftBracket:
            stream.advance()
            guard push(.list(open: token.span, firstItem: pendingItems.count), at: token) else { return .failed }
            stream.skipLineBreaks()
            if let close = stream.consume(.rightBracket) {
                return closeList(close: close)
            }
            return .needOperand
        case .number:
            stream.advance()
            return number(token)
        case .string:
            stream.advance()
            return .haveOperand(append(.string(Self.decodeString(token, in: source)), span: token.span))
        case .keyword:
            let word = source.text(of: token)
            guard word == "true" || word == "false" else {
                return fail(Diagnostic(
                    .expectedExpression, "'\(word)' starts a statement; it is not a value", span: token.span,
                    fixIt: "write 'backward J' on a line of its own")) ?? .failed
            }
            stream.advance()
            return .haveOperand(append(.boolean(word == "true"), span: token.span))
        case .name:
            stream.advance()
            guard let open = stream.consume(.leftParen) else {
                return .haveOperand(append(.name(source.text(of: token)), span: token.span))
            }
            let call = PendingConstruct.call(
                callee: token.span, open: open.span, firstArgument: pendingArguments.count, label: nil)
            return push(call, at: open) ? startArgument() : .failed
        case .error:
            return failQuietly() ?? .failed
        default:
            return failExpectedOperand(found: token, introducer: introducer)
        }
    }

    /// `name =`, `a, b =`, `name?`, `backward …` or a magic: a statement, not an operand.
    private mutating func nextLineStartsStatement() -> Bool {
        let token = stream.peek()
        switch token.kind {
        case .lineMagic, .cellMagic:
            return true
        case .name, .keyword:
            switch stream.peekKind(1) {
            case .equal, .comma, .question, .doubleQuestion: return true
            default: return token.kind == .keyword && source.text(of: token) == "backward"
            }
        default:
            return false
        }
    }

    private mutating func number(_ token: Token) -> ParseStep {
        if let value = Self.smallInteger(token.span, in: source.bytes) {
            return .haveOperand(append(.number(value), span: token.span))
        }
        let text = source.text(of: token)
        guard let value = Double(text), value.isFinite else {
            return fail(Diagnostic(
                .numberOutOfRange, "number \(Lexer.quoted(text)) is too large for a 64-bit float",
                span: token.span, fixIt: "the largest float is about 1.8e308")) ?? .failed
        }
        return .haveOperand(append(.number(value), span: token.span))
    }

    /// The value of a number token of at most 15 digits and nothing else: exact in a Double, and much
    /// cheaper than `Double(String)` in a debug build, where numbers are most of a cell's tokens.
    private static func smallInteger(_ span: SourceSpan, in bytes: [UInt8]) -> Double? {
        let start = span.start.offset
        let end = span.end.offset
        guard end - start <= 15, start >= 0, end <= bytes.count, start < end else { return nil }
        var value = 0
        var index = start
        while index < end {
            let digit = Int(bytes[index]) - 0x30
            guard digit >= 0, digit <= 9 else { return nil }
            value = value * 10 + digit
            index += 1
        }
        return Double(value)
    }

    /// The value of a string token the lexer accepted (so its escapes are valid).
    private static func decodeString(_ token: Token, in source: SourceBytes) -> String {
        let bytes = source.bytes
        let lower = min(token.span.start.offset + 1, bytes.count)
        let upper = max(lower, min(token.span.end.offset - 1, bytes.count))
        var decoded: [UInt8] = []
        decoded.reserveCapacity(upper - lower)
        var index = lower
        while index < upper {
            var byte = bytes[index]
            if byte == Byte.backslash, index + 1 < upper {
                index += 1
                switch bytes[index] {
                case Byte.lowerN: byte = Byte.newline
                case Byte.lowerT: byte = Byte.tab
                default: byte = bytes[index]
                }
            }
            decoded.append(byte)
            index += 1
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    // MARK: After an operand

    private mutating func continueAfter(_ completed: ExprID) -> ParseStep {
        var operand = completed
        // Postfix: index, attribute.
        while true {
            if openBrackets > 0 { stream.skipLineBreaks() }
            let token = stream.peek()
            switch token.kind {
            case .leftBracket:
                stream.advance()
                let index = PendingConstruct.index(
                    base: operand, open: token.span, firstComponent: pendingComponents.count, slice: SliceInProgress())
                return push(index, at: token) ? startIndexComponent() : .failed
            case .dot:
                stream.advance()
                let name = stream.peek()
                guard name.kind == .name else {
                    if name.kind == .error { return failQuietly() ?? .failed }
                    return fail(Diagnostic(
                        .expectedAttributeName, "expected an attribute name after '.', found \(describe(name))",
                        span: spanForFound(name), fixIt: "for example 'x.T', 'x.shape' or 'w.grad'")) ?? .failed
                }
                stream.advance()
                let kind = ExprKind.attribute(operand, name: source.text(of: name), nameSpan: name.span)
                operand = append(kind, span: expressions[Int(operand.index)].span.union(name.span))
            case .leftParen:
                return fail(Diagnostic(
                    .invalidCallee, "only a function name can be called", span: token.span,
                    fixIt: Self.isNumber(expressions[Int(operand.index)])
                        ? "write '*' to multiply: '2 * (x)'" : "call a function by name: 'exp(x)'")) ?? .failed
            default:
                return continueAfterPostfix(operand, next: token)
            }
        }
    }

    private mutating func continueAfterPostfix(_ completed: ExprID, next token: Token) -> ParseStep {
        if let op = token.kind.binaryOperator {
            let operand = reduce(completed, before: op)
            stream.advance()
            let binary = PendingConstruct.binary(op, lhs: operand, operatorSpan: token.span)
            return push(binary, at: token) ? .needOperand : .failed
        }
        let operand = reduce(completed, before: nil)
        guard let innermost = Self.top(pending) else { return .finished(operand) }
        switch innermost {
        case .group(let open):
            guard let close = stream.consume(.rightParen) else { return failInsideBracket(expected: "')'") }
            pop()
            // The parentheses belong to the expression's text: `(a + b) * c` starts at `(`.
            expressions[Int(operand.index)].span = open.union(close.span)
            return .haveOperand(operand)
        case .list:
            if stream.consume(.comma) != nil {
                pendingItems.append(operand)
                stream.skipLineBreaks()
                if let close = stream.consume(.rightBracket) { return closeList(close: close) }
                return .needOperand
            }
            guard let close = stream.consume(.rightBracket) else { return failInsideBracket(expected: "',' or ']'") }
            pendingItems.append(operand)
            return closeList(close: close)
        case .call:
            if stream.consume(.comma) != nil {
                appendArgument(operand)
                return startArgument()
            }
            guard let close = stream.consume(.rightParen) else { return failInsideBracket(expected: "',' or ')'") }
            appendArgument(operand)
            return closeCall(close: close)
        case .index(let base, let open, let first, var slice):
            switch stream.peekKind() {
            case .colon, .comma, .rightBracket:
                switch slice.colons {
                case 0: slice.start = operand
                case 1: slice.stop = operand
                default: slice.step = operand
                }
                pending[pending.count - 1] = .index(base: base, open: open, firstComponent: first, slice: slice)
                return startIndexComponent()
            default:
                return failInsideBracket(expected: "':', ',' or ']'")
            }
        case .binary, .negate:
            // `reduce(_:before: nil)` leaves only brackets on top.
            return .finished(operand)
        }
    }

    /// Folds pending operators that bind at least as tightly as `next` (all of them for nil) into `operand`.
    private mutating func reduce(_ completed: ExprID, before next: BinaryOperator?) -> ExprID {
        var operand = completed
        while let top = Self.top(pending) {
            switch top {
            case .binary(let op, let lhs, _):
                if let next {
                    let tighter = op.precedence > next.precedence
                    let leftAssociativeTie = op.precedence == next.precedence && !next.isRightAssociative
                    guard tighter || leftAssociativeTie else { return operand }
                }
                pop()
                let span = expressions[Int(lhs.index)].span.union(expressions[Int(operand.index)].span)
                operand = append(.binary(op, lhs, operand), span: span)
            case .negate(let minus):
                if let next, next.precedence > negationPrecedence { return operand }
                pop()
                operand = append(.negate(operand), span: minus.union(expressions[Int(operand.index)].span))
            default:
                return operand
            }
        }
        return operand
    }

    // MARK: Brackets

    /// After `(` or `,` in a call: `)` closes it, `label=` starts a keyword argument.
    private mutating func startArgument() -> ParseStep {
        stream.skipLineBreaks()
        if let close = stream.consume(.rightParen) { return closeCall(close: close) }
        let labelToken = stream.peek()
        if labelToken.kind == .name, stream.peekKind(1) == .equal,
           case .call(let callee, let open, let first, _) = Self.top(pending) {
            stream.advance()
            stream.advance()
            pending[pending.count - 1] = .call(callee: callee, open: open, firstArgument: first, label: labelToken.span)
        }
        return .needOperand
    }

    private mutating func appendArgument(_ value: ExprID) {
        guard case .call(let callee, let open, let first, let label) = Self.top(pending) else { return }
        // Positional after keyword is reported as soon as it is seen (so `f(a=1, 2,` is an error, not an
        // unfinished line); once per run of positional arguments, which the previous argument tells.
        if label == nil, pendingArguments.count > first, pendingArguments[pendingArguments.count - 1].labelSpan != nil,
           !stream.collector.isFull {
            var firstKeyword = ""
            for argument in pendingArguments[first...] {
                if let name = argument.label {
                    firstKeyword = name
                    break
                }
            }
            reportNonFatal(Diagnostic(
                .positionalAfterKeyword, "positional argument after keyword argument '\(firstKeyword)'",
                span: expressions[Int(value.index)].span,
                fixIt: "put positional arguments first, as in 'randn(3, 4, seed=1)'"))
        }
        pendingArguments.append(Argument(label: label.map { source.text(of: $0) }, labelSpan: label, value: value))
        pending[pending.count - 1] = .call(callee: callee, open: open, firstArgument: first, label: nil)
    }

    private mutating func closeCall(close: Token) -> ParseStep {
        guard case .call(let callee, _, let first, _) = Self.top(pending) else { return .failed }
        let start = min(first, pendingArguments.count)
        let arguments = Array(pendingArguments[start...])
        pendingArguments.removeSubrange(start...)
        pop()
        checkArgumentOrder(arguments)
        let kind = ExprKind.call(callee: source.text(of: callee), calleeSpan: callee, arguments: arguments)
        return .haveOperand(append(kind, span: callee.union(close.span)))
    }

    /// Each keyword once. The error leaves the call's shape intact, so the parse goes on and reports any
    /// other error of the statement too.
    private mutating func checkArgumentOrder(_ arguments: [Argument]) {
        // Calls have a handful of keywords: compare with the earlier ones rather than build a dictionary
        // for every call (which costs more than the rest of the call's parse in a debug build); switch to
        // a dictionary only for the rare call with very many, so that the check never turns quadratic.
        var earlierLabels: [Argument] = []
        var labelIndex: [String: SourceSpan] = [:]
        for argument in arguments {
            guard let label = argument.label, let labelSpan = argument.labelSpan else { continue }
            var earlier: SourceSpan?
            if earlierLabels.count < 16 {
                for previous in earlierLabels where previous.label == label {
                    earlier = previous.labelSpan
                    break
                }
                earlierLabels.append(argument)
                if earlierLabels.count == 16 {
                    for previous in earlierLabels.reversed() {
                        if let name = previous.label, let span = previous.labelSpan { labelIndex[name] = span }
                    }
                }
            } else {
                earlier = labelIndex[label]
                if earlier == nil { labelIndex[label] = labelSpan }
            }
            if let earlier {
                reportNonFatal(Diagnostic(
                    .duplicateKeywordArgument, "keyword argument '\(label)' is given twice", span: labelSpan,
                    notes: ["'\(label)' was first given at \(earlier.start)"], fixIt: "remove one of them"))
            }
        }
    }

    private mutating func closeList(close: Token) -> ParseStep {
        guard case .list(let open, let first) = Self.top(pending) else { return .failed }
        let start = min(first, pendingItems.count)
        let items = Array(pendingItems[start...])
        pendingItems.removeSubrange(start...)
        pop()
        return .haveOperand(append(.list(items), span: open.union(close.span)))
    }

    /// After `[`, `:` or `,` of an index, or after one of its operands: the separators and `]` here,
    /// or `.needOperand` for the next part.
    private mutating func startIndexComponent() -> ParseStep {
        while true {
            guard case .index(let base, let open, let first, var slice) = Self.top(pending) else { return .failed }
            stream.skipLineBreaks()
            let token = stream.peek()
            switch token.kind {
            case .colon:
                stream.advance()
                slice.colons += 1
                if slice.colons > 2 {
                    return fail(Diagnostic(
                        .invalidIndex, "a slice has at most two ':' (start:stop:step)", span: token.span)) ?? .failed
                }
                pending[pending.count - 1] = .index(base: base, open: open, firstComponent: first, slice: slice)
            case .comma:
                guard let component = slice.component else {
                    return fail(Diagnostic(
                        .invalidIndex, "expected an index before ','", span: token.span,
                        fixIt: "use ':' for a whole axis, as in 'x[:, 0]'")) ?? .failed
                }
                stream.advance()
                pendingComponents.append(component)
                pending[pending.count - 1] = .index(
                    base: base, open: open, firstComponent: first, slice: SliceInProgress())
            case .rightBracket:
                let hasComponents = pendingComponents.count > first
                if let component = slice.component {
                    pendingComponents.append(component)
                } else if !hasComponents {
                    return fail(Diagnostic(
                        .invalidIndex, "expected an index inside '[]'", span: open.union(token.span),
                        fixIt: "for example 'x[0]', 'x[:, 1]' or 'x[1:3]'")) ?? .failed
                }
                stream.advance()
                let start = min(first, pendingComponents.count)
                let components = Array(pendingComponents[start...])
                pendingComponents.removeSubrange(start...)
                pop()
                let span = expressions[Int(base.index)].span.union(token.span)
                return .haveOperand(append(.index(base, components), span: span))
            default:
                if slice.colons == 0 || slice.nextPartIsFree { return .needOperand }
                return failInsideBracket(expected: "':', ',' or ']'")
            }
        }
    }

    // MARK: The stack

    /// Pushes `construct`, or reports E0003 at `token` when that nests too deeply.
    private mutating func push(_ construct: PendingConstruct, at token: Token) -> Bool {
        if construct.countsTowardNesting {
            if nesting >= Parser.nestingLimit {
                let _: Void? = fail(Diagnostic(
                    .nestedTooDeeply, "expression is nested too deeply (limit \(Parser.nestingLimit))",
                    span: token.span, fixIt: "split it into several assignments"))
                return false
            }
            nesting += 1
        }
        if construct.opener != nil { openBrackets += 1 }
        pending.append(construct)
        return true
    }

    /// The top of a `pending` stack. (Static: a computed property of the parser would copy the whole
    /// parser struct on every call in a debug build.)
    private static func top(_ stack: [PendingConstruct]) -> PendingConstruct? {
        stack.count > 0 ? stack[stack.count - 1] : nil
    }

    private mutating func pop() {
        guard pending.count > 0 else { return }
        switch pending.removeLast() {
        case .binary(let op, _, _):
            if op == .power { nesting -= 1 }
        case .negate:
            nesting -= 1
        case .group, .list, .call, .index:
            nesting -= 1
            openBrackets -= 1
        }
    }

    private mutating func append(_ kind: ExprKind, span: SourceSpan) -> ExprID {
        // `Parser.parse` refuses sources of 2 GiB or more, and every expression owns a distinct token.
        let id = ExprID(index: Int32(truncatingIfNeeded: expressions.count))
        expressions.append(Expr(kind: kind, span: span))
        return id
    }

    private static func isNumber(_ expression: Expr) -> Bool {
        if case .number = expression.kind { return true }
        return false
    }

    // MARK: Errors

    /// No operand where one must be.
    private mutating func failExpectedOperand(found token: Token, introducer: Token?) -> ParseStep {
        if token.kind == .endOfInput, !pending.isEmpty { return failAtEndOfCell() }
        let context = pending.isEmpty ? introducer : stream.previous
        let tokenText = source.text(of: token)
        var fixIt: String?
        switch token.kind {
        case .plus: fixIt = "there is no unary '+'; remove it"
        case .question, .doubleQuestion: fixIt = "'?' goes after a name: 'w?'"
        case .equal where stream.previous?.kind == .equal: fixIt = "there is no '==' comparison; '=' assigns"
        default: break
        }
        guard let context else {
            // The statement starts with something that cannot start one.
            let message: String
            switch token.kind {
            case .rightParen, .rightBracket:
                message = "unexpected '\(tokenText)'"
                fixIt = "remove it, or add the matching '\(token.kind == .rightParen ? "(" : "[")' before it"
            case .equal:
                message = "expected a name before '='"
                return fail(Diagnostic(.invalidAssignmentTarget, message, span: token.span)) ?? .failed
            case _ where token.kind.binaryOperator != nil:
                message = "expected an expression before '\(tokenText)'"
            default:
                message = "unexpected \(describe(token))"
            }
            return fail(Diagnostic(.unexpectedToken, message, span: token.span, fixIt: fixIt)) ?? .failed
        }
        let contextText = source.text(of: context)
        let message: String
        if Self.isEndOfStatement(token.kind) {
            message = "expected an expression after '\(contextText)'"
        } else {
            message = "expected an expression after '\(contextText)', found \(describe(token))"
        }
        return fail(Diagnostic(
            .expectedExpression, message, span: spanForFound(token), fixIt: fixIt)) ?? .failed
    }

    /// A bracketed construct met a token that does not continue it.
    private mutating func failInsideBracket(expected: String) -> ParseStep {
        let token = stream.peek()
        if token.kind == .error { return failQuietly() ?? .failed }
        if token.kind == .endOfInput { return failAtEndOfCell() }
        guard let opener = innermostOpener() else { return .failed }
        if token.kind.isClosingBracket {
            let found = source.text(of: token)
            return fail(Diagnostic(
                .mismatchedBracket,
                "expected '\(opener.closer)' to close '\(opener.text)' from \(opener.span.start), found '\(found)'",
                span: token.span, notes: ["'\(opener.text)' is at \(opener.span.start)"],
                fixIt: "write '\(opener.closer)' here, or remove the extra '\(found)'")) ?? .failed
        }
        // A later line that cannot continue the bracket most likely means the bracket was never closed
        // (certainly so if no bracket closes it, or the line reads `name = …`); say so, and parse that
        // line as a statement of its own.
        if stream.followsLineBreak,
           let unclosed = innermostUnclosedOpener() ?? (nextLineStartsStatement() ? opener : nil) {
            return fail(unclosedDiagnostic(unclosed, before: token), skipRest: false) ?? .failed
        }
        let previousText = stream.previous.map { source.text(of: $0) } ?? ""
        let startsOperand = token.kind == .name || token.kind == .number || token.kind == .string
            || token.kind == .keyword
        var fixIt: String?
        if startsOperand {
            if case .group = Self.top(pending) {
                fixIt = "insert an operator between them"
            } else {
                fixIt = "insert ',' between the items, or an operator"
            }
        }
        return fail(Diagnostic(
            .unexpectedToken, "expected \(expected) after '\(previousText)', found \(describe(token))",
            span: token.span, fixIt: fixIt)) ?? .failed
    }

    /// The cell ended inside a bracket or after an operator: the one error more input could fix.
    private mutating func failAtEndOfCell() -> ParseStep {
        endedInsideOpenConstruct = true
        if let opener = innermostOpener() {
            return fail(unclosedDiagnostic(opener, before: nil)) ?? .failed
        }
        let context = stream.previous.map { source.text(of: $0) } ?? ""
        return fail(Diagnostic(
            .expectedExpression, "expected an expression after '\(context)'",
            span: stream.previous?.span ?? stream.peek().span)) ?? .failed
    }

    private func innermostOpener() -> Opener? {
        for construct in pending.reversed() {
            if let opener = construct.opener { return opener }
        }
        return nil
    }

    private mutating func innermostUnclosedOpener() -> Opener? {
        let unmatched = unmatchedOpeners()
        for construct in pending.reversed() {
            if let opener = construct.opener, unmatched.contains(opener.span.start.offset) { return opener }
        }
        return nil
    }

    private func unclosedDiagnostic(_ opener: Opener, before token: Token?) -> Diagnostic {
        var notes: [String] = []
        if let token { notes.append("the statement was still open at \(token.span.start)") }
        return Diagnostic(
            .unclosedBracket, "'\(opener.text)' was never closed", span: opener.span, notes: notes,
            fixIt: "add '\(opener.closer)' where it should end")
    }
}
