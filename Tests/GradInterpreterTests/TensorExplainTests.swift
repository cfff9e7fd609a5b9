import GradInterpreter
import GradTensor
import Testing

/// `%explain` on a tensor graph: each backward step names its rule as a textbook does, with
/// the tensors it multiplies aligned under it, and every shown result is the engine's gradient.
@Suite struct TensorExplainTests {
    static let layer = """
    X = [[1, 2], [3, 4], [5, 6]]
    W = param([[0.1, -0.2], [0.3, 0.4]])
    b = param([0.5, -0.5])
    z = X @ W + b
    h = tanh(z)
    L = mean(h^2)
    """

    func explained(_ source: String, _ name: String) throws -> (Harness, Explanation) {
        var harness = Harness()
        try harness.run(source)
        let explanation = try harness.interpreter.explain(name)
        return (harness, explanation)
    }

    func step(_ explanation: Explanation, _ prefix: String) throws -> ExplanationStep {
        try #require(explanation.backwardSteps.first { $0.rule.hasPrefix(prefix) }, "no step \(prefix) in\n\(explanation.text)")
    }

    @Test func eachStepNamesItsRule() throws {
        let (_, explanation) = try explained(Self.layer, "L")
        let rules = explanation.backward
        for rule in ["dL/dL = 1", "dL/dz = dL/dh ⊙ (1 - h^2)", "dL/db = sum over axis 0 of dL/dz", "dL/dW = X.T @ dL/dz", "dL/dX = dL/dz @ W.T"] {
            #expect(rules.contains(rule), "missing \(rule) in \(rules)")
        }
        #expect(rules.contains { $0.hasPrefix("dL/dh = ") && $0.contains("broadcast(dL/dL, [3, 2]) / 6") && $0.hasSuffix("⊙ h") }, "\(rules)")
    }

    @Test func theWorkingsAreTheFactorsAndTheEnginesGradient() throws {
        var (harness, explanation) = try explained(Self.layer, "L")
        let matmul = try step(explanation, "dL/dW")
        #expect(matmul.workings.map(\.label) == ["X.T", "dL/dz", "dL/dW"])
        #expect(matmul.workings[0].value == (try Tensor(shape: [2, 3], scalars: [1, 3, 5, 2, 4, 6])))
        let gradW = try #require(try harness.run("grad(L, W)"))
        #expect(matmul.workings.last?.value == gradW)
        let tanh = try step(explanation, "dL/dz")
        #expect(tanh.workings.map(\.label) == ["dL/dh", "1 - h^2", "dL/dz"])
        let h = try #require(try harness.run("h"))
        #expect(tanh.workings[1].value == 1 - (try h * h))
        let bias = try step(explanation, "dL/db")
        let gradB = try harness.run("grad(L, b)")
        #expect(bias.workings.last?.value == gradB)
    }

    @Test func matricesAreAlignedUnderTheirRule() throws {
        let (_, explanation) = try explained(Self.layer, "L")
        let lines = explanation.text.split(separator: "\n").map(String.init)
        let start = try #require(lines.firstIndex(of: "  dL/dz = dL/dh ⊙ (1 - h^2)"), "\(explanation.text)")
        // Labels padded to one width, each matrix's rows starting under its first row.
        #expect(lines[start + 1] == "      dL/dh   = [[ 0.2779, 0.03322],", "\(explanation.text)")
        #expect(lines[start + 2] == "                 [ 0.3213,   0.154],", "\(explanation.text)")
        #expect(lines[start + 4].hasPrefix("      1 - h^2 = [["), "\(explanation.text)")
        #expect(lines[start + 7].hasPrefix("      dL/dz   = [["), "\(explanation.text)")
        // The forward pass aligns rows the same way.
        #expect(lines.contains("  h = tanh(z) = [[ 0.8337, 0.09967],"), "\(explanation.text)")
        #expect(lines.contains("                 [  0.964,  0.4621],"), "\(explanation.text)")
        #expect(explanation.text.hasSuffix("(tensors to 4 significant digits; more than 64 elements shown by their corners)"))
    }

    @Test func bigTensorsAreElidedAndSayTheirShape() throws {
        let (_, explanation) = try explained("""
            X = randn(100, 3, seed=1)
            w = param(randn(3, seed=2))
            p = X @ w
            L = mean(p^2)
            """, "L")
        let product = try step(explanation, "dL/dw")
        #expect(product.rule == "dL/dw = X.T @ dL/dp", "\(explanation.text)")
        #expect(explanation.text.contains("...,"), "\(explanation.text)")
        #expect(explanation.text.contains("(shape [3, 100])"), "\(explanation.text)")
        #expect(explanation.text.split(separator: "\n").count < 80, "\(explanation.text)")
    }

    @Test func aNodeUsedTwiceAddsItsPaths() throws {
        var (harness, explanation) = try explained("""
            u = param([1, 2])
            p = u * u
            q = u + 1
            L = sum(p) + sum(q)
            """, "L")
        let both = try step(explanation, "dL/du")
        #expect(both.rule == "dL/du = dL/dp ⊙ u + dL/dp ⊙ u + dL/dq", "\(explanation.text)")
        let gradU = try harness.run("grad(L, u)")
        #expect(both.workings.last?.value == gradU)
        #expect(gradU == (try Tensor(shape: [2], scalars: [3, 5])))
    }

    @Test func scalarStepsOfATensorGraphKeepTheScalarForm() throws {
        let (_, explanation) = try explained("""
            v = param([1, 2, 3])
            s = sum(v * v)
            L = s^2
            """, "L")
        #expect(explanation.backward.contains("dL/ds = ∂L/∂s = 28"), "\(explanation.backward)")
        #expect(explanation.backward.contains { $0.hasPrefix("dL/dv = ") && $0.contains("broadcast(dL/ds, [3])") }, "\(explanation.backward)")
    }

    @Test func aMatrixTimesAVectorUsesTheTransposeAndTheOuterProduct() throws {
        let (_, explanation) = try explained("""
            A = param([[1, 2], [3, 4], [5, 6]])
            v = param([1, -1])
            z = A @ v
            L = sum(z^2)
            """, "L")
        #expect(explanation.backward.contains("dL/dA = outer(dL/dz, v)"), "\(explanation.backward)")
        #expect(explanation.backward.contains("dL/dv = A.T @ dL/dz"), "\(explanation.backward)")
    }

    @Test func theSeedIsExplainedExactlyAsBefore() throws {
        let (_, explanation) = try explained(Harness.seed, "J")
        #expect(explanation.text == """
            Forward pass
              x = -2
              w = param(2) = 2
              b = param(8) = 8
              y = 2
              c = w * x = -4
              a = c + b = 4
              d = a - y = 2
              J = 0.5 * d^2 = 2

            Backward pass (chain rule)
              dJ/dJ = 1
              dJ/dd = ∂J/∂d = 2
              dJ/da = dJ/dd * dd/da = 2 * 1 = 2
              dJ/dc = dJ/da * da/dc = 2 * 1 = 2
              dJ/dy = dJ/dd * dd/dy = 2 * (-1) = -2
              dJ/db = dJ/da * da/db = 2 * 1 = 2
              dJ/dw = dJ/dc * dc/dw = 2 * (-2) = -4
              dJ/dx = dJ/dc * dc/dx = 2 * 2 = 4
            """)
        #expect(!explanation.showsTensors)
    }
}
