import Foundation

/// A JSON value, kept exactly enough to write back what was read (unknown notebook metadata
/// survives a round trip). Integers and reals stay distinct, as in Python's json module.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var integerValue: Int? {
        if case .integer(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    /// Parses JSON text with Foundation's JSONSerialization.
    public static func parse(_ data: Data) throws -> JSONValue {
        let object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        return try JSONValue(foundation: object)
    }

    /// Converts what JSONSerialization returns. Without recursion: a notebook's JSON can be
    /// nested as deeply as its author likes.
    init(foundation root: Any) throws {
        // Work items: a value to convert, and where its result goes.
        enum Pending {
            case convert(Any)
            case finishArray(count: Int)
            case finishObject(keys: [String])
        }
        var work: [Pending] = [.convert(root)]
        var results: [JSONValue] = []
        while let item = work.popLast() {
            switch item {
            case .convert(let value):
                if let array = value as? [Any] {
                    work.append(.finishArray(count: array.count))
                    for element in array.reversed() { work.append(.convert(element)) }
                } else if let dictionary = value as? [String: Any] {
                    let keys = dictionary.keys.sorted()
                    work.append(.finishObject(keys: keys))
                    for key in keys.reversed() { work.append(.convert(dictionary[key] as Any)) }
                } else {
                    results.append(try JSONValue.scalar(value))
                }
            case .finishArray(let count):
                let elements = Array(results.suffix(count))
                results.removeLast(count)
                results.append(.array(elements))
            case .finishObject(let keys):
                let values = results.suffix(keys.count)
                var object: [String: JSONValue] = [:]
                for (key, value) in zip(keys, values) { object[key] = value }
                results.removeLast(keys.count)
                results.append(.object(object))
            }
        }
        guard let value = results.first, results.count == 1 else {
            throw NotebookError.invalidJSON("unexpected JSON structure")
        }
        self = value
    }

    private static func scalar(_ value: Any) throws -> JSONValue {
        if value is NSNull { return .null }
        if let string = value as? String { return .string(string) }
        if let number = value as? NSNumber {
            // Foundation gives every JSON number and boolean as NSNumber; its type code tells
            // them apart ("c" is how booleans are typed).
            switch String(cString: number.objCType) {
            case "c", "B": return .bool(number.boolValue)
            case "d", "f":
                let double = number.doubleValue
                return .double(double)
            default:
                if let integer = Int(exactly: number.int64Value), number.int64Value.description == number.stringValue {
                    return .integer(integer)
                }
                return .double(number.doubleValue)
            }
        }
        throw NotebookError.invalidJSON("unsupported JSON value \(type(of: value))")
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
                case .integer(let integer): output += String(integer)
                case .double(let double): output += JSONValue.pythonRepr(double)
                case .string(let string): output += JSONValue.quoted(string)
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
                        pending.append(.text((index > 0 ? itemSeparator : "") + newline(depth + 1) + JSONValue.quoted(key) + ": "))
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

    static func quoted(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        return output + "\""
    }
}
