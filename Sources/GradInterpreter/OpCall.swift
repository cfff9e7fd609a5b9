import GradEngine
import GradLang
import GradTensor

extension Interpreter {
    /// A call of an engine op (`exp(x)`, `sum(x, axis=1)`, `reshape(x, 2, 3)`, `max(a, b)`):
    /// the op's row in the rule table says which arguments are tensors and which attributes.
    mutating func callOp(_ call: Call) throws(RuntimeError) -> RuntimeValue {
        let rules = OpRule.table.filter { $0.callName == call.callee }
        guard !rules.isEmpty else {
            let suggestion = NameSuggestion.nearest(to: call.callee, among: Builtins.allNames + definitionOrder)
            throw RuntimeError(RuntimeErrorID.unknownName, "unknown function '\(call.callee)'", at: call.calleeSpan,
                               fixIt: suggestion.map { "did you mean '\($0)'?" } ?? "see %help for the built-in functions")
        }
        let positional = call.positional
        guard let rule = rules.first(where: { tensorInputCount(of: $0, given: positional.count) != nil }) else {
            let usages = rules.map { Builtins.usage(of: $0) }.joined(separator: " or ")
            throw RuntimeError(RuntimeErrorID.badArguments, "\(call.callee)() does not take \(positional.count) positional argument\(positional.count == 1 ? "" : "s")",
                               at: call.span, fixIt: "usage: \(usages)")
        }
        let inputCount = tensorInputCount(of: rule, given: positional.count) ?? positional.count
        try call.checkKeywords(rule.attributes.filter { !$0.positional && $0.kind != .index }.map(\.name))
        var attributes = OpAttributes()
        let extra = Array(positional.dropFirst(inputCount))
        for spec in rule.attributes where spec.positional {
            switch spec.kind {
            case .shape:
                attributes.shape = try reshapeTarget(extra, callee: call.callee)
            case .classes:
                guard let argument = extra.first else { break }
                attributes.classes = try integer(argument, spec.name, minimum: 1)
            default:
                break
            }
        }
        for spec in rule.attributes where !spec.positional {
            guard let argument = call.keyword(spec.name) else { continue }
            switch spec.kind {
            case .axes, .axis:
                if let vector = tensorValue(argument.value), vector.rank == 1, spec.kind == .axes {
                    attributes.axes = try vector.scalars.map { (value: Double) throws(RuntimeError) -> Int in
                        guard value == value.rounded(), abs(value) < 1e6 else {
                            throw RuntimeError(RuntimeErrorID.typeMismatch, "axis must be an integer, got \(formatScalar(value))", at: argument.span)
                        }
                        return Int(value)
                    }
                } else {
                    attributes.axes = [try integer(argument, "axis")]
                }
            case .keepdims:
                attributes.keepdims = try boolean(argument, "keepdims")
            case .classes:
                attributes.classes = try integer(argument, spec.name, minimum: 1)
            case .shape:
                attributes.shape = try reshapeTarget([argument], callee: call.callee)
            case .index:
                break
            }
        }
        for spec in rule.attributes where spec.required {
            let given: Bool
            switch spec.kind {
            case .shape: given = attributes.shape != nil
            case .classes: given = attributes.classes != nil
            case .axes, .axis: given = attributes.axes != nil
            default: given = true
            }
            if !given {
                throw RuntimeError(RuntimeErrorID.badArguments, "\(call.callee)() needs \(spec.name)", at: call.span, fixIt: "usage: \(Builtins.usage(of: rule))")
            }
        }
        let inputs = positional.prefix(inputCount).map { ($0.value, $0.span) }
        return try applyOp(rule.op, Array(inputs), attributes: attributes, at: call.span)
    }

    /// How many of `given` positional arguments are tensor inputs for this rule, or nil when
    /// the rule cannot take that many.
    func tensorInputCount(of rule: OpRule, given: Int) -> Int? {
        let positionalAttributes = rule.attributes.filter(\.positional)
        switch rule.arity {
        case .fixed(let count):
            if positionalAttributes.isEmpty { return given == count ? count : nil }
            let takesMany = positionalAttributes.contains { $0.kind == .shape }
            let required = positionalAttributes.contains(where: \.required)
            let extra = given - count
            if extra < 0 { return nil }
            if extra == 0 && required { return nil }
            if !takesMany && extra > positionalAttributes.count { return nil }
            return count
        case .variadic(let minimum):
            return given >= minimum ? given : nil
        }
    }

    func reshapeTarget(_ arguments: [CallArgument], callee: String) throws(RuntimeError) -> [Int] {
        if arguments.count == 1, let vector = tensorValue(arguments[0].value), vector.rank == 1 {
            return try vector.scalars.map { (value: Double) throws(RuntimeError) -> Int in
                guard value == value.rounded(), value >= -1, value <= 9.0e15 else {
                    throw RuntimeError(RuntimeErrorID.badArguments, "a shape holds integers (one may be -1), got \(formatScalar(value))", at: arguments[0].span)
                }
                return Int(value)
            }
        }
        return try arguments.map { (argument: CallArgument) throws(RuntimeError) -> Int in try integer(argument, "a dimension of \(callee)()", minimum: -1) }
    }

    /// `load_csv("data.csv", header=true)`: numbers only, every row the same length.
    func loadCSV(_ call: Call, context: ExecutionContext) throws(RuntimeError) -> Tensor {
        try call.checkKeywords(["header"])
        try call.checkPositionalCount(1...1, usage: "load_csv(\"data.csv\", header=true)")
        let path = try string(call.positional[0], "the path")
        let header = try call.keyword("header").map { (argument: CallArgument) throws(RuntimeError) -> Bool in try boolean(argument, "header") } ?? true
        let text: String
        do {
            text = try context.readTextFile(path)
        } catch {
            throw RuntimeError(RuntimeErrorID.io, "load_csv: \(error)", at: call.positional[0].span)
        }
        var rows: [[Double]] = []
        var lineNumber = 0
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            let trimmed = line.trimmingCharacters(in: " \t\r")
            if trimmed.isEmpty || (header && lineNumber == 1) { continue }
            var row: [Double] = []
            for field in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
                let cell = String(field).trimmingCharacters(in: " \t\"")
                guard let value = Double(cell) else {
                    throw RuntimeError(RuntimeErrorID.io, "load_csv: \(path) line \(lineNumber): '\(cell)' is not a number", at: call.positional[0].span,
                                       fixIt: lineNumber == 1 ? "pass header=true if the first line names the columns" : nil)
                }
                row.append(value)
            }
            if let first = rows.first, first.count != row.count {
                throw RuntimeError(RuntimeErrorID.io, "load_csv: \(path) line \(lineNumber) has \(row.count) fields, the first row has \(first.count)", at: call.positional[0].span)
            }
            rows.append(row)
        }
        let columns = rows.first?.count ?? 0
        do {
            return try Tensor(shape: [rows.count, columns], scalars: rows.flatMap { $0 })
        } catch {
            throw RuntimeError(RuntimeErrorID.io, "load_csv: \(error.message)", at: call.span)
        }
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> Substring {
        let characters = Set(set)
        var slice = self[...]
        while let first = slice.first, characters.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, characters.contains(last) { slice = slice.dropLast() }
        return slice
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String { String(self[...].trimmingCharacters(in: set)) }
}
