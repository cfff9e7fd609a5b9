import GradEngine
import GradLang
import GradTensor

/// The result of evaluating one expression tree, and what the interpreter must know about it.
struct Evaluated {
    var value: RuntimeValue
    /// Named nodes the expression mentions, in order of first mention.
    var dependencies: [String]
    /// Whether `grad(...)` or `jvp(...)` was called: such a value may not be differentiated (SPEC §1).
    var usesGrad: Bool
    /// Whether the whole expression is `param(...)`: the definition is then a trainable leaf.
    var isParamDefinition: Bool
}

extension Interpreter {
    mutating func evaluate(_ root: ExprID, statement: Statement, syntax: CellSyntax, context: ExecutionContext, outcome: inout StatementOutcome) throws(RuntimeError) -> Evaluated {
        try evaluate(root, range: statement.expressions, syntax: syntax, context: context, outcome: &outcome)
    }

    /// Evaluates bottom-up in arena order (a child always precedes its parent), so no expression,
    /// however deep, costs stack depth.
    mutating func evaluate(_ root: ExprID, range: Range<Int>, syntax: CellSyntax, context: ExecutionContext, outcome: inout StatementOutcome) throws(RuntimeError) -> Evaluated {
        let first = range.lowerBound
        let last = Int(root.index)
        guard last >= first, last < range.upperBound else {
            throw RuntimeError(RuntimeErrorID.engine, "internal: expression outside its statement", at: syntax[root].span)
        }
        var results = [RuntimeValue?](repeating: nil, count: last - first + 1)
        var dependencies: [String] = []
        var seen = Set<String>()
        var usesGrad = false
        let sequences = sequenceArguments(in: first...last, syntax: syntax)

        func result(_ id: ExprID) throws(RuntimeError) -> RuntimeValue {
            let offset = Int(id.index) - first
            guard offset >= 0, offset < results.count, let value = results[offset] else {
                throw RuntimeError(RuntimeErrorID.engine, "internal: expression evaluated out of order", at: syntax[id].span)
            }
            return value
        }

        let transposedOperands = matmulOperandsReadTransposed(first...last, syntax: syntax)
        for position in first...last {
            let id = ExprID(index: Int32(position))
            let expr = syntax[id]
            let value: RuntimeValue
            switch expr.kind {
            case .attribute(let base, _, _) where transposedOperands.contains(id):
                // `.T` of a matmul operand: the product reads it transposed (see below).
                value = try result(base)
            case .binary(.matmul, let lhs, let rhs):
                let left = try result(lhs), right = try result(rhs)
                let attributes = OpAttributes(
                    transposeLeft: transposedOperands.contains(lhs) && (shapeOf(left)?.count ?? 0) >= 2,
                    transposeRight: transposedOperands.contains(rhs) && (shapeOf(right)?.count ?? 0) >= 2)
                value = try applyOp(.matmul, [(left, syntax[lhs].span), (right, syntax[rhs].span)], attributes: attributes, at: expr.span)
            case .number(let number):
                value = .constant(Tensor(number))
            case .string(let text):
                value = .string(text)
            case .boolean(let flag):
                value = .boolean(flag)
            case .name(let name):
                value = try lookup(name, at: expr.span)
                if seen.insert(name).inserted { dependencies.append(name) }
            case .list where sequences.contains(position):
                // Expanded into the call's arguments below, never stacked.
                value = .nothing
            case .list(let items):
                value = try listValue(try items.map { item throws(RuntimeError) in (try result(item), syntax[item].span) }, at: expr.span)
            case .negate(let operand):
                value = try applyOp(.neg, [(try result(operand), syntax[operand].span)], at: expr.span)
            case .binary(let op, let lhs, let rhs):
                value = try applyOp(OpCode(binary: op), [(try result(lhs), syntax[lhs].span), (try result(rhs), syntax[rhs].span)], at: expr.span)
            case .call(let callee, let calleeSpan, let arguments):
                var evaluatedArguments: [CallArgument] = []
                for argument in arguments {
                    if sequences.contains(Int(argument.value.index)), case .list(let items) = syntax[argument.value].kind {
                        for item in items {
                            evaluatedArguments.append(CallArgument(label: nil, labelSpan: nil, value: try result(item), span: syntax[item].span))
                        }
                    } else {
                        evaluatedArguments.append(CallArgument(label: argument.label, labelSpan: argument.labelSpan,
                                                               value: try result(argument.value), span: syntax[argument.value].span))
                    }
                }
                if callee == "grad" || callee == "jvp" { usesGrad = true }
                let call = Call(callee: callee, calleeSpan: calleeSpan, arguments: evaluatedArguments, span: expr.span)
                value = try callBuiltin(call, context: context, outcome: &outcome)
            case .index(let base, let components):
                value = try index(try result(base), baseSpan: syntax[base].span, components: components, syntax: syntax, result: result, at: expr.span)
            case .attribute(let base, let name, let nameSpan):
                value = try attribute(name, of: try result(base), base: base, syntax: syntax, nameSpan: nameSpan)
            }
            results[position &- first] = value
        }
        let isParamDefinition: Bool
        if case .call(let callee, _, _) = syntax[root].kind, callee == "param" {
            isParamDefinition = true
        } else {
            isParamDefinition = false
        }
        return Evaluated(value: try result(root), dependencies: dependencies, usesGrad: usesGrad, isParamDefinition: isParamDefinition)
    }

