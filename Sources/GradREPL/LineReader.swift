#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GradLang

/// What one read from the user gave.
public enum LineInput: Sendable, Equatable {
    /// A line without its newline; a cell recalled from history may hold several lines.
    case line(String)
    /// Ctrl-C at the prompt: abandon what was typed.
    case interrupted
    /// Ctrl-D on an empty line, or the end of piped input.
    case endOfInput
    /// A line with bytes that are not UTF-8: where the first one is (line 1 being this line),
    /// and the line with such bytes shown as U+FFFD, to point at it.
    case notUTF8(InvalidUTF8, text: String)

    /// `bytes` (one line, without its newline) as a line, or where they are not UTF-8.
    static func decoding(_ bytes: [UInt8]) -> LineInput {
        let text = String(decoding: bytes, as: UTF8.self)
        if let problem = InvalidUTF8.find(in: bytes) { return .notUTF8(problem, text: text) }
        return .line(text)
    }
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
        guard var bytes = readLineBytes() else { return .endOfInput }
        // As Swift's readLine(strippingNewline:): "\n" and "\r\n" end a line.
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        return LineInput.decoding(bytes)
    }

    /// Standard input read so far and not yet returned, from `start`.
    private var pending: [UInt8] = []
    private var start = 0
    private var reachedEnd = false

    /// One line of standard input as bytes, newline included; nil at the end. Bytes, not a
    /// String: Swift's readLine would turn bytes that are not UTF-8 into U+FFFD unseen.
    private func readLineBytes() -> [UInt8]? {
        while true {
            if let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                defer { start = newline + 1 }
                return Array(pending[start...newline])
            }
            if reachedEnd {
                guard start < pending.count else { return nil }
                defer { start = pending.count }
                return Array(pending[start...])
            }
            pending.removeFirst(start)
            start = 0
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let count = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if count > 0 {
                pending += chunk[0..<count]
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                reachedEnd = true
            }
        }
    }

    public func addToHistory(_ entry: String) {}
}
