import GradEngine
import GradTensor
import Testing

/// An input for a chain-rule check, drawn from the example's domain.
private func draw(_ shape: [Int], _ domain: InputDomain, seed: UInt64) throws -> Tensor {
    switch domain {
    case .any: return try Tensor.randn(shape, seed: seed)
    case .positive: return try Tensor.rand(shape, seed: seed).map { 0.5 + 1.5 * $0 }
    case .awayFromZero: return try Tensor.randn(shape, seed: seed).map { $0 < 0 ? $0 - 0.3 : $0 + 0.3 }
    case .classIndex(let classes): return try Tensor.rand(shape, seed: seed).map { ($0 * Double(classes)).rounded(.down) }
    }
}

private let examples: [(OpCode, Int)] = OpRule.table.flatMap { rule in rule.examples.indices.map { (rule.op, $0) } }

/// The symbolic backward rules `%explain` shows are the ones the engine runs: every rule,
/// evaluated on every example of its op's row, equals the row's VJP reduced to the input's
/// shape (the engine's broadcasting sum).
@Suite struct ChainRuleTests {
    @Test(arguments: examples)
    func ruleEvaluatesToTheVJP(op: OpCode, exampleIndex: Int) throws {
        let rule = op.rule
        let example = rule.examples[exampleIndex]
        let vjp = try #require(rule.vjp)
        var inputs: [Tensor] = []
        for (position, shape) in example.shapes.enumerated() {
            inputs.append(try draw(shape, example.domains[position], seed: UInt64(op.rawValue) * 1000 + UInt64(exampleIndex * 10 + position)))
        }
        let output = try rule.forward(ForwardArguments(inputs: inputs, attributes: example.attributes))
        let upstream = try Tensor.randn(output.shape, seed: 77)
        let wanted = inputs.indices.map { rule.isDifferentiable(inputAt: $0) }
        let gradients = try vjp(BackwardArguments(inputs: inputs, output: output, gradient: upstream, attributes: example.attributes, needsGradient: wanted))
        let terms = rule.chainRule(inputShapes: inputs.map(\.shape), outputShape: output.shape, attributes: example.attributes)
        #expect(terms.count == inputs.count, "\(rule.name): one term per input")
        for position in inputs.indices {
            let term = position < terms.count ? terms[position] : nil
            guard wanted[position] else {
                #expect(term == nil, "\(rule.name) input \(position) is not differentiable but has a rule")
                continue
            }
            let symbolic = try #require(term, "\(rule.name) input \(position) has no rule")
            let expected = try #require(gradients[position]).sumTo(inputs[position].shape)
            let value = try symbolic.evaluate(ChainValues(upstream: upstream, inputs: inputs, output: output))
            #expect(value.shape == expected.shape, "\(rule.name) example \(exampleIndex) input \(position): \(value.shape) vs \(expected.shape)")
            let worst = zip(value.scalars, expected.scalars).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
            #expect(worst < 1e-12, "\(rule.name) example \(exampleIndex) input \(position): \(symbolic.text(ChainNaming())) is off by \(worst)")
        }
    }

    @Test func everyOpHasARuleForEachInput() {
        for rule in OpRule.table where rule.vjp != nil {
            for example in rule.examples {
                let output = (try? rule.forward(ForwardArguments(
                    inputs: example.shapes.map { (try? Tensor.zeros($0)) ?? Tensor(0) }, attributes: example.attributes)))?.shape ?? []
                let terms = rule.chainRule(inputShapes: example.shapes, outputShape: output, attributes: example.attributes)
                #expect(terms.count == example.shapes.count, "\(rule.name)")
            }
        }
    }

    func text(_ op: OpCode, _ shapes: [[Int]], attributes: OpAttributes = OpAttributes(), inputs: [String] = ["a", "b"]) throws -> [String?] {
        let output = try op.rule.forward(ForwardArguments(inputs: try shapes.map { try Tensor.zeros($0) }, attributes: attributes)).shape
        return op.rule.chainRule(inputShapes: shapes, outputShape: output, attributes: attributes)
            .map { $0?.text(ChainNaming(upstream: "dL/dz", inputs: inputs, output: "h")) }
    }

