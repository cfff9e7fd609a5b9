import ArgumentParser
import Foundation
import GradStore

struct SQLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql",
        abstract: "Query the run history (read-only unless --write).",
        discussion: "Public views: sessions, cells, nodes, runs, run_values, train_steps, param_history. Without a query: an interactive SQL prompt."
    )

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "The SQL to run; several statements may be separated by ';'.")
    var query: String?

    @Option(help: "Output format: table, box, csv, json or html.")
    var format: QueryFormat = .table

    @Flag(help: "Allow statements that modify the database.")
    var write = false

    func run() throws {
        let store = try database.open(write ? .readWrite : .readOnly)
        if let query {
            try execute(query, store: store)
            return
        }
        try prompt(store: store)
    }

    private func execute(_ sql: String, store: RunStore) throws {
        do {
            let result = try store.query(sql)
            guard !result.columns.isEmpty else { return }
            let text = result.formatted(format)
            print(text, terminator: text.utf8.last == UInt8(ascii: "\n") ? "" : "\n")
        } catch {
            throw CommandFailure(message: "gradbook sql: \(error)")
        }
    }

    /// A minimal sqlite3-style prompt: statements end at ';', errors do not end the session.
    private func prompt(store: RunStore) throws {
        let interactive = isatty(STDIN_FILENO) == 1
        var buffer = ""
        var failed = false
        while true {
            if interactive {
                FileHandle.standardOutput.write(Data((buffer.isEmpty ? "sql> " : "...> ").utf8))
            }
            guard let line = readLine() else { break }
            buffer += line + "\n"
            guard line.trimmingCharacters(in: .whitespaces).hasSuffix(";") else { continue }
            do {
                try execute(buffer, store: store)
            } catch let failure as CommandFailure {
                FileHandle.standardError.write(Data((failure.message + "\n").utf8))
                failed = true
            }
            buffer = ""
        }
        if !buffer.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            try execute(buffer, store: store)
        }
        if failed && !interactive { throw ExitCode(1) }
    }
}

extension QueryFormat: ExpressibleByArgument {}
