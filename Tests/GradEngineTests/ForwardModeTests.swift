import GradEngine
import GradTensor
import Testing

/// The seed's graph: x = -2, w = param(2), b = param(8), y = 2, c = w*x, a = c+b, d = a-y,
/// J = 0.5*d^2 (five op nodes: c, a, d, d^2 and the product).
private struct SeedGraph {
    var graph = Graph()
    let x, w, b, y, c, a, d, J: NodeID

    init() throws {
        x = graph.leaf(scalar: -2)
        w = graph.leaf(scalar: 2, isParam: true)
        b = graph.leaf(scalar: 8, isParam: true)
        y = graph.leaf(scalar: 2)
        c = try graph.apply(.mul, w, x)
        a = try graph.apply(.add, c, b)
        d = try graph.apply(.sub, a, y)
        J = try graph.apply(.mul, graph.constant(scalar: 0.5), try graph.apply(.pow, d, graph.constant(scalar: 2)))
    }
}

/// A small MLP over tensors (matmul, broadcasting, tanh, mean): what notebook 02 differentiates.
private func mlp() throws -> (graph: Graph, loss: NodeID, params: [NodeID]) {
    var graph = Graph()
    let X = graph.constant(try Tensor.randn([6, 3], seed: 1))
    let Y = graph.constant(try Tensor.randn([6], seed: 2))
    let W1 = graph.leaf(try Tensor.randn([4, 3], seed: 3), isParam: true)
    let b1 = graph.leaf(try Tensor.randn([4], seed: 4), isParam: true)
    let w2 = graph.leaf(try Tensor.randn([4], seed: 5), isParam: true)
    let b2 = graph.leaf(Tensor(0.3), isParam: true)
    let hidden = try graph.apply(.tanh, [try graph.apply(.add, try graph.apply(.matmul, X, try graph.apply(.transpose, [W1])), b1)])
    let prediction = try graph.apply(.add, try graph.apply(.matmul, hidden, w2), b2)
    let error = try graph.apply(.sub, prediction, Y)
    let loss = try graph.apply(.mean, [try graph.apply(.mul, error, error)])
    return (graph, loss, [W1, b1, w2, b2])
}

/// Forward mode agrees with reverse mode element by element to within 8 ulps of the param's
/// largest gradient element (README): the two sum the same terms in different orders, so an
/// element that cancels to near 0 differs by the rounding of its terms, not of its own size.
private func agree(_ forward: Tensor, _ reverse: Tensor) -> Bool {
    let scale = reverse.scalars.reduce(0) { Swift.max($0, Swift.abs($1)) }
    return forward.shape == reverse.shape
        && zip(forward.scalars, reverse.scalars).allSatisfy { Swift.abs($0 - $1) <= 8 * scale.ulp }
}

@Suite struct ForwardModeTests {
    @Test func theSeedLeftToRight() throws {
        let seed = try SeedGraph()
        let tangents = try seed.graph.jvp(from: seed.w, along: Tensor(1), through: seed.J)
        #expect(tangents[seed.c] == Tensor(-2))
        #expect(tangents[seed.a] == Tensor(-2))
        #expect(tangents[seed.d] == Tensor(-2))
        #expect(tangents[seed.J] == Tensor(-4))
        #expect(tangents[seed.b] == nil, "b does not depend on w")
        #expect(tangents.evaluations == 5)

        let dw = try seed.graph.forwardGradient(of: seed.J, withRespectTo: seed.w)
        #expect(dw.gradient == Tensor(-4) && dw.passes == 1 && dw.evaluations == 5)
        let db = try seed.graph.forwardGradient(of: seed.J, withRespectTo: seed.b)
        #expect(db.gradient == Tensor(2) && db.passes == 1 && db.evaluations == 4)
    }

    @Test func aBackwardPassOfTheSeedCountsNPlusPSteps() throws {
        let seed = try SeedGraph()
        // n = 5 op nodes whose VJP runs, p = 2 param elements.
        #expect(seed.graph.steps(of: try seed.graph.backward(from: seed.J)) == 7)
        // A node in stopAt is reached but its VJP does not run, so nothing before it is reached.
        let partial = try seed.graph.backward(from: seed.J, stopAt: [seed.a])
        #expect(seed.graph.steps(of: partial) == 3, "d^2, the product and d run; a is stopped")
    }

    @Test func backwardStepsCountParamElements() throws {
        let model = try mlp()
        let gradients = try model.graph.backward(from: model.loss)
        // Op nodes: transpose, matmul, add, tanh, matmul, add, sub, mul, mean (9); params 12 + 4 + 4 + 1.
        #expect(model.graph.steps(of: gradients) == 9 + 21)
    }

