import ArgumentParser
import Foundation
import GradInterpreter
import GradJSON
import GradNotebook
import GradSession
import GradStore

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run .grad and .ipynb notebooks, printing each cell's outputs.",
        discussion: "Exits 1 at the first failing cell unless --allow-errors. -p NAME VALUE overrides the cell tagged 'parameters', as papermill does."
    )

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "Notebooks to run, in order (.grad or .ipynb).")
    var files: [String] = []

    @Option(name: .customShort("p"), parsing: .upToNextOption, help: ArgumentHelp("Override a parameter: -p NAME VALUE.", valueName: "name value"))
    var parameters: [String] = []

    @Option(help: "Write the executed notebook (with outputs) to this path.")
    var output: String?

    @Flag(help: "Write the executed notebook back over the input file.")
    var inplace = false

    @Flag(help: "Run every cell even after one fails, and exit 0.")
    var allowErrors = false

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one notebook to run") }
        guard parameters.count % 2 == 0 else { throw ValidationError("-p takes a name and a value: -p lr 0.05") }
        if output != nil && (inplace || files.count > 1) {
            throw ValidationError("--output takes one notebook and cannot be combined with --inplace")
        }
        for file in files where NotebookFormat(path: file) == nil {
            throw ValidationError("'\(file)' is neither a .grad nor an .ipynb notebook")
        }
    }

    func run() throws {
        var pairs: [(name: String, value: ParameterValue)] = []
        for index in stride(from: 0, to: parameters.count, by: 2) {
            pairs.append((parameters[index], ParameterValue(commandLine: parameters[index + 1])))
        }
        // Every notebook is read (and found to be UTF-8 text) before the database is opened:
        // a bad file stops the command before anything is recorded.
        let notebooks = try files.map { file in (path: file, notebook: try readNotebook(file, parameters: pairs)) }
        let store = try database.open(.readWrite)
        for (path, notebook) in notebooks {
            let passed = try runNotebook(notebook, path: path, store: store)
            if !passed && !allowErrors { throw ExitCode(1) }
        }
    }

    private func readNotebook(_ path: String, parameters: [(name: String, value: ParameterValue)]) throws -> Notebook {
        do {
            let notebook = try Notebook.read(path: path)
            return parameters.isEmpty ? notebook : try notebook.injectingParameters(parameters)
        } catch NotebookError.notUTF8(_, _, _, let rendered) {
            throw CommandFailure(message: rendered)
        } catch {
            throw CommandFailure(message: "gradbook: \(path): \(error)")
        }
    }

    /// Runs one notebook; false when a cell failed.
    private func runNotebook(_ notebook: Notebook, path: String, store: RunStore) throws -> Bool {
        var notebook = notebook
        let session = try SessionFactory.make(store: store, kind: .batch, notebook: path)
        session.outputHandler = TerminalOutput.write
        let interrupts = BatchInterrupt(raising: session.interrupt)
        defer {
            try? session.close()
            withExtendedLifetime(interrupts) {}
        }
        var passed = true
        for index in notebook.cells.indices where notebook.cells[index].kind == .code {
            let cell = notebook.cells[index]
            let result = session.execute(cell.source, origin: path, lineOffset: cell.sourceLine - 1)
            if let value = result.result { TerminalOutput.writeOut(value.plain + "\n") }
            notebook.cells[index].executionCount = result.executionCount
            notebook.cells[index].outputs = NotebookOutputs.from(result)
            if let error = result.errorText {
                TerminalOutput.writeErr(error + "\n")
                passed = false
                if !allowErrors { break }
            }
        }
        if let destination = output ?? (inplace ? path : nil) {
            do {
                notebook.setGradbookKernel()
                try notebook.write(to: destination)
            } catch {
                throw CommandFailure(message: "gradbook: cannot write \(destination): \(error)")
            }
        }
        return passed
    }
}

/// A cell's results in nbformat's terms, the way nbclient records them.
enum NotebookOutputs {
    static func from(_ result: CellResult) -> [NotebookOutput] {
        var outputs: [NotebookOutput] = []
        for output in result.outputs {
            switch output {
            case .stdout(let text): append(stream: "stdout", text, to: &outputs)
            case .stderr(let text): append(stream: "stderr", text, to: &outputs)
            case .display(let rich): outputs.append(.displayData(data: bundle(rich), metadata: [:]))
            case .page(let text): outputs.append(.displayData(data: ["text/plain": .string(text)], metadata: [:]))
            case .clearOutput: outputs.removeAll()
            }
        }
        if let value = result.result {
            outputs.append(.executeResult(executionCount: result.executionCount, data: bundle(value), metadata: [:]))
        }
        if let name = result.errorName {
            outputs.append(.error(name: name, value: result.errorMessage ?? "", traceback: (result.errorText ?? "").components(separatedBy: "\n")))
        }
        return outputs
    }

    /// Consecutive writes to one stream are one output, as nbclient coalesces them.
    private static func append(stream name: String, _ text: String, to outputs: inout [NotebookOutput]) {
        if case .stream(let lastName, let lastText)? = outputs.last, lastName == name {
            outputs[outputs.count - 1] = .stream(name: name, text: lastText + text)
        } else {
            outputs.append(.stream(name: name, text: text))
        }
    }

    static func bundle(_ rich: RichOutput) -> [String: JSONValue] {
        var data: [String: JSONValue] = ["text/plain": .string(rich.plain)]
        if let html = rich.html { data["text/html"] = .string(html) }
        if let svg = rich.svg { data["image/svg+xml"] = .string(svg) }
        return data
    }
}
