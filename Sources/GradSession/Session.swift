import GradInterpreter
import GradLang
import GradStore
import GradTensor

/// One notebook session: it runs cells through the interpreter, handles magics, and records
/// every cell, definition and run in the store, one transaction per statement that records.
public final class Session {
    public let store: RunStore
    public let sessionID: Int64
    public internal(set) var interpreter = Interpreter()
    public private(set) var executionCount = 0
    public let interrupt = InterruptFlag()
    /// Where cell outputs go as they are produced (a terminal, Jupyter IOPub).
    public var outputHandler: (SessionOutput) -> Void = { _ in }
    /// Training progress as it happens, for a progress bar or a Jupyter display update.
    public var progressHandler: (TrainingProgress) -> Void = { _ in }
    /// Turns Graphviz DOT into SVG when Graphviz is installed (the front end provides it).
    public var renderSVG: (String) -> String? = { _ in nil }
    /// Reads files for `load_csv`.
    public var readTextFile: @Sendable (String) throws -> String = { path in throw FileAccessUnavailable(path: path) }
    /// Whether outputs should prefer rich renderings (Jupyter) over terminal text.
    public var prefersRichOutput = false
    let recorder: GraphRecorder
    private var closed = false
    /// Node evaluations of every run this session has made (`%time` shows its growth).
    var stepsCounted = 0

    public init(store: RunStore, kind: SessionKind, notebook: String?) throws {
        self.store = store
        sessionID = try store.beginSession(kind: kind, notebook: notebook, engineRevision: Interpreter.engineRevision)
        recorder = GraphRecorder(store: store, sessionID: sessionID)
    }

    public var recordPolicy: RecordPolicy {
        get { recorder.policy }
        set { recorder.policy = newValue }
    }

    /// Seconds the last `train()` statement waited, after its last step, for the writer to
    /// commit its steps (nil before the first): what recording adds at the end of a call, which
    /// `gradbook bench record` reports beside the step times.
    public var lastTrainingWriteWait: Double? { recorder.lastWriteWait }

    /// K: a `train()` without `checkpoint_every=` stores a checkpoint at every K-th step (and
    /// at its first and last finished step). At least 1.
    public var checkpointEvery: Int {
        get { recorder.checkpointEvery }
        set { recorder.checkpointEvery = max(1, newValue) }
    }

    /// Marks the session ended in the database (`sessions.ended_at`).
    public func close() throws {
        guard !closed else { return }
        closed = true
        if let error = finishDeferredCell() { throw error }
        try store.endSession(sessionID)
    }

    /// Runs a cell. `origin` and `lineOffset` place error locations in the file the cell came from.
    @discardableResult
    public func execute(_ source: String, origin: String? = nil, lineOffset: Int = 0, storeHistory: Bool = true) -> CellResult {
        switch runCell(source, origin: origin, lineOffset: lineOffset, storeHistory: storeHistory) {
        case .unrecorded(let result):
            return result
        case .ran(var ran):
            do {
                try writeOutcome(of: ran)
            } catch {
                // A cell that already failed keeps its own error first: it is usually the cause
                // (a training step the server could not take before it went away).
                let recording = "error: cannot record the cell: \(error)"
                if ran.cell.status == .error, let earlier = ran.cell.errorText, !earlier.isEmpty {
                    ran.cell.fail(name: ran.cell.errorName ?? "DatabaseError", message: ran.cell.errorMessage ?? "\(error)",
                                  rendered: earlier + "\n" + recording)
                } else {
                    ran.cell.fail(name: "DatabaseError", message: "\(error)", rendered: recording)
                }
            }
            return ran.cell.result(duration: ran.duration)
        }
    }

    /// Runs a cell like `execute` but returns before its outcome (status, error, outputs,
    /// duration) is written: until `finishDeferredCell()` its row reads as running (status NULL).
    /// The Jupyter kernel answers the request first and writes right after, before it reports
    /// `idle`, so the client does not wait for that commit. Each statement's records are
    /// committed as the statement ends, as always.
    public func executeDeferringFinish(_ source: String, storeHistory: Bool = true) -> CellResult {
        switch runCell(source, origin: nil, lineOffset: 0, storeHistory: storeHistory) {
        case .unrecorded(let result):
            return result
        case .ran(let ran):
            deferredCell = ran
            return ran.cell.result(duration: ran.duration)
        }
    }

    /// Writes the outcome of the cell `executeDeferringFinish` ran (nothing when none is waiting);
    /// returns the error if it could not be written. Running another cell, and `close`, do this
    /// first.
    @discardableResult
    public func finishDeferredCell() -> (any Error)? {
        guard let ran = deferredCell else { return nil }
        deferredCell = nil
        do {
            try writeOutcome(of: ran)
            return nil
        } catch {
            return error
        }
    }

