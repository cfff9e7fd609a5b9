import Foundation
import GradInterpreter
import GradREPL
import GradSession

/// Writes a session's outputs to this process's standard output and error as they happen.
enum TerminalOutput {
    static func write(_ output: SessionOutput) {
        switch output {
        case .stdout(let text): writeOut(text)
        case .stderr(let text): writeErr(text)
        case .display(let rich):
            let text = rich.terminalText(width: TerminalWidth.current(), colors: style.colorsOnStandardOutput)
            writeOut(text.hasSuffix("\n") ? text : text + "\n")
        case .page(let text): writeOut(text.hasSuffix("\n") ? text : text + "\n")
        case .clearOutput: break
        }
    }

    /// Colour (charts' series) only on a terminal and without NO_COLOR, as in the REPL.
    static let style = TerminalStyle(environment: ProcessInfo.processInfo.environment,
                                     standardOutputIsTerminal: isatty(STDOUT_FILENO) == 1, standardErrorIsTerminal: isatty(STDERR_FILENO) == 1)

    static func writeOut(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func writeErr(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
