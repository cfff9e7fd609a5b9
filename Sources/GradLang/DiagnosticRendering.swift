extension Diagnostic {
    /// The diagnostic as every front end shows it (clang style), lines joined by "\n", no final newline:
    ///
    ///     cell.grad:15:9: error: expected an expression after '*'
    ///     J = 0.5 *
    ///             ^
    ///     help: …
    ///
    /// `origin` (a file name, `<cell 3>`) prefixes the position; `lineOffset` is added to line numbers, for
    /// a cell that starts further down a file. The marker line copies the tabs of the source line, so the
    /// caret stays under its character whatever the tab width, and wide characters count two columns.
    public func rendered(source: String, origin: String? = nil, lineOffset: Int = 0) -> String {
        var lines: [String] = []
        let head = origin.map { "\($0):" } ?? ""
        if let span {
            let (shifted, overflow) = span.start.line.addingReportingOverflow(lineOffset)
            let line = overflow ? span.start.line : shifted
            lines.append("\(head)\(line):\(span.start.column): \(severity.rawValue): \(message)")
            let excerpt = SourceExcerpt(span: span, source: source)
            lines.append(excerpt.line)
            lines.append(excerpt.marker)
        } else {
            let separator = head.isEmpty ? "" : " "
            lines.append("\(head)\(separator)\(severity.rawValue): \(message)")
        }
        for note in notes { lines.append("note: \(note)") }
        if let fixIt { lines.append("help: \(fixIt)") }
        return lines.joined(separator: "\n")
    }
}

/// The source line a span starts on, and the `^~~~` marker under the span.
struct SourceExcerpt {
    var line: String
    var marker: String

    init(span: SourceSpan, source: String) {
        let bytes = Array(source.utf8)
        let start = Self.scalarBoundary(atOrBefore: span.start.offset, in: bytes)
        var lineStart = start
        while lineStart > 0, bytes[lineStart - 1] != Byte.newline { lineStart -= 1 }
        var lineEnd = start
        while lineEnd < bytes.count, bytes[lineEnd] != Byte.newline { lineEnd += 1 }
        if lineEnd > lineStart, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
        let caret = min(start, lineEnd)
        let underlineEnd = max(caret, min(Self.scalarBoundary(atOrBefore: span.end.offset, in: bytes), lineEnd))

        line = Self.printable(String(decoding: bytes[lineStart ..< lineEnd], as: UTF8.self))
        var marker = ""
        for character in String(decoding: bytes[lineStart ..< caret], as: UTF8.self) {
            marker += character == "\t" ? "\t" : String(repeating: " ", count: Self.width(of: character))
        }
        var underline = ""
        for character in String(decoding: bytes[caret ..< underlineEnd], as: UTF8.self) {
            let width = max(1, Self.width(of: character))
            underline += underline.isEmpty
                ? "^" + String(repeating: "~", count: width - 1)
                : String(repeating: "~", count: width)
        }
        self.marker = marker + (underline.isEmpty ? "^" : underline)
    }

    /// `offset` clamped into the source and moved back off UTF-8 continuation bytes.
    private static func scalarBoundary(atOrBefore offset: Int, in bytes: [UInt8]) -> Int {
        var index = min(max(0, offset), bytes.count)
        while index > 0, index < bytes.count, bytes[index] & 0xC0 == 0x80 { index -= 1 }
        return index
    }

    /// Control characters (but tabs) would move the terminal's cursor; show U+FFFD instead.
    private static func printable(_ line: String) -> String {
        guard line.unicodeScalars.contains(where: isControl) else { return line }
        var result = String.UnicodeScalarView()
        for scalar in line.unicodeScalars {
            result.append(isControl(scalar) ? "\u{FFFD}" : scalar)
        }
        return String(result)
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value < 0x20 && scalar != "\t") || scalar.value == 0x7F
    }

    /// Terminal columns: 2 for East Asian wide characters and emoji, 1 otherwise.
    static func width(of character: Character) -> Int {
        guard let scalar = character.unicodeScalars.first else { return 1 }
        if scalar.properties.isEmojiPresentation { return 2 }
        switch scalar.value {
        case 0x1100 ... 0x115F, 0x2E80 ... 0x303E, 0x3041 ... 0x33FF, 0x3400 ... 0x4DBF, 0x4E00 ... 0x9FFF,
             0xA000 ... 0xA4CF, 0xAC00 ... 0xD7A3, 0xF900 ... 0xFAFF, 0xFE30 ... 0xFE4F, 0xFF00 ... 0xFF60,
             0xFFE0 ... 0xFFE6, 0x20000 ... 0x3FFFD:
            return 2
        default:
            return 1
        }
    }
}
