import Foundation
import GradEngine
import GradTensor
import Testing

/// J = sum(p²) for a vector param, so dJ/dp = 2p.
private func quadratic(_ start: [Double]) throws -> (Graph, NodeID, NodeID) {
    var g = Graph()
    let p = g.leaf(Tensor(vector: start), isParam: true)
    let J = try g.apply(.sum, [try g.apply(.mul, p, p)])
    return (g, p, J)
}

private func run(_ optimizer: inout Optimizer, steps: Int, start: [Double]) throws -> [Double] {
    var (g, p, J) = try quadratic(start)
    for _ in 0..<steps {
        let grads = try g.backward(from: J)
        try optimizer.step(graph: &g, params: [p], gradients: grads)
        try g.recomputeForward(changed: [p])
    }
    return g.value(p).scalars
}

@Suite struct OptimizerTests {
    @Test func sgdAndWeightDecay() throws {
        var sgd = Optimizer(kind: .sgd, learningRate: 0.1)
        #expect(try run(&sgd, steps: 1, start: [2, -1]) == [2 - 0.1 * 4, -1 - 0.1 * -2])
        var decayed = Optimizer(kind: .sgd, learningRate: 0.1, weightDecay: 0.5)
        #expect(try run(&decayed, steps: 1, start: [2]) == [2 - 0.1 * (4 + 0.5 * 2)])
    }

    /// torch.optim.SGD(momentum=0.9): buf = g on the first step, then buf = 0.9·buf + g; p -= lr·buf.
    @Test func momentumMatchesPyTorch() throws {
        var optimizer = Optimizer(kind: .momentum, learningRate: 0.1)
        let p1 = 2 - 0.1 * 4.0
        let buffer2 = 0.9 * 4.0 + 2 * p1
        #expect(try run(&optimizer, steps: 2, start: [2]) == [p1 - 0.1 * buffer2])
    }