    @Test func rulesReadAsATextbookWritesThem() throws {
        #expect(try text(.tanh, [[2, 3]], inputs: ["z"]) == ["dL/dz ⊙ (1 - h^2)"])
        #expect(try text(.matmul, [[4, 3], [3, 2]], inputs: ["x", "W"]) == ["dL/dz @ W.T", "x.T @ dL/dz"])
        #expect(try text(.matmul, [[3, 2], [2]], inputs: ["W", "x"]) == ["outer(dL/dz, x)", "W.T @ dL/dz"])
        #expect(try text(.add, [[4, 2], [2]], inputs: ["xW", "b"]) == ["dL/dz", "sum over axis 0 of dL/dz"])
        #expect(try text(.add, [[4, 2], [4, 1]]) == ["dL/dz", "sum over axis 1 of dL/dz, to shape [4, 1]"])
        #expect(try text(.mul, [[2, 2], [2, 2]]) == ["dL/dz ⊙ b", "dL/dz ⊙ a"])
        #expect(try text(.sigmoid, [[2]], inputs: ["z"]) == ["dL/dz ⊙ h ⊙ (1 - h)"])
        #expect(try text(.relu, [[2]], inputs: ["z"]) == ["dL/dz ⊙ [z > 0]"])
        #expect(try text(.div, [[2], [2]]) == ["dL/dz / b", "-(dL/dz ⊙ a / b^2)"])
        #expect(try text(.mean, [[4, 2]], inputs: ["e"]) == ["broadcast(dL/dz, [4, 2]) / 8"])
        #expect(try text(.sum, [[4, 2]], attributes: OpAttributes(axis: 1), inputs: ["e"]) == ["broadcast(dL/dz, [4, 2])"])
        #expect(try text(.softmax, [[2, 3]], inputs: ["z"]) == ["h ⊙ (dL/dz - sum(dL/dz ⊙ h, axis=-1, keepdims=true))"])
        #expect(try text(.index, [[4, 3]], attributes: OpAttributes(index: [.all, .index(1)]), inputs: ["p"]) == ["dL/dz at [:, 1] of zeros [4, 3]"])
        #expect(try text(.concat, [[2, 3], [1, 3]]) == ["dL/dz[0:2]", "dL/dz[2:3]"])
        #expect(try text(.crossEntropy, [[4, 3], [4]], inputs: ["logits", "labels"])
            == ["dL/dz ⊙ (softmax(logits, axis=-1) - one_hot(labels, 3)) / 4", nil])
    }

    @Test func boundRulesSimplifyLikeHandWork() {
        // pow with a constant exponent, as `d^2` binds it: g ⊙ 2 ⊙ d^(2 - 1) reads 2 * g ⊙ d.
        let rule = OpCode.pow.rule.chainRule(inputShapes: [[3], []], outputShape: [3], attributes: OpAttributes())[0]
        let bound = rule?.substituting(upstream: .symbol(0), input: { $0 == 0 ? .symbol(1) : .number(2) }, output: .symbol(2)).simplified()
        let naming = ChainNaming(symbol: { (["dL/dJ", "d", "J"][$0], true) })
        #expect(bound?.text(naming) == "2 * dL/dJ ⊙ d")
    }
}

/// Ties of elementwise max/min: the rule's half share at `a = b` is the VJP's.
@Suite struct ChainRuleTieTests {
    @Test(arguments: [OpCode.maximum, .minimum])
    func aTieIsSplitEvenlyInTheRuleAsInTheVJP(op: OpCode) throws {
        let a = Tensor(vector: [1, 2, 3, 4]), b = Tensor(vector: [1, 5, 3, 0])
        let rule = op.rule
        let output = try rule.forward(ForwardArguments(inputs: [a, b], attributes: OpAttributes()))
        let upstream = Tensor(vector: [2, 4, 6, 8])
        let vjp = try #require(rule.vjp)
        let arguments = BackwardArguments(inputs: [a, b], output: output, gradient: upstream, attributes: OpAttributes(), needsGradient: [true, true])
        let gradients = try vjp(arguments)
        let terms = rule.chainRule(inputShapes: [[4], [4]], outputShape: [4], attributes: OpAttributes())
        for position in 0..<2 {
            let value = try #require(terms[position]).evaluate(ChainValues(upstream: upstream, inputs: [a, b], output: output))
            #expect(value.scalars.map(\.bitPattern) == gradients[position]?.scalars.map(\.bitPattern))
            #expect(value.scalars[0] == 1 && value.scalars[2] == 3, "half of each tie")
        }
    }
}
