import GradLang
import Testing

/// One malformed cell: the diagnostics it must give (`LINE:COL ID`, in order) and a phrase of the first
/// message.
struct MalformedCase: Sendable, CustomStringConvertible {
    var source: String
    var expected: [String]
    var phrase: String

    init(_ source: String, _ expected: [String], _ phrase: String) {
        self.source = source
        self.expected = expected
        self.phrase = phrase
    }

    var description: String { String(reflecting: source) }
}

@Suite struct DiagnosticsTests {
    static let corpus: [MalformedCase] = [
        // Lexical
        MalformedCase("x = 1e", ["1:5 E0105"], "malformed number '1e'"),
        MalformedCase("x = 1e+", ["1:5 E0105"], "malformed number '1e+'"),
        MalformedCase("x = 1.2.3", ["1:5 E0105"], "malformed number '1.2.3'"),
        MalformedCase("x = 0x1", ["1:5 E0105"], "malformed number '0x1'"),
        MalformedCase("x = 2x", ["1:5 E0105"], "malformed number '2x'"),
        MalformedCase("x = 1_000", ["1:5 E0105"], "malformed number '1_000'"),
        MalformedCase("x = 1..2", ["1:5 E0105"], "malformed number '1..2'"),
        MalformedCase("x = 1e400", ["1:5 E0106"], "too large for a 64-bit float"),
        MalformedCase("s = \"abc", ["1:5 E0103"], "unterminated string"),
        MalformedCase("s = \"abc\\\"", ["1:5 E0103"], "unterminated string"),
        MalformedCase("s = \"a\\qb\"", ["1:7 E0104"], "unknown escape sequence '\\q'"),
        MalformedCase("s = \"\\é\"", ["1:6 E0104"], "unknown escape sequence '\\é'"),
        MalformedCase("x = $", ["1:5 E0101"], "unexpected character '$'"),
        MalformedCase("x = $$$ + 1", ["1:5 E0101"], "unexpected characters '$$$'"),
        MalformedCase("x = 'abc'", ["1:5 E0101"], "strings use double quotes"),
        MalformedCase("x = {1}", ["1:5 E0101", "1:7 E0101"], "unexpected character '{'"),
        MalformedCase("\u{7}", ["1:1 E0101"], "'U+0007'"),
        MalformedCase("x = a − b", ["1:7 E0102"], "unexpected non-ASCII character '−'"),
        MalformedCase("x = café", ["1:8 E0102"], "non-ASCII character 'é'"),
        MalformedCase("s = \"é\" + ∑", ["1:11 E0102"], "'∑'"),
        MalformedCase("y = x % 2", ["1:7 E0107"], "unexpected '%'"),
        MalformedCase("x = 1\n%%sql\nSELECT 1", ["2:1 E0108"], "must be on the first line"),
        MalformedCase("%", ["1:1 E0109"], "expected a magic name after '%'"),
        MalformedCase("%%", ["1:1 E0109"], "expected a magic name after '%%'"),
        MalformedCase("% who", ["1:1 E0109"], "expected a magic name"),
        // Syntax
        MalformedCase("x = 2 *", ["1:7 E0201"], "expected an expression after '*'"),
        MalformedCase("x = ", ["1:3 E0201"], "expected an expression after '='"),
        MalformedCase("x = ^ 2", ["1:5 E0201"], "after '=', found '^'"),
        MalformedCase("x = ()", ["1:5 E0201"], "inside '()'"),
        MalformedCase("f(,)", ["1:3 E0201"], "after '(', found ','"),
        MalformedCase("[,]", ["1:2 E0201"], "after '[', found ','"),
        MalformedCase("f(x=)", ["1:5 E0201"], "after '=', found ')'"),
        MalformedCase("backward", ["1:1 E0201"], "expected an expression after 'backward'"),
        MalformedCase("x = backward", ["1:5 E0201"], "it is not a value"),
        MalformedCase("x = 1 +\ny = 2", ["1:7 E0201"], "expected an expression after '+'"),
        MalformedCase("x = 1)", ["1:6 E0202"], "unexpected ')'"),
        MalformedCase(")", ["1:1 E0202"], "unexpected ')'"),
        MalformedCase("x = 1 2", ["1:7 E0202"], "unexpected number '2'"),
        MalformedCase("f(1 2)", ["1:5 E0202"], "expected ',' or ')' after '1', found number '2'"),
        MalformedCase("* 2", ["1:1 E0202"], "expected an expression before '*'"),
        MalformedCase("+x", ["1:1 E0202"], "no unary '+'"),
        MalformedCase("x , y", ["1:5 E0215"], "expected '=' after 'x, y'"),
        MalformedCase("x = (1", ["1:5 E0203"], "'(' was never closed"),
        MalformedCase("x = [1, 2", ["1:5 E0203"], "'[' was never closed"),
        MalformedCase("z = ((((1)))", ["1:5 E0203"], "'(' was never closed"),
        MalformedCase("y = f(1, 2\nx = 3", ["1:6 E0203"], "'(' was never closed"),
        MalformedCase("x = (1]", ["1:7 E0204"], "expected ')' to close '(' from 1:5, found ']'"),
        MalformedCase("x = [1)", ["1:7 E0204"], "expected ']' to close '['"),
        MalformedCase("1 = x", ["1:1 E0205"], "cannot assign to an expression"),
        MalformedCase("f(x) = 2", ["1:1 E0205"], "cannot assign to an expression"),
        MalformedCase("a, 1 = f()", ["1:4 E0205"], "expected a name after ','"),
        MalformedCase("= 3", ["1:1 E0205"], "expected a name before '='"),
        MalformedCase("true = 1", ["1:1 E0206"], "cannot assign to 'true'"),
        MalformedCase("backward = 2", ["1:1 E0206"], "cannot assign to 'backward'"),
        MalformedCase("x, false = f()", ["1:4 E0206"], "reserved word"),
        MalformedCase("f(a=1, 2)", ["1:8 E0207"], "positional argument after keyword argument 'a'"),
        MalformedCase("f(a=1, a=2)", ["1:8 E0208"], "keyword argument 'a' is given twice"),
        MalformedCase("f(a=1, a=2, 3)", ["1:8 E0208", "1:13 E0207"], "given twice"),
        MalformedCase("a, a = f()", ["1:4 E0209"], "'a' is assigned twice"),
        MalformedCase("(x)(1)", ["1:4 E0210"], "only a function name can be called"),
        MalformedCase("2(x)", ["1:2 E0210"], "only a function name"),
        MalformedCase("x.T(1)", ["1:4 E0210"], "only a function name"),
        MalformedCase("x.", ["1:2 E0211"], "expected an attribute name after '.'"),
        MalformedCase("x.1", ["1:3 E0211"], "found number '1'"),
        MalformedCase("x[]", ["1:2 E0212"], "expected an index inside '[]'"),
        MalformedCase("x[1,,2]", ["1:5 E0212"], "expected an index before ','"),
        MalformedCase("x[1:2:3:4]", ["1:8 E0212"], "at most two ':'"),
        MalformedCase("x = y = 1", ["1:7 E0213"], "chained assignment"),
        MalformedCase("1?", ["1:2 E0214"], "'?' inspects a name"),
        MalformedCase("?x", ["1:1 E0202"], "unexpected '?'"),
        MalformedCase("a, b", ["1:4 E0215"], "expected '=' after 'a, b'"),
        MalformedCase("x == 1", ["1:4 E0201"], "found '='"),
        // Several errors in one cell: each statement reports its first, in source order.
        MalformedCase("x = (1 2\ny = 3 +\nz = ]", ["1:8 E0202", "2:7 E0201", "3:5 E0201"], "expected ')'"),
        MalformedCase("a = $\nb = 1e\nc = \"x", ["1:5 E0101", "2:5 E0105", "3:5 E0103"], "'$'"),
        MalformedCase("x = f(\n  1,\n  2\n\ny = 3", ["1:6 E0203"], "never closed"),
        MalformedCase("x = [1, 2]]\ny = 2 2", ["1:11 E0202", "2:7 E0202"], "unexpected ']'"),
    ]