    /// torch.optim.Adam's textbook form: m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ), p -= lr·m̂/(√v̂ + ε).
    @Test func adamMatchesPyTorch() throws {
        var optimizer = Optimizer(kind: .adam, learningRate: 0.01, weightDecay: 0.1)
        let result = try run(&optimizer, steps: 3, start: [1.5, -0.25])
        var expected = [1.5, -0.25]
        var m = [0.0, 0.0], v = [0.0, 0.0]
        for t in 1...3 {
            for i in 0..<2 {
                let g = 2 * expected[i] + 0.1 * expected[i]
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                let mHat = m[i] / (1 - pow(0.9, Double(t))), vHat = v[i] / (1 - pow(0.999, Double(t)))
                expected[i] -= 0.01 * mHat / (vHat.squareRoot() + 1e-8)
            }
        }
        for i in 0..<2 { #expect(Swift.abs(result[i] - expected[i]) < 1e-14) }
    }

    /// micrograd's demo schedule: lr_k = 1.0 − 0.9·k/100, bit for bit.
    @Test func linearDecay() throws {
        var optimizer = Optimizer(kind: .sgd, learningRate: 1.0, learningRateEnd: 0.1, totalSteps: 100)
        var (g, p, J) = try quadratic([1])
        for k in 0..<100 {
            #expect(optimizer.currentLearningRate == 1.0 - 0.9 * Double(k) / 100)
            try optimizer.step(graph: &g, params: [p], gradients: try g.backward(from: J))
        }
        #expect(optimizer.stepCount == 100)
    }

    @Test func scalarParamsAndMissingGradients() throws {
        var g = Graph()
        let a = g.leaf(scalar: 3, isParam: true)
        let unused = g.leaf(scalar: 5, isParam: true)
        let J = try g.apply(.mul, a, a)
        var optimizer = Optimizer(kind: .sgd, learningRate: 0.5)
        try optimizer.step(graph: &g, params: [a, unused], gradients: try g.backward(from: J))
        #expect(g.scalar(a) == 0)
        #expect(g.scalar(unused) == 5)
        #expect(throws: EngineError.self) { try optimizer.step(graph: &g, params: [J], gradients: try g.backward(from: J)) }
    }

    /// A checkpoint: the params' values and the optimizer's state after some steps. A fresh
    /// optimizer with the same settings, given that state and those values, continues bit for
    /// bit as the original did, for every kind, with the lr decay and weight decay in play.
    @Test(arguments: [Optimizer.Kind.sgd, .momentum, .adam])
    func aRestoredStateContinuesExactly(_ kind: Optimizer.Kind) throws {
        func settings() -> Optimizer {
            Optimizer(kind: kind, learningRate: 0.05, learningRateEnd: 0.01, totalSteps: 9, weightDecay: 0.01)
        }
        var original = settings()
        var (g, p, J) = try quadratic([1.5, -0.25, 3])
        for _ in 0..<4 {
            try original.step(graph: &g, params: [p], gradients: try g.backward(from: J))
            try g.recomputeForward(changed: [p])
        }
        let state = original.state
        #expect(state.stepCount == 4)
        #expect(Set(state.buffers[p]?.keys.map { $0 } ?? []) == Set(original.slots))
        var (resumed, q, K) = try quadratic(g.value(p).scalars)
        var restored = settings()
        try restored.restore(Optimizer.State(stepCount: state.stepCount, buffers: state.buffers[p].map { [q: $0] } ?? [:]), graph: resumed)
        for _ in 0..<5 {
            try original.step(graph: &g, params: [p], gradients: try g.backward(from: J))
            try g.recomputeForward(changed: [p])
            try restored.step(graph: &resumed, params: [q], gradients: try resumed.backward(from: K))
            try resumed.recomputeForward(changed: [q])
            #expect(g.value(p).scalars.map(\.bitPattern) == resumed.value(q).scalars.map(\.bitPattern))
        }
        #expect(restored.stepCount == 9 && restored.state.buffers[q] == original.state.buffers[p])
    }

    /// Momentum's buffer starts at the first gradient, not at zero: a param without a buffer in
    /// the state is a param whose first step is still to come.
    @Test func anEmptyStateIsAFreshStart() throws {
        var fresh = Optimizer(kind: .momentum, learningRate: 0.1)
        var restored = Optimizer(kind: .momentum, learningRate: 0.1)
        var (g, p, J) = try quadratic([2])
        var (h, q, K) = try quadratic([2])
        try restored.restore(Optimizer.State(), graph: h)
        try fresh.step(graph: &g, params: [p], gradients: try g.backward(from: J))
        try restored.step(graph: &h, params: [q], gradients: try h.backward(from: K))
        #expect(g.value(p).scalars == h.value(q).scalars)
        #expect(fresh.state.buffers[p]?[.momentumBuffer] == [4])
    }

    @Test func aStateThatDoesNotFitIsRefusedAndChangesNothing() throws {
        let (g, p, J) = try quadratic([1, 2])
        var adam = Optimizer(kind: .adam, learningRate: 0.1)
        let cases: [(Optimizer.State, String)] = [
            (Optimizer.State(stepCount: -1), "negative"),
            (Optimizer.State(stepCount: 1, buffers: [p: [.expAvg: [0, 0]]]), "both exp_avg and exp_avg_sq"),
            (Optimizer.State(stepCount: 1, buffers: [p: [.expAvg: [0], .expAvgSq: [0]]]), "has 1 elements, the param 2"),
            (Optimizer.State(stepCount: 1, buffers: [p: [.momentumBuffer: [0, 0]]]), "adam keeps no momentum_buffer"),
            (Optimizer.State(stepCount: 1, buffers: [J: [.expAvg: [0], .expAvgSq: [0]]]), "is not a param"),
        ]
        for (state, message) in cases {
            let error = try #require(throws: EngineError.self) { try adam.restore(state, graph: g) }
            #expect(error.description.contains(message), "\(error)")
        }
        #expect(adam.state == Optimizer.State())
    }
}
