import ArgumentParser
import Foundation
import GradLang
import GradSession

struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "The interactive REPL (the default command). Piped input runs as a script."
    )

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let store = try database.open(.readWrite)
        let session = try SessionFactory.make(store: store, kind: .repl, notebook: nil)
        session.outputHandler = TerminalOutput.write
        let interactive = isatty(STDIN_FILENO) == 1
        var failed = false
        var buffer = ""
        while true {
            if interactive {
                TerminalOutput.writeOut(buffer.isEmpty ? "In [\(session.executionCount + 1)]: " : "   ...: ")
            }
            guard let line = readLine(strippingNewline: true) else { break }
            buffer += buffer.isEmpty ? line : "\n" + line
            if case .incomplete = Parser.completeness(of: buffer) { continue }
            if buffer.trimmingCharacters(in: .whitespaces).isEmpty {
                buffer = ""
                continue
            }
            let result = session.execute(buffer)
            buffer = ""
            if let value = result.result {
                TerminalOutput.writeOut((interactive ? "Out[\(result.executionCount)]: " : "") + value.plain + "\n")
            }
            if let error = result.errorText {
                TerminalOutput.writeErr(error + "\n")
                failed = true
            }
        }
        if !buffer.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            let result = session.execute(buffer)
            if let value = result.result { TerminalOutput.writeOut(value.plain + "\n") }
            if let error = result.errorText {
                TerminalOutput.writeErr(error + "\n")
                failed = true
            }
        }
        try? session.close()
        if failed && !interactive { throw ExitCode(1) }
    }
}
