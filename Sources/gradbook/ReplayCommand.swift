import ArgumentParser
import Foundation
import GradInterpreter
import GradSession
import GradStore

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-run stored backward passes and training steps from the database alone, and check every gradient bit for bit.",
        discussion: """
            Rebuilds the run's graph from its stored node definitions and leaf values, runs the backward pass again, \
            records the result as a run of kind 'replay' (replay_of = the run) and compares every stored gradient and \
            value with the replay's. A training step between checkpoints is recovered by restoring the checkpoint \
            before it (params and optimizer state) and re-executing the steps from there, each checked against the \
            stored loss and param summaries. --store keeps the replayed step's values and gradients in full, for SQL. \
            Exits 1 if one differs or the run cannot be rebuilt (a param not stored in full and no checkpoint).
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(name: .customLong("run"), help: ArgumentHelp("The run to replay (may be repeated).", valueName: "id"))
    var runs: [Int64] = []

    @Flag(help: "Replay every backward and train run in the database.")
    var all = false

    @Flag(help: "Compare only, without recording the replay (works on a read-only database).")
    var noRecord = false

    @Flag(help: "Record every value and gradient of the replayed run in full, so SQL can read them (run_values of the replay run).")
    var store = false

    func validate() throws {
        guard runs.isEmpty != !all else {
            throw ValidationError(all ? "give either --run N or --all, not both" : "give the run to replay: --run N (or --all)")
        }
        if let bad = runs.first(where: { $0 <= 0 }) { throw ValidationError("run ids are positive, got \(bad)") }
        if store && noRecord { throw ValidationError("--store records the replay; it cannot go with --no-record") }
    }

    func run() throws {
        let store = try database.open(noRecord ? .readOnly : .readWrite)
        let ids = all ? try allReplayableRuns(store) : runs
        var sessionID: Int64?
        if !noRecord {
            do {
                sessionID = try store.beginSession(kind: .batch, notebook: nil, engineRevision: Interpreter.engineRevision)
            } catch {
                throw CommandFailure(message: "gradbook replay: cannot record in \(store.location): \(error)")
            }
        }
        defer { if let sessionID { try? store.endSession(sessionID) } }
        var failures = 0
        var identical = 0
        let cache = ReplayCache()
        for runID in ids {
            do {
                let report = try Replayer.replay(run: runID, store: store,
                                                 recording: sessionID.map { ReplayRecording(sessionID: $0, cellID: nil) },
                                                 storeInFull: self.store, cache: cache)
                print(all ? report.summaryLine : report.text)
                if report.isIdentical { identical += 1 } else { failures += 1 }
            } catch {
                FileHandle.standardError.write(Data("gradbook replay: \(error)\n".utf8))
                failures += 1
            }
        }
        if all {
            print("\(ids.count) run\(ids.count == 1 ? "" : "s") replayed: \(identical) identical bit for bit, \(failures) not")
        }
        if failures > 0 { throw ExitCode(1) }
    }

    private func allReplayableRuns(_ store: RunStore) throws -> [Int64] {
        do {
            return try store.query("SELECT run_id FROM runs WHERE kind IN ('backward', 'train') ORDER BY run_id", allowWrites: false)
                .rows.compactMap { $0.first?.integerValue }
        } catch {
            throw CommandFailure(message: "gradbook replay: \(error)")
        }
    }
}
