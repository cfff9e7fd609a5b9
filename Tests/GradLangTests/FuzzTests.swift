import GradLang
import Testing

/// Seeded random inputs: whatever the text, the front end returns (never traps), every span lies in
/// the source, the arena's children precede their parents, and the work stays bounded.
@Suite struct FuzzTests {
    static let vocabulary: [String] = [
        "x", "w", "J", "_a1", "moons", "param", "true", "false", "backward", "0", "2", "0.5", ".5", "1e-3",
        "2.5E+4", "1e", "1.2.3", "0x1", "2x", "1e400", "\"s\"", "\"a\\\"b\"", "\"open", "\"bad\\q\"", "'q'",
        "+", "-", "*", "/", "@", "^", "**", "=", ",", ":", ";", ".", "?", "??", "(", ")", "[", "]",
        "\n", "\n", "\r\n", "\t", " ", " ", "# c\n", "%sql SELECT 1\n", "%%sql\n", "%", "%%", "$", "{", "\\",
        "é", "−", "数据", "😀", "\u{0}", "\u{7}", "e\u{301}", "f(", "x[", "a=", ", k=", ")(", "][",
    ]

    @Test func randomTokenSequences() {
        var generator = SeededGenerator(seed: 0x6772_6164)
        let start = ContinuousClock.now
        for round in 0 ..< 20_000 {
            let count = Int.random(in: 0 ... 40, using: &generator)
            var source = ""
            for _ in 0 ..< count {
                source += Self.vocabulary.randomElement(using: &generator) ?? ""
                if Bool.random(using: &generator) { source += " " }
            }
            check(source, round: round)
        }
        #expect(ContinuousClock.now - start < .seconds(120))
    }

    @Test func randomBytes() {
        var generator = SeededGenerator(seed: 42)
        let start = ContinuousClock.now
        for round in 0 ..< 20_000 {
            let count = Int.random(in: 0 ... 64, using: &generator)
            // Mostly ASCII (so that parses get somewhere), sometimes any byte (invalid UTF-8 is repaired
            // by `String(decoding:)`, as it is for any text reaching the kernel).
            let bytes = (0 ..< count).map { _ in
                Bool.random(using: &generator)
                    ? UInt8.random(in: 0x20 ... 0x7E, using: &generator)
                    : UInt8.random(in: 0 ... 255, using: &generator)
            }
            check(String(decoding: bytes, as: UTF8.self), round: round)
        }
        #expect(ContinuousClock.now - start < .seconds(120))
    }

    private func check(_ source: String, round: Int) {
        let syntax = Parser.parse(source)
        let byteCount = source.utf8.count
        let context = "round \(round): \(String(reflecting: source))"
        #expect(spansAreInside(syntax.diagnostics, of: source), "\(context)")
        #expect(syntax.diagnostics.count <= Parser.errorLimit + 1, "\(context)")
        var arenaIsWellFormed = true
        for (index, expression) in syntax.expressions.enumerated() {
            let span = expression.span
            if span.start.offset < 0 || span.start.offset > span.end.offset || span.end.offset > byteCount
                || childrenOf(expression).contains(where: { Int($0.index) >= index }) {
                arenaIsWellFormed = false
            }
        }
        #expect(arenaIsWellFormed, "\(context)")
        var previousEnd = 0
        var statementsAreOrdered = true
        for statement in syntax.statements {
            if statement.span.start.offset < previousEnd || statement.span.end.offset > byteCount
                || statement.expressions.upperBound > syntax.expressions.count {
                statementsAreOrdered = false
            }
            previousEnd = statement.span.end.offset
        }
        #expect(statementsAreOrdered, "\(context)")
        for diagnostic in syntax.diagnostics.prefix(3) {
            _ = diagnostic.rendered(source: source, origin: "fuzz", lineOffset: round)
        }
        if round % 16 == 0 {
            _ = Parser.completeness(of: source)
            let tokens = Lexer.tokenize(source)
            #expect(tokens.last?.kind == .endOfInput)
            #expect(zip(tokens, tokens.dropFirst()).allSatisfy { $0.span.end.offset <= $1.span.start.offset })
            #expect(Parser.parse(source).diagnostics == syntax.diagnostics, "parsing is deterministic")
        }
    }

    private func childrenOf(_ expression: Expr) -> [ExprID] {
        switch expression.kind {
        case .number, .string, .boolean, .name: return []
        case .list(let items): return items
        case .negate(let operand): return [operand]
        case .binary(_, let lhs, let rhs): return [lhs, rhs]
        case .call(_, _, let arguments): return arguments.map(\.value)
        case .attribute(let base, _, _): return [base]
        case .index(let base, let components):
            return [base] + components.flatMap { component -> [ExprID] in
                switch component {
                case .single(let id): [id]
                case .slice(let start, let stop, let step): [start, stop, step].compactMap { $0 }
                }
            }
        }
    }
}
