import ArgumentParser
import Foundation
import GradJupyter
import GradSession
import GradStore
import GradZMQ

struct KernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "A Jupyter kernel: `gradbook kernel -f CONNECTION_FILE`, or `gradbook kernel install`.",
        subcommands: [KernelRunCommand.self, KernelInstallCommand.self],
        defaultSubcommand: KernelRunCommand.self
    )
}

struct KernelRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Serve one Jupyter connection file (what Jupyter starts).")

    @OptionGroup var database: DatabaseOptions

    @Option(name: .customShort("f"), help: ArgumentHelp("The connection file Jupyter wrote.", valueName: "connection-file"))
    var connectionFile: String

    func run() throws {
        var session: Session?
        defer { try? session?.close() }
        do {
            // The database is opened once the sockets are bound (see runKernel).
            try runKernel(connectionFile: connectionFile, kernelInfo: GradbookKernel.kernelInfo) {
                let store = try RunStore(location: database.location, mode: .readWrite)
                let made = try SessionFactory.make(store: store, kind: .kernel,
                                                   notebook: ProcessInfo.processInfo.environment["JPY_SESSION_NAME"])
                made.prefersRichOutput = true
                session = made
                return GradbookKernel(session: made)
            }
        } catch {
            throw CommandFailure(message: "gradbook kernel: \(error)")
        }
    }
}

struct KernelInstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "install", abstract: "Install the gradbook kernelspec so Jupyter can start it.")

    @Flag(help: "Install for this user (~/.local/share/jupyter/kernels; the default).")
    var user = false

    @Option(help: "Install under PREFIX/share/jupyter/kernels.")
    var prefix: String?

    @Flag(help: "Install into the prefix of the python3 on PATH (a virtual environment).")
    var sysPrefix = false

    @Option(help: "How Jupyter interrupts a running cell: message or signal.")
    var interruptMode: String = "message"

    @Option(name: .long, help: ArgumentHelp(
        "Where the kernel records: a SQLite file (made absolute) or a PostgreSQL location such as 'postgresql:///?service=gradbook'. Written into the kernelspec's environment; a location holding a password is refused (use ~/.pgpass, PGPASSWORD or a service file).",
        valueName: "location"))
    var db: String?

    func validate() throws {
        let chosen = [user, prefix != nil, sysPrefix].filter { $0 }.count
        guard chosen <= 1 else { throw ValidationError("choose one of --user, --prefix and --sys-prefix") }
        guard KernelSpec.InterruptMode(rawValue: interruptMode) != nil else {
            throw ValidationError("--interrupt-mode is 'message' or 'signal'")
        }
        if let db, HistoryLocation(db).containsPassword {
            throw ValidationError("--db holds a password, which would be written into kernel.json: keep it in ~/.pgpass, PGPASSWORD or a pg_service.conf service instead")
        }
    }

    /// The location as the kernel will read it: a relative file is made absolute, since
    /// Jupyter starts kernels in the notebook's directory.
    var history: String? {
        guard let db else { return nil }
        guard case .sqlite(let path) = HistoryLocation(db), path != ":memory:", !path.hasPrefix("/") else { return db }
        return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL.path
    }

    func run() throws {
        let destination: KernelSpecDestination
        if let prefix { destination = .prefix(prefix) } else if sysPrefix { destination = .sysPrefix(python: "python3") } else { destination = .user }
        let mode = KernelSpec.InterruptMode(rawValue: interruptMode) ?? .message
        do {
            let directory = try KernelSpecInstaller.install(.gradbook(executablePath: KernelSpec.currentExecutablePath(), interruptMode: mode, history: history),
                                                        to: destination)
            print("installed the gradbook kernelspec in \(directory)")
        } catch {
            throw CommandFailure(message: "gradbook kernel install: \(error)")
        }
    }
}
