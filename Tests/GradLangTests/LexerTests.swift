import GradLang
import Testing

@Suite struct LexerTests {
    private func kinds(_ source: String) -> [TokenKind] {
        Lexer.tokenize(source).map(\.kind)
    }

    private func texts(_ source: String) -> [String] {
        let bytes = Array(source.utf8)
        return Lexer.tokenize(source).map {
            String(decoding: bytes[$0.span.start.offset ..< $0.span.end.offset], as: UTF8.self)
        }
    }

    @Test func operatorsAndPunctuation() {
        #expect(kinds("+ - * / @ ^ ** = , : ; . ? ?? ( ) [ ]") == [
            .plus, .minus, .star, .slash, .at, .caret, .starStar, .equal, .comma, .colon, .semicolon, .dot,
            .question, .doubleQuestion, .leftParen, .rightParen, .leftBracket, .rightBracket, .endOfInput,
        ])
        #expect(texts("a**-b") == ["a", "**", "-", "b", ""])
    }

    @Test func namesKeywordsNumbersStrings() {
        #expect(kinds("x _y9 true false backward backwards")
            == [.name, .name, .keyword, .keyword, .keyword, .name, .endOfInput])
        #expect(texts("[2, 0.5, .5, 1e-3, 2.5E+4, 3.]").filter { $0.count > 1 || $0.first?.isNumber == true }
            == ["2", "0.5", ".5", "1e-3", "2.5E+4", "3."])
        #expect(kinds("2; .5; backward .5 * J") == [
            .number, .semicolon, .number, .semicolon, .keyword, .number, .star, .name, .endOfInput,
        ])
        #expect(texts(#"s = "a \"q\" \\ b""#) == ["s", "=", #""a \"q\" \\ b""#, ""])
    }

    @Test func dotAfterAnOperandIsAttributeAccess() {
        #expect(kinds("x.5") == [.name, .dot, .number, .endOfInput])
        #expect(kinds("x .5") == [.name, .dot, .number, .endOfInput])
        #expect(kinds("f(x).T") == [.name, .leftParen, .name, .rightParen, .dot, .name, .endOfInput])
        #expect(kinds("a[0].T") == [.name, .leftBracket, .number, .rightBracket, .dot, .name, .endOfInput])
        #expect(kinds("(.5)") == [.leftParen, .number, .rightParen, .endOfInput])
        #expect(kinds("2*.5") == [.number, .star, .number, .endOfInput])
    }

    @Test func commentsAndLineBreaksAreTokens() {
        #expect(kinds("x = 1 # one\n\ny") == [.name, .equal, .number, .comment, .newline, .newline, .name, .endOfInput])
        #expect(texts("x # c\r\ny") == ["x", "# c\r", "\n", "y", ""])
        // Inside brackets too: the parser, not the lexer, decides which line breaks end statements.
        #expect(kinds("(\n)") == [.leftParen, .newline, .rightParen, .endOfInput])
    }

    @Test func magics() {
        #expect(kinds("%sql SELECT 'a' -- $x") == [.lineMagic, .magicArgument, .endOfInput])
        #expect(texts("  %time  y = x * 2  \nz") == ["%time", "y = x * 2", "\n", "z", ""])
        #expect(kinds("%who") == [.lineMagic, .endOfInput])
        #expect(texts("%%sql --write\nSELECT 1;\n") == ["%%sql", "--write", "\n", "SELECT 1;\n", ""])
        #expect(kinds("%%sql --write\nSELECT 1;\n") == [.cellMagic, .magicArgument, .newline, .magicBody, .endOfInput])
        // `%` inside brackets or mid-line is no magic.
        #expect(kinds("f(\n%x)").contains(.error))
        #expect(kinds("x % 2").contains(.error))
    }

    @Test func errorTokensCarryDiagnostics() {
        let (tokens, diagnostics) = Lexer.scan("a $ 1e 'q' é")
        #expect(tokens.map(\.kind) == [.name, .error, .error, .error, .error, .endOfInput])
        #expect(diagnostics.map(\.id) == ["E0101", "E0105", "E0101", "E0102"])
        #expect(diagnostics.map { $0.span?.start.column ?? 0 } == [3, 5, 8, 12])
    }

    @Test func locationsCountCharactersAndLines() throws {
        let source = "s = \"naïve ∑\" + x\n\tyé = 1"
        let tokens = Lexer.tokenize(source)
        let plus = try #require(tokens.first { $0.kind == .plus })
        #expect(plus.span.start == SourceLocation(line: 1, column: 15, offset: 17))
        let x = try #require(tokens.first { $0.kind == .name && $0.span.start.line == 1 && $0.span.start.column > 1 })
        #expect(x.span.start.column == 17)
        let y = try #require(tokens.first { $0.span.start.line == 2 })
        #expect(y.span.start == SourceLocation(line: 2, column: 2, offset: 22))
        let error = try #require(tokens.first { $0.kind == .error })
        #expect(error.span.start.column == 3)
        let one = try #require(tokens.first { $0.kind == .number })
        #expect(one.span.start == SourceLocation(line: 2, column: 7, offset: 28))
        #expect(one.span.end == SourceLocation(line: 2, column: 8, offset: 29))
    }

    @Test func everyByteIsCoveredOnce() {
        let source = "x = [1, 2.5e3]  # c\n%who\nf(a=\"s\") ?? $ é\r\n"
        let tokens = Lexer.tokenize(source)
        var previousEnd = 0
        for token in tokens {
            #expect(token.span.start.offset >= previousEnd)
            #expect(token.span.end.offset >= token.span.start.offset)
            previousEnd = token.span.end.offset
        }
        #expect(tokens.last?.kind == .endOfInput)
        #expect(tokens.last?.span.start.offset == source.utf8.count)
    }
}
