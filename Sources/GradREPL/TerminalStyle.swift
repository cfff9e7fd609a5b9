/// Whether to colour: only on a terminal, never with NO_COLOR set (https://no-color.org) or on a
/// `dumb` terminal.
public struct TerminalStyle: Sendable, Equatable {
    public var colorsOnStandardOutput: Bool
    public var colorsOnStandardError: Bool

    public init(environment: [String: String], standardOutputIsTerminal: Bool, standardErrorIsTerminal: Bool) {
        let allowed = (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
        colorsOnStandardOutput = allowed && standardOutputIsTerminal
        colorsOnStandardError = allowed && standardErrorIsTerminal && standardOutputIsTerminal
    }

    public static let none = TerminalStyle(environment: [:], standardOutputIsTerminal: false, standardErrorIsTerminal: false)

    public func colors(for stream: StandardStream) -> Bool {
        stream == .output ? colorsOnStandardOutput : colorsOnStandardError
    }
}
