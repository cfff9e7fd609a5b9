import ArgumentParser
import Foundation
import GradStore

/// `--db PATH`, shared by every command (SPEC §3: flag, then GRADBOOK_DB, then ./gradbook.db).
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The SQLite database ('gradbook.db' unless GRADBOOK_DB is set; ':memory:' keeps nothing).", valueName: "path"))
    var db: String?

    var path: String {
        if let db { return db }
        if let fromEnvironment = ProcessInfo.processInfo.environment["GRADBOOK_DB"], !fromEnvironment.isEmpty { return fromEnvironment }
        return "gradbook.db"
    }

    func open(_ mode: OpenMode) throws -> RunStore {
        do {
            return try RunStore(path: path, mode: mode)
        } catch {
            throw CommandFailure(message: "gradbook: \(error)")
        }
    }
}
