import GradInterpreter
import GradTensor
import Testing

/// Gradients follow the graph (SPEC §1): once a loss has been differentiated, `.grad` and the
/// inspections show its gradients for the current graph, recomputed (as a backward run) by the
/// statement that changed something the loss depends on.
@Suite struct GradientFollowingTests {
    /// The seed, differentiated, with the runs seen so far forgotten.
    func differentiatedSeed() throws -> Harness {
        var harness = Harness()
        try harness.run(Harness.seed)
        try harness.run("backward J")
        #expect(try harness.run("w.grad")?.scalarValue == -4)
        harness.runs = []
        harness.outputs = []
        return harness
    }

    func grad(_ harness: inout Harness, _ name: String) throws -> Double? {
        try harness.run("\(name).grad")?.scalarValue
    }

    @Test func redefiningALeafRecomputesTheGradients() throws {
        var harness = try differentiatedSeed()
        try harness.run("x = 3")
        #expect(harness.value("J") == 72)
        // d = 3w + b - y = 12: dJ/dw = d·x = 36, dJ/db = d = 12.
        #expect(try grad(&harness, "w") == 36)
        #expect(try grad(&harness, "b") == 12)
        #expect(try grad(&harness, "c") == 12)
        #expect(try harness.run("grad(J, w)")?.scalarValue == 36)
        // The statement that changed x recorded the forward run and then the backward run of J.
        #expect(harness.runs.map(\.kind) == [.forward, .backward])
        let backward = try #require(harness.runs.last)
        #expect(backward.target == "J" && backward.loss == 72)
        #expect(backward.nodes.first { $0.name == "w" }?.gradient?.scalarValue == 36)
    }

    @Test func redefiningAParamRecomputesTheGradients() throws {
        var harness = try differentiatedSeed()
        try harness.run("w = param(5)")
        // c = -10, a = -2, d = -4: dJ/dw = d·x = 8, dJ/db = -4.
        #expect(try grad(&harness, "w") == 8)
        #expect(try grad(&harness, "b") == -4)
        #expect(harness.runs.map(\.kind) == [.forward, .backward])
    }

    @Test func redefiningAnIntermediateNodeRecomputesTheGradients() throws {
        var harness = try differentiatedSeed()
        try harness.run("c = w + x")
        // c = 0, a = 8, d = 6: dJ/dw = d·∂c/∂w = 6.
        #expect(harness.value("J") == 18)
        #expect(try grad(&harness, "w") == 6)
        #expect(try grad(&harness, "b") == 6)
        // J stops depending on w: w's old gradient is not shown as if it were current.
        try harness.run("c = 3 * b")
        #expect(try grad(&harness, "b") == 4 * (3 * 8 + 8 - 2))
        let message = harness.error("w.grad")
        #expect(message?.contains("w has no gradient") == true, "\(message ?? "")")
    }

    @Test func redefiningTheLossItselfRecomputesItsGradients() throws {
        var harness = try differentiatedSeed()
        try harness.run("J = d^2")
        #expect(try grad(&harness, "w") == -8)
    }

    @Test func afterTrainingTheGradientIsTheOneAtTheTrainedValues() throws {
        var harness = try differentiatedSeed()
        try harness.run("train(J, steps=5, lr=0.01)")
        let w = try #require(harness.value("w")), b = try #require(harness.value("b"))
        #expect(w != 2 && b != 8)
        // At the trained values d = w·x + b - y, dJ/dw = d·x, dJ/db = d (not the last step's,
        // which were taken before its update).
        let d = w * -2 + b - 2
        #expect(try grad(&harness, "w") == (d * -2))
        #expect(try grad(&harness, "b") == d)
        #expect(try harness.run("grad(J, w)")?.scalarValue == d * -2)
        // (Training steps go to the session's writer as they happen; the statement's own run is
        // the backward pass at the end.)
        #expect(harness.runs.map(\.kind) == [.backward])
        let last = try #require(harness.runs.first)
        #expect(last.target == "J")
        #expect(last.nodes.first { $0.name == "w" }?.gradient?.scalarValue == d * -2)
    }

