/// Terminal colours, as SGR escape sequences.
public enum TextStyle: Sendable, Equatable {
    case green, boldGreen, red, boldRed, yellow, dim

    var escape: String {
        switch self {
        case .green: "\u{1B}[32m"
        case .boldGreen: "\u{1B}[1;32m"
        case .red: "\u{1B}[31m"
        case .boldRed: "\u{1B}[1;31m"
        case .yellow: "\u{1B}[33m"
        case .dim: "\u{1B}[2m"
        }
    }

    static let reset = "\u{1B}[0m"
}

/// Text made of runs that may each carry a colour; rendered with or without escapes.
public struct StyledText: Sendable, Equatable {
    public var runs: [(text: String, style: TextStyle?)]

    public init(_ runs: [(text: String, style: TextStyle?)]) {
        self.runs = runs
    }

    public init(_ text: String, style: TextStyle? = nil) {
        runs = [(text, style)]
    }

    /// The characters without any escape.
    public var plain: String { runs.map(\.text).joined() }

    /// How many columns it takes on screen (prompts are ASCII).
    public var width: Int { plain.count }

    public func rendered(colors: Bool) -> String {
        guard colors else { return plain }
        return runs.map { run in run.style.map { $0.escape + run.text + TextStyle.reset } ?? run.text }.joined()
    }

    /// For a libedit prompt (EL_PROMPT_ESC): each escape sequence goes between two `marker`s so it
    /// takes no column. libedit attaches such a sequence to the visible character right after it
    /// and drops one at the very end, so sequences that meet are merged and the closing reset
    /// goes before the last character (a prompt ends with a space, which shows no colour).
    public func renderedForLineEditor(colors: Bool, marker: Character) -> String {
        guard colors else { return plain }
        let characters = runs.flatMap { run in run.text.map { ($0, run.style) } }
        var result = ""
        var current: TextStyle?
        for (index, (character, style)) in characters.enumerated() {
            var escape = ""
            if style != current {
                if current != nil { escape += TextStyle.reset }
                escape += style?.escape ?? ""
                current = style
            }
            if index == characters.count - 1 && current != nil {
                escape += TextStyle.reset
                current = nil
            }
            if !escape.isEmpty { result += String(marker) + escape + String(marker) }
            result.append(character)
        }
        return result
    }

    public static func == (lhs: StyledText, rhs: StyledText) -> Bool {
        lhs.runs.map(\.text) == rhs.runs.map(\.text) && lhs.runs.map(\.style) == rhs.runs.map(\.style)
    }
}
