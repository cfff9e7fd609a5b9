import Foundation

/// The real `gradbook` binary running beside the test, to be read from concurrently or killed.
/// Its output goes to files, so a chatty process never blocks on a full pipe.
final class BackgroundProcess {
    let process = Process()
    let stdoutURL: URL
    let stderrURL: URL

    init(_ arguments: [String], in directory: URL, label: String = UUID().uuidString, environment overrides: [String: String] = [:]) throws {
        stdoutURL = directory.appendingPathComponent("\(label).out")
        stderrURL = directory.appendingPathComponent("\(label).err")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: Binary.gradbook)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["GRADBOOK_DB"] = nil
        environment["NO_COLOR"] = "1"
        environment.merge(overrides) { _, override in override }
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    /// `kill -9`: no handler runs, no buffer is flushed, SQLite gets no chance to finish.
    func killHard() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Ctrl-C.
    func interrupt() {
        kill(process.processIdentifier, SIGINT)
    }

    /// Waits up to `seconds` for the process to end; kills it if it has not.
    @discardableResult
    func wait(atMost seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            killHard()
            return nil
        }
        return process.terminationStatus
    }

    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }
    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
}
