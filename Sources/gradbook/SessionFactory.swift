import Foundation
import GradSession
import GradStore

/// Opens a session wired to this process: files for `load_csv`, Graphviz for SVG.
enum SessionFactory {
    static func make(store: RunStore, kind: SessionKind, notebook: String?) throws -> Session {
        let session: Session
        do {
            session = try Session(store: store, kind: kind, notebook: notebook)
        } catch {
            throw CommandFailure(message: "gradbook: cannot start a session: \(error)")
        }
        session.readTextFile = { path in
            do {
                return try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw FileReadError(path: path)
            }
        }
        session.renderSVG = Graphviz.svg(from:)
        return session
    }
}

struct FileReadError: Error, CustomStringConvertible {
    var path: String
    var description: String {
        FileManager.default.fileExists(atPath: path) ? "cannot read '\(path)'" : "no such file: '\(path)'"
    }
}

/// `dot -Tsvg` when Graphviz is installed; nil otherwise (callers then show the DOT source).
enum Graphviz {
    static let executable: String? = {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return paths.map { "\($0)/dot" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static func svg(from dot: String) -> String? {
        guard let executable else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-Tsvg"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        input.fileHandleForWriting.write(Data(dot.utf8))
        try? input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let svg = String(data: data, encoding: .utf8) else { return nil }
        // Jupyter wants the <svg> element, not the XML prologue and DOCTYPE.
        if let start = svg.range(of: "<svg") { return String(svg[start.lowerBound...]) }
        return svg
    }
}
