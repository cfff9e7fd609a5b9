import GradEngine

/// What a front end needs to complete what the user is typing; read from the same tables the
/// interpreter dispatches with, so completion never offers a keyword a call would reject.
extension Interpreter {
    /// The keyword arguments the built-in `function` accepts, in documentation order
    /// (`randn` → `seed`; `sum` → `axis`, `keepdims`); empty for unknown names.
    public static func keywordArguments(of function: String) -> [String] {
        var names: [String] = []
        func add(_ name: String) {
            if !names.contains(name) { names.append(name) }
        }
        for rule in OpRule.table where rule.callName == function {
            for attribute in rule.attributes where !attribute.positional && attribute.kind != .index { add(attribute.name) }
        }
        if let usage = Builtins.functions[function]?.usage {
            for name in keywordNames(inUsage: usage) { add(name) }
        }
        return names
    }

    /// Every built-in function name (ops and the others), sorted.
    public static var builtinFunctionNames: [String] { Builtins.allNames }

    /// The attributes after a dot: `x.T`, `x.shape`, `w.grad`.
    public static let attributeNames = ["T", "shape", "grad"]

    /// `name=` words of a usage line such as `train(J, steps=100, lr=0.1)`.
    static func keywordNames(inUsage usage: String) -> [String] {
        var names: [String] = []
        var word = ""
        for character in usage {
            if character.isASCII && (character.isLetter || character == "_" || (character.isNumber && !word.isEmpty)) {
                word.append(character)
                continue
            }
            if character == "=" && !word.isEmpty && !names.contains(word) { names.append(word) }
            word = ""
        }
        return names
    }
}
