/// What one read from the user gave.
public enum LineInput: Sendable, Equatable {
    /// A line without its newline; a cell recalled from history may hold several lines.
    case line(String)
    /// Ctrl-C at the prompt: abandon what was typed.
    case interrupted
    /// Ctrl-D on an empty line, or the end of piped input.
    case endOfInput
}

/// Where lines come from: libedit on a terminal, plain standard input otherwise.
public protocol LineReader: AnyObject {
    /// Shows `prompt` and reads a line, pre-filled with `initialText`.
    func readLine(prompt: StyledText, initialText: String) -> LineInput
    func addToHistory(_ entry: String)
    /// Asked on Tab with the line's text before the cursor.
    var completion: ((String) -> Completion)? { get set }
}

/// Standard input line by line, without editing: for piped input (no prompts) and for a
/// terminal that libedit cannot drive (plain prompts).
public final class PlainLineReader: LineReader {
    private let output: REPLOutput?
    public var completion: ((String) -> Completion)?

    /// `promptOutput` nil: show no prompts (a script).
    public init(promptOutput: REPLOutput?) {
        output = promptOutput
    }

    public func readLine(prompt: StyledText, initialText: String) -> LineInput {
        output?.write(prompt.plain, to: .output)
        guard let line = Swift.readLine(strippingNewline: true) else { return .endOfInput }
        return .line(line)
    }

    public func addToHistory(_ entry: String) {}
}
