import Foundation
import GradSession
import GradStore
import Testing

/// Programs over every op of SPEC §1, with the values and gradients PyTorch float64 computed
/// for them (Tests/Fixtures/torch/cases.json, made by tests/torch/generate_cases.py).
@Suite struct TorchAgreementTests {
    struct Case: Decodable, CustomTestStringConvertible {
        var name: String
        var source: String
        var target: String
        var value: Double
        var grads: [String: [Double]]
        var testDescription: String { name }
    }

    struct Fixture: Decodable {
        var cases: [Case]
    }

    static let cases: [Case] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/torch/cases.json")
        guard let data = try? Data(contentsOf: url), let fixture = try? JSONDecoder().decode(Fixture.self, from: data) else { return [] }
        return fixture.cases
    }()

    static func close(_ a: Double, _ b: Double) -> Bool {
        abs(a - b) <= 1e-8 * max(abs(a), abs(b)) + 1e-300
    }

    @Test func fixtureIsPresent() {
        #expect(Self.cases.count >= 25)
    }

    @Test(arguments: cases)
    func agreesWithPyTorch(_ testCase: Case) throws {
        let session = try Session(store: RunStore(path: ":memory:"), kind: .batch, notebook: nil)
        let defined = session.execute(testCase.source + "\nbackward \(testCase.target)")
        #expect(defined.status == .ok, "\(defined.errorText ?? "")")
        let target = try #require(session.interpreter.nodeOfName[testCase.target])
        let value = try #require(session.interpreter.graph.scalar(target))
        #expect(Self.close(value, testCase.value), "\(testCase.name): value \(value) vs torch \(testCase.value)")
        for (name, expected) in testCase.grads {
            let gradient = try #require(session.interpreter.latestGradients[name], "no gradient for \(name)")
            #expect(gradient.scalars.count == expected.count)
            for (ours, theirs) in zip(gradient.scalars, expected) {
                #expect(Self.close(ours, theirs), "\(testCase.name): d\(testCase.target)/d\(name) \(ours) vs torch \(theirs)")
            }
        }
    }

    /// Forward mode (`grad(J, w, mode="forward")`, one pass per element of w) equals reverse mode
    /// on every program, element by element to within 8 ulps of w's largest gradient element
    /// (README), and `jvp(J, w, v)` is the reverse-mode gradient dotted with v.
    @Test(arguments: cases)
    func forwardModeEqualsReverseMode(_ testCase: Case) throws {
        let session = try Session(store: RunStore(path: ":memory:"), kind: .batch, notebook: nil)
        #expect(session.execute(testCase.source + "\nbackward \(testCase.target)").status == .ok)
        for name in testCase.grads.keys.sorted() {
            let reverse = try #require(session.interpreter.latestGradients[name])
            let forwardName = "forward_\(name)", directionalName = "directional_\(name)"
            let ran = session.execute("""
                \(forwardName) = grad(\(testCase.target), \(name), mode="forward")
                \(directionalName) = jvp(\(testCase.target), \(name), \(name) * 0 + 1)
                """)
            #expect(ran.status == .ok, "\(ran.errorText ?? "")")
            let interpreter = session.interpreter
            let forward = try #require(interpreter.nodeOfName[forwardName].map { interpreter.graph.value($0) })
            let scale = reverse.scalars.reduce(0) { max($0, abs($1)) }
            #expect(forward.shape == reverse.shape)
            for (f, r) in zip(forward.scalars, reverse.scalars) {
                #expect(abs(f - r) <= 8 * scale.ulp, "\(testCase.name): d\(testCase.target)/d\(name) forward \(f) vs reverse \(r)")
            }
            let directional = try #require(interpreter.nodeOfName[directionalName].flatMap { interpreter.graph.scalar($0) })
            let sum = reverse.scalars.reduce(0, +)
            #expect(abs(directional - sum) <= 8 * Double(reverse.count) * max(scale, abs(sum)).ulp,
                    "\(testCase.name): jvp along ones \(directional) vs sum of the gradient \(sum)")
        }
    }
}
