import GradSession

/// The REPL's view of a `Session`: runs cells, streams their outputs to the terminal as they are
/// produced, and answers completion and history questions from the session and its database.
final class SessionBackend: REPLBackend {
    let session: Session
    private let output: REPLOutput
    private let style: TerminalStyle
    private let interrupts: InterruptRelay?

    init(session: Session, output: REPLOutput, style: TerminalStyle, interrupts: InterruptRelay?, showsProgress: Bool) {
        self.session = session
        self.output = output
        self.style = style
        self.interrupts = interrupts
        session.outputHandler = { [output, style] item in
            switch item {
            case .stdout(let text):
                output.write(text, to: .output)
            case .stderr(let text):
                output.write(StyledText(text, style: .yellow).rendered(colors: style.colorsOnStandardError), to: .error)
            case .display(let rich):
                let text = rich.terminalText(width: TerminalWidth.current(), colors: style.colorsOnStandardOutput)
                output.write(text.hasSuffix("\n") ? text : text + "\n", to: .output)
            case .page(let text):
                // `name?`: Jupyter pages it; a terminal shows it like any other output.
                output.write(text.hasSuffix("\n") ? text : text + "\n", to: .output)
            case .clearOutput:
                // Only Jupyter redraws outputs in place; a terminal keeps what it printed.
                break
            }
        }
        if showsProgress {
            let line = TrainingProgressLine()
            session.progressHandler = { progress in
                line.update(target: progress.target, step: progress.step, totalSteps: progress.totalSteps, loss: progress.loss,
                            elapsedSeconds: progress.elapsedSeconds, finished: progress.finished)
            }
        }
    }

    var nextExecutionCount: Int { session.executionCount + 1 }

    func execute(_ source: String) -> CellOutcome {
        // An interrupt that arrived after the previous cell ended must not stop this one.
        _ = session.interrupt.consume()
        interrupts?.cellWillRun()
        let result = session.execute(source)
        interrupts?.cellDidFinish()
        _ = session.interrupt.consume()
        return CellOutcome(executionCount: result.executionCount, value: result.result?.plain, errorText: result.errorText)
    }

    func completionSources() -> CompletionSources {
        CompletionSources(session: session)
    }

    func recentCells(limit: Int) -> [String] {
        ((try? session.store.history(.tail(count: limit))) ?? []).map(\.source)
    }

    func definesName(_ name: String) -> Bool {
        session.interpreter.nodeOfName[name] != nil
    }

    func close() {
        try? session.close()
    }
}
