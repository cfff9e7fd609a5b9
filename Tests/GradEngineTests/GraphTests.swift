import Foundation
import GradEngine
import GradTensor
import Testing

@Suite struct GraphTests {
    @Test func shapeErrorsNameOpAndBothShapesAndChangeNothing() throws {
        var g = Graph()
        let a = g.leaf(try Tensor.zeros([2, 3]))
        let b = g.leaf(try Tensor.zeros([4]))
        let before = g.count
        #expect(throws: EngineError("add: operands could not be broadcast together with shapes [2, 3] and [4]", op: .add)) {
            try g.apply(.add, a, b)
        }
        #expect(throws: EngineError("matmul: inner dimensions differ: [2, 3] @ [4]", op: .matmul)) {
            try g.apply(.matmul, a, b)
        }
        #expect(throws: EngineError.self) { try g.apply(.add, [a]) }
        #expect(g.count == before)
    }

    @Test func broadcastGradientsAreSummedToTheInputShape() throws {
        var g = Graph()
        let a = g.leaf(try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
        let b = g.leaf(Tensor(vector: [1, 1, 1]))
        let s = g.leaf(Tensor(2))
        let product = try g.apply(.mul, a, b)
        let scaled = try g.apply(.mul, product, s)
        let J = try g.apply(.sum, [scaled])
        let grads = try g.backward(from: J)
        #expect(grads[b] == Tensor(vector: [10, 14, 18]))
        #expect(grads[s] == Tensor(21))
        #expect(grads[a]?.scalars == [2, 2, 2, 2, 2, 2])
    }

    @Test func constantsTakeNoGradient() throws {
        var g = Graph()
        let x = g.constant(Tensor(vector: [1, 2]))
        let w = g.leaf(Tensor(vector: [3, 4]), isParam: true)
        let J = try g.apply(.sum, [try g.apply(.mul, x, w)])
        let grads = try g.backward(from: J)
        #expect(grads[x] == nil)
        #expect(grads[w] == Tensor(vector: [1, 2]))
        #expect(!g.requiresGradient(x))
        #expect(g.params(of: J) == [w])
    }

    @Test func leafChangesPropagateForward() throws {
        var g = Graph()
        let x = g.leaf(scalar: 3)
        let y = g.leaf(scalar: 10)
        let sq = try g.apply(.mul, x, x)
        let other = try g.apply(.exp, y)
        let J = try g.apply(.add, sq, y)
        try g.setLeafValue(x, Tensor(4))
        try g.recomputeForward(after: x)
        #expect(g.scalar(J) == 26)
        #expect(g.scalar(other) == exp(10))
        #expect(throws: EngineError.self) { try g.setLeafValue(J, Tensor(1)) }
    }

    @Test func leafCanChangeShape() throws {
        var g = Graph()
        let x = g.leaf(Tensor(vector: [1, 2, 3]))
        let s = try g.apply(.sum, [x])
        try g.setLeafValue(x, Tensor(vector: [1, 2]))
        try g.recomputeForward(changed: [x])
        #expect(g.scalar(s) == 3)
        try g.setLeafValue(x, Tensor(5))
        try g.recomputeForward(changed: [x])
        #expect(g.scalar(s) == 5)
        #expect(g.shape(x) == [])
    }

    @Test func copiesAreIndependentSnapshots() throws {
        var g = Graph()
        let x = g.leaf(scalar: 1)
        let y = try g.apply(.exp, x)
        let saved = g
        try g.setLeafValue(x, Tensor(0))
        try g.recomputeForward(after: x)
        _ = try g.apply(.neg, y)
        #expect(saved.count == 2)
        #expect(saved.scalar(x) == 1)
        #expect(saved.scalar(y) == exp(1))
        #expect(g.count == 3)
        #expect(g.scalar(y) == 1)
    }

    @Test func nonFiniteValuesAreFlaggedWhereTheyAppear() throws {
        var g = Graph()
        let x = g.leaf(scalar: -1)
        let ok = try g.apply(.exp, x)
        let bad = try g.apply(.log, x)
        let later = try g.apply(.add, bad, ok)
        #expect(g.firstNonFinite(in: 0..<g.count) == bad)
        #expect(g.op(bad) == .log)
        #expect(g.isNonFinite(later))
        #expect(!g.isNonFinite(ok))
        try g.setLeafValue(x, Tensor(1))
        try g.recomputeForward(after: x)
        #expect(g.firstNonFinite(in: 0..<g.count) == nil)
        let v = g.leaf(Tensor(vector: [1, -1]))
        let roots = try g.apply(.sqrt, v)
        #expect(g.firstNonFinite(in: 0..<g.count) == roots)
    }

    @Test func accessorsDescribeNodes() throws {
        var g = Graph()
        let m = g.leaf(try Tensor.ones([3, 4]), isParam: true)
        let s = try g.apply(.sum, [m], attributes: OpAttributes(axis: 0, keepdims: true))
        #expect(g.op(s) == .sum)
        #expect(g.inputs(s) == [m])
        #expect(g.attributes(s) == OpAttributes(axis: 0, keepdims: true))
        #expect(g.shape(s) == [1, 4])
        #expect(g.value(s) == (try Tensor.full([1, 4], value: 3)))
        #expect(g.scalar(s) == nil)
        #expect(g.isParam(m) && g.isLeaf(m) && !g.isLeaf(s))
        #expect(g.ancestors(of: s) == [m, s])
        let element = try g.apply(.index, [m], attributes: OpAttributes(index: [.index(-1), .index(0)]))
        #expect(g.scalar(element) == 1)
        #expect(g.shape(element) == [])
    }

    @Test func oneElementTensorTargetsWork() throws {
        var g = Graph()
        let v = g.leaf(Tensor(vector: [3]))
        let sq = try g.apply(.mul, v, v)
        let grads = try g.backward(from: sq)
        #expect(grads[v] == Tensor(vector: [6]))
        #expect(grads.scalar(v) == 6)
    }

    @Test func gradcheckPassesAndLeavesTheGraphAlone() throws {
        var g = Graph()
        let x = g.leaf(scalar: -2)
        let w = g.leaf(scalar: 2, isParam: true)
        let b = g.leaf(scalar: 8, isParam: true)
        let y = g.leaf(scalar: 2)
        let d = try g.apply(.sub, try g.apply(.add, try g.apply(.mul, w, x), b), y)
        let J = try g.apply(.mul, g.constant(scalar: 0.5), try g.apply(.pow, d, g.constant(scalar: 2)))
        let values = (0..<g.count).map { g.value(NodeID(Int32($0))) }
        let report = try g.gradcheck(target: J, params: [w, b])
        #expect(report.passed())
        #expect(report.maxRelativeError < 1e-8)
        #expect(report.params[0].analytic == Tensor(-4))
        #expect(Swift.abs(report.params[0].numeric.scalars[0] + 4) < 1e-8)
        #expect((0..<g.count).map { g.value(NodeID(Int32($0))) } == values)
        #expect(throws: EngineError.self) { try g.gradcheck(target: J, params: [d]) }
    }

    @Test func unreachableNodesHaveNoGradient() throws {
        var g = Graph()
        let a = g.leaf(scalar: 1)
        let b = g.leaf(scalar: 2)
        let c = try g.apply(.exp, a)
        let grads = try g.backward(from: c)
        #expect(grads[b] == nil)
        #expect(grads.nodes == [a, c])
    }

    @Test func millionNodeChainNeedsNoRecursion() throws {
        var g = Graph()
        let x0 = g.leaf(scalar: 0.5)
        let w = g.leaf(scalar: 1e-6)
        var x = x0
        for _ in 0..<1_000_000 { x = try g.apply(.add, x, w) }
        let grads = try g.backward(from: x)
        #expect(grads.scalar(x0) == 1)
        #expect(grads.scalar(w) == 1_000_000)
    }

    /// The peers' scalar_chain at N = 1e5 and 1e6 (bench/peers/README.md §1 checksums).
    @Test(arguments: [(100_000, -0.22496404254520266, 0.3503788563885961, -0.6420594121002007),
                      (1_000_000, -0.0, 0.0, 0.0)])
    func scalarChainChecksums(nodes: Int, xFinal: Double, sumGradW: Double, sumGradB: Double) throws {
        var g = Graph()
        let steps = nodes / 4
        let ws = (0..<steps).map { g.leaf(scalar: 0.9 * sin(Double($0 + 1))) }
        let bs = (0..<steps).map { g.leaf(scalar: 0.5 * cos(Double($0 + 1))) }
        let x0 = g.leaf(scalar: 0.5)
        var x = x0
        for i in 0..<steps {
            x = try g.apply(.mul, try g.apply(.relu, try g.apply(.add, try g.apply(.mul, x, ws[i]), bs[i])), ws[i])
        }
        #expect(g.count == nodes + 2 * steps + 1)
        let grads = try g.backward(from: x)
        func close(_ a: Double, _ b: Double) -> Bool { Swift.abs(a - b) <= 1e-9 * Swift.max(1, Swift.abs(b)) }
        #expect(close(g.scalar(x) ?? .nan, xFinal))
        #expect(grads.scalar(x0) == 0)
        #expect(close(ws.reduce(0) { $0 + (grads.scalar($1) ?? 0) }, sumGradW))
        #expect(close(bs.reduce(0) { $0 + (grads.scalar($1) ?? 0) }, sumGradB))
    }
}
