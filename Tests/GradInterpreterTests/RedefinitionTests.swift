import GradInterpreter
import GradTensor
import Testing

@Suite struct RedefinitionTests {
    @Test func redefiningALeafRecomputesDependents() throws {
        var harness = Harness()
        try harness.run(Harness.seed)
        try harness.run("x = 3")
        // c = 6, a = 14, d = 12, J = 72
        #expect(harness.value("J") == 72)
        #expect(try harness.run("grad(J, w)")?.scalarValue == 36)  // dJ/dw = d * x
    }

    @Test func redefiningAnOpNodeChangesItsExpression() throws {
        var harness = Harness()
        try harness.run(Harness.seed)
        try harness.run("c = w + x")
        #expect(harness.value("J") == 18)  // c = 0, a = 8, d = 6
    }

    @Test func selfReferenceIsACycleAndChangesNothing() throws {
        var harness = Harness()
        try harness.run(Harness.seed)
        let message = harness.error("x = x + 1")
        #expect(message?.contains("x → x") == true, "\(message ?? "")")
        #expect(message?.contains("1:1") == true)
        #expect(harness.value("x") == -2)
        #expect(harness.value("J") == 2)
    }

    @Test func longerCycleIsNamed() throws {
        var harness = Harness()
        try harness.run("p = 1\nq = p * 2")
        let message = harness.error("p = q + 1")
        #expect(message?.contains("p → q → p") == true, "\(message ?? "")")
        #expect(harness.value("p") == 1)
    }

    @Test func failingStatementLeavesEverythingAsItWas() throws {
        var harness = Harness()
        try harness.run("v = [1, 2, 3]\nm = [[1, 2], [3, 4]]")
        let nodesBefore = harness.interpreter.graph.count
        let message = harness.error("bad = v + m")
        #expect(message?.contains("[3]") == true && message?.contains("[2, 2]") == true, "\(message ?? "")")
        #expect(harness.interpreter.graph.count == nodesBefore)
        #expect(harness.interpreter.nodeOfName["bad"] == nil)
    }

    @Test func earlierStatementsOfAFailingCellStayDone() throws {
        var harness = Harness()
        _ = harness.error("ok = 1\nbroken = nope + 1")
        #expect(harness.value("ok") == 1)
        #expect(harness.interpreter.nodeOfName["broken"] == nil)
    }

    @Test func trainedParamsSurviveARedefinitionElsewhere() throws {
        var harness = Harness()
        try harness.run("w = param(1)\nx = 2\nL = (w * x - 4)^2")
        try harness.run("train(L, steps=200, lr=0.05)")
        let trained = try #require(harness.value("w"))
        #expect(abs(trained - 2) < 1e-6)
        try harness.run("x = 4")
        #expect(harness.value("w") == trained)
    }
}
