import Foundation

/// Runs the real `gradbook` binary (and the stock `sqlite3` shell) the way a user does.
enum Binary {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The binary next to the test bundle (`swift build --build-tests` builds both), unless
    /// GRADBOOK_BIN names another.
    static let gradbook: String = {
        if let path = ProcessInfo.processInfo.environment["GRADBOOK_BIN"], !path.isEmpty { return path }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundle, bundle.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("gradbook").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return packageRoot.appendingPathComponent(".build/debug/gradbook").path
    }()

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:], executable: String = gradbook) throws -> Output {
        try run(arguments, stdinBytes: stdin.map { Data($0.utf8) }, environment: environment, executable: executable)
    }

    /// As `run`, with standard input given as bytes (which need not be UTF-8).
    static func run(_ arguments: [String], stdinBytes: Data?, environment: [String: String] = [:], executable: String = gradbook) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = packageRoot
        var env = ProcessInfo.processInfo.environment
        env["GRADBOOK_DB"] = nil
        env["NO_COLOR"] = "1"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let outPipe = Pipe(), errPipe = Pipe(), inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = inPipe
        try process.run()
        if let stdinBytes { inPipe.fileHandleForWriting.write(stdinBytes) }
        try inPipe.fileHandleForWriting.close()
        // Read both pipes concurrently so a chatty process never blocks on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = errPipe.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    static func sqlite(_ database: String, _ sql: String) throws -> String {
        let output = try run(["-batch", "-noheader", database, sql], executable: "/usr/bin/sqlite3")
        return output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A fresh directory for one test's database and files.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gradbook-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