    /// A cell that has run, with the time it took, whose outcome is still to be written.
    private struct RanCell {
        var cell: CellRun
        var duration: Double
    }

    private enum CellStart {
        case ran(RanCell)
        /// The cell's row could not be written, so the cell did not run: nothing it defined could
        /// have been recorded.
        case unrecorded(CellResult)
    }

    private var deferredCell: RanCell?

    /// Records the cell as running, then runs it.
    private func runCell(_ source: String, origin: String?, lineOffset: Int, storeHistory: Bool) -> CellStart {
        let started = Clock.now()
        if storeHistory { executionCount += 1 }
        let number = max(executionCount, 1)
        var cell = CellRun(source: source, origin: origin, lineOffset: lineOffset, executionCount: number)
        do {
            if let error = finishDeferredCell() {
                throw PreviousCellUnrecorded(underlying: error)
            }
            cell.cellID = try store.beginCell(sessionID: sessionID, executionCount: storeHistory ? number : nil, source: source)
        } catch {
            cell.fail(name: "DatabaseError", message: "\(error)", rendered: "error: cannot record the cell: \(error)")
            return .unrecorded(cell.result(duration: Clock.now() - started))
        }
        // A server connection lost during an earlier cell was made again to record this one.
        if let notice = store.connection.takeNotice() {
            emit(.stderr(notice + "\n"), into: &cell)
        }
        run(&cell)
        return .ran(RanCell(cell: cell, duration: Clock.now() - started))
    }

    private func writeOutcome(of ran: RanCell) throws {
        let cell = ran.cell
        try store.finishCell(cell.cellID, status: cell.status == .ok ? .ok : .error, error: cell.errorText,
                             outputsJSON: OutputsJSON.encode(cell.outputs, result: cell.result, executionCount: cell.executionCount,
                                                             errorName: cell.errorName, errorMessage: cell.errorMessage,
                                                             errorText: cell.errorText),
                             durationMs: ran.duration * 1000)
    }

    private func run(_ cell: inout CellRun) {
        let syntax = Parser.parse(cell.source)
        if syntax.hasErrors {
            let rendered = syntax.diagnostics.filter { $0.severity == .error }
                .map { $0.rendered(source: cell.source, origin: cell.origin, lineOffset: cell.lineOffset) }
                .joined(separator: "\n")
            cell.fail(name: "SyntaxError", message: syntax.diagnostics.first?.message ?? "syntax error", rendered: rendered)
            return
        }
        let lastExpression = syntax.statements.lastIndex { if case .expression = $0.kind { true } else { false } }
        for (index, statement) in syntax.statements.enumerated() {
            if interrupt.consume() {
                cell.fail(name: "KeyboardInterrupt", message: "interrupted", rendered: "KeyboardInterrupt: the cell was interrupted")
                return
            }
            do {
                try executeStatement(statement, in: syntax, isLast: index == lastExpression, cell: &cell)
            } catch let error as RuntimeError {
                let diagnostic = error.diagnostic
                cell.fail(name: diagnostic.id == "E0311" ? "KeyboardInterrupt" : "Error", message: diagnostic.message,
                          rendered: diagnostic.rendered(source: cell.source, origin: cell.origin, lineOffset: cell.lineOffset))
                return
            } catch {
                cell.fail(name: "Error", message: "\(error)", rendered: "error: \(error)")
                return
            }
        }
    }

