import ArgumentParser
import Foundation
import GradStore

/// `--db LOCATION`, shared by every command (SPEC §3: flag, then GRADBOOK_DB, then ./gradbook.db).
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The history: a SQLite file ('gradbook.db' unless GRADBOOK_DB is set; ':memory:' keeps nothing), or a PostgreSQL database as libpq names it (postgresql://…, postgres://…, or key=value such as 'service=gradbook'; passwords through ~/.pgpass, PGPASSWORD or a service file).",
        valueName: "location"))
    var db: String?

    var text: String {
        if let db { return db }
        if let fromEnvironment = ProcessInfo.processInfo.environment["GRADBOOK_DB"], !fromEnvironment.isEmpty { return fromEnvironment }
        return "gradbook.db"
    }

    var location: HistoryLocation { HistoryLocation(text) }

    func open(_ mode: OpenMode) throws -> RunStore {
        do {
            return try RunStore(location: location, mode: mode)
        } catch {
            throw CommandFailure(message: "gradbook: \(error)")
        }
    }
}
