import Foundation
import GradInterpreter
import GradJupyter
import GradLang
import GradREPL
import GradSession
import GradStore
import GradTensor

/// Adapts a gradbook `Session` to the Jupyter protocol layer's interpreter interface. The
/// protocol layer does the bookkeeping; this only translates results into MIME bundles.
final class GradbookKernel: JupyterInterpreter {
    let session: Session

    init(session: Session) {
        self.session = session
    }

    var kernelInfo: KernelInfo { Self.kernelInfo }

    static var kernelInfo: KernelInfo {
        KernelInfo(
            implementation: "gradbook", implementationVersion: "0.1.0",
            languageInfo: LanguageInfo(name: "gradbook", version: "0.1.0", mimetype: "text/x-gradbook", fileExtension: ".grad",
                                       pygmentsLexer: "python", codemirrorMode: "python", nbconvertExporter: nil),
            banner: "gradbook: computation graphs and backpropagation, recorded in SQLite (%help for the language)",
            helpLinks: [])
    }

    var interruptHandler: @Sendable () -> Void {
        let flag = session.interrupt
        return { flag.raise() }
    }

    func execute(code: String, silent: Bool, storeHistory: Bool, executionCount: Int, publisher: OutputPublisher) -> ExecuteOutcome {
        // An interrupt that landed after the previous cell finished must not stop this one.
        _ = session.interrupt.consume()
        var pages: [ExecutePayload] = []
        session.outputHandler = { output in
            switch output {
            case .stdout(let text): publisher.stream(.stdout, text)
            case .stderr(let text): publisher.stream(.stderr, text)
            case .display(let rich): publisher.display(Self.bundle(rich))
            case .page(let text): pages.append(.page(data: ["text/plain": .string(text)], start: 0))
            case .clearOutput: publisher.clearOutput(wait: false)
            }
        }
        let progress = ProgressDisplay(publisher: publisher, executionCount: executionCount)
        session.progressHandler = { progress.update($0) }
        // The cell's outcome is written in executeReplied, once the client has its answer.
        let result = session.executeDeferringFinish(code, storeHistory: storeHistory && !silent)
        session.outputHandler = { _ in }
        session.progressHandler = { _ in }
        if let value = result.result { publisher.result(Self.bundle(value)) }
        if result.status == .error {
            let traceback = (result.errorText ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            return .error(ExecutionError(ename: result.errorName ?? "Error", evalue: result.errorMessage ?? "", traceback: traceback))
        }
        return .ok(payload: pages)
    }

    func executeReplied(publisher: OutputPublisher) {
        if let error = session.finishDeferredCell() {
            publisher.stream(.stderr, "gradbook: the cell ran, but its outcome could not be recorded: \(error)\n")
        }
    }

    func complete(code: String, cursorPos: String.Index) -> CompletionResult {
        let completion = Completer.complete(String(code[..<cursorPos]), sources: CompletionSources(session: session))
        let start = code.index(cursorPos, offsetBy: -min(completion.replacing, code.distance(from: code.startIndex, to: cursorPos)))
        return CompletionResult(matches: completion.candidates, replacing: start..<cursorPos)
    }

    func inspect(code: String, cursorPos: String.Index, detailLevel: Int) -> InspectionResult? {
        let isWordCharacter: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        var start = cursorPos, end = cursorPos
        while start > code.startIndex, isWordCharacter(code[code.index(before: start)]) { start = code.index(before: start) }
        while end < code.endIndex, isWordCharacter(code[end]) { end = code.index(after: end) }
        let name = String(code[start..<end])
        guard !name.isEmpty, let text = session.interpreter.inspect(name) else { return nil }
        return InspectionResult(data: ["text/plain": .string(text)])
    }

    func isComplete(code: String) -> CodeCompleteness {
        switch Parser.completeness(of: code) {
        case .complete: return .complete
        case .incomplete(let indent): return .incomplete(indent: indent)
        case .invalid: return .invalid
        }
    }

    func history(_ request: HistoryRequest) -> [GradJupyter.HistoryEntry] {
        let query: HistoryQuery
        switch request.access {
        case .tail(let count):
            query = .tail(count: max(0, count))
        case .range(let relativeSession, let start, let stop):
            let sessionID = relativeSession > 0 ? Int64(relativeSession) : session.sessionID + Int64(relativeSession)
            query = .range(sessionID: sessionID, start: start, stop: stop)
        case .search(let pattern, let count, let unique):
            query = .search(pattern: pattern, count: count ?? 1000, unique: unique)
        }
        let entries = (try? session.store.history(query)) ?? []
        return entries.map { GradJupyter.HistoryEntry(session: Int($0.sessionID), line: $0.executionCount ?? 0, input: $0.source) }
    }

    func shutdown(restart: Bool) {
        try? session.close()
    }

    static func bundle(_ rich: RichOutput) -> MimeBundle {
        var data: MimeBundle = ["text/plain": .string(rich.plain)]
        if let html = rich.html { data["text/html"] = .string(html) }
        if let svg = rich.svg { data["image/svg+xml"] = .string(svg) }
        return data
    }
}

/// Training progress shown in one display that is updated in place (`update_display_data`),
/// at most ten times a second and always at the end.
final class ProgressDisplay {
    private let publisher: OutputPublisher
    private let executionCount: Int
    /// Made at the first update: most cells never train, and a random id costs system calls.
    private var displayID: String?
    private var lastUpdate = 0.0

    init(publisher: OutputPublisher, executionCount: Int) {
        self.publisher = publisher
        self.executionCount = executionCount
    }

    func update(_ progress: TrainingProgress) {
        let now = ProcessInfo.processInfo.systemUptime
        guard displayID == nil || progress.finished || now - lastUpdate >= 0.1 else { return }
        lastUpdate = now
        let rate = progress.elapsedSeconds > 0 ? Double(progress.step) / progress.elapsedSeconds : 0
        let text = "train \(progress.target): step \(progress.step)/\(progress.totalSteps)  loss \(formatScalar(progress.loss))  \(Int(rate.rounded())) steps/s"
        let data: MimeBundle = ["text/plain": .string(text)]
        if let displayID {
            publisher.updateDisplay(data, displayID: displayID)
        } else {
            let displayID = "gradbook-train-\(executionCount)-\(UUID().uuidString.prefix(8))"
            publisher.display(data, displayID: displayID)
            self.displayID = displayID
        }
    }
}
