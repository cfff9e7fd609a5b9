import Foundation
import GradEngine
import GradTensor
import Testing

@Suite struct BackwardTests {
    /// The seed's one-unit network: every value and partial derivative it lists.
    @Test func seedExample() throws {
        var g = Graph()
        let x = g.leaf(scalar: -2)
        let w = g.leaf(scalar: 2, isParam: true)
        let b = g.leaf(scalar: 8, isParam: true)
        let y = g.leaf(scalar: 2)
        let c = try g.apply(.mul, w, x)
        let a = try g.apply(.add, c, b)
        let d = try g.apply(.sub, a, y)
        let half = g.constant(scalar: 0.5)
        let two = g.constant(scalar: 2)
        let d2 = try g.apply(.pow, d, two)
        let J = try g.apply(.mul, half, d2)
        #expect(g.scalar(c) == -4)
        #expect(g.scalar(a) == 4)
        #expect(g.scalar(d) == 2)
        #expect(g.scalar(J) == 2)
        let grads = try g.backward(from: J)
        #expect(grads.scalar(w) == -4)
        #expect(grads.scalar(b) == 2)
        #expect(grads.scalar(d) == 2)
        #expect(grads.scalar(a) == 2)
        #expect(grads.scalar(c) == 2)
        #expect(grads.scalar(x) == 4)
        #expect(grads.scalar(half) == nil)
        #expect(grads[J] == Tensor(1))
    }

    @Test func nodeUsedTwiceGetsBothPaths() throws {
        var g = Graph()
        let a = g.leaf(scalar: 3)
        let b = try g.apply(.add, a, a)
        let c = try g.apply(.mul, b, a)   // c = 2a², dc/da = 4a
        let grads = try g.backward(from: c)
        #expect(grads.scalar(a) == 12)
        #expect(grads.scalar(b) == 3)
    }

    @Test func eachPassIsFresh() throws {
        var g = Graph()
        let a = g.leaf(scalar: 3, isParam: true)
        let b = try g.apply(.mul, a, a)
        let first = try g.backward(from: b)
        let second = try g.backward(from: b)
        #expect(first.scalar(a) == 6)
        #expect(second.scalar(a) == 6)
    }

    @Test func stopAtGivesLocalPartials() throws {
        var g = Graph()
        let x = g.leaf(scalar: -2)
        let w = g.leaf(scalar: 2, isParam: true)
        let c = try g.apply(.mul, w, x)
        let b = g.leaf(scalar: 8)
        let a = try g.apply(.add, c, b)
        let e = try g.apply(.exp, a)
        let grads = try g.backward(from: a, stopAt: [c, b])
        #expect(grads.scalar(c) == 1)
        #expect(grads.scalar(b) == 1)
        #expect(grads.scalar(w) == nil)
        #expect(grads.scalar(x) == nil)
        #expect(grads.scalar(e) == nil)
    }

    @Test func nonScalarTargetIsAnError() throws {
        var g = Graph()
        let v = g.leaf(Tensor(vector: [1, 2, 3]))
        let e = try g.apply(.exp, v)
        #expect(throws: EngineError.self) { try g.backward(from: e) }
        let s = try g.apply(.sum, [e])
        let grads = try g.backward(from: s)
        #expect(grads[v]?.scalars == [1, 2, 3].map { exp($0) })
    }
}
