import GradLang

/// A cell's statements as compact prefix notation, e.g. `J = (* 0.5 (^ d 2))`, built bottom-up over
/// the arena (no recursion, like the interpreter will do).
func outline(_ syntax: CellSyntax) -> [String] {
    var text: [String] = []
    text.reserveCapacity(syntax.expressions.count)
    func child(_ id: ExprID) -> String { text[Int(id.index)] }
    func optional(_ id: ExprID?) -> String { id.map(child) ?? "_" }
    for expression in syntax.expressions {
        switch expression.kind {
        case .number(let value):
            text.append(value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)")
        case .string(let value):
            text.append("\"\(value)\"")
        case .boolean(let value):
            text.append("\(value)")
        case .name(let name):
            text.append(name)
        case .list(let items):
            text.append("[" + items.map(child).joined(separator: " ") + "]")
        case .negate(let operand):
            text.append("(neg \(child(operand)))")
        case .binary(let op, let lhs, let rhs):
            text.append("(\(op.rawValue) \(child(lhs)) \(child(rhs)))")
        case .call(let callee, _, let arguments):
            let parts = arguments.map { ($0.label.map { "\($0)=" } ?? "") + child($0.value) }
            text.append("\(callee)(" + parts.joined(separator: ", ") + ")")
        case .index(let base, let components):
            let parts = components.map { component -> String in
                switch component {
                case .single(let id): child(id)
                case .slice(let start, let stop, let step): "\(optional(start)):\(optional(stop)):\(optional(step))"
                }
            }
            text.append("\(child(base))[" + parts.joined(separator: ", ") + "]")
        case .attribute(let base, let name, _):
            text.append("\(child(base)).\(name)")
        }
    }
    return syntax.statements.map { statement in
        switch statement.kind {
        case .assign(let targets, let value):
            targets.map(\.name).joined(separator: ", ") + " = " + child(value)
        case .expression(let value):
            child(value)
        case .backward(let value):
            "backward " + child(value)
        case .lineMagic(let name, let argument):
            "%\(name)(\(argument))"
        case .cellMagic(let name, let argument, let body):
            "%%\(name)(\(argument)|\(body))"
        case .inspect(let name, let detail):
            name + (detail ? "??" : "?")
        }
    }
}

/// `"LINE:COL ID"` for each diagnostic.
func positions(_ diagnostics: [Diagnostic]) -> [String] {
    diagnostics.map { diagnostic in
        guard let span = diagnostic.span else { return diagnostic.id }
        return "\(span.start.line):\(span.start.column) \(diagnostic.id)"
    }
}

/// Every diagnostic's span lies inside `source`, in order, with line:column consistent with its offset.
func spansAreInside(_ diagnostics: [Diagnostic], of source: String) -> Bool {
    let bytes = Array(source.utf8)
    for diagnostic in diagnostics {
        guard let span = diagnostic.span else { continue }
        guard span.start.offset >= 0, span.start.offset <= span.end.offset, span.end.offset <= bytes.count,
              span.start.line >= 1, span.start.column >= 1, span.end.line >= span.start.line
        else { return false }
        let newlinesBefore = bytes[..<span.start.offset].reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
        if newlinesBefore + 1 != span.start.line { return false }
        // Columns count characters, so never more than the bytes since the line began.
        let lineStart = (bytes[..<span.start.offset].lastIndex(of: 10) ?? -1) + 1
        if span.start.column > span.start.offset - lineStart + 1 { return false }
    }
    return true
}

/// A tiny deterministic generator (SplitMix64), so fuzz failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
