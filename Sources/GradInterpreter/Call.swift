import GradLang
import GradTensor

/// A call with its arguments evaluated, and the helpers built-ins use to read them.
struct Call {
    var callee: String
    var calleeSpan: SourceSpan
    var arguments: [CallArgument]
    var span: SourceSpan

    var positional: [CallArgument] { arguments.filter { $0.label == nil } }
    func keyword(_ name: String) -> CallArgument? { arguments.first { $0.label == name } }

    /// Rejects keywords the built-in does not take, suggesting the nearest one it does.
    func checkKeywords(_ allowed: [String]) throws(RuntimeError) {
        for argument in arguments {
            guard let label = argument.label, !allowed.contains(label) else { continue }
            let suggestion = NameSuggestion.nearest(to: label, among: allowed)
            let fix = suggestion.map { "did you mean '\($0)='?" }
                ?? (allowed.isEmpty ? "\(callee) takes no keyword arguments" : "\(callee) takes " + allowed.map { "\($0)=" }.joined(separator: ", "))
            throw RuntimeError(RuntimeErrorID.badArguments, "\(callee)() got an unexpected keyword argument '\(label)'",
                               at: argument.labelSpan ?? argument.span, fixIt: fix)
        }
    }

    func checkPositionalCount(_ range: ClosedRange<Int>, usage: String) throws(RuntimeError) {
        let count = positional.count
        guard range.contains(count) else {
            let expected = range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
            throw RuntimeError(RuntimeErrorID.badArguments, "\(callee)() takes \(expected) positional argument\(range.upperBound == 1 ? "" : "s") but \(count) were given",
                               at: span, fixIt: "usage: \(usage)")
        }
    }
}

struct CallArgument {
    var label: String?
    var labelSpan: SourceSpan?
    var value: RuntimeValue
    var span: SourceSpan
}

extension Interpreter {
    func tensor(_ argument: CallArgument, _ what: String) throws(RuntimeError) -> Tensor {
        guard let tensor = tensorValue(argument.value) else {
            throw RuntimeError(RuntimeErrorID.typeMismatch, "\(what) must be a tensor, got \(argument.value.kindDescription)", at: argument.span)
        }
        return tensor
    }

    func number(_ argument: CallArgument, _ what: String) throws(RuntimeError) -> Double {
        let value = try tensor(argument, what)
        guard value.count == 1, let scalar = value.scalars.first else {
            throw RuntimeError(RuntimeErrorID.typeMismatch, "\(what) must be a number, got a tensor of shape \(formatShape(value.shape))", at: argument.span)
        }
        return scalar
    }

    func integer(_ argument: CallArgument, _ what: String, minimum: Int = Int.min) throws(RuntimeError) -> Int {
        let scalar = try number(argument, what)
        guard scalar.isFinite, scalar == scalar.rounded(), abs(scalar) <= 9.0e15 else {
            throw RuntimeError(RuntimeErrorID.typeMismatch, "\(what) must be an integer, got \(formatScalar(scalar))", at: argument.span)
        }
        let value = Int(scalar)
        guard value >= minimum else {
            throw RuntimeError(RuntimeErrorID.badArguments, "\(what) must be at least \(minimum), got \(value)", at: argument.span)
        }
        return value
    }

    func boolean(_ argument: CallArgument, _ what: String) throws(RuntimeError) -> Bool {
        switch argument.value {
        case .boolean(let flag): return flag
        default:
            let value = try number(argument, what)
            return value != 0
        }
    }

    func string(_ argument: CallArgument, _ what: String) throws(RuntimeError) -> String {
        guard case .string(let text) = argument.value else {
            throw RuntimeError(RuntimeErrorID.typeMismatch, "\(what) must be a string in double quotes, got \(argument.value.kindDescription)", at: argument.span)
        }
        return text
    }

    /// A seed as the generator takes it: a non-negative integer.
    func seed(_ argument: CallArgument?) throws(RuntimeError) -> UInt64? {
        guard let argument else { return nil }
        return UInt64(try integer(argument, "seed", minimum: 0))
    }

    /// `zeros(2, 3)` or `zeros([2, 3])`: a shape given as integers or as one vector.
    func shape(from arguments: [CallArgument], callee: String) throws(RuntimeError) -> [Int] {
        if arguments.count == 1, let vector = tensorValue(arguments[0].value), vector.rank == 1 {
            return try vector.scalars.map { (value: Double) throws(RuntimeError) -> Int in
                guard value.isFinite, value == value.rounded(), value >= 0, value <= 9.0e15 else {
                    throw RuntimeError(RuntimeErrorID.badArguments, "a shape holds non-negative integers, got \(formatScalar(value))", at: arguments[0].span)
                }
                return Int(value)
            }
        }
        return try arguments.map { (argument: CallArgument) throws(RuntimeError) -> Int in try integer(argument, "a dimension of \(callee)()", minimum: 0) }
    }
}
