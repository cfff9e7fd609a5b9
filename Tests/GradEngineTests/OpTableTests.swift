import GradEngine
import GradTensor
import Testing

/// Draws an input for an op example from its domain.
private func sample(_ shape: [Int], _ domain: InputDomain, seed: UInt64) throws -> Tensor {
    switch domain {
    case .any:
        return try Tensor.randn(shape, seed: seed)
    case .positive:
        return try Tensor.rand(shape, seed: seed).map { 0.5 + 1.5 * $0 }
    case .awayFromZero:
        return try Tensor.randn(shape, seed: seed).map { $0 < 0 ? $0 - 0.3 : $0 + 0.3 }
    case .classIndex(let classes):
        return try Tensor.rand(shape, seed: seed).map { ($0 * Double(classes)).rounded(.down) }
    }
}

/// Every (row, example) pair of the table, so each shows up as its own test case.
private let cases: [(OpCode, Int)] = OpRule.table.flatMap { rule in rule.examples.indices.map { (rule.op, $0) } }

@Suite struct OpTableTests {
    @Test func tableHasOneRowPerOpInOrder() {
        #expect(OpRule.table.count == OpCode.allCases.count)
        for (position, op) in OpCode.allCases.enumerated() {
            #expect(OpRule.table[position].op == op)
        }
        let names = OpRule.table.map(\.name)
        #expect(Set(names).count == names.count, "op names must be unique")
    }

    @Test func builtinNamesResolveToOneOpPerArity() {
        for name in OpCode.builtinNames {
            for arity in 0...4 {
                let matches = OpRule.table.filter { $0.callName == name && $0.arity.accepts(arity) }
                #expect(matches.count <= 1, "\(name) with \(arity) arguments is listed twice")
            }
        }
        #expect(OpCode(builtinName: "max", arity: 2) == .maximum)
        #expect(OpCode(builtinName: "max", arity: 1) == .max)
        #expect(OpCode(builtinName: "min", arity: 2) == .minimum)
        #expect(OpCode(builtinName: "concat", arity: 3) == .concat)
        #expect(OpCode(builtinName: "exp", arity: 2) == nil)
        #expect(OpCode(builtinName: "nope", arity: 1) == nil)
        #expect(OpCode(name: "log_softmax") == .logSoftmax)
    }

    @Test func everyDifferentiableOpIsExercised() {
        for rule in OpRule.table where rule.vjp != nil {
            #expect(!rule.examples.isEmpty, "\(rule.name) has a VJP but no example to check it on")
            #expect(!rule.doc.isEmpty)
        }
        for rule in OpRule.table where rule.scalar != nil {
            // The scalar fast path propagates to every input, so it only fits ops that are
            // differentiable in all of them.
            #expect(rule.differentiable.allSatisfy { $0 }, "\(rule.name)")
        }
    }

    /// Example `exampleIndex` of the op's row as a graph: differentiable inputs as leaves (the
    /// `checked` ones), the others as constants, and a scalar target Σ op(x) · u with fixed
    /// random weights u, so every output element matters.
    private func weightedExample(_ op: OpCode, _ exampleIndex: Int) throws -> (graph: Graph, checked: [NodeID], target: NodeID) {
        let rule = op.rule
        let example = rule.examples[exampleIndex]
        var graph = Graph()
        var inputs: [NodeID] = []
        var checked: [NodeID] = []
        for (k, shape) in example.shapes.enumerated() {
            let value = try sample(shape, example.domains[k], seed: UInt64(op.rawValue) * 100 + UInt64(exampleIndex * 10 + k))
            if rule.isDifferentiable(inputAt: k) {
                let id = graph.leaf(value)
                inputs.append(id)
                checked.append(id)
            } else {
                inputs.append(graph.constant(value))
            }
        }
        let node = try graph.apply(op, inputs, attributes: example.attributes)
        let weights = graph.constant(try Tensor.randn(graph.shape(node), seed: 999))
        let target = try graph.apply(.sum, [try graph.apply(.mul, node, weights)])
        return (graph, checked, target)
    }

    /// The VJP of every op against central finite differences in float64, through the
    /// engine (so broadcast reduction and the scalar fast path are covered), on the
    /// example inputs listed in the op's own row.
    @Test(arguments: cases)
    func vjpMatchesFiniteDifferences(op: OpCode, exampleIndex: Int) throws {
        let rule = op.rule
        let (graph, checked, target) = try weightedExample(op, exampleIndex)
        let report = try graph.gradcheck(target: target, params: checked)
        #expect(report.maxRelativeError < 1e-6, "\(rule.name) example \(exampleIndex): relative error \(report.maxRelativeError)")
        #expect(report.maxAbsoluteError < 1e-6, "\(rule.name) example \(exampleIndex): absolute error \(report.maxAbsoluteError)")
    }

