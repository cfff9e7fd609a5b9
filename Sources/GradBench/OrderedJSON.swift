import GradJSON

/// A JSON value that keeps object keys in insertion order, so result files read like the
/// peers' (`json.dumps` of a Python dict).
public indirect enum OrderedJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case array([OrderedJSON])
    case object([(String, OrderedJSON)])

    public static func == (lhs: OrderedJSON, rhs: OrderedJSON) -> Bool { lhs.rendered() == rhs.rendered() }

    /// Compact JSON (one line); `indent` > 0 pretty-prints.
    public func rendered(indent: Int = 0) -> String {
        var out = ""
        write(into: &out, indent: indent, depth: 0)
        return out
    }

    private func write(into out: inout String, indent: Int, depth: Int) {
        let newline = indent > 0 ? "\n" + String(repeating: " ", count: indent * (depth + 1)) : ""
        let closing = indent > 0 ? "\n" + String(repeating: " ", count: indent * depth) : ""
        let separator = indent > 0 ? "," : ", "
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .number(let value): out += value.isFinite ? "\(value)" : "null"
        case .string(let value): out += OrderedJSON.quote(value)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (position, item) in items.enumerated() {
                if position > 0 { out += separator }
                out += newline
                item.write(into: &out, indent: indent, depth: depth + 1)
            }
            out += closing + "]"
        case .object(let fields):
            if fields.isEmpty { out += "{}"; return }
            out += "{"
            for (position, (key, value)) in fields.enumerated() {
                if position > 0 { out += separator }
                out += newline + OrderedJSON.quote(key) + ": "
                value.write(into: &out, indent: indent, depth: depth + 1)
            }
            out += closing + "}"
        }
    }

    static func quote(_ text: String) -> String { JSONWriter.quoted(text) }
}
