import Foundation
import GradInterpreter
import GradSession

/// Writes a session's outputs to this process's standard output and error as they happen.
enum TerminalOutput {
    static func write(_ output: SessionOutput) {
        switch output {
        case .stdout(let text): writeOut(text)
        case .stderr(let text): writeErr(text)
        case .display(let rich): writeOut(rich.plain.hasSuffix("\n") ? rich.plain : rich.plain + "\n")
        case .page(let text): writeOut(text.hasSuffix("\n") ? text : text + "\n")
        case .clearOutput: break
        }
    }

    static func writeOut(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func writeErr(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