    @Test func trainingAloneIsAskingForTheGradients() throws {
        var harness = Harness()
        try harness.run(Harness.seed)
        try harness.run("train(J, steps=3, lr=0.01)")
        let d = try #require(harness.value("d"))
        #expect(try grad(&harness, "w") == d * -2)
        // A later redefinition moves them on as with backward J.
        try harness.run("x = 1")
        let moved = try #require(harness.value("d"))
        #expect(try grad(&harness, "w") == moved)
    }

    @Test func aChangeTheLossDoesNotDependOnRecomputesNothing() throws {
        var harness = try differentiatedSeed()
        try harness.run("z = 5")
        try harness.run("z = 6")
        try harness.run("u = z * w")
        #expect(harness.runs.allSatisfy { $0.kind == .forward }, "\(harness.runs.map(\.kind))")
        #expect(try grad(&harness, "w") == -4)
    }

    @Test func aLossThatStopsBeingAScalarLosesItsGradientsUntilItIsOneAgain() throws {
        var harness = try differentiatedSeed()
        try harness.run("J = [1, 2] * w")
        let warnings = harness.outputs.compactMap { output -> String? in
            if case .warning(let text) = output { return text }
            return nil
        }
        #expect(warnings.contains { $0.contains("gradients of backward J are cleared") && $0.contains("shape [2]") }, "\(warnings)")
        #expect(!harness.runs.contains { $0.kind == .backward })
        let message = harness.error("w.grad")
        #expect(message?.contains("w has no gradient now") == true && message?.contains("shape [2]") == true, "\(message ?? "")")
        #expect(harness.interpreter.latestGradients.isEmpty)
        try harness.run("J = sum([1, 2] * w)")
        #expect(try grad(&harness, "w") == 3)
    }

    @Test func theLatestRequestWinsWhereTwoLossesMeet() throws {
        var harness = try differentiatedSeed()
        try harness.run("L = w * w")
        try harness.run("backward L")
        #expect(try grad(&harness, "w") == 4)
        #expect(try grad(&harness, "b") == 2)
        // x is an input of J only: J's gradients move, L's stay, and w still shows dL/dw.
        harness.runs = []
        try harness.run("x = 3")
        #expect(harness.runs.filter { $0.kind == .backward }.map(\.target) == ["J"])
        #expect(try grad(&harness, "w") == 4)
        #expect(try grad(&harness, "b") == 12)
        // %graph J labels J's graph with J's own gradients.
        let text = try #require(harness.interpreter.graphText(of: "J"))
        #expect(text.contains("w = param(2)    [param, shape [], value 2, grad 36]"), "\(text)")
        let graphL = try #require(harness.interpreter.graphText(of: "L"))
        #expect(graphL.contains("[param, shape [], value 2, grad 4]"), "\(graphL)")
    }

    @Test func anUnnamedLossIsFollowedByItsText() throws {
        var harness = try differentiatedSeed()
        try harness.run("backward 2 * J")
        #expect(try grad(&harness, "w") == -8)
        try harness.run("x = 3")
        #expect(try grad(&harness, "w") == 72)
        #expect(harness.runs.last { $0.kind == .backward }?.target == "2 * J")
    }

    @Test func gradOfALossFollowsItToo() throws {
        var harness = Harness()
        try harness.run(Harness.seed)
        #expect(try harness.run("grad(J, w)")?.scalarValue == -4)
        try harness.run("x = 3")
        #expect(try grad(&harness, "w") == 36)
    }

    @Test func aFailingStatementLeavesTheGradientsAsTheyWere() throws {
        var harness = try differentiatedSeed()
        #expect(harness.error("x = nope") != nil)
        #expect(try grad(&harness, "w") == -4)
        #expect(harness.runs.isEmpty)
    }

    @Test func inspectionShowsTheCurrentGradient() throws {
        var harness = try differentiatedSeed()
        try harness.run("x = 3")
        let text = try #require(harness.interpreter.inspect("w"))
        #expect(text.contains("gradient:   36"), "\(text)")
        #expect(harness.interpreter.summary(of: "w")?.gradient?.scalarValue == 36)
        #expect(harness.interpreter.graphDOT(of: "J")?.contains("grad 36") == true)
    }
}
