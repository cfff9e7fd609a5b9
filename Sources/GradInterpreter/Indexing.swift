import GradEngine
import GradLang
import GradTensor

extension Interpreter {
    /// `x[i]`, `x[i, j]`, `x[:, j]`, `x[a:b:s]`: the bounds are evaluated now (they must be
    /// integers), the selection itself is a differentiable op.
    mutating func index(
        _ base: RuntimeValue, baseSpan: SourceSpan, components: [GradLang.IndexComponent], syntax: CellSyntax,
        result: (ExprID) throws(RuntimeError) -> RuntimeValue, at span: SourceSpan
    ) throws(RuntimeError) -> RuntimeValue {
        func integer(_ id: ExprID?) throws(RuntimeError) -> Int? {
            guard let id else { return nil }
            let value = try result(id)
            guard let tensor = tensorValue(value), tensor.count == 1, let scalar = tensor.scalars.first else {
                throw RuntimeError(RuntimeErrorID.typeMismatch, "an index must be an integer, got \(value.kindDescription) of shape \(shapeOf(value) ?? [])", at: syntax[id].span)
            }
            guard scalar.isFinite, scalar == scalar.rounded(), abs(scalar) < 9.0e15 else {
                throw RuntimeError(RuntimeErrorID.typeMismatch, "an index must be an integer, got \(formatScalar(scalar))", at: syntax[id].span)
            }
            return Int(scalar)
        }
        var items: [GradTensor.IndexComponent] = []
        for component in components {
            switch component {
            case .single(let id):
                guard let position = try integer(id) else { continue }
                items.append(.index(position))
            case .slice(let start, let stop, let step):
                let stepValue = try integer(step)
                if stepValue == 0, let step {
                    throw RuntimeError(RuntimeErrorID.badArguments, "slice step cannot be zero", at: syntax[step].span)
                }
                items.append(.slice(start: try integer(start), stop: try integer(stop), step: stepValue))
            }
        }
        return try applyOp(.index, [(base, baseSpan)], attributes: OpAttributes(index: items), at: span)
    }

    /// `.T`, `.shape`, `.grad`.
    mutating func attribute(_ name: String, of value: RuntimeValue, base: ExprID, syntax: CellSyntax, nameSpan: SourceSpan) throws(RuntimeError) -> RuntimeValue {
        let baseSpan = syntax[base].span
        switch name {
        case "T":
            return try applyOp(.transpose, [(value, baseSpan)], at: nameSpan)
        case "shape":
            guard let shape = shapeOf(value) else {
                throw RuntimeError(RuntimeErrorID.typeMismatch, "\(value.kindDescription) has no shape", at: nameSpan)
            }
            return .constant(Tensor(vector: shape.map(Double.init)))
        case "grad":
            guard case .name(let baseName) = syntax[base].kind else {
                throw RuntimeError(RuntimeErrorID.noGradient, ".grad is the gradient of a named node, e.g. w.grad", at: nameSpan)
            }
            guard let gradient = gradient(of: baseName) else {
                if let reason = missingGradientReason(of: baseName) {
                    throw RuntimeError(RuntimeErrorID.noGradient, "\(baseName) has no gradient now: \(reason)", at: nameSpan)
                }
                let fix = definitions.values.contains(where: \.isParam)
                    ? "run a backward pass first, e.g. `backward J` for a loss J that depends on \(baseName)"
                    : "run `backward J` first for a scalar J that depends on \(baseName)"
                throw RuntimeError(RuntimeErrorID.noGradient, "\(baseName) has no gradient yet: no backward pass has reached it", at: nameSpan, fixIt: fix)
            }
            return .constant(gradient)
        default:
            let suggestion = NameSuggestion.nearest(to: name, among: Self.attributeNames)
            throw RuntimeError(RuntimeErrorID.unknownName, "unknown attribute '.\(name)'", at: nameSpan,
                               fixIt: suggestion.map { "did you mean '.\($0)'?" } ?? "the attributes are .T, .shape and .grad")
        }
    }
}