    @Test func forwardModeEqualsReverseModeOnATensorModel() throws {
        let model = try mlp()
        let reverse = try model.graph.backward(from: model.loss)
        var passes = 0
        for param in model.params {
            let forward = try model.graph.forwardGradient(of: model.loss, withRespectTo: param)
            let expected = try #require(reverse[param])
            #expect(agree(forward.gradient, expected), "\(forward.gradient) vs \(expected)")
            passes += forward.passes
        }
        #expect(passes == 21)
    }

    @Test func aDirectionalDerivativeIsTheGradientDottedWithTheDirection() throws {
        let model = try mlp()
        let W1 = model.params[0]
        let direction = try Tensor.randn([4, 3], seed: 9)
        let tangent = try #require(try model.graph.jvp(from: W1, along: direction, through: model.loss)[model.loss]?.scalarValue)
        let gradient = try #require(try model.graph.backward(from: model.loss)[W1])
        let dot = zip(gradient.scalars, direction.scalars).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(Swift.abs(tangent - dot) <= 1e-13 * Swift.max(1, Swift.abs(dot)))
        #expect(throws: EngineError.self) { try model.graph.jvp(from: W1, along: Tensor(1), through: model.loss) }
    }

    @Test func heldNodesPassNoTangent() throws {
        let seed = try SeedGraph()
        // ∂J/∂d holding nothing else: d; ∂a/∂c: 1. With c held fixed, w reaches nothing.
        #expect(try seed.graph.jvp(from: seed.d, along: Tensor(1), through: seed.J)[seed.J] == Tensor(2))
        #expect(try seed.graph.jvp(from: seed.w, along: Tensor(1), through: seed.J, holdingFixed: [seed.c])[seed.J] == nil)
        // A target that does not depend on the seed has no tangent; nor does one before it.
        #expect(try seed.graph.jvp(from: seed.b, along: Tensor(1), through: seed.c)[seed.c] == nil)
        #expect(try seed.graph.forwardGradient(of: seed.c, withRespectTo: seed.b).gradient == Tensor(0))
    }

    @Test func aDeepChainNeedsNoRecursion() throws {
        var graph = Graph()
        let w = graph.leaf(scalar: 0.9, isParam: true)
        var x = graph.leaf(scalar: 0.5)
        for _ in 0..<100_000 {
            x = try graph.apply(.tanh, try graph.apply(.add, try graph.apply(.mul, x, w), graph.constant(scalar: 0.1)))
        }
        let forward = try graph.forwardGradient(of: x, withRespectTo: w)
        let reverse = try #require(try graph.backward(from: x).scalar(w))
        #expect(forward.evaluations == 300_000)
        #expect(Swift.abs(forward.gradient.scalars[0] - reverse) <= 1e-12 * Swift.max(1, Swift.abs(reverse)))
    }

    @Test func nonDifferentiableInputsAndOpsCarryNoTangent() throws {
        var graph = Graph()
        let logits = graph.leaf(try Tensor.randn([3, 4], seed: 7), isParam: true)
        let labels = graph.leaf(Tensor(vector: [0, 3, 1]))
        let loss = try graph.apply(.crossEntropy, [logits, labels])
        #expect(try graph.jvp(from: labels, along: Tensor(vector: [1, 1, 1]), through: loss)[loss] == nil)
        let best = try graph.apply(.argmax, [logits])
        #expect(try graph.jvp(from: logits, along: try Tensor.ones([3, 4]), through: best)[best] == nil)
        let forward = try graph.forwardGradient(of: loss, withRespectTo: logits)
        let reverse = try #require(try graph.backward(from: loss)[logits])
        #expect(agree(forward.gradient, reverse), "\(forward.gradient) vs \(reverse)")
    }

    @Test func gradcheckCountsItsPassesAndPutsValuesBack() throws {
        let seed = try SeedGraph()
        let report = try seed.graph.gradcheck(target: seed.J, params: [seed.w, seed.b])
        // Two passes per param element; each re-runs the nodes between param and J: 5 for w, 4 for b.
        #expect(report.forwardPasses == 4)
        #expect(report.evaluations == 2 * (5 + 4))
        // b's differences run after w's on the same copy: they need c put back to w's value.
        let numericB = try #require(report.params.last?.numeric.scalarValue)
        #expect(Swift.abs(numericB - 2) < 1e-8)
        #expect(report.passed())
        // Finite differences make exactly twice forward mode's evaluations.
        let forward = try seed.graph.forwardGradient(of: seed.J, withRespectTo: seed.w).evaluations
            + seed.graph.forwardGradient(of: seed.J, withRespectTo: seed.b).evaluations
        #expect(report.evaluations == 2 * forward)
    }

    @Test func forwardEvaluationsAreCounted() throws {
        var seed = try SeedGraph()
        #expect(seed.graph.opNodeCount(in: 0..<seed.graph.count) == 5)
        try seed.graph.setLeafValue(seed.b, Tensor(9))
        #expect(try seed.graph.recomputeForward(after: seed.b) == 4)
        #expect(seed.graph.scalar(seed.J) == 4.5)
    }
}
