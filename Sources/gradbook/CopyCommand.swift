import ArgumentParser
import Foundation
import GradStore

struct CopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy sessions from one history into another (SQLite file or PostgreSQL), each session once.",
        discussion: """
            Copies every session of --from that --to does not hold yet (sessions are matched by their session_uid, so \
            copying again adds nothing), each in one transaction, with every row a replay needs: a copied run replays \
            bit for bit in the target. Row ids are the target's own. --session limits the copy to some sessions; a \
            session whose runs replay another session's runs brings that session along. On PostgreSQL each row keeps \
            the session's owner: a role can copy only its own sessions, unless it administers the history.
            """
    )

    @Option(help: ArgumentHelp("The history to copy from, read-only: a SQLite file, or PostgreSQL (postgresql://… or key=value).", valueName: "location"))
    var from: String

    @Option(help: ArgumentHelp("The history to copy into (created if it is a new file), in the same forms as --from.", valueName: "location"))
    var to: String

    @Option(name: .customLong("session"), help: ArgumentHelp("Copy only this session: its session_uid, or its session_id in --from (may be repeated).", valueName: "uid"))
    var sessions: [String] = []

    func run() throws {
        // The source first: a missing or foreign source must not leave a new empty target behind.
        let source = try open(from, mode: .readOnly)
        do {
            try HistoryCopy.checkSelectors(sessions, in: source.connection)
        } catch {
            throw CommandFailure(message: "gradbook copy: \(error)")
        }
        let target = try open(to, mode: .readWrite)
        do {
            let report = try HistoryCopy(from: source, to: target).copy(sessions: sessions)
            print(report.summary)
        } catch {
            throw CommandFailure(message: "gradbook copy: \(error)")
        }
    }

    private func open(_ text: String, mode: OpenMode) throws -> RunStore {
        let location = HistoryLocation(text)
        do {
            return try RunStore(location: location, mode: mode)
        } catch StoreError.olderSchemaReadOnly(let path, let found, let known) {
            // The source is only read: migrating it is the user's call, made with a command that writes.
            throw CommandFailure(message: "gradbook copy: \(path) has schema \(found) and this build needs \(known): migrate it first (`gradbook sql --write --db '\(location)' 'SELECT 1'`), then copy")
        } catch {
            throw CommandFailure(message: "gradbook copy: \(error)")
        }
    }
}
