import Foundation
import GradJSON

/// Notebook files are JSON that Python's nbformat wrote and will read again: parsed with the
/// shared strict parser, written back as Python writes them.
extension JSONValue {
    /// Parses a notebook file's bytes.
    static func parse(notebook data: Data) throws -> JSONValue {
        do {
            return try JSONParser.parse(Array(data))
        } catch {
            throw NotebookError.invalidJSON(error.description)
        }
    }

    /// JSON text as Python's `json.dumps(value, sort_keys=True, indent=1, ensure_ascii=False)`
    /// writes it, which is how nbformat saves notebooks (so saved files diff cleanly).
    public func serialized(indent: Int? = 1) -> String {
        var output = ""
        enum Step {
            case value(JSONValue, depth: Int)
            case text(String)
        }
        var work: [Step] = [.value(self, depth: 0)]
        func newline(_ depth: Int) -> String {
            guard let indent else { return "" }
            return "\n" + String(repeating: " ", count: indent * depth)
        }
        let itemSeparator = indent == nil ? ", " : ","
        while let step = work.popLast() {
            switch step {
            case .text(let text):
                output += text
            case let .value(value, depth):
                switch value {
                case .null: output += "null"
                case .bool(let bool): output += bool ? "true" : "false"
                case .int(let integer): output += String(integer)
                case .double(let double): output += JSONValue.pythonRepr(double)
                case .string(let string): output += JSONWriter.quoted(string)
                case .array(let elements):
                    if elements.isEmpty { output += "[]"; continue }
                    output += "["
                    var pending: [Step] = []
                    for (index, element) in elements.enumerated() {
                        pending.append(.text((index > 0 ? itemSeparator : "") + newline(depth + 1)))
                        pending.append(.value(element, depth: depth + 1))
                    }
                    pending.append(.text(newline(depth) + "]"))
                    work.append(contentsOf: pending.reversed())
                case .object(let members):
                    if members.isEmpty { output += "{}"; continue }
                    output += "{"
                    var pending: [Step] = []
                    for (index, key) in members.keys.sorted().enumerated() {
                        pending.append(.text((index > 0 ? itemSeparator : "") + newline(depth + 1) + JSONWriter.quoted(key) + ": "))
                        pending.append(.value(members[key] ?? .null, depth: depth + 1))
                    }
                    pending.append(.text(newline(depth) + "}"))
                    work.append(contentsOf: pending.reversed())
                }
            }
        }
        return output
    }

    /// Python's float repr (shortest round trip, `1.0` keeps its `.0`); JSON has no NaN or
    /// infinities, so those are written as Python writes them (`NaN`, `Infinity`).
    static func pythonRepr(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        return value.description
    }
}
