import GradJSON

/// `.grad` files: jupytext's "percent" format, which jupytext, VS Code and Spyder read.
///
///     # %%                              a code cell
///     # %% [markdown]                   a markdown cell; its lines are written `# `-prefixed
///     # %% tags=["parameters"]          metadata in jupytext's key=JSON syntax
///
/// Text before the first marker is a cell too (code, unless blank). Blank lines around a
/// cell's source belong to the layout, not to the cell.
extension Notebook {
    public init(percentText text: String) {
        let lines = PercentLines.split(text)
        var cells: [NotebookCell] = []
        var header: PercentMarker?
        var headerLine = 0
        var body: [Substring] = []
        func flush(endingBefore _: Int) {
            // Trim blank lines at both ends; the source starts at the first kept line.
            var first = 0
            while first < body.count, PercentLines.isBlank(body[first]) { first += 1 }
            var last = body.count
            while last > first, PercentLines.isBlank(body[last - 1]) { last -= 1 }
            let kept = body[first..<last]
            let startLine = headerLine + 1 + first
            if let header {
                var source = kept.map(String.init)
                if header.kind == .markdown {
                    source = source.map(PercentLines.uncomment)
                }
                cells.append(NotebookCell(kind: header.kind, source: source.joined(separator: "\n"), tags: header.tags,
                                          metadata: header.metadata, sourceLine: kept.isEmpty ? headerLine + 1 : startLine))
            } else if !kept.isEmpty {
                cells.append(NotebookCell(kind: .code, source: kept.map(String.init).joined(separator: "\n"),
                                          sourceLine: startLine, hasMarker: false))
            }
            body.removeAll()
        }
        for (index, line) in lines.enumerated() {
            if let marker = PercentMarker(line: line) {
                flush(endingBefore: index)
                header = marker
                headerLine = index + 1
            } else {
                body.append(line)
            }
        }
        flush(endingBefore: lines.count)
        self.init(cells: cells)
    }

    /// The notebook as a `.grad` file (outputs and execution counts are not part of the format).
    public func percentText() -> String {
        var blocks: [String] = []
        for cell in cells {
            var lines: [String] = []
            if cell.hasMarker || !blocks.isEmpty || cell.kind != .code {
                lines.append(PercentMarker.line(kind: cell.kind, tags: cell.tags, metadata: cell.metadata))
            }
            if !cell.source.isEmpty {
                let sourceLines = cell.source.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
                    .map(String.init)
                lines += cell.kind == .markdown ? sourceLines.map(PercentLines.comment) : sourceLines
            }
            blocks.append(lines.joined(separator: "\n"))
        }
        return blocks.isEmpty ? "" : blocks.joined(separator: "\n\n") + "\n"
    }
}

/// A `# %%` line: cell kind, tags and other metadata.
struct PercentMarker {
    var kind: CellKind
    var tags: [String]
    var metadata: [String: JSONValue]

    init?(line: Substring) {
        guard line.hasPrefix("# %%") else { return nil }
        var rest = line.dropFirst(4)
        // `# %%%` or `# %%x` is an ordinary comment.
        guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
        kind = .code
        tags = []
        metadata = [:]
        rest = rest.drop { $0 == " " || $0 == "\t" }
        var title: [Substring] = []
        while !rest.isEmpty {
            if rest.hasPrefix("["), let close = rest.firstIndex(of: "]"),
               let name = Optional(rest[rest.index(after: rest.startIndex)..<close].lowercased()),
               !name.isEmpty, name.allSatisfy({ $0.isLetter }) {
                // jupytext: `# %% [markdown]`, also after a title (`# %% Title [markdown]`).
                switch name {
                case "markdown", "md": kind = .markdown
                case "raw": kind = .raw
                default: metadata["cell_type_label"] = .string(name)
                }
                rest = rest[rest.index(after: close)...]
            } else if let (key, value, remainder) = PercentMarker.keyValue(rest) {
                if key == "tags", case .array(let items) = value {
                    tags = items.compactMap(\.stringValue)
                } else {
                    metadata[key] = value
                }
                rest = remainder
            } else {
                let word = rest.prefix { $0 != " " && $0 != "\t" }
                title.append(word)
                rest = rest.dropFirst(word.count)
            }
            rest = rest.drop { $0 == " " || $0 == "\t" }
        }
        if !title.isEmpty {
            metadata["title"] = .string(title.joined(separator: " "))
        }
    }

    /// Reads `key=<JSON value>` from the start of `text`.
    private static func keyValue(_ text: Substring) -> (String, JSONValue, Substring)? {
        guard let equals = text.firstIndex(of: "=") else { return nil }
        let key = text[..<equals]
        guard let first = key.first, first.isLetter || first == "_",
              key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }) else { return nil }
        let valueStart = text.index(after: equals)
        guard let end = jsonValueEnd(text[valueStart...]) else { return nil }
        let valueText = text[valueStart..<end]
        guard let value = try? JSONParser.parse(String(valueText)) else { return nil }
        return (String(key), value, text[end...])
    }

    /// Where a JSON value at the start of `text` ends: balanced brackets, strings with escapes,
    /// or a bare word (number, true, false, null).
    private static func jsonValueEnd(_ text: Substring) -> Substring.Index? {
        var depth = 0
        var inString = false
        var escaped = false
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if inString {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
            } else {
                switch character {
                case "\"": inString = true
                case "[", "{": depth += 1
                case "]", "}":
                    depth -= 1
                    if depth < 0 { return nil }
                case " ", "\t":
                    if depth == 0 { return index }
                default: break
                }
            }
            index = text.index(after: index)
            if depth == 0 && !inString, index < text.endIndex, (character == "]" || character == "}" || character == "\"") {
                return index
            }
        }
        return inString || depth != 0 ? nil : text.endIndex
    }

    static func line(kind: CellKind, tags: [String], metadata: [String: JSONValue]) -> String {
        var parts = ["# %%"]
        if let title = metadata["title"]?.stringValue { parts.append(title) }
        switch kind {
        case .markdown: parts.append("[markdown]")
        case .raw: parts.append("[raw]")
        case .code: if let label = metadata["cell_type_label"]?.stringValue { parts.append("[\(label)]") }
        }
        if !tags.isEmpty {
            parts.append("tags=" + JSONValue.array(tags.map(JSONValue.string)).serialized(indent: nil))
        }
        for key in metadata.keys.sorted() where key != "title" && key != "cell_type_label" {
            if let value = metadata[key] {
                parts.append(key + "=" + value.serialized(indent: nil))
            }
        }
        return parts.joined(separator: " ")
    }
}

enum PercentLines {
    /// Lines without their terminators; `\r\n` files read like `\n` files; a final newline does
    /// not make an extra empty line.
    static func split(_ text: String) -> [Substring] {
        // "\r\n" is one Character in Swift, so it is a separator of its own.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    static func isBlank(_ line: Substring) -> Bool {
        line.allSatisfy { $0 == " " || $0 == "\t" }
    }

    static func uncomment(_ line: String) -> String {
        if line.hasPrefix("# ") { return String(line.dropFirst(2)) }
        if line == "#" { return "" }
        return line
    }

    static func comment(_ line: String) -> String {
        line.isEmpty ? "#" : "# " + line
    }
}
