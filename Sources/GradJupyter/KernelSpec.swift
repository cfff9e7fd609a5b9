import Foundation
import GradJSON

/// A kernelspec: the `kernel.json` that tells Jupyter how to start the kernel, plus its logos.
public struct KernelSpec: Sendable, Equatable {
    /// How Jupyter interrupts a running cell: SIGINT to the process, or `interrupt_request` on
    /// the control channel. The kernel answers both either way.
    public enum InterruptMode: String, Sendable {
        case signal
        case message
    }

    /// The directory name under `kernels/`, and what `--kernel NAME` selects.
    public var name: String
    public var argv: [String]
    public var displayName: String
    public var language: String
    public var interruptMode: InterruptMode
    public var metadata: [String: JSONValue]
    /// Environment variables Jupyter sets for the kernel (`env` in kernel.json), e.g. where the
    /// kernel records its history.
    public var environment: [String: String]

    public init(name: String, argv: [String], displayName: String, language: String,
                interruptMode: InterruptMode = .message, metadata: [String: JSONValue] = [:],
                environment: [String: String] = [:]) {
        self.name = name
        self.argv = argv
        self.displayName = displayName
        self.language = language
        self.interruptMode = interruptMode
        self.metadata = metadata
        self.environment = environment
    }

    /// gradbook's spec: `[executable, "kernel", "-f", "{connection_file}"]`. `executablePath` must be
    /// absolute, since Jupyter starts kernels from arbitrary directories and environments.
    /// - Parameter history: where the kernel records (`GRADBOOK_DB`); nil: the kernel's default
    ///   (`gradbook.db` in the directory Jupyter starts it in, or GRADBOOK_DB of Jupyter's own
    ///   environment).
    public static func gradbook(executablePath: String, interruptMode: InterruptMode = .message, history: String? = nil) -> KernelSpec {
        KernelSpec(name: "gradbook", argv: [executablePath, "kernel", "-f", "{connection_file}"], displayName: "gradbook",
                   language: "gradbook", interruptMode: interruptMode, metadata: ["debugger": false],
                   environment: history.map { ["GRADBOOK_DB": $0] } ?? [:])
    }

    public var kernelJSON: [UInt8] {
        var members: [String: JSONValue] = [
            "argv": .array(argv.map { .string($0) }),
            "display_name": .string(displayName),
            "language": .string(language),
            "interrupt_mode": .string(interruptMode.rawValue),
            "metadata": .object(metadata),
        ]
        if !environment.isEmpty {
            members["env"] = .object(environment.mapValues { .string($0) })
        }
        return JSONWriter.encode(.object(members)) + Array("\n".utf8)
    }

    /// The files of the kernelspec directory, by file name.
    public var files: [String: [UInt8]] {
        [
            "kernel.json": kernelJSON,
            "logo-32x32.png": KernelLogo.png(size: 32),
            "logo-64x64.png": KernelLogo.png(size: 64),
            "logo-svg.svg": Array(KernelLogo.svg.utf8),
        ]
    }

    /// The absolute path of the running executable (for `argv[0]`), resolving symlinks and relative
    /// invocations the way Jupyter will need it.
    public static func currentExecutablePath() -> String {
        #if os(Linux)
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return resolved
        }
        #endif
        if let path = Bundle.main.executablePath {
            return URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        }
        let argument = CommandLine.arguments.first ?? ""
        return URL(fileURLWithPath: argument, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .standardizedFileURL.path
    }
}
