import ArgumentParser
import Foundation
import GradSession

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what changed between two runs: nodes added, removed or redefined, and the values and gradients that moved most."
    )

    @OptionGroup var database: DatabaseOptions

    @Argument(help: ArgumentHelp("The earlier run.", valueName: "run-a"))
    var runA: Int64

    @Argument(help: ArgumentHelp("The later run.", valueName: "run-b"))
    var runB: Int64

    @Option(help: "How many moved values and gradients to list.")
    var limit = 10

    func validate() throws {
        guard runA > 0, runB > 0 else { throw ValidationError("run ids are positive") }
        guard limit >= 0 else { throw ValidationError("--limit takes a count, 0 or more") }
    }

    func run() throws {
        let store = try database.open(.readOnly)
        do {
            print(try RunDiffer.diff(runA, runB, store: store, limit: limit).text)
        } catch {
            throw CommandFailure(message: "gradbook diff: \(error)")
        }
    }
}
