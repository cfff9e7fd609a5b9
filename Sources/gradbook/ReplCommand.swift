import ArgumentParser
import GradREPL

struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "The interactive REPL (the default command). Piped input runs as a script.",
        discussion: """
            Line editing with history from the database (Up/Down, Ctrl-R reach earlier sessions), Tab completion, \
            multi-line cells while a bracket is open, Ctrl-C to stop a running cell, Ctrl-D to leave. \
            Colour on a terminal unless NO_COLOR is set.
            """
    )

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let store = try database.open(.readWrite)
        let session = try SessionFactory.make(store: store, kind: .repl, notebook: nil)
        let status = REPL.run(session: session)
        if status != 0 { throw ExitCode(status) }
    }
}