    @Test func everyDifferentiableRowHasItsJVPBesideItsVJP() {
        for rule in OpRule.table {
            #expect((rule.jvp != nil) == (rule.vjp != nil), "\(rule.name): a JVP exactly where there is a VJP")
        }
    }

    /// The JVP of every op, on the examples of its own row, through the engine (broadcasting and
    /// the scalar path included), in float64: against its VJP by the adjoint identity
    /// ⟨JVP(v), u⟩ = ⟨v, VJP(u)⟩ — the target is Σ op(x) · u, so the target's tangent along v is
    /// the left side and v · dtarget/dx the right — and against central finite differences along v.
    @Test(arguments: cases)
    func jvpIsTheVJPsAdjointAndMatchesFiniteDifferences(op: OpCode, exampleIndex: Int) throws {
        let rule = op.rule
        let (graph, checked, target) = try weightedExample(op, exampleIndex)
        let gradients = try graph.backward(from: target)
        for (k, input) in checked.enumerated() {
            let x = graph.value(input)
            let v = try Tensor.randn(x.shape, seed: 500 + UInt64(k))
            let forward = try #require(try graph.jvp(from: input, along: v, through: target)[target]?.scalarValue)
            let gradient = try #require(gradients[input])
            let adjoint = zip(v.scalars, gradient.scalars).reduce(0) { $0 + $1.0 * $1.1 }
            let scale = Swift.max(1, Swift.abs(forward), Swift.abs(adjoint))
            #expect(Swift.abs(forward - adjoint) <= 1e-12 * scale,
                    "\(rule.name) example \(exampleIndex) input \(k): JVP \(forward) vs VJP \(adjoint)")
            let epsilon = 1e-6
            var probe = graph
            try probe.setLeafValue(input, try x + v * epsilon)
            try probe.recomputeForward(after: input)
            let plus = try #require(probe.scalar(target))
            try probe.setLeafValue(input, try x - v * epsilon)
            try probe.recomputeForward(after: input)
            let minus = try #require(probe.scalar(target))
            let numeric = (plus - minus) / (2 * epsilon)
            #expect(Swift.abs(forward - numeric) <= 1e-6 * Swift.max(1, Swift.abs(forward), Swift.abs(numeric)),
                    "\(rule.name) example \(exampleIndex) input \(k): JVP \(forward) vs finite differences \(numeric)")
        }
    }

    /// Forward mode's scalar path (scalar nodes, derivative formulas by op code) computes the
    /// bits of the row's tensor JVP, with one tangent or both.
    @Test func scalarForwardModeMatchesTheTensorJVP() throws {
        for rule in OpRule.table {
            guard let scalar = rule.scalar, let jvp = rule.jvp else { continue }
            let a = 0.7, b = 1.3, t = -0.45
            switch scalar {
            case .unary:
                var graph = Graph()
                let x = graph.leaf(scalar: a)
                let y = try graph.apply(rule.op, x)
                let fast = try graph.jvp(from: x, along: Tensor(t), through: y)[y]
                let tensor = try jvp(TangentArguments(inputs: [Tensor(a)], output: graph.value(y), tangents: [Tensor(t)],
                                                      attributes: OpAttributes()))
                #expect(fast?.scalars.map(\.bitPattern) == tensor.scalars.map(\.bitPattern), "\(rule.name)")
            case .binary:
                for (first, second) in [(true, true), (true, false), (false, true)] {
                    var graph = Graph()
                    let x = graph.leaf(scalar: a)
                    let z = graph.leaf(scalar: b)
                    // An input with a tangent is s · a (value a, tangent a along ds = 1), one without a leaf.
                    let s = graph.leaf(scalar: 1)
                    let xs = first ? try graph.apply(.mul, s, graph.constant(scalar: a)) : x
                    let zs = second ? try graph.apply(.mul, s, graph.constant(scalar: b)) : z
                    let y = try graph.apply(rule.op, xs, zs)
                    let tx = first ? a : nil, tz = second ? b : nil
                    let fast = try graph.jvp(from: s, along: Tensor(1), through: y)[y]
                    let tensor = try jvp(TangentArguments(inputs: [Tensor(a), Tensor(b)], output: graph.value(y),
                                                          tangents: [tx.map { Tensor($0) }, tz.map { Tensor($0) }], attributes: OpAttributes()))
                    #expect(fast?.scalars.map(\.bitPattern) == tensor.scalars.map(\.bitPattern), "\(rule.name) \(first) \(second)")
                }
            }
        }
    }

    /// Elementwise max(a, b) and min(a, b): a tie splits the gradient evenly between a and b,
    /// as torch.maximum / torch.minimum and JAX do, on the scalar and the tensor path alike.
    @Test func elementwiseMaxAndMinSplitATiesGradient() throws {
        for op in [OpCode.maximum, .minimum] {
            var scalars = Graph()
            let a = scalars.leaf(scalar: 2), b = scalars.leaf(scalar: 2), c = scalars.leaf(scalar: 1)
            let tie = try scalars.apply(op, a, b)
            let grads = try scalars.backward(from: tie)
            #expect(grads.scalar(a) == 0.5 && grads.scalar(b) == 0.5, "\(op)")
            let strict = try scalars.apply(op, a, c)
            let strictGrads = try scalars.backward(from: strict)
            #expect(strictGrads.scalar(a) == (op == .maximum ? 1 : 0) && strictGrads.scalar(c) == (op == .maximum ? 0 : 1), "\(op)")

            var tensors = Graph()
            let u = tensors.leaf(Tensor(vector: [1, 2, 3]))
            let v = tensors.leaf(Tensor(vector: [1, 5, 0]))
            let J = try tensors.apply(.sum, [try tensors.apply(op, u, v)])
            let tensorGrads = try tensors.backward(from: J)
            #expect(tensorGrads[u]?.scalars == (op == .maximum ? [0.5, 0, 1] : [0.5, 1, 0]), "\(op)")
            #expect(tensorGrads[v]?.scalars == (op == .maximum ? [0.5, 1, 0] : [0.5, 0, 1]), "\(op)")
            // Forward mode splits a tie the same way: d max(u, u') / du along 1 is 1/2 at a tie.
            #expect(try tensors.jvp(from: u, along: Tensor(vector: [1, 1, 1]), through: J)[J]?.scalarValue == 1.5, "\(op)")
        }
    }

    /// Where an op has a scalar fast path, it must agree with the tensor path exactly.
    @Test func scalarPathsMatchTensorPaths() throws {
        for rule in OpRule.table {
            guard let scalar = rule.scalar, let vjp = rule.vjp else { continue }
            let a = 0.7, b = 1.3, g = -0.45
            switch scalar {
            case .unary(let forward, let derivative):
                let y = try rule.forward(ForwardArguments(inputs: [Tensor(a)], attributes: OpAttributes()))
                #expect(y.scalars == [forward(a)], "\(rule.name)")
                let grads = try vjp(BackwardArguments(inputs: [Tensor(a)], output: y, gradient: Tensor(g),
                                                      attributes: OpAttributes(), needsGradient: [true]))
                #expect(grads[0]?.scalars == [derivative(a, forward(a), g)], "\(rule.name)")
            case .binary(let forward, let first, let second):
                let y = try rule.forward(ForwardArguments(inputs: [Tensor(a), Tensor(b)], attributes: OpAttributes()))
                #expect(y.scalars == [forward(a, b)], "\(rule.name)")
                let grads = try vjp(BackwardArguments(inputs: [Tensor(a), Tensor(b)], output: y, gradient: Tensor(g),
                                                      attributes: OpAttributes(), needsGradient: [true, true]))
                #expect(grads[0]?.scalars == [first(a, b, forward(a, b), g)], "\(rule.name)")
                #expect(grads[1]?.scalars == [second(a, b, forward(a, b), g)], "\(rule.name)")
            }
        }
    }

    @Test func attributesRenderAsJSON() {
        #expect(OpAttributes().json == "{}")
        #expect(OpAttributes(axis: 1, keepdims: true).json == "{\"axis\":1,\"keepdims\":true}")
        #expect(OpAttributes(axes: [0, 2]).json == "{\"axis\":[0,2]}")
        #expect(OpAttributes(shape: [2, -1]).json == "{\"shape\":[2,-1]}")
        #expect(OpAttributes(index: [.all, .index(-1)]).json == "{\"index\":\"[:, -1]\"}")
        #expect(OpAttributes(classes: 3).json == "{\"n\":3}")
    }
}
