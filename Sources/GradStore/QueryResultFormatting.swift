import GradJSON

/// The ways a query result is shown: `gradbook sql --format`, `%sql`, Jupyter's `text/html`.
public enum QueryFormat: String, Sendable, CaseIterable {
    /// ASCII grid, like the sqlite3 shell's `.mode table`.
    case table
    /// Unicode box grid, like `.mode box`.
    case box
    /// RFC 4180: header line, CRLF line ends, fields quoted when needed.
    case csv
    /// An array of objects, one per row, keys in column order.
    case json
    /// A `<table>` for Jupyter.
    case html
}

extension SQLValue {
    /// How a value reads in a table: REAL as the shortest round-trip decimal (`-4`, `0.5`),
    /// NULL as `NULL`, a BLOB as `x'0a1b…'` (hex).
    public var displayText: String {
        switch self {
        case .null: return "NULL"
        case .integer(let value): return String(value)
        case .real(let value): return NumberText.display(value)
        case .text(let value): return value
        case .blob(let bytes): return "x'" + QueryResult.hex(bytes) + "'"
        }
    }

    var isNumber: Bool {
        switch self {
        case .integer, .real: return true
        default: return false
        }
    }
}

extension QueryResult {
    public func formatted(_ format: QueryFormat, maxColumnWidth: Int? = nil) -> String {
        switch format {
        case .table: return gridText(style: .ascii, maxColumnWidth: maxColumnWidth)
        case .box: return gridText(style: .box, maxColumnWidth: maxColumnWidth)
        case .csv: return csvText()
        case .json: return jsonText()
        case .html: return htmlText()
        }
    }

    struct GridStyle {
        var top: (left: String, middle: String, right: String)
        var separator: (left: String, middle: String, right: String)
        var bottom: (left: String, middle: String, right: String)
        var horizontal: String
        var vertical: String

        static let ascii = GridStyle(top: ("+", "+", "+"), separator: ("+", "+", "+"), bottom: ("+", "+", "+"),
                                     horizontal: "-", vertical: "|")
        static let box = GridStyle(top: ("┌", "┬", "┐"), separator: ("├", "┼", "┤"), bottom: ("└", "┴", "┘"),
                                   horizontal: "─", vertical: "│")
    }

    /// A grid with a header; numbers right-aligned, everything else left-aligned. Returns ""
    /// when the statement produced no columns.
    func gridText(style: GridStyle, maxColumnWidth: Int?) -> String {
        guard !columns.isEmpty else { return "" }
        func cell(_ text: String) -> String {
            // One line per row: control characters would break the grid.
            var flat = ""
            for character in text {
                switch character {
                case "\n", "\r\n": flat += "\\n"
                case "\r": flat += "\\r"
                case "\t": flat += "\\t"
                default: flat.append(character)
                }
            }
            if let maxColumnWidth, maxColumnWidth > 1, flat.count > maxColumnWidth {
                return String(flat.prefix(maxColumnWidth - 1)) + "…"
            }
            return flat
        }
        let header = columns.map(cell)
        let body = rows.map { row in row.map { cell($0.displayText) } }
        var widths = header.map(\.count)
        for row in body {
            for (index, text) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], text.count)
            }
        }
        func rule(_ parts: (left: String, middle: String, right: String)) -> String {
            parts.left + widths.map { String(repeating: style.horizontal, count: $0 + 2) }.joined(separator: parts.middle)
                + parts.right
        }
        func line(_ texts: [String], rightAligned: [Bool]) -> String {
            var cells: [String] = []
            for (index, width) in widths.enumerated() {
                let text = index < texts.count ? texts[index] : ""
                let padding = String(repeating: " ", count: max(width - text.count, 0))
                let alignRight = index < rightAligned.count && rightAligned[index]
                cells.append(" " + (alignRight ? padding + text : text + padding) + " ")
            }
            return style.vertical + cells.joined(separator: style.vertical) + style.vertical
        }
        var lines = [rule(style.top), line(header, rightAligned: []), rule(style.separator)]
        for (rowIndex, row) in body.enumerated() {
            lines.append(line(row, rightAligned: rows[rowIndex].map(\.isNumber)))
        }
        lines.append(rule(style.bottom))
        return lines.joined(separator: "\n") + "\n"
    }

    func csvText() -> String {
        guard !columns.isEmpty else { return "" }
        func field(_ text: String) -> String {
            let needsQuotes = text.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
            return needsQuotes ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        func text(_ value: SQLValue) -> String {
            if case .null = value { return "" }
            return value.displayText
        }
        var output = columns.map(field).joined(separator: ",") + "\r\n"
        for row in rows {
            output += row.map { field(text($0)) }.joined(separator: ",") + "\r\n"
        }
        return output
    }

    func jsonText() -> String {
        guard !columns.isEmpty else { return "" }
        let keys = columns.map(JSONWriter.quoted)
        var objects: [String] = []
        objects.reserveCapacity(rows.count)
        for row in rows {
            var members: [String] = []
            for (index, value) in row.enumerated() where index < keys.count {
                let json: String
                switch value {
                case .null: json = "null"
                case .integer(let integer): json = String(integer)
                case .real(let real): json = NumberText.json(real)
                case .text(let text): json = JSONWriter.quoted(text)
                case .blob(let bytes): json = JSONWriter.quoted(QueryResult.hex(bytes))
                }
                members.append(keys[index] + ":" + json)
            }
            objects.append("{" + members.joined(separator: ",") + "}")
        }
        return "[" + objects.joined(separator: ",\n") + "]\n"
    }

    func htmlText() -> String {
        guard !columns.isEmpty else { return "" }
        let escape = HTMLText.escaped
        var output = "<table>\n<thead>\n<tr>"
        output += columns.map { "<th>" + escape($0) + "</th>" }.joined()
        output += "</tr>\n</thead>\n<tbody>\n"
        for row in rows {
            output += "<tr>"
            for value in row {
                let style = value.isNumber ? " style=\"text-align: right\"" : ""
                output += "<td\(style)>" + escape(value.displayText) + "</td>"
            }
            output += "</tr>\n"
        }
        return output + "</tbody>\n</table>\n"
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// Text made safe to put inside HTML elements and attribute values.
public enum HTMLText {
    public static func escaped(_ text: String) -> String {
        var output = ""
        for character in text {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            default: output.append(character)
            }
        }
        return output
    }
}
