import GradLang

/// Piped standard input run as a script: each complete statement is a cell, no prompts and no
/// escape codes, values on standard output, errors on standard error, and status 1 if any cell
/// failed.
public final class ScriptLoop {
    private let backend: REPLBackend
    private let reader: LineReader
    private let output: REPLOutput

    public init(backend: REPLBackend, reader: LineReader, output: REPLOutput) {
        self.backend = backend
        self.reader = reader
        self.output = output
    }

    /// Runs every cell; returns the exit status. The caller closes the session.
    public func run() -> Int32 {
        var cell = CellBuffer()
        var failed = false
        var lineNumber = 0
        reading: while true {
            lineNumber += 1
            switch reader.readLine(prompt: StyledText(""), initialText: "") {
            case .line(let line):
                if case .run(let source) = cell.add(line) {
                    failed = execute(source) || failed
                }
            case .notUTF8(var problem, let text):
                // Binary input: the cell with the bad byte does not run, and nothing after it is read.
                problem.line = lineNumber
                output.write(problem.diagnostic.rendered(source: text, origin: "<stdin>") + "\n", to: .error)
                return 1
            case .interrupted, .endOfInput:
                break reading
            }
        }
        if let remainder = cell.takeRemainder() {
            failed = execute(remainder) || failed
        }
        return failed ? 1 : 0
    }

    /// Returns whether the cell failed.
    private func execute(_ source: String) -> Bool {
        let outcome = backend.execute(source)
        if let value = outcome.value {
            output.write(value.hasSuffix("\n") ? value : value + "\n", to: .output)
        }
        guard let error = outcome.errorText else { return false }
        output.write(error + "\n", to: .error)
        return true
    }
}
