import GradTensor

// Each op's vector-Jacobian product in symbols, beside the row that computes it: the switch
// below is keyed by `OpCode` and exhaustive, so a new op cannot be added without its rule,
// and `ChainRuleTests` evaluates every rule on every example of the op's row and compares it
// with the row's `vjp`.

extension OpRule {
    /// This op's backward rule in symbols, one term per input (nil where the op is not
    /// differentiable), for one node's shapes and attributes. Each term is the input's
    /// gradient in the input's own shape, the engine's broadcasting sum included, so it
    /// evaluates to what `vjp` followed by that reduction gives.
    public func chainRule(inputShapes: [[Int]], outputShape: [Int], attributes: OpAttributes) -> [ChainTerm?] {
        ChainRules.terms(op, inputShapes: inputShapes, outputShape: outputShape, attributes: attributes)
    }
}

enum ChainRules {
    static func terms(_ op: OpCode, inputShapes: [[Int]], outputShape: [Int], attributes: OpAttributes) -> [ChainTerm?] {
        let g = ChainTerm.upstream, y = ChainTerm.output
        let a = ChainTerm.input(0), b = ChainTerm.input(1)
        let x = a
        let xShape = inputShapes.first ?? []
        /// Rules whose result has the broadcast shape of the inputs, summed down to each input.
        func broadcasting(_ rules: [ChainTerm]) -> [ChainTerm?] {
            let result = inputShapes.dropFirst().reduce(xShape) { (try? broadcastShape($0, $1)) ?? $0 }
            return rules.enumerated().map { position, rule in
                position < inputShapes.count ? reduced(rule, from: result, to: inputShapes[position]) : rule
            }
        }
        func spread(_ term: ChainTerm) -> ChainTerm {
            .spread(term, axes: attributes.axes, keepdims: attributes.keepdims, shape: xShape)
        }
        func axis(default fallback: Int) -> Int { (try? attributes.singleAxis(default: fallback, op: op.rule.name)) ?? fallback }
        let count = { (shape: [Int]) in shape.reduce(1, *) }

        switch op {
        case .leaf, .constant:
            return []
        case .add:
            return broadcasting([g, g])
        case .sub:
            return broadcasting([g, .negate(g)])
        case .mul:
            return broadcasting([.multiply(g, b), .multiply(g, a)])
        case .div:
            return broadcasting([.divide(g, b), .negate(.divide(.multiply(g, a), .power(b, .number(2))))])
        case .neg:
            return [.negate(g)]
        case .pow:
            return broadcasting([.multiply(.multiply(g, b), .power(a, .subtract(b, .number(1)))),
                                 .multiply(.multiply(g, y), .function(.log, a))])
        case .matmul:
            return matmul(inputShapes, outputShape, transposeLeft: attributes.transposeLeft, transposeRight: attributes.transposeRight)
        case .exp:
            return [.multiply(g, y)]
        case .log:
            return [.divide(g, x)]
        case .sqrt:
            return [.divide(g, .multiply(.number(2), y))]
        case .abs:
            return [.multiply(g, .function(.sign, x))]
        case .sin:
            return [.multiply(g, .function(.cos, x))]
        case .cos:
            return [.multiply(.negate(g), .function(.sin, x))]
        case .tanh:
            return [.multiply(g, .subtract(.number(1), .power(y, .number(2))))]
        case .sigmoid:
            return [.multiply(.multiply(g, y), .subtract(.number(1), y))]
        case .relu:
            return [.multiply(g, .indicator(x, .greater, .number(0)))]
        case .maximum, .minimum:
            // A tie's gradient is split evenly between a and b, as torch.maximum and JAX do.
            let tie = ChainTerm.multiply(.number(0.5), .indicator(a, .equal, b))
            let (aWins, bWins): (ChainComparison, ChainComparison) = op == .maximum ? (.greater, .less) : (.less, .greater)
            return broadcasting([.multiply(g, .add(.indicator(a, aWins, b), tie)), .multiply(g, .add(.indicator(a, bWins, b), tie))])
        case .sum:
            return [spread(g)]
        case .mean:
            let reducedCount = count(outputShape) == 0 ? 1 : count(xShape) / count(outputShape)
            return [.divide(spread(g), .number(Double(reducedCount)))]
        case .max, .min:
            return [.multiply(spread(g), .extremumShare(of: x, extremum: y, isMaximum: op == .max, axes: attributes.axes, keepdims: attributes.keepdims))]
        case .logsumexp:
            return [.multiply(spread(g), .softmax(x, axes: attributes.axes))]
        case .reshape, .flatten:
            return [.reshape(g, shape: xShape)]
        case .transpose:
            return [.transpose(g)]
        case .concat:
            let along = (try? normalizeAxis(axis(default: 0), rank: outputShape.count)) ?? 0
            var offset = 0
            return inputShapes.map { shape in
                let size = along < shape.count ? shape[along] : 0
                defer { offset += size }
                return .index(g, Array(repeating: IndexComponent.all, count: along) + [.slice(start: offset, stop: offset + size, step: nil)])
            }
        case .stack:
            let along = (try? normalizeAxis(axis(default: 0), rank: outputShape.count)) ?? 0
            return inputShapes.indices.map { position in
                .index(g, Array(repeating: IndexComponent.all, count: along) + [.index(position)])
            }
        case .index:
            return [.scatter(g, attributes.index ?? [], shape: xShape)]
        case .softmax:
            return [.multiply(y, .subtract(g, .sum(.multiply(g, y), axes: [axis(default: -1)], keepdims: true)))]
        case .logSoftmax:
            return [.subtract(g, .multiply(.function(.exp, y), .sum(g, axes: [axis(default: -1)], keepdims: true)))]
        case .mse:
            let elements = inputShapes.dropFirst().reduce(xShape) { (try? broadcastShape($0, $1)) ?? $0 }
            let first = ChainTerm.divide(.multiply(.multiply(.number(2), g), .subtract(a, b)), .number(Double(max(count(elements), 1))))
            return broadcasting([first, .negate(first)])
        case .crossEntropy:
            let classes = xShape.last ?? 1
            let batch = xShape.count == 2 ? xShape[0] : 1
            let labels = inputShapes.count > 1 ? inputShapes[1] : []
            var target = ChainTerm.oneHot(b, classes: classes)
            if labels + [classes] != xShape { target = .reshape(target, shape: xShape) }
            return [.divide(.multiply(g, .subtract(.softmax(a, axes: [-1]), target)), .number(Double(batch))), nil]
        case .oneHot, .argmax:
            return [nil]
        case .identity:
            return [g]
        }
    }

