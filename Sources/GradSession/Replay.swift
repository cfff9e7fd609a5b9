import GradInterpreter
import GradLang
import GradStore
import GradTensor

/// How one stored quantity of a run compared with the replay's.
public struct ReplayComparison: Sendable, Equatable {
    public enum Quantity: String, Sendable {
        case gradient, value
    }

    public var name: String
    public var quantity: Quantity
    /// Whether the run stored the tensor in full (compared element by element, bit for bit)
    /// or only its summary (compared statistic by statistic).
    public var storedInFull: Bool
    /// nil when identical; otherwise how the replay differs.
    public var difference: String?

    public var isIdentical: Bool { difference == nil }
}

/// The outcome of re-running a stored run from the database alone.
public struct ReplayReport: Sendable {
    /// The run that was replayed (a replay of a replay replays the original).
    public var original: RunRecord
    /// The run recording the replay, when it was recorded.
    public var replayRunID: Int64?
    public var rebuiltNodeCount: Int
    /// Inputs the run's graph does not list (a backward run lists what its gradient reached),
    /// taken from the session's definitions at the time of the run.
    public var completedFromHistory: [String]
    /// Every stored gradient and value of the run, compared.
    public var comparisons: [ReplayComparison]
    /// Definitions of the run's graph whose value a replay cannot reproduce (unseeded random
    /// numbers, gradients of an earlier pass): the likely reason for a difference.
    public var irreproducible: [String] = []
    /// For a training step between checkpoints: how it was recovered by re-executing the steps
    /// from the checkpoint before it.
    public var reexecution: ReexecutionSummary?

    public var differences: [ReplayComparison] { comparisons.filter { !$0.isIdentical } }
    /// Every stored quantity matched, and there was at least one: a run that stored nothing
    /// (`%record none`) cannot be vouched for. A re-executed step must also have matched every
    /// step on the way from its checkpoint.
    public var isIdentical: Bool {
        reexecution?.firstDifference == nil && !comparisons.isEmpty && comparisons.allSatisfy(\.isIdentical)
    }

