/// A value given on the command line with `-p NAME VALUE`, papermill-style.
public enum ParameterValue: Sendable, Hashable {
    /// Number text exactly as given (`0.05`, `-2`, `1e-3`): written into the cell as is.
    case number(String)
    case bool(Bool)
    case string(String)

    /// Reads a command-line value as papermill does: a number if it is one in gradbook's
    /// grammar, `true`/`false` (also `True`/`False`) as booleans, anything else as a string.
    public init(commandLine text: String) {
        if ParameterValue.isNumber(text) {
            self = .number(text)
        } else if text == "true" || text == "True" {
            self = .bool(true)
        } else if text == "false" || text == "False" {
            self = .bool(false)
        } else {
            self = .string(text)
        }
    }

    /// The value as gradbook source text. Strings can hold neither line breaks nor other
    /// control characters (a gradbook string literal cannot).
    public func source() throws -> String {
        switch self {
        case .number(let text):
            guard ParameterValue.isNumber(text) else { throw NotebookError.invalidParameter("\(text) is not a number") }
            return text
        case .bool(let value):
            return value ? "true" : "false"
        case .string(let text):
            guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw NotebookError.invalidParameter("string values cannot contain line breaks or control characters")
            }
            return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
    }

    /// gradbook's number literal (SPEC §1: `2`, `0.5`, `.5`, `1e-3`, `2.5E+4`), with a leading
    /// `-` allowed since `-p x -2` means the negative number.
    static func isNumber(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        func digits() -> Int {
            let count = bytes.prefix { $0 >= 48 && $0 <= 57 }.count
            bytes = bytes.dropFirst(count)
            return count
        }
        let whole = digits()
        var fraction = 0
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            fraction = digits()
        }
        guard whole + fraction > 0 else { return false }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "+") || bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }
}

extension Notebook {
    public static let parametersTag = "parameters"
    public static let injectedParametersTag = "injected-parameters"

    /// papermill's semantics: a code cell tagged `injected-parameters`, holding `name = value`
    /// lines, goes right after the cell tagged `parameters` (at the top when there is none),
    /// replacing an injected cell from an earlier run. Later assignments win, so the injected
    /// values override the defaults. No parameters: the notebook is returned unchanged.
    public func injectingParameters(_ parameters: [(name: String, value: ParameterValue)]) throws -> Notebook {
        guard !parameters.isEmpty else { return self }
        var lines = ["# Parameters"]
        for (name, value) in parameters {
            guard Notebook.isName(name) else {
                throw NotebookError.invalidParameter("\(name) is not a valid name (letters, digits and _, not starting with a digit)")
            }
            lines.append("\(name) = \(try value.source())")
        }
        var result = self
        let previousInjection = result.cells.firstIndex { $0.tags.contains(Notebook.injectedParametersTag) }
        if let previousInjection { result.cells.remove(at: previousInjection) }
        let insertAt: Int
        if let parametersCell = result.cells.firstIndex(where: { $0.kind == .code && $0.tags.contains(Notebook.parametersTag) }) {
            insertAt = parametersCell + 1
        } else {
            insertAt = 0
        }
        // The injected cell exists in no file, so it points at its neighbour's line for errors.
        let anchorLine = insertAt > 0 ? result.cells[insertAt - 1].sourceLine : (result.cells.first?.sourceLine ?? 1)
        result.cells.insert(NotebookCell(kind: .code, source: lines.joined(separator: "\n"),
                                         tags: [Notebook.injectedParametersTag], sourceLine: anchorLine), at: insertAt)
        return result
    }

    static func isName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
            return false
        }
        return text.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }
}