    @Test(arguments: corpus)
    func malformedInput(_ malformed: MalformedCase) throws {
        let syntax = Parser.parse(malformed.source)
        #expect(positions(syntax.diagnostics) == malformed.expected)
        let first = try #require(syntax.diagnostics.first)
        let said = first.message + " / " + (first.fixIt ?? "")
        #expect(said.contains(malformed.phrase), "\(said)")
        #expect(spansAreInside(syntax.diagnostics, of: malformed.source))
        #expect(syntax.diagnostics.allSatisfy { $0.severity == .error })
        #expect(syntax.hasErrors)
    }

    @Test func corpusIsLargeAndCoversEveryParseError() {
        #expect(Self.corpus.count >= 40)
        let covered = Set(Self.corpus.flatMap(\.expected).compactMap { $0.split(separator: " ").last.map(String.init) })
        let needed = SyntaxErrorCode.allCases.filter {
            ![.sourceTooLarge, .tooManyErrors, .nestedTooDeeply, .invalidUTF8].contains($0)
        }
        let missing = needed.filter { !covered.contains($0.rawValue) }
        #expect(missing.isEmpty, "\(missing)")
    }

    @Test func diagnosticIdsAreUniqueAndStable() {
        let ids = SyntaxErrorCode.allCases.map(\.rawValue)
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.count == 5 && $0.hasPrefix("E0") })
        #expect(SyntaxErrorCode.expectedExpression.rawValue == "E0201")
        #expect(SyntaxErrorCode.unclosedBracket.rawValue == "E0203")
    }

    @Test func fixItsAndNotes() throws {
        let duplicate = try #require(Parser.parse("randn(3, seed=1, seed=2)").diagnostics.first)
        #expect(duplicate.notes == ["'seed' was first given at 1:10"])
        #expect(duplicate.fixIt == "remove one of them")
        let minus = try #require(Parser.parse("x = a − b").diagnostics.first)
        #expect(minus.fixIt == "replace it with the ASCII '-'")
        let glued = try #require(Parser.parse("y = 2x").diagnostics.first)
        #expect(glued.fixIt == "write '2 * x' to multiply")
        let quotes = try #require(Parser.parse("s = “a”").diagnostics.first)
        #expect(quotes.fixIt == "strings use the ASCII double quote '\"'")
    }

    /// Expectations written inline under the line they are about, as `#   ^ ID phrase`: the caret's
    /// column is the diagnostic's column on the line above. The markers are comments, so they do not
    /// change what they describe.
    @Test func inlineExpectations() {
        checkInline("""
            x = -2
            w = param(2
            #        ^ E0203 '(' was never closed
            c = w * x +
            #         ^ E0201 expected an expression after '+'
            d = c @ [1, 2,, 3]
            #             ^ E0201 after ',', found ','
            e = d[0, :] .T
            f = e ^ ^ 2
            #       ^ E0201 after '^', found '^'
            g = sum(x, axis=1, axis=2)
            #                  ^ E0208 'axis' is given twice
            h = "tab\\tok" + "bad\\escape"
            #                   ^ E0104 unknown escape sequence '\\e'
            k = 3 ** ** 2
            #        ^ E0201 after '**', found '**'
            backward J)
            #         ^ E0202 unexpected ')'
            """)
    }

    private func checkInline(_ source: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        var expected: [String] = []
        var lastCodeLine = 0
        for (index, line) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " }
            guard trimmed.hasPrefix("#"), let caret = line.firstIndex(of: "^") else {
                lastCodeLine = index + 1
                continue
            }
            let column = line.distance(from: line.startIndex, to: caret) + 1
            let rest = line[line.index(after: caret)...].split(separator: " ", maxSplits: 1)
            expected.append("\(lastCodeLine):\(column) \(rest.first ?? "") \(rest.count > 1 ? rest[1] : "")")
        }
        let syntax = Parser.parse(source)
        let actual = syntax.diagnostics.map { diagnostic -> String in
            let span = diagnostic.span
            return "\(span?.start.line ?? 0):\(span?.start.column ?? 0) \(diagnostic.id)"
        }
        #expect(actual == expected.map { String($0.split(separator: " ").prefix(2).joined(separator: " ")) },
                sourceLocation: sourceLocation)
        for (diagnostic, line) in zip(syntax.diagnostics, expected) {
            let phrase = line.split(separator: " ", maxSplits: 2).dropFirst(2).first.map(String.init) ?? ""
            #expect(diagnostic.message.contains(phrase), "\(diagnostic.message) ∌ \(phrase)",
                    sourceLocation: sourceLocation)
        }
    }
}
