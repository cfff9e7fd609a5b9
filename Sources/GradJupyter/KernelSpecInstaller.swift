import Foundation

/// Where `kernel install` puts the kernelspec, as `jupyter kernelspec install` understands it.
public enum KernelSpecDestination: Sendable, Equatable {
    /// The user's Jupyter data directory: `$JUPYTER_DATA_DIR`, else `~/.local/share/jupyter`
    /// (`$XDG_DATA_HOME/jupyter`) on Linux, `~/Library/Jupyter` on macOS.
    case user
    /// `PREFIX/share/jupyter`, for a given installation prefix.
    case prefix(String)
    /// `sys.prefix/share/jupyter` of the Python found as `python` (on PATH unless a path is given),
    /// i.e. the active virtual environment.
    case sysPrefix(python: String)
}

public struct KernelSpecInstallError: Error, CustomStringConvertible {
    public let description: String
}

public enum KernelSpecInstaller {
    /// Writes `spec` into `<data dir>/kernels/<spec.name>`, replacing an older install; returns that directory.
    @discardableResult
    public static func install(_ spec: KernelSpec, to destination: KernelSpecDestination,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        let directory = try kernelsDirectory(for: destination, environment: environment) + "/" + spec.name
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for (file, bytes) in spec.files {
                try Data(bytes).write(to: URL(fileURLWithPath: directory + "/" + file), options: .atomic)
            }
        } catch {
            throw KernelSpecInstallError(description: "cannot write the kernelspec to \(directory): \(error.localizedDescription)")
        }
        return directory
    }

    public static func kernelsDirectory(for destination: KernelSpecDestination,
                                        environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        switch destination {
        case .user:
            return try userDataDirectory(environment: environment) + "/kernels"
        case .prefix(let prefix):
            guard !prefix.isEmpty else { throw KernelSpecInstallError(description: "--prefix needs a directory") }
            return absolute(prefix) + "/share/jupyter/kernels"
        case .sysPrefix(let python):
            return try pythonSysPrefix(python: python, environment: environment) + "/share/jupyter/kernels"
        }
    }

    private static func userDataDirectory(environment: [String: String]) throws -> String {
        if let dataDirectory = environment["JUPYTER_DATA_DIR"], !dataDirectory.isEmpty {
            return absolute(dataDirectory)
        }
        guard let home = environment["HOME"], !home.isEmpty else {
            throw KernelSpecInstallError(description: "HOME is not set; use --prefix")
        }
        #if os(macOS)
        return home + "/Library/Jupyter"
        #else
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty {
            return absolute(xdg) + "/jupyter"
        }
        return home + "/.local/share/jupyter"
        #endif
    }

    private static func pythonSysPrefix(python: String, environment: [String: String]) throws -> String {
        let process = Process()
        let pipe = Pipe()
        if python.contains("/") {
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = ["-c", "import sys; print(sys.prefix)"]
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [python, "-c", "import sys; print(sys.prefix)"]
        }
        process.environment = environment
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw KernelSpecInstallError(description: "cannot run \(python) to find sys.prefix: \(error.localizedDescription)")
        }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let prefix = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, prefix.hasPrefix("/") else {
            throw KernelSpecInstallError(description: "\(python) did not report sys.prefix; use --prefix")
        }
        return prefix
    }

    private static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .standardizedFileURL.path
    }
}
