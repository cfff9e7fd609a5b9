import ArgumentParser
import Foundation

@main
struct Gradbook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradbook",
        abstract: "Computation graphs and backpropagation, with every run recorded in SQLite.",
        subcommands: [ReplCommand.self, RunCommand.self, SQLCommand.self, PlotCommand.self, ReplayCommand.self, DiffCommand.self, CopyCommand.self, KernelCommand.self, BenchCommand.self, DbCommand.self],
        defaultSubcommand: ReplCommand.self
    )

    /// ArgumentParser exits 64 on bad usage; gradbook's contract (SPEC §5) is 2, and 1 for a
    /// failed cell or query.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data((failure.message + "\n").utf8))
            Foundation.exit(1)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(code == .validationFailure || code.rawValue == 64 ? 2 : code.rawValue)
        }
    }
}

/// A failure the user caused with good usage (a bad notebook, a failing query): exit 1.
struct CommandFailure: Error {
    var message: String
}