    /// What `gradbook replay` and `%rerun` print.
    public var text: String {
        guard let originalID = original.id else { return "" }
        var lines: [String] = []
        let recorded = replayRunID.map { " as run \($0)" } ?? ""
        lines.append("run \(originalID) (\(Replayer.describe(original))) replayed from the database\(recorded): "
                     + "\(rebuiltNodeCount) node\(rebuiltNodeCount == 1 ? "" : "s") rebuilt")
        if !completedFromHistory.isEmpty {
            lines.append("  inputs its gradient did not reach, taken from the session's definitions: \(completedFromHistory.joined(separator: ", "))")
        }
        if let reexecution {
            lines.append(contentsOf: reexecution.lines)
            if reexecution.firstDifference != nil {
                for definition in irreproducible { lines.append("  note: \(definition)") }
                return lines.joined(separator: "\n")
            }
        }
        let gradients = comparisons.filter { $0.quantity == .gradient }
        let values = comparisons.filter { $0.quantity == .value }
        let summaries = comparisons.filter { !$0.storedInFull }.count
        let summaryNote = summaries == 0 ? "" : " (\(summaries) stored as summaries: their statistics compared)"
        if comparisons.isEmpty {
            let policy = original.recordPolicy.map { " (it was recorded under %record \($0.rawValue))" } ?? ""
            lines.append("NOTHING TO COMPARE: the run stored no gradient and no value\(policy); run `%record all` before a run to make it checkable")
        } else if isIdentical {
            lines.append("identical bit for bit: \(Self.count(gradients.count, "gradient")) and \(Self.count(values.count, "value"))\(summaryNote)")
            if gradients.isEmpty {
                lines.append("  note: the run stored no gradient (see %record), so only values were compared")
            }
        } else {
            let differing = differences
            lines.append("DIFFERENT: \(differing.count) of \(comparisons.count) stored quantities differ from the replay\(summaryNote)")
            for comparison in differing {
                lines.append("  \(comparison.quantity.rawValue) of \(comparison.name): \(comparison.difference ?? "")")
            }
            for definition in irreproducible {
                lines.append("  note: \(definition)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// One line per run, for `gradbook replay --all`.
    public var summaryLine: String {
        let recorded = replayRunID.map { " → run \($0)" } ?? ""
        let gradients = Self.count(comparisons.filter { $0.quantity == .gradient }.count, "gradient")
        let values = Self.count(comparisons.filter { $0.quantity == .value }.count, "value")
        let reexecuted = reexecution.map { ", re-executed from step \($0.checkpointStep)" } ?? ""
        let verdict = reexecution?.firstDifference.map { "DIFFERENT at step \($0.step), \($0.name)" }
            ?? (comparisons.isEmpty ? "NOTHING TO COMPARE (no value stored)"
                : isIdentical ? "identical (\(gradients), \(values)\(reexecuted))"
                : "DIFFERENT at \(Set(differences.map(\.name)).sorted().joined(separator: ", "))")
        return "run \(original.id ?? 0) (\(Replayer.describe(original)))\(recorded): \(verdict)"
    }

    static func count(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }
}

/// Why a run cannot be replayed: one line that names the run and, where there is one, the fix.
public enum ReplayError: Error, CustomStringConvertible, Sendable, Equatable {
    case notReplayable(run: Int64, kind: String)
    case leafNotStoredInFull(run: Int64, name: String, shape: [Int], isParam: Bool, policy: String?)
    case rebuildFailed(run: Int64, name: String, definition: String, message: String)
    case targetFailed(run: Int64, target: String, message: String)
    case history(RunHistoryError)
    /// A training step whose params were stored as summaries, with no checkpoint before it.
    case noCheckpoint(run: Int64, step: Int, trainID: Int64, param: String, shape: [Int], policy: String?)
    /// A checkpoint or the steps after it cannot be used to re-execute the training.
    case checkpointUnusable(run: Int64, checkpointRun: Int64, message: String)

    public var description: String {
        switch self {
        case let .notReplayable(run, kind):
            return "cannot replay run \(run): it is a \(kind) run, and only backward and train runs have gradients to re-run"
        case let .leafNotStoredInFull(run, name, shape, isParam, policy):
            guard isParam else {
                return "cannot replay run \(run): the data leaf '\(name)' (shape \(formatShape(shape))) was not stored: "
                    + "its definition has no stored value and the run did not store it in full"
            }
            let recorded = policy.map { " (it was recorded under %record \($0))" } ?? ""
            return "cannot replay run \(run): the param '\(name)' (shape \(formatShape(shape))) was not stored in full in that run\(recorded); "
                + "run `%record all` before a run to make it replayable"
        case let .noCheckpoint(run, step, trainID, param, shape, policy):
            let recorded = policy.map { " under %record \($0)" } ?? ""
            return "cannot replay run \(run): it is step \(step) of a train() call (train_id \(trainID)) recorded\(recorded) with the param '\(param)' "
                + "(shape \(formatShape(shape))) as a summary, and no checkpoint of that call is stored at or before step \(step) to re-execute it from; "
                + "train under %record params (the default, with checkpoints) or %record all to make its steps replayable"
        case let .checkpointUnusable(run, checkpointRun, message):
            return "cannot replay run \(run) from the checkpoint in run \(checkpointRun): \(message)"
        case let .rebuildFailed(run, name, definition, message):
            return "cannot replay run \(run): rebuilding '\(name) = \(definition)' failed: \(message)"
        case let .targetFailed(run, target, message):
            return "cannot replay run \(run): the backward pass from '\(target)' failed: \(message)"
        case .history(let error):
            return error.description
        }
    }
}

/// Where a replay is recorded: the session (and cell, for `%rerun`) that ran it.
public struct ReplayRecording: Sendable {
    public var sessionID: Int64
    public var cellID: Int64?

    public init(sessionID: Int64, cellID: Int64?) {
        self.sessionID = sessionID
        self.cellID = cellID
    }
}

/// Re-runs a stored backward pass or training step from the database alone: the run's node
/// definitions, its leaves' values at that run, the backward pass again, and a comparison of
/// every gradient and value it stored, bit for bit (SPEC §3). A training step whose params were
/// stored as summaries is recovered by re-executing the steps from the checkpoint before it.
public enum Replayer {
    /// - Parameters:
    ///   - recording: records the replay as a run of kind `replay`; nil only compares (a
    ///     read-only database).
    ///   - storeInFull: the replay run stores every value and gradient in full (`--store`),
    ///     instead of mirroring what the original stored.
    ///   - cache: keeps a re-executed training between calls, so replaying the steps of one
    ///     train() call in order re-executes each step once.
    public static func replay(run runID: Int64, store: RunStore, recording: ReplayRecording?, storeInFull: Bool = false,
                              cache: ReplayCache? = nil) throws -> ReplayReport {
        let graph: RunGraph
        do {
            var loaded = try RunGraph.load(runID, from: store)
            if loaded.run.kind == .replay, let originalID = loaded.run.replayOf {
                loaded = try RunGraph.load(originalID, from: store)
            }
            graph = loaded
        } catch let error as RunHistoryError {
            throw ReplayError.history(error)
        }
        let original = graph.run
        let originalID = original.id ?? runID
        guard original.kind == .backward || original.kind == .train else {
            throw ReplayError.notReplayable(run: originalID, kind: original.kind.rawValue)
        }
        guard let target = original.target, !target.isEmpty else {
            throw ReplayError.targetFailed(run: originalID, target: "?", message: "the run does not say which node it differentiated")
        }

        let started = Clock.now()
        let revision = try store.engineRevision(ofSession: original.sessionID) ?? 0
        var replayed: [String: (value: Tensor, gradient: Tensor?)] = [:]
        let loss: Double?
        var reexecution: ReexecutionSummary?
        if original.kind == .train, let trainID = original.trainID, let step = original.step,
           let summarized = paramStoredAsSummary(in: graph), try store.checkpointInterval(ofTrain: trainID) != nil {
            let recovered = try reexecute(graph, step: step, trainID: trainID, summarizedParam: summarized, arithmeticRevision: revision,
                                          store: store, cache: cache)
            reexecution = recovered.summary
            for (name, node) in recovered.interpreter.namedNodes {
                replayed[name] = (recovered.interpreter.graph.value(node), nil)
            }
            for snapshot in recovered.step.nodes {
                replayed[snapshot.name] = (snapshot.value, snapshot.gradient)
            }
            loss = recovered.step.loss
        } else {
            var interpreter = try rebuild(graph, runID: originalID, arithmeticRevision: revision)
            let backward = try backwardPass(from: target, in: &interpreter, runID: originalID)
            for (name, node) in interpreter.namedNodes {
                replayed[name] = (interpreter.graph.value(node), nil)
            }
            for snapshot in backward.nodes {
                replayed[snapshot.name] = (snapshot.value, snapshot.gradient)
            }
            loss = backward.loss
        }
        let duration = Clock.now() - started
        // A re-execution that went astray before the step never computed the step itself.
        let reachedStep = reexecution?.firstDifference.map { $0.step == original.step } ?? true
        let comparisons = reachedStep ? compare(graph, with: replayed) : []

        var replayRunID: Int64?
        if let recording, reachedStep {
            replayRunID = try record(graph, replayed: replayed, loss: loss, durationMs: duration * 1000, storeInFull: storeInFull,
                                     recording: recording, store: store)
        }
        return ReplayReport(original: original, replayRunID: replayRunID, rebuiltNodeCount: graph.order.count,
                            completedFromHistory: graph.completedFromHistory, comparisons: comparisons,
                            irreproducible: irreproducibleDefinitions(in: graph), reexecution: reexecution)
    }

    /// A param the run stored only as a summary (a training step between checkpoints), if
    /// every other leaf it needs is there: then the run is recovered by re-execution.
    static func paramStoredAsSummary(in graph: RunGraph) -> NodeRecord? {
        var summarized: NodeRecord?
        for name in graph.order {
            guard let node = graph.definitions[name], node.op == "leaf" || node.op == "param" else { continue }
            guard graph.snapshot.leafValue(of: node) == nil else { continue }
            guard node.isParam else { return nil }
            summarized = summarized ?? node
        }
        return summarized
    }

    /// Op definitions that compute something else each time they run: `rand`/`randn` without
    /// `seed=`, or `.grad` / `grad(...)`, which read the session's latest backward pass.
    static func irreproducibleDefinitions(in graph: RunGraph) -> [String] {
        graph.order.compactMap { name in
            guard let node = graph.definitions[name], node.op != "leaf", node.op != "param", let expr = node.expr else { return nil }
            if expr.contains("rand") && !expr.contains("seed=") {
                return "\(name) = \(expr) draws unseeded random numbers: give them a seed= to make replays reproducible"
            }
            if expr.contains("grad") {
                return "\(name) = \(expr) reads gradients of an earlier backward pass, which a replay does not have"
            }
            return nil
        }
    }

    /// `train J, step 3` / `backward J`.
    static func describe(_ run: RunRecord) -> String {
        let target = run.target.map { " \($0)" } ?? ""
        let step = run.step.map { ", step \($0)" } ?? ""
        return "\(run.kind.rawValue)\(target)\(step)"
    }

    // MARK: rebuilding

    /// A fresh interpreter holding the run's graph: leaves with their values at the run,
    /// op nodes by executing their stored definitions, in the session's graph order.
    static func rebuild(_ graph: RunGraph, runID: Int64, arithmeticRevision: Int) throws -> Interpreter {
        var interpreter = Interpreter()
        interpreter.arithmeticRevision = min(arithmeticRevision, Interpreter.engineRevision)
        let context = ExecutionContext(cellNumber: 0)
        for name in graph.order {
            guard let node = graph.definitions[name] else { continue }
            let definition = node.expr ?? ""
            if node.op == "leaf" || node.op == "param" {
                let value = try leafValue(of: node, in: graph, runID: runID)
                do {
                    try interpreter.defineLeaf(name: name, value: value, isParam: node.isParam, sourceText: definition)
                } catch {
                    throw ReplayError.rebuildFailed(run: runID, name: name, definition: definition, message: error.diagnostic.message)
                }
                continue
            }
            let source = "\(name) = \(definition)"
            let syntax = Parser.parse(source)
            guard !syntax.hasErrors, syntax.statements.count == 1, let statement = syntax.statements.first,
                  case .assign(let targets, _) = statement.kind, targets.map(\.name) == [name] else {
                let message = syntax.diagnostics.first { $0.severity == .error }?.message ?? "the stored definition is not one expression"
                throw ReplayError.rebuildFailed(run: runID, name: name, definition: definition, message: message)
            }
            do {
                _ = try interpreter.execute(statement, in: syntax, context: context)
            } catch {
                throw ReplayError.rebuildFailed(run: runID, name: name, definition: definition, message: error.diagnostic.message)
            }
        }
        return interpreter
    }

    /// A leaf's value at the run, exactly. A non-param leaf keeps the value of its definition
    /// (only a redefinition, which is a new node, changes it), stored as raw float64 bytes; a
    /// param's value at a run is the run's own full record of it.
    private static func leafValue(of node: NodeRecord, in graph: RunGraph, runID: Int64) throws -> Tensor {
        let stored = node.id.flatMap { graph.snapshot.values[$0] }
        let elements = node.isParam ? stored?.value?.elements : (node.leafValue ?? stored?.value?.elements)
        let shape = stored?.shape ?? node.shape
        guard let elements, let tensor = try? Tensor(shape: shape, scalars: elements) else {
            throw ReplayError.leafNotStoredInFull(run: runID, name: node.name, shape: shape, isParam: node.isParam,
                                                  policy: graph.run.recordPolicy?.rawValue)
        }
        return tensor
    }

    private static func backwardPass(from target: String, in interpreter: inout Interpreter, runID: Int64) throws -> (nodes: [NodeSnapshot], loss: Double?) {
        let syntax = Parser.parse("backward \(target)")
        guard !syntax.hasErrors, syntax.statements.count == 1, let statement = syntax.statements.first,
              case .backward = statement.kind else {
            // train(...) of an unnamed expression labels its runs with the node's id (`%17`).
            let message = target.hasPrefix("%")
                ? "it differentiated an unnamed expression whose text the history does not keep; name the loss (J = ...) before train(J, ...) to make its runs replayable"
                : "it is not an expression gradbook can read"
            throw ReplayError.targetFailed(run: runID, target: target, message: message)
        }
        do {
            let outcome = try interpreter.execute(statement, in: syntax, context: ExecutionContext(cellNumber: 0))
            guard let run = outcome.runs.first(where: { $0.kind == .backward }) else {
                throw ReplayError.targetFailed(run: runID, target: target, message: "no backward pass ran")
            }
            return (run.nodes, run.loss)
        } catch let error as RuntimeError {
            throw ReplayError.targetFailed(run: runID, target: target, message: error.diagnostic.message)
        }
    }

    // MARK: comparing

    static func compare(_ graph: RunGraph, with replayed: [String: (value: Tensor, gradient: Tensor?)]) -> [ReplayComparison] {
        var comparisons: [ReplayComparison] = []
        let position = Dictionary(graph.order.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { first, _ in first })
        let nodes = graph.snapshot.nodes.sorted { (position[$0.name] ?? .max) < (position[$1.name] ?? .max) }
        for node in nodes {
            guard let id = node.id, let stored = graph.snapshot.values[id] else { continue }
            let mine = replayed[node.name]
            if let storedGradient = stored.grad {
                comparisons.append(comparison(of: node.name, .gradient, stored: storedGradient, replayed: mine?.gradient))
            }
            if let storedValue = stored.value {
                comparisons.append(comparison(of: node.name, .value, stored: storedValue, replayed: mine?.value))
            }
        }
        return comparisons
    }

    static func comparison(of name: String, _ quantity: ReplayComparison.Quantity, stored: TensorData,
                                   replayed: Tensor?) -> ReplayComparison {
        var result = ReplayComparison(name: name, quantity: quantity, storedInFull: stored.elements != nil, difference: nil)
        guard let replayed else {
            result.difference = "stored, but the replay computed no \(quantity.rawValue)"
            return result
        }
        switch stored {
        case .full(let elements):
            result.difference = BitComparison.difference(stored: elements, replayed: replayed.scalars, shape: replayed.shape)
        case .summary(let summary):
            result.difference = BitComparison.difference(stored: summary, replayed: TensorSummary(summarizing: replayed.scalars))
        }
        return result
    }

    // MARK: recording

    /// Records the replay with the original's graph (the same node definitions, so the same
    /// graph row) and, for each node, the quantities the original stored, stored the same way;
    /// with `storeInFull`, every value and gradient of the run's nodes in full.
    private static func record(_ graph: RunGraph, replayed: [String: (value: Tensor, gradient: Tensor?)], loss: Double?,
                               durationMs: Double, storeInFull: Bool, recording: ReplayRecording, store: RunStore) throws -> Int64 {
        let original = graph.run
        var values: [ValueRecord] = []
        for node in graph.snapshot.nodes {
            guard let id = node.id, let mine = replayed[node.name] else { continue }
            let value: TensorData?
            let gradient: TensorData?
            if storeInFull {
                value = .full(mine.value.scalars)
                gradient = mine.gradient.map { .full($0.scalars) }
            } else {
                guard let stored = graph.snapshot.values[id] else { continue }
                value = mirror(stored.value, mine.value)
                gradient = mine.gradient.flatMap { mirror(stored.grad, $0) }
            }
            guard value != nil || gradient != nil else { continue }
            values.append(ValueRecord(nodeID: id, shape: mine.value.shape, value: value, grad: gradient))
        }
        let record = RunRecord(sessionID: recording.sessionID, cellID: recording.cellID, kind: .replay, target: original.target,
                               targetNodeID: original.targetNodeID, step: original.step, loss: loss, durationMs: durationMs,
                               replayOf: original.id, recordPolicy: storeInFull ? .all : original.recordPolicy)
        return try store.insertRun(record, nodeIDs: graph.snapshot.nodes.compactMap(\.id), values: values)
    }

    private static func mirror(_ stored: TensorData?, _ tensor: Tensor) -> TensorData? {
        switch stored {
        case .full?: return .full(tensor.scalars)
        case .summary?: return .summary(TensorSummary(summarizing: tensor.scalars))
        case nil: return nil
        }
    }
}

/// Equality of stored and replayed numbers as replay means it: the same bit pattern. NaN
/// equals NaN whatever its payload, because a scalar's stored JSON keeps no payload.
enum BitComparison {
    static func same(_ left: Double, _ right: Double) -> Bool {
        left.bitPattern == right.bitPattern || (left.isNaN && right.isNaN)
    }

    /// nil when every element has the same bits; otherwise the first differing element.
    static func difference(stored: [Double], replayed: [Double], shape: [Int]) -> String? {
        guard stored.count == replayed.count else {
            return "stored \(stored.count) elements, the replay has \(replayed.count) (shape \(formatShape(shape)))"
        }
        var differing = 0
        var first: Int?
        var largest = 0.0
        for index in stored.indices where !same(stored[index], replayed[index]) {
            differing += 1
            if first == nil { first = index }
            let gap = abs(stored[index] - replayed[index])
            if gap.isNaN || gap > largest { largest = gap.isNaN ? .infinity : gap }
        }
        guard let first else { return nil }
        let element = shape.isEmpty ? "" : "element \(first) of \(formatShape(shape)): "
        let count = shape.isEmpty ? "" : "; \(differing) of \(stored.count) elements differ"
        return "\(element)stored \(exact(stored[first])), replayed \(exact(replayed[first])) (largest |difference| \(formatScalar(largest))\(count))"
    }

    static func difference(stored: TensorSummary, replayed: TensorSummary) -> String? {
        // Summary columns are SQLite REALs: NaN comes back as NULL and -0 as 0, so compare numbers.
        func same(_ left: Double?, _ right: Double?) -> Bool {
            switch (left, right) {
            case let (l?, r?): return l == r || (l.isNaN && r.isNaN)
            case let (nil, r?): return r.isNaN
            case let (l?, nil): return l.isNaN
            case (nil, nil): return true
            }
        }
        let statistics: [(String, Double?, Double?)] = [
            ("min", stored.min, replayed.min), ("max", stored.max, replayed.max),
            ("mean", stored.mean, replayed.mean), ("L2 norm", stored.l2, replayed.l2),
        ]
        guard stored.numel == replayed.numel else {
            return "stored a summary of \(stored.numel) elements, the replay has \(replayed.numel)"
        }
        guard let (label, left, right) = statistics.first(where: { !same($0.1, $0.2) }) else { return nil }
        return "summary \(label): stored \(left.map(exact) ?? "nan"), replayed \(right.map(exact) ?? "nan")"
    }

    /// Shortest round-trip text: two different doubles never print the same.
    static func exact(_ value: Double) -> String { formatScalar(value) }
}

extension Session {
    /// `%rerun [RUN]`: replays run RUN (default: this session's latest backward or train run)
    /// and fails the cell when a gradient or value differs.
    func rerunMagic(argument: String, span: SourceSpan, cell: inout CellRun) throws {
        var words = argument.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let storeInFull = words.contains("--store")
        words.removeAll { $0 == "--store" }
        guard words.count <= 1 else {
            throw RuntimeError.session("%rerun takes one run id, not '\(words.joined(separator: " "))'", at: span, fixIt: "e.g. %rerun 3 --store (see %runs)")
        }
        let word = words.first ?? ""
        let runID: Int64
        if word.isEmpty {
            let latest = try store.query(
                "SELECT max(id) FROM run WHERE session_id = ?1 AND kind IN ('backward', 'train')",
                arguments: [.integer(sessionID)], allowWrites: false).rows.first?.first?.integerValue
            guard let latest else {
                throw RuntimeError.session("%rerun: this session has no backward or train run yet", at: span,
                                           fixIt: "give a run id, e.g. %rerun 3 (see %runs)")
            }
            runID = latest
        } else {
            guard let parsed = Int64(word.hasPrefix("#") ? String(word.dropFirst()) : word), parsed > 0 else {
                throw RuntimeError.session("%rerun takes a run id, not '\(word)'", at: span, fixIt: "e.g. %rerun 3 (see %runs)")
            }
            runID = parsed
        }
        let report: ReplayReport
        do {
            report = try Replayer.replay(run: runID, store: store, recording: ReplayRecording(sessionID: sessionID, cellID: cell.cellID),
                                         storeInFull: storeInFull)
        } catch let error as ReplayError {
            throw RuntimeError.session(error.description, at: span)
        } catch {
            throw RuntimeError.session("cannot replay run \(runID): \(error)", at: span)
        }
        emit(.display(RichOutput(plain: report.text)), into: &cell)
        if let difference = report.reexecution?.firstDifference {
            throw RuntimeError.session("re-executing run \(report.original.id ?? runID)'s training differs from the stored run at step \(difference.step) (run \(difference.runID)), \(difference.name)",
                                       at: span)
        }
        if report.comparisons.isEmpty {
            throw RuntimeError.session("run \(report.original.id ?? runID) stored nothing to compare the replay with", at: span,
                                       fixIt: "record runs with %record all (or params)")
        }
        if !report.isIdentical {
            var seen = Set<String>()
            let unique = report.differences.map(\.name).filter { seen.insert($0).inserted }
            throw RuntimeError.session("the replay of run \(report.original.id ?? runID) differs from the stored run at: \(unique.joined(separator: ", "))",
                                       at: span)
        }
    }
}
