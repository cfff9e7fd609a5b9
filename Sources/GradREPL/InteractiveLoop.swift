import GradLang

/// The REPL on a terminal: IPython's prompts, continuation lines, `Out[n]`, history loaded from
/// the database, Tab completion, Ctrl-C abandoning the line, Ctrl-D leaving.
public final class InteractiveLoop {
    public static let historySize = 1000

    private let backend: REPLBackend
    private let reader: LineReader
    private let output: REPLOutput
    private let style: TerminalStyle
    private var cell = CellBuffer()

    public init(backend: REPLBackend, reader: LineReader, output: REPLOutput, style: TerminalStyle) {
        self.backend = backend
        self.reader = reader
        self.output = output
        self.style = style
    }

    /// Reads and runs cells until Ctrl-D (or `exit`); the caller closes the session.
    public func run() {
        for entry in HistoryText.entries(for: backend.recentCells(limit: Self.historySize)) {
            reader.addToHistory(entry)
        }
        reader.completion = { [unowned self] lineBeforeCursor in
            Completer.complete((cell.lines + [lineBeforeCursor]).joined(separator: "\n"), sources: backend.completionSources())
        }
        defer { reader.completion = nil }
        var initialText = ""
        while true {
            let number = backend.nextExecutionCount
            let prompt = cell.isEmpty ? Prompts.input(number) : Prompts.continuation(number)
            let input = reader.readLine(prompt: prompt, initialText: initialText)
            initialText = ""
            switch input {
            case .interrupted:
                cell.clear()
            case .endOfInput:
                output.write("\n", to: .output)
                // Ctrl-D in the middle of a cell abandons the cell; on an empty prompt it leaves.
                guard !cell.isEmpty else { return }
                cell.clear()
            case .notUTF8(var problem, let text):
                // The cell being typed is abandoned, as after Ctrl-C, with the place of the bad byte.
                problem.line = cell.lines.count + 1
                output.write(StyledText(problem.diagnostic.rendered(source: text), style: .red).rendered(colors: style.colorsOnStandardError) + "\n", to: .error)
                cell.clear()
            case .line(let text):
                switch cell.add(text) {
                case .nothing:
                    break
                case .needMore(let indent):
                    initialText = indent
                case .run(let source):
                    if isExitCommand(source) { return }
                    if let entry = HistoryText.entry(for: source) { reader.addToHistory(entry) }
                    show(backend.execute(source))
                }
            }
        }
    }

    private func show(_ outcome: CellOutcome) {
        if let value = outcome.value {
            output.write(Prompts.result(value, number: outcome.executionCount, colors: style.colorsOnStandardOutput), to: .output)
        }
        if let error = outcome.errorText {
            output.write(StyledText(error, style: .red).rendered(colors: style.colorsOnStandardError) + "\n", to: .error)
        }
        // IPython's blank line between one cell's output and the next prompt.
        output.write("\n", to: .output)
    }

    /// `exit()` and `quit()` leave, as in Python; so do bare `exit` and `quit`, unless the notebook
    /// defines a node of that name (then it is shown).
    private func isExitCommand(_ source: String) -> Bool {
        let word = source.trimmingWhitespace
        if word == "exit()" || word == "quit()" { return true }
        return (word == "exit" || word == "quit") && !backend.definesName(word)
    }
}

extension String {
    var trimmingWhitespace: String {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text = text.dropFirst() }
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return String(text)
    }
}