    /// The `x.T` operands of `@` in these expressions. `a @ b.T` is built as one matmul that
    /// reads `b` transposed (BLAS's `transb`), not as a transpose node whose copy of `b` would be
    /// made again after every update of `b`; the product's value and gradients are the same.
    func matmulOperandsReadTransposed(_ positions: ClosedRange<Int>, syntax: CellSyntax) -> Set<ExprID> {
        var operands = Set<ExprID>()
        guard arithmeticRevision >= 1 else { return operands }
        for position in positions {
            guard case .binary(.matmul, let lhs, let rhs) = syntax[ExprID(index: Int32(position))].kind else { continue }
            for operand in [lhs, rhs] {
                if case .attribute(_, "T", _) = syntax[operand].kind { operands.insert(operand) }
            }
        }
        return operands
    }

    /// The list literals written as the one positional argument of `concat` or `stack`
    /// (`concat([a, b], axis=1)`, as NumPy and PyTorch take a sequence): they are the call's
    /// tensors, not a list value, so their elements may differ in shape.
    func sequenceArguments(in range: ClosedRange<Int>, syntax: CellSyntax) -> Set<Int> {
        var sequences = Set<Int>()
        for position in range {
            guard case .call(let callee, _, let arguments) = syntax[ExprID(index: Int32(position))].kind,
                  callee == "concat" || callee == "stack" else { continue }
            let positional = arguments.filter { $0.label == nil }
            if positional.count == 1, case .list = syntax[positional[0].value].kind {
                sequences.insert(Int(positional[0].value.index))
            }
        }
        return sequences
    }

    func lookup(_ name: String, at span: SourceSpan) throws(RuntimeError) -> RuntimeValue {
        if let node = nodeOfName[name] { return .node(node) }
        if Builtins.isFunction(name) {
            throw RuntimeError(RuntimeErrorID.notCallable, "'\(name)' is a built-in function, not a value", at: span,
                               fixIt: "call it: \(name)(...)")
        }
        let suggestion = NameSuggestion.nearest(to: name, among: definitionOrder)
        throw RuntimeError(RuntimeErrorID.unknownName, "unknown name '\(name)'", at: span,
                           fixIt: suggestion.map { "did you mean '\($0)'?" } ?? "define it first, e.g. \(name) = 1")
    }

    /// Puts a value into the graph: a node stays as it is, a constant becomes a constant node.
    mutating func node(for value: RuntimeValue, at span: SourceSpan) throws(RuntimeError) -> NodeID {
        switch value {
        case .node(let id): return id
        case .constant(let tensor): return graph.constant(tensor)
        default:
            throw RuntimeError(RuntimeErrorID.typeMismatch, "expected a tensor here, got \(value.kindDescription)", at: span)
        }
    }

    /// Applies an engine op. Constants fold into constants (in a scratch graph) so literals and
    /// constructors never leave nodes behind; anything touching a node becomes a node.
    mutating func applyOp(_ op: OpCode, _ operands: [(RuntimeValue, SourceSpan)], attributes: OpAttributes = OpAttributes(), at span: SourceSpan) throws(RuntimeError) -> RuntimeValue {
        let allConstant = operands.allSatisfy { if case .constant = $0.0 { true } else { false } }
        if allConstant {
            var scratch = Graph()
            var ids: [NodeID] = []
            for (value, _) in operands {
                if case .constant(let tensor) = value { ids.append(scratch.constant(tensor)) }
            }
            do {
                let id = try scratch.apply(op, ids, attributes: attributes)
                return .constant(scratch.value(id))
            } catch {
                throw engineFailure(error, at: span)
            }
        }
        var ids: [NodeID] = []
        ids.reserveCapacity(operands.count)
        for (value, operandSpan) in operands {
            ids.append(try node(for: value, at: operandSpan))
        }
        do {
            return .node(try graph.apply(op, ids, attributes: attributes))
        } catch {
            throw engineFailure(error, at: span)
        }
    }

    func engineFailure(_ error: EngineError, at span: SourceSpan) -> RuntimeError {
        RuntimeError(RuntimeErrorID.shape, error.description, at: span)
    }

    /// `[1, 2]`, `[[1, 2], [3, 4]]`, and lists of nodes (`[a, b]`), which stack differentiably.
    mutating func listValue(_ items: [(RuntimeValue, SourceSpan)], at span: SourceSpan) throws(RuntimeError) -> RuntimeValue {
        if items.isEmpty { return .constant(Tensor.zeros(like: Tensor(vector: []))) }
        var firstShape: [Int]?
        for (item, itemSpan) in items {
            guard let shape = shapeOf(item) else {
                throw RuntimeError(RuntimeErrorID.typeMismatch, "a list holds numbers or tensors, not \(item.kindDescription)", at: itemSpan)
            }
            if let expected = firstShape, expected != shape {
                throw RuntimeError(RuntimeErrorID.shape, "ragged list: every element must have the same shape", at: itemSpan,
                                   notes: ["the first element has shape \(expected)", "this element has shape \(shape)"])
            }
            firstShape = firstShape ?? shape
        }
        return try applyOp(.stack, items, attributes: OpAttributes(), at: span)
    }

    func shapeOf(_ value: RuntimeValue) -> [Int]? {
        switch value {
        case .node(let id): graph.shape(id)
        case .constant(let tensor): tensor.shape
        default: nil
        }
    }
}

extension OpCode {
    init(binary op: BinaryOperator) {
        switch op {
        case .add: self = .add
        case .subtract: self = .sub
        case .multiply: self = .mul
        case .divide: self = .div
        case .matmul: self = .matmul
        case .power: self = .pow
        }
    }
}
