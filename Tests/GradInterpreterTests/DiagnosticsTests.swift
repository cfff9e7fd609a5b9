import GradInterpreter
import Testing

@Suite struct RuntimeDiagnosticsTests {
    @Test func misspelledNameSuggestsTheNearest() throws {
        var harness = Harness()
        try harness.run("weight = param(2)")
        let error = harness.error("loss = wieght * 3")
        let message = try #require(error)
        #expect(message.contains("1:8: error: unknown name 'wieght'"), "\(message)")
        #expect(message.contains("did you mean 'weight'?"))
        #expect(message.contains("       ^~~~~~"), "\(message)")
    }

    @Test func shapeMismatchShowsBothShapes() throws {
        var harness = Harness()
        let error = harness.error("A = [[1, 2, 3], [4, 5, 6]]\nB = [1, 2]\nC = A @ B")
        let message = try #require(error)
        #expect(message.contains("3:5"), "\(message)")
        #expect(message.contains("[2, 3]") && message.contains("[2]"), "\(message)")
    }

    @Test func builtinsCannotBeAssigned() {
        var harness = Harness()
        let message = harness.error("exp = 3")
        #expect(message?.contains("'exp' is a built-in function") == true)
    }

    @Test func gradOfGradIsRefused() throws {
        var harness = Harness()
        try harness.run("w = param(2)\nL = w^3\ng = grad(L, w)")
        let message = harness.error("backward g")
        #expect(message?.contains("not differentiable") == true, "\(message ?? "")")
    }

    @Test func dotGradBeforeBackwardSaysHowToFix() throws {
        var harness = Harness()
        try harness.run("w = param(2)")
        let message = harness.error("w.grad")
        #expect(message?.contains("no backward pass has reached it") == true)
        #expect(message?.contains("backward J") == true)
    }

    @Test func nanIsAWarningNamingTheOp() throws {
        var harness = Harness()
        try harness.run("z = param(-1)\nL = log(z)")
        let warnings = harness.outputs.compactMap { if case .warning(let text) = $0 { text } else { nil } }
        #expect(warnings.contains { $0.contains("'L'") && $0.contains("log") }, "\(warnings)")
    }

    @Test func unknownKeywordSuggests() {
        var harness = Harness()
        let message = harness.error("r = randn(3, sede=1)")
        #expect(message?.contains("unexpected keyword argument 'sede'") == true)
        #expect(message?.contains("did you mean 'seed='") == true)
    }
}
