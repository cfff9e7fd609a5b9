import GradSession

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `gradbook` / `gradbook repl`: the interactive REPL on a terminal, or piped standard input
/// run as a script.
public enum REPL {
    /// Runs on this process's standard streams until the input ends, closes the session, and
    /// returns the exit status: 0, or 1 when piped input had a failing cell.
    public static func run(session: Session, program: String = "gradbook") -> Int32 {
        let output = StandardOutput()
        guard isatty(STDIN_FILENO) == 1 else {
            let backend = SessionBackend(session: session, output: output, style: .none, interrupts: nil, showsProgress: false)
            let status = ScriptLoop(backend: backend, reader: PlainLineReader(promptOutput: nil), output: output).run()
            backend.close()
            return status
        }
        var environment: [String: String] = [:]
        for name in ["NO_COLOR", "TERM"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        let style = TerminalStyle(environment: environment, standardOutputIsTerminal: isatty(STDOUT_FILENO) == 1,
                                  standardErrorIsTerminal: isatty(STDERR_FILENO) == 1)
        let interrupt = session.interrupt
        let relay = InterruptRelay { interrupt.raise() }
        let backend = SessionBackend(session: session, output: output, style: style, interrupts: relay,
                                     showsProgress: isatty(STDERR_FILENO) == 1)
        let reader: LineReader = EditLineReader(program: program, historySize: InteractiveLoop.historySize,
                                                colors: style.colorsOnStandardOutput)
            ?? PlainLineReader(promptOutput: output)
        output.write(banner(database: session.store.location, sessionID: session.sessionID, colors: style.colorsOnStandardOutput), to: .output)
        InteractiveLoop(backend: backend, reader: reader, output: output, style: style).run()
        backend.close()
        return 0
    }

    static func banner(database: String, sessionID: Int64, colors: Bool) -> String {
        let destination = database == ":memory:" ? "an in-memory history (nothing is kept)" : database
        let text = "gradbook: session \(sessionID), recording to \(destination). %help for help, name? to inspect, Ctrl-D to exit.\n\n"
        return StyledText(text, style: .dim).rendered(colors: colors)
    }
}