    func executeStatement(_ statement: GradLang.Statement, in syntax: CellSyntax, isLast: Bool, cell: inout CellRun) throws {
        switch statement.kind {
        case .lineMagic(let name, let argument):
            try runMagic(name, argument: argument, body: nil, span: statement.span, cell: &cell)
        case .cellMagic(let name, let argument, let body):
            try runMagic(name, argument: argument, body: body, span: statement.span, cell: &cell)
        case .inspect(let name, _):
            guard let text = interpreter.inspect(name) else {
                let suggestion = NameSuggestion.nearest(to: name, among: interpreter.completionCandidates)
                throw RuntimeError.session("unknown name '\(name)'", at: statement.span, fixIt: suggestion.map { "did you mean '\($0)'?" })
            }
            emit(.page(text), into: &cell)
        default:
            let cellID = cell.cellID
            let recorder = self.recorder
            let context = ExecutionContext(
                cellNumber: cell.executionCount, interrupt: interrupt, readTextFile: readTextFile,
                recordTrainingStep: { [weak self] event in
                    self?.stepsCounted += event.steps ?? 0
                    try recorder.recordTrainingStep(event, cellID: cellID)
                },
                reportProgress: progressHandler, now: { Clock.now() })
            let saved = interpreter
            let outcome: StatementOutcome
            do {
                outcome = try interpreter.execute(statement, in: syntax, context: context)
            } catch {
                // The steps before the failure are written before the store is used again;
                // the statement's own error is the one to report.
                _ = try? recorder.finishTraining()
                throw error
            }
            let recordedWithTraining: Bool
            do {
                recordedWithTraining = try recorder.finishTraining(recording: outcome, cellID: cellID)
            } catch {
                interpreter = saved
                throw RuntimeError.session("train stopped: the run history could not be written, so the statement was undone: \(error)", at: statement.span)
            }
            do {
                // A statement with nothing to record (`6 * 7`) takes no write lock and commits
                // nothing: its results live only in the cell's outputs, written by finishCell.
                if !recordedWithTraining && recorder.hasRecords(outcome) {
                    try store.transaction { try recorder.record(outcome, cellID: cellID) }
                }
            } catch {
                interpreter = saved
                throw RuntimeError.session("the run history could not be written, so the statement was undone: \(error)", at: statement.span)
            }
            stepsCounted += outcome.runs.reduce(0) { $0 + ($1.steps ?? 0) }
            let silent = endsWithSemicolon(statement, in: syntax)
            for output in outcome.outputs {
                switch output {
                case .stdout(let text): emit(.stdout(text), into: &cell)
                case .warning(let text): emit(.stderr(text.hasSuffix("\n") ? text : text + "\n"), into: &cell)
                case .value(let label, let tensor):
                    guard !silent else { continue }
                    if let label { emit(.stdout(Self.labelled(label, tensor) + "\n"), into: &cell) } else { emit(.display(RichOutput(plain: tensor.description)), into: &cell) }
                case .rich(let rich): emit(.display(rich), into: &cell)
                }
            }
            if outcome.interrupted {
                throw RuntimeError(diagnostic: Diagnostic(id: "E0311", severity: .error, message: "interrupted: every finished training step is kept",
                                                          span: statement.span, notes: [], fixIt: nil))
            }
            if let value = outcome.result, !silent {
                let display = RichOutput(plain: Self.display(value))
                if isLast { cell.result = display } else { emit(.display(display), into: &cell) }
            }
        }
    }

    func emit(_ output: SessionOutput, into cell: inout CellRun) {
        cell.outputs.append(output)
        outputHandler(output)
    }

    static func display(_ tensor: Tensor) -> String {
        if tensor.rank == 0, let scalar = tensor.scalars.first { return formatScalar(scalar) }
        return tensor.description
    }

    /// `c = -4`, or a multi-line tensor indented under its name.
    static func labelled(_ name: String, _ tensor: Tensor) -> String {
        let text = display(tensor)
        guard text.contains("\n") else { return "\(name) = \(text)" }
        let indent = String(repeating: " ", count: name.count + 3)
        return "\(name) = " + text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            .map { $0.offset == 0 ? String($0.element) : indent + $0.element }.joined(separator: "\n")
    }

    /// A statement followed by `;` shows nothing, as in IPython and MATLAB.
    private func endsWithSemicolon(_ statement: GradLang.Statement, in syntax: CellSyntax) -> Bool {
        let utf8 = syntax.source.utf8
        var index = utf8.index(utf8.startIndex, offsetBy: min(statement.span.end.offset, utf8.count))
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: ";") { return true }
            if byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t") { return false }
            index = utf8.index(after: index)
        }
        return false
    }

    /// Forgets the graph (`%reset`); the database keeps the history.
    public func reset() {
        interpreter = Interpreter()
        recorder.forgetGraph()
    }
}

/// The state of one cell while it runs.
struct CellRun {
    var source: String
    var origin: String?
    var lineOffset: Int
    var executionCount: Int
    var cellID: Int64 = 0
    var outputs: [SessionOutput] = []
    var result: RichOutput?
    var status: CellStatus = .ok
    var errorName: String?
    var errorMessage: String?
    var errorText: String?

    mutating func fail(name: String, message: String, rendered: String) {
        status = .error
        errorName = name
        errorMessage = message
        errorText = rendered
    }

    func result(duration: Double) -> CellResult {
        CellResult(executionCount: executionCount, status: status, outputs: outputs, result: result, errorText: errorText,
                   errorName: errorName, errorMessage: errorMessage, durationSeconds: duration)
    }
}

extension RuntimeError {
    static func session(_ message: String, at span: SourceSpan?, fixIt: String? = nil) -> RuntimeError {
        RuntimeError(diagnostic: Diagnostic(id: "E0401", severity: .error, message: message, span: span, notes: [], fixIt: fixIt))
    }
}

/// A deferred cell outcome that was never written stops the next cell from being recorded on top.
struct PreviousCellUnrecorded: Error, CustomStringConvertible {
    let underlying: any Error
    var description: String { "the previous cell's outcome could not be written: \(underlying)" }
}
