import GradEngine
import GradInterpreter
import GradTensor
import Testing

@Suite struct SeedTests {
    @Test func forwardValuesAndGradients() throws {
        var harness = Harness()
        try harness.run(Harness.seed)
        #expect(harness.value("c") == -4)
        #expect(harness.value("a") == 4)
        #expect(harness.value("d") == 2)
        #expect(harness.value("J") == 2)
        try harness.run("backward J")
        let gradients = harness.interpreter.latestGradients
        #expect(gradients["w"]?.scalarValue == -4)
        #expect(gradients["b"]?.scalarValue == 2)
        #expect(gradients["d"]?.scalarValue == 2)
        #expect(gradients["a"]?.scalarValue == 2)
        #expect(gradients["c"]?.scalarValue == 2)
        #expect(try harness.run("grad(J, w)")?.scalarValue == -4)
        #expect(try harness.run("w.grad")?.scalarValue == -4)
    }

    @Test func explainPrintsTheSeedTables() throws {
        var harness = Harness()
        try harness.run(Harness.seed)
        let text = try harness.interpreter.explain("J").text
        for line in ["c = w * x = -4", "a = c + b = 4", "d = a - y = 2", "J = 0.5 * d^2 = 2", "x = -2",
                     "dJ/dJ = 1", "dJ/dd = ∂J/∂d = 2", "dJ/da = dJ/dd * dd/da = 2 * 1 = 2", "dJ/dc = dJ/da * da/dc = 2 * 1 = 2",
                     "dJ/db = dJ/da * da/db = 2 * 1 = 2", "dJ/dw = dJ/dc * dc/dw = 2 * (-2) = -4"] {
            #expect(text.contains(line), "missing: \(line)\n\(text)")
        }
    }

    @Test func nodeUsedTwiceGetsBothPaths() throws {
        var harness = Harness()
        try harness.run("a = param(3)\nb = a + a\nL = b * a")
        #expect(try harness.run("grad(L, a)")?.scalarValue == 12)  // L = 2a², dL/da = 4a
    }

    @Test func gradientsAreFreshEachPass() throws {
        var harness = Harness()
        try harness.run("w = param(2)\nL = w * w\nbackward L\nbackward L")
        #expect(harness.interpreter.latestGradients["w"]?.scalarValue == 4)
    }
}

@Suite struct TransposedMatmulTests {
    /// `x @ W.T` is one matmul node reading W transposed: no transpose node, and the same
    /// values and gradients as the product with an explicit transpose (bit for bit at these
    /// sizes, which stay below the BLAS threshold).
    @Test func matmulWithATransposedOperandBuildsNoTransposeNode() throws {
        var fused = Harness()
        try fused.run("""
            X = randn(8, 5, seed=1)
            W = param(randn(3, 5, seed=2))
            V = param(randn(8, 4, seed=3))
            z = X @ W.T
            u = V.T @ X
            J = sum(tanh(z)) + sum(u * u)
            backward J
            """)
        var explicit = Harness()
        try explicit.run("""
            X = randn(8, 5, seed=1)
            W = param(randn(3, 5, seed=2))
            V = param(randn(8, 4, seed=3))
            z = X @ transpose(W)
            u = transpose(V) @ X
            J = sum(tanh(z)) + sum(u * u)
            backward J
            """)
        let ops = (0..<fused.interpreter.graph.count).map { fused.interpreter.graph.op(NodeID(Int32($0))) }
        #expect(!ops.contains(.transpose))
        #expect((0..<explicit.interpreter.graph.count).map { explicit.interpreter.graph.op(NodeID(Int32($0))) }.contains(.transpose))
        for name in ["z", "u", "J"] {
            let a = try #require(fused.interpreter.nodeOfName[name]), b = try #require(explicit.interpreter.nodeOfName[name])
            #expect(fused.interpreter.graph.value(a).scalars.map(\.bitPattern) == explicit.interpreter.graph.value(b).scalars.map(\.bitPattern))
        }
        for name in ["W", "V"] {
            let a = try #require(fused.interpreter.latestGradients[name]), b = try #require(explicit.interpreter.latestGradients[name])
            #expect(a.scalars.map(\.bitPattern) == b.scalars.map(\.bitPattern))
        }
    }

    @Test func aShapeMismatchWithATransposedOperandSaysSo() {
        var harness = Harness()
        let message = harness.error("A = zeros(2, 3)\nB = zeros(2, 4)\nC = A @ B.T")
        #expect(message?.contains("[2, 3] @ [2, 4].T") == true, "\(message ?? "no error")")
    }
}