    /// Matmul as NumPy reads its operands: matrices (with batch axes), or a vector on either side.
    /// An operand read transposed (`z = x @ W.T`) gets the transpose of its product's gradient,
    /// written the way a textbook does: `dL/dW = dL/dz.T @ x`, not `(x.T @ dL/dz).T`.
    private static func matmul(_ shapes: [[Int]], _ out: [Int], transposeLeft: Bool, transposeRight: Bool) -> [ChainTerm?] {
        guard shapes.count == 2 else { return [nil, nil] }
        let g = ChainTerm.upstream, a = ChainTerm.input(0), b = ChainTerm.input(1)
        let (left, right) = (shapes[0], shapes[1])
        // A vector is its own transpose: the flags only matter for matrices.
        let transA = transposeLeft && left.count >= 2, transB = transposeRight && right.count >= 2
        let opA = transA ? t(a) : a, opB = transB ? t(b) : b
        switch (left.count, right.count) {
        case (1, 1):
            return [.multiply(g, b), .multiply(g, a)]
        case (_, 1):
            let batch = Array(out.dropLast(1))
            return [reduced(transA ? .outer(b, g) : .outer(g, b), from: batch + left.suffix(2), to: left),
                    reduced(.matvec(t(opA), g), from: batch + right, to: right)]
        case (1, _):
            let batch = Array(out.dropLast(1))
            return [reduced(.matvec(opB, g), from: batch + left, to: left),
                    reduced(transB ? .outer(g, a) : .outer(a, g), from: batch + right.suffix(2), to: right)]
        default:
            let batch = Array(out.dropLast(2))
            return [reduced(transA ? .matmul(opB, t(g)) : .matmul(g, t(opB)), from: batch + left.suffix(2), to: left),
                    reduced(transB ? .matmul(t(g), opA) : .matmul(t(opA), g), from: batch + right.suffix(2), to: right)]
        }
    }

    /// `x.T`, with `(x.T).T` written `x`.
    private static func t(_ term: ChainTerm) -> ChainTerm {
        if case .transpose(let inner) = term { return inner }
        return .transpose(term)
    }

    /// `term` (of shape `result`) summed over the axes broadcasting added to `input`.
    static func reduced(_ term: ChainTerm, from result: [Int], to input: [Int]) -> ChainTerm {
        guard result != input, result.count >= input.count else { return term }
        let lead = result.count - input.count
        var axes = Array(0..<lead)
        for (position, size) in input.enumerated() where size == 1 && result[lead + position] != 1 {
            axes.append(lead + position)
        }
        return axes.isEmpty ? term : .sumTo(term, axes: axes, leading: lead, shape: input)
    }
}
