import GradLang
import Testing

@Suite struct RenderingTests {
    @Test func expectedExpressionInACell() throws {
        let source = "x = -2\nJ = 0.5 * \n"
        let diagnostic = try #require(Parser.parse(source).diagnostics.first)
        #expect(diagnostic.rendered(source: source) == """
            2:9: error: expected an expression after '*'
            J = 0.5 * 
                    ^
            """)
    }

    @Test func multiLineCellWithOriginLineOffsetAndTab() throws {
        let source = "w = param(2)\n\tc = w *  (x +\n\t  1]\nd = 3"
        let diagnostic = try #require(Parser.parse(source).diagnostics.first)
        #expect(diagnostic.rendered(source: source, origin: "notebooks/01.grad", lineOffset: 13) == """
            notebooks/01.grad:16:5: error: expected ')' to close '(' from 2:11, found ']'
            \t  1]
            \t   ^
            note: '(' is at 2:11
            help: write ')' here, or remove the extra ']'
            """)
    }

    @Test func spanUnderlinesWithTildesAndStopsAtTheLineEnd() throws {
        let source = "y = 1.2.3 + 4\nz = 1"
        let diagnostic = try #require(Parser.parse(source).diagnostics.first)
        #expect(diagnostic.rendered(source: source, origin: "<cell 3>") == """
            <cell 3>:1:5: error: malformed number '1.2.3'
            y = 1.2.3 + 4
                ^~~~~
            help: a number has at most one '.'
            """)
        let multiLine = Diagnostic(
            id: "E0999", message: "spans lines",
            span: SourceSpan(
                start: SourceLocation(line: 1, column: 9, offset: 8),
                end: SourceLocation(line: 2, column: 3, offset: 16)))
        #expect(multiLine.rendered(source: source) == """
            1:9: error: spans lines
            y = 1.2.3 + 4
                    ^~~~~
            """)
    }

    @Test func wideCharactersAndNonASCIIColumns() throws {
        let source = "s = \"数据\" + é"
        let diagnostic = try #require(Parser.parse(source).diagnostics.first)
        #expect(diagnostic.span?.start.column == 12)
        #expect(diagnostic.rendered(source: source) == """
            1:12: error: unexpected non-ASCII character 'é'
            s = "数据" + é
                         ^
            help: names use only the ASCII letters, digits and '_'
            """)
    }

    @Test func withoutSpanOrOrigin() {
        let diagnostic = Diagnostic(
            id: "E0301", severity: .warning, message: "J became NaN", span: nil,
            notes: ["first at node 'd' (op log)"], fixIt: "check the inputs of 'd'")
        #expect(diagnostic.rendered(source: "") == """
            warning: J became NaN
            note: first at node 'd' (op log)
            help: check the inputs of 'd'
            """)
        #expect(diagnostic.rendered(source: "", origin: "cell.grad") == """
            cell.grad: warning: J became NaN
            note: first at node 'd' (op log)
            help: check the inputs of 'd'
            """)
    }

    @Test func emptySpanAtTheEndAndSpansOutsideTheSource() {
        let source = "x = (1"
        let end = SourceLocation(line: 1, column: 7, offset: 6)
        let atEnd = Diagnostic(id: "E0000", message: "here", span: SourceSpan(at: end))
        #expect(atEnd.rendered(source: source) == "1:7: error: here\nx = (1\n      ^")
        // A span from another source never traps: offsets are clamped, lines come from the span.
        let outside = Diagnostic(
            id: "E0000", message: "elsewhere",
            span: SourceSpan(
                start: SourceLocation(line: 9, column: 50, offset: 500),
                end: SourceLocation(line: 9, column: 60, offset: 510)))
        #expect(outside.rendered(source: source, lineOffset: Int.max) == "9:50: error: elsewhere\nx = (1\n      ^")
        let inside = Diagnostic(
            id: "E0000", message: "mid-character",
            span: SourceSpan(start: SourceLocation(line: 1, column: 2, offset: 2), end: .start))
        #expect(inside.rendered(source: "aé") == "1:2: error: mid-character\naé\n ^")
    }

    @Test func controlCharactersAreNotPrintedRaw() throws {
        let source = "x = \u{1B}[31m"
        let diagnostic = try #require(Parser.parse(source).diagnostics.first)
        let rendered = diagnostic.rendered(source: source)
        #expect(!rendered.unicodeScalars.contains("\u{1B}"))
        #expect(rendered.hasPrefix("1:5: error: unexpected character 'U+001B'"))
    }

    @Test func textOfSpansIsClamped() {
        let syntax = Parser.parse("x = 1")
        let inside = SourceSpan(
            start: SourceLocation(line: 1, column: 5, offset: 4), end: SourceLocation(line: 1, column: 6, offset: 5))
        #expect(syntax.text(of: inside) == "1")
        let beyond = SourceSpan(
            start: SourceLocation(line: 1, column: 1, offset: -3), end: SourceLocation(line: 1, column: 9, offset: 99))
        #expect(syntax.text(of: beyond) == "x = 1")
        let reversed = SourceSpan(start: SourceLocation(line: 1, column: 5, offset: 4), end: .start)
        #expect(syntax.text(of: reversed) == "")
    }
}
