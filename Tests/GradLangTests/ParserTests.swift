import GradLang
import Testing

@Suite struct ParserTests {
    private func parsed(_ source: String) -> [String] {
        let syntax = Parser.parse(source)
        #expect(syntax.diagnostics.isEmpty, "\(source): \(syntax.diagnostics.map(\.message))")
        return outline(syntax)
    }

    @Test func seedExample() {
        let source = """
            x = -2
            w = param(2)
            b = param(8)
            y = 2
            c = w * x        # -4
            a = c + b        #  4
            d = a - y        #  2
            J = 0.5 * d^2    #  2
            backward J
            grad(J, w)       # -4
            """
        #expect(parsed(source) == [
            "x = (neg 2)", "w = param(2)", "b = param(8)", "y = 2", "c = (* w x)", "a = (+ c b)", "d = (- a y)",
            "J = (* 0.5 (^ d 2))", "backward J", "grad(J, w)",
        ])
    }

    @Test(arguments: [
        ("1 + 2 * 3", "(+ 1 (* 2 3))"),
        ("1 * 2 + 3", "(+ (* 1 2) 3)"),
        ("1 - 2 - 3", "(- (- 1 2) 3)"),
        ("8 / 4 / 2", "(/ (/ 8 4) 2)"),
        ("a @ b @ c", "(@ (@ a b) c)"),
        ("a * b @ c / d", "(/ (@ (* a b) c) d)"),
        ("2 ^ 3 ^ 2", "(^ 2 (^ 3 2))"),
        ("2 ** 3 ** 2", "(^ 2 (^ 3 2))"),
        ("2 ^ 3 ** 2", "(^ 2 (^ 3 2))"),
        ("-x ^ 2", "(neg (^ x 2))"),
        ("-x * y", "(* (neg x) y)"),
        ("a * -b", "(* a (neg b))"),
        ("a - -b", "(- a (neg b))"),
        ("--x", "(neg (neg x))"),
        ("2 ^ -1", "(^ 2 (neg 1))"),
        ("2 ^ -x ^ 2", "(^ 2 (neg (^ x 2)))"),
        ("2 ^ -1 * 3", "(* (^ 2 (neg 1)) 3)"),
        ("(1 + 2) * 3", "(* (+ 1 2) 3)"),
        ("-(a + b)", "(neg (+ a b))"),
        ("a + b * c ^ d ^ e - f", "(- (+ a (* b (^ c (^ d e)))) f)"),
        ("x.T @ w", "(@ x.T w)"),
        ("-x.T", "(neg x.T)"),
        ("x[0] ^ 2", "(^ x[0] 2)"),
        ("f(x)[1].T", "f(x)[1].T"),
        ("-f(x)^2", "(neg (^ f(x) 2))"),
        ("x.shape[0]", "x.shape[0]"),
        ("w.grad", "w.grad"),
    ])
    func precedenceAndAssociativity(source: String, expected: String) {
        #expect(parsed(source) == [expected])
    }

    @Test func literals() {
        #expect(parsed("2; 0.5; .5; 1e-3; 2.5E+4; 3.; 007") == ["2", "0.5", "0.5", "0.001", "25000", "3", "7"])
        #expect(parsed(#""a\"b\\c\nd\te""#) == ["\"a\"b\\c\nd\te\""])
        #expect(parsed("\"naïve ∑\"") == ["\"naïve ∑\""])
        #expect(parsed("true; false") == ["true", "false"])
        #expect(parsed("[]; [1, 2, 3]; [[1, 2], [3, 4]]; [1, 2,]") == ["[]", "[1 2 3]", "[[1 2] [3 4]]", "[1 2]"])
    }

    @Test func callsAndArguments() {
        #expect(parsed("randn(3, 4, seed=1)") == ["randn(3, 4, seed=1)"])
        #expect(parsed("zeros()") == ["zeros()"])
        #expect(parsed("load_csv(\"data.csv\", header=true)") == ["load_csv(\"data.csv\", header=true)"])
        #expect(parsed("f(g(h(x)), y=-1,)") == ["f(g(h(x)), y=(neg 1))"])
        #expect(parsed("train(J, steps=100, lr=0.1, optimizer=\"adam\")")
            == ["train(J, steps=100, lr=0.1, optimizer=\"adam\")"])
    }

    @Test func keywordArgumentSpans() throws {
        let syntax = Parser.parse("randn(3, seed=1)")
        guard case .expression(let root) = try #require(syntax.statements.first).kind,
              case .call(let callee, let calleeSpan, let arguments) = syntax[root].kind
        else {
            Issue.record("not a call")
            return
        }
        #expect(callee == "randn")
        #expect(syntax.text(of: calleeSpan) == "randn")
        #expect(arguments.count == 2)
        #expect(arguments[0].label == nil && arguments[0].labelSpan == nil)
        #expect(arguments[1].label == "seed")
        #expect(syntax.text(of: try #require(arguments[1].labelSpan)) == "seed")
        #expect(syntax.text(of: arguments[1].value) == "1")
    }

    @Test func indexing() {
        #expect(parsed("x[i]; x[i, j]; x[:, j]; x[a:b]; x[a:b:s]") == [
            "x[i]", "x[i, j]", "x[_:_:_, j]", "x[a:b:_]", "x[a:b:s]",
        ])
        #expect(parsed("x[::2]; x[1:]; x[:-1]; x[-1]; x[1,]; x[:]") == [
            "x[_:_:2]", "x[1:_:_]", "x[_:(neg 1):_]", "x[(neg 1)]", "x[1]", "x[_:_:_]",
        ])
        #expect(parsed("m[0][1]; m[i + 1, j * 2]") == ["m[0][1]", "m[(+ i 1), (* j 2)]"])
    }

    @Test func statements() {
        #expect(parsed("X, y = moons(100)") == ["X, y = moons(100)"])
        #expect(parsed("a,b,c=f()") == ["a, b, c = f()"])
        #expect(parsed("backward J") == ["backward J"])
        #expect(parsed("backward 0.5 * d^2") == ["backward (* 0.5 (^ d 2))"])
        #expect(parsed("w?") == ["w?"])
        #expect(parsed("w??") == ["w??"])
        #expect(parsed("  w ?  # what is w") == ["w?"])
        #expect(parsed("x = 1; y = 2;; z = 3;") == ["x = 1", "y = 2", "z = 3"])
        #expect(parsed("\n\n  x = 1\n\n") == ["x = 1"])
        #expect(parsed("x = 1\r\ny = 2\r\n") == ["x = 1", "y = 2"])
        #expect(parsed("") == [])
        #expect(parsed("# only a comment") == [])
    }

    @Test func lineContinuation() {
        #expect(parsed("x = f(1,\n      2)\ny = [1,\n 2,\n]") == ["x = f(1, 2)", "y = [1 2]"])
        #expect(parsed("J = a +\n    b\nK = 2 *  # comment\n\n 3") == ["J = (+ a b)", "K = (* 2 3)"])
        #expect(parsed("x = (a\n + b)") == ["x = (+ a b)"])
        #expect(parsed("m = x[\n0,\n1]") == ["m = x[0, 1]"])
    }

    @Test func magics() {
        #expect(parsed("%sql SELECT 1") == ["%sql(SELECT 1)"])
        #expect(parsed("%explain J   ") == ["%explain(J)"])
        #expect(parsed("%who") == ["%who()"])
        #expect(parsed("x = 1\n  %time y = x * 2 # raw\nz = 3") == ["x = 1", "%time(y = x * 2 # raw)", "z = 3"])
        #expect(parsed("%sql SELECT 'it''s' FROM runs; -- $x") == ["%sql(SELECT 'it''s' FROM runs; -- $x)"])
        #expect(parsed("%%sql --write\nSELECT 1;\nSELECT 'a';\n") == ["%%sql(--write|SELECT 1;\nSELECT 'a';\n)"])
        #expect(parsed("%%sql") == ["%%sql(|)"])
        #expect(parsed("\n  %%time\nx = (1") == ["%%time(|x = (1)"])
    }

    @Test func statementSpansAndExpressionRanges() throws {
        let source = "x = 1\nJ = (a + b) * c  # note\nbackward J"
        let syntax = Parser.parse(source)
        #expect(syntax.diagnostics.isEmpty)
        #expect(syntax.statements.map { syntax.text(of: $0.span) } == ["x = 1", "J = (a + b) * c", "backward J"])
        let assign = syntax.statements[1]
        guard case .assign(let targets, let value) = assign.kind else {
            Issue.record("not an assignment")
            return
        }
        #expect(targets.map(\.name) == ["J"])
        #expect(syntax.text(of: targets[0].span) == "J")
        #expect(syntax.text(of: value) == "(a + b) * c")
        #expect(Int(value.index) == assign.expressions.upperBound - 1)
        let inner = syntax.expressions[assign.expressions].map { syntax.text(of: $0.span) }
        #expect(inner == ["a", "b", "(a + b)", "c", "(a + b) * c"])
        #expect(syntax.statements[0].expressions.upperBound == assign.expressions.lowerBound)
        let span = assign.span
        #expect(span.start == SourceLocation(line: 2, column: 1, offset: 6))
        #expect(span.end == SourceLocation(line: 2, column: 16, offset: 21))
    }

    @Test func childrenPrecedeParents() {
        let syntax = Parser.parse("y = f(-x[1:2, ::3].T ^ 2 ^ -3, [a, [b, c]], k=(d @ e)) + g()")
        #expect(syntax.diagnostics.isEmpty)
        for (index, expression) in syntax.expressions.enumerated() {
            let children: [ExprID] = switch expression.kind {
            case .number, .string, .boolean, .name: []
            case .list(let items): items
            case .negate(let operand): [operand]
            case .binary(_, let lhs, let rhs): [lhs, rhs]
            case .call(_, _, let arguments): arguments.map(\.value)
            case .index(let base, let components):
                [base] + components.flatMap { component -> [ExprID] in
                    switch component {
                    case .single(let id): [id]
                    case .slice(let start, let stop, let step): [start, stop, step].compactMap { $0 }
                    }
                }
            case .attribute(let base, _, _): [base]
            }
            #expect(children.allSatisfy { Int($0.index) < index })
            #expect(children.allSatisfy { syntax[$0].span.start.offset >= expression.span.start.offset })
        }
    }

    @Test func failedStatementsAreLeftOutAndParsingGoesOn() {
        let syntax = Parser.parse("a = 1\nb = 2 *\nc = 3\nd = (4\ne = 5")
        #expect(outline(syntax) == ["a = 1", "c = 3", "e = 5"])
        #expect(positions(syntax.diagnostics) == ["2:7 E0201", "4:5 E0203"])
        // A failed statement's expressions are not left in the arena.
        #expect(syntax.expressions.count == 3)
    }

    @Test func reservedWords() {
        #expect(GradLang.reservedWords == ["true", "false", "backward"])
    }
}
