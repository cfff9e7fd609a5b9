import Foundation
import GradLang
import Testing

/// Pathological input must end in an error or a parse, never a crash or unbounded work. How fast
/// is a benchmark's question; the suite's time limit, hundreds of times what these take, only
/// stops a parser that went quadratic (a megabyte of input would then take hours).
@Suite(.timeLimit(.minutes(5))) struct RobustnessTests {
    static let depth = 100_000

    /// Inputs nested far beyond the limit; each must end in E0003.
    static let deepInputs: [(String, String)] = [
        ("parentheses", String(repeating: "(", count: depth) + "1" + String(repeating: ")", count: depth)),
        ("brackets", String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth)),
        ("unary minuses", "x = " + String(repeating: "-", count: depth) + "1"),
        ("power chain", "y = " + Array(repeating: "2", count: depth).joined(separator: "^")),
        ("power chain **", "y = " + Array(repeating: "2", count: depth).joined(separator: " ** ")),
        ("calls", String(repeating: "f(", count: depth) + "x" + String(repeating: ")", count: depth)),
        ("indexes", String(repeating: "x[", count: depth) + "0" + String(repeating: "]", count: depth)),
        ("mixed", String(repeating: "-(a * [b, f(", count: depth / 4)),
        ("unclosed", "z = " + String(repeating: "(", count: depth)),
        ("mismatched closers", String(repeating: "(", count: depth) + String(repeating: "]", count: depth)),
        ("mismatched openers", String(repeating: "[", count: depth) + "1" + String(repeating: ")", count: depth)),
    ]

    @Test(arguments: 0 ..< deepInputs.count)
    func deepNestingIsAnErrorNotACrash(_ which: Int) throws {
        let (name, source) = Self.deepInputs[which]
        let diagnostics = Parser.parse(source).diagnostics
        #expect(diagnostics.count == 1, "\(name): \(diagnostics.map(\.message))")
        let first = try #require(diagnostics.first)
        #expect(first.id == SyntaxErrorCode.nestedTooDeeply.rawValue, "\(name)")
        #expect(first.message == "expression is nested too deeply (limit \(Parser.nestingLimit))")
        #expect(first.span?.start.line == 1)
        #expect(spansAreInside(diagnostics, of: source))
    }

    @Test func nestingUpToTheLimitIsFine() {
        let limit = Parser.nestingLimit
        let atLimit = String(repeating: "(", count: limit) + "1" + String(repeating: ")", count: limit)
        #expect(Parser.parse(atLimit).diagnostics.isEmpty)
        let beyond = "(" + atLimit + ")"
        let diagnostic = Parser.parse(beyond).diagnostics.first
        #expect(diagnostic?.id == "E0003")
        #expect(diagnostic?.span?.start.column == limit + 1)
        // Left-associative chains and the operators waiting inside brackets do not count toward the limit.
        let operatorsInside = String(repeating: "(1 + 2 * ", count: limit) + "3" + String(repeating: ")", count: limit)
        #expect(Parser.parse(operatorsInside).diagnostics.isEmpty)
    }

    @Test(arguments: ["+", "-", "*", "/", "@"])
    func longChainsParse(_ op: String) throws {
        let terms = 200_000
        let source = "J = " + Array(repeating: "x", count: terms).joined(separator: " \(op) ")
        let syntax = Parser.parse(source)
        #expect(syntax.diagnostics.isEmpty)
        #expect(syntax.expressions.count == 2 * terms - 1)
        let statement = try #require(syntax.statements.first)
        guard case .assign(_, let root) = statement.kind else {
            Issue.record("not an assignment")
            return
        }
        // Left-associative: the root's right operand is the last `x`.
        guard case .binary(_, let lhs, let rhs) = syntax[root].kind else {
            Issue.record("not binary")
            return
        }
        #expect(syntax[rhs].span.end.offset == source.utf8.count)
        #expect(Int(lhs.index) == syntax.expressions.count - 3)
    }

    @Test func aMegabyteCellParses() throws {
        var source = ""
        var index = 0
        while source.utf8.count < 1_000_000 {
            source += "v\(index) = (a + b) * c[1:2, ::3].T / f(3, k=-4.5e-2) ^ 2  # comment é\n"
            index += 1
        }
        let syntax = Parser.parse(source)
        #expect(syntax.diagnostics.isEmpty)
        #expect(syntax.statements.count == index)
        #expect(syntax.statements.last?.span.start.line == index)
        #expect(!Lexer.tokenize(source).isEmpty)
    }

    @Test(arguments: ["$ ", ")", "]", "x = (1 2\n", "1e ", "'a' ", "é", "\"abc\n", "%\n", "f(a=1, a=2)\n"])
    func aMegabyteOfGarbageIsBounded(_ unit: String) throws {
        let source = String(repeating: unit, count: 1_000_000 / unit.utf8.count)
        let syntax = Parser.parse(source)
        #expect(!syntax.diagnostics.isEmpty)
        #expect(syntax.diagnostics.count <= Parser.errorLimit + 1)
        #expect(spansAreInside(Array(syntax.diagnostics.prefix(5)), of: source))
    }

    @Test func tooManyErrorsStopsWithE0002() throws {
        let source = String(repeating: "x = )\n", count: 200)
        let syntax = Parser.parse(source)
        #expect(syntax.diagnostics.count == Parser.errorLimit + 1)
        let last = try #require(syntax.diagnostics.last)
        #expect(last.id == "E0002")
        #expect(last.message == "too many errors (limit \(Parser.errorLimit)); stopped here")
        #expect(syntax.diagnostics.dropLast().allSatisfy { $0.id == "E0201" })
    }

    /// The parser uses constant stack; the lead may run it on a thread with a 512 KiB stack.
    @Test func parsesOnASmallStack() {
        let sources = Self.deepInputs.map(\.1) + [
            String(repeating: "(", count: Parser.nestingLimit) + "1"
                + String(repeating: ")", count: Parser.nestingLimit),
            "J = " + Array(repeating: "x", count: 50_000).joined(separator: " * "),
        ]
        let finished = ResultBox()
        let thread = Thread {
            var counts: [Int] = []
            for source in sources {
                let syntax = Parser.parse(source)
                counts.append(syntax.diagnostics.count)
                _ = Parser.completeness(of: source)
                for diagnostic in syntax.diagnostics { _ = diagnostic.rendered(source: source) }
            }
            finished.set(counts)
        }
        thread.stackSize = 512 * 1024
        thread.start()
        let counts = finished.wait()
        #expect(counts == Array(repeating: 1, count: Self.deepInputs.count) + [0, 0])
    }
}

/// Hands a value from a thread to the test, which waits for it.
final class ResultBox: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: [Int]?

    func set(_ newValue: [Int]) {
        condition.lock()
        value = newValue
        condition.signal()
        condition.unlock()
    }

    func wait() -> [Int] {
        condition.lock()
        defer { condition.unlock() }
        while value == nil { condition.wait() }
        return value ?? []
    }
}
