import Foundation
import GradSession
import GradStore
import GradTensor
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Seeded random programs, valid and not, over the whole language (ops, shapes, magics,
/// redefinitions, cycles, huge and NaN numbers, garbage), run through real sessions on
/// in-memory stores. No input may crash the process, hang it, or leave the interpreter or the
/// database in a state a failed statement should not have left.
///
///     GRADBOOK_FUZZ_CELLS=1000000 swift test -c release --filter SessionFuzzTests
///
/// GRADBOOK_FUZZ_SEED picks the programs; GRADBOOK_FUZZ_VERBOSE=1 prints every cell before it
/// runs (the last one printed is the culprit of a crash).
@Suite struct SessionFuzzTests {
    static let environment = ProcessInfo.processInfo.environment
    static let cellCount = environment["GRADBOOK_FUZZ_CELLS"].flatMap { Int($0) } ?? 12_000
    static let seed = environment["GRADBOOK_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_261_127
    static let verbose = environment["GRADBOOK_FUZZ_VERBOSE"] != nil
    /// Cells per session: each session gets a fresh in-memory history, which bounds memory
    /// and exercises opening and closing.
    static let cellsPerSession = 400

    @Test func randomProgramsNeverCrashAndFailuresChangeNothing() throws {
        var generator = ProgramGenerator(seed: Self.seed)
        var statistics = FuzzStatistics()
        let started = Date()
        var session = try Self.makeSession()
        for index in 0..<Self.cellCount {
            if index > 0 && index % Self.cellsPerSession == 0 {
                try session.close()
                session = try Self.makeSession()
                statistics.sessions += 1
                statistics.sampleMemory()
            }
            generator.defined = session.interpreter.definitionOrder
            let cell = generator.cell()
            if Self.verbose { FileHandle.standardError.write(Data("--- cell \(index)\n\(cell)\n".utf8)) }
            let mustChangeNothing = ProgramGenerator.failureMustChangeNothing(cell)
            let before = mustChangeNothing ? InterpreterFingerprint(session) : nil
            let rowsBefore = mustChangeNothing ? try Self.historyRows(session) : []
            let cellStarted = Date()
            let result = session.execute(cell)
            let seconds = Date().timeIntervalSince(cellStarted)
            statistics.record(cell: cell, result: result, seconds: seconds)

            var complaints = InterpreterFingerprint.consistencyProblems(session).map { "inconsistent interpreter: \($0)" }
            if result.status == .error {
                if let complaint = Self.errorComplaint(result, cell: cell) {
                    complaints.append("\(complaint):\n\(result.errorText ?? "")")
                }
                if mustChangeNothing {
                    if InterpreterFingerprint(session) != before { complaints.append("a failed statement changed the interpreter") }
                    if try Self.historyRows(session) != rowsBefore { complaints.append("a failed statement left rows behind") }
                }
            }
            if index % 25 == 24 {
                complaints += try Self.historyProblems(session)
                complaints += try Self.replayProblems(session, statistics: &statistics)
            }
            for complaint in complaints {
                Issue.record("cell \(index) (GRADBOOK_FUZZ_SEED=\(Self.seed)):\n\(cell)\n\(complaint)")
            }
            statistics.issues += complaints.count
            if statistics.issues >= 20 { break }
        }
        try session.close()
        statistics.sampleMemory()
        let elapsed = Date().timeIntervalSince(started)
        print(statistics.summary(plannedCells: Self.cellCount, seconds: elapsed, seed: Self.seed))
        #expect(statistics.slowest.seconds < 10, "a cell took \(statistics.slowest.seconds) s:\n\(statistics.slowest.cell)")
        #expect(statistics.failed > Self.cellCount / 10 && statistics.succeeded > Self.cellCount / 10,
                "the generator should produce both kinds of cells: \(statistics.succeeded) ok, \(statistics.failed) failed")
        // Sessions are independent: memory must not grow with the number of cells run.
        if let first = statistics.memorySamples.dropFirst(2).first, let last = statistics.memorySamples.last {
            #expect(last < first * 2 + 256 * 1024 * 1024, "resident memory grew from \(first) to \(last) bytes")
        }
    }

    /// A fresh session on a fresh in-memory history, with a few nodes to build on.
    static func makeSession() throws -> Session {
        let session = try Session(store: RunStore(path: ":memory:"), kind: .repl, notebook: nil)
        let prologue = session.execute("""
            x = -2
            w = param(2)
            b = param(8)
            y = 2
            c = w * x
            a = c + b
            d = a - y
            J = 0.5 * d^2
            W = param(randn(3, 2, seed=1))
            v = [1, 2]
            labels = [0, 1, 1]
            h = tanh(W @ v + 1)
            loss = cross_entropy(reshape(h, 3, 1) @ reshape(v, 1, 2), labels)
            backward J
            """)
        try #require(prologue.status == .ok, "\(prologue.errorText ?? "")")
        return session
    }

    /// The newest row of each table a statement writes (value rows belong to a run, so a
    /// failed statement that left none of these left no value rows either).
    static func historyRows(_ session: Session) throws -> [SQLValue] {
        try session.store.query("""
            SELECT (SELECT max(id) FROM node), (SELECT max(id) FROM run), (SELECT max(id) FROM tensor),
                   (SELECT max(id) FROM graph), (SELECT max(id) FROM train)
            """).rows.first ?? []
    }

    /// The run history must describe the interpreter: each live name's latest definition row
    /// holds its definition.
    static func historyProblems(_ session: Session) throws -> [String] {
        let rows = try session.store.query("""
            SELECT name, expr, is_param FROM node WHERE id IN (SELECT max(id) FROM node WHERE session_id = ?1 GROUP BY name)
            """, arguments: [.integer(session.sessionID)]).rows
        var stored: [String: (expr: String, isParam: Bool)] = [:]
        for row in rows {
            guard row.count == 3, let name = row[0].textValue else { continue }
            stored[name] = (row[1].textValue ?? "", row[2].integerValue == 1)
        }
        let interpreter = session.interpreter
        return interpreter.definitionOrder.compactMap { name in
            guard let definition = interpreter.definitions[name] else { return nil }
            guard let row = stored[name] else { return "'\(name)' is defined but has no node row" }
            guard row.expr == definition.sourceText, row.isParam == definition.isParam else {
                return "'\(name)' is \(definition.sourceText) but its latest node row says \(row.expr)"
            }
            return nil
        }
    }

    /// The session's latest backward or train run, replayed from the database, must match bit
    /// for bit unless the replay itself names a definition it cannot reproduce (unseeded random
    /// numbers, gradients), and must rebuild unless a leaf was not stored in full or a
    /// definition reads gradients or files.
    static func replayProblems(_ session: Session, statistics: inout FuzzStatistics) throws -> [String] {
        let latest = try session.store.query("SELECT max(id) FROM run WHERE session_id = ?1 AND kind IN ('backward', 'train')",
                                             arguments: [.integer(session.sessionID)]).rows.first?.first?.integerValue
        guard let runID = latest else { return [] }
        let expressions = try session.store.query("SELECT DISTINCT expr FROM node WHERE session_id = ?1",
                                                  arguments: [.integer(session.sessionID)]).rows.compactMap { $0.first?.textValue }
        let readsGradientsOrFiles = expressions.contains { $0.contains("grad") || $0.contains("load_csv") }
        do {
            let report = try Replayer.replay(run: runID, store: session.store, recording: nil)
            statistics.replays[report.comparisons.isEmpty ? "with nothing stored" : report.isIdentical ? "identical" : "different", default: 0] += 1
            if verbose && !report.comparisons.isEmpty && !report.isIdentical {
                FileHandle.standardError.write(Data("--- replay differs\n\(report.text)\n".utf8))
            }
            if !report.comparisons.isEmpty && !report.isIdentical && report.irreproducible.isEmpty { return ["replay of run \(runID) differs:\n\(report.text)"] }
        } catch let error as ReplayError {
            statistics.replays["refused", default: 0] += 1
            switch error {
            case .leafNotStoredInFull: break
            case .targetFailed(_, let target, _) where target.hasPrefix("%"): break  // train() of an unnamed loss
            default: if !readsGradientsOrFiles { return ["replay of run \(runID) failed: \(error)"] }
            }
        }
        return []
    }

    /// Why an error report is not good enough, or nil: it must point into the cell
    /// (`line:column` within its lines) or be one of the few whole-cell errors, and never
    /// admit to an internal fault.
    static func errorComplaint(_ result: CellResult, cell: String) -> String? {
        guard let text = result.errorText, !text.isEmpty, let message = result.errorMessage, !message.isEmpty else {
            return "an error without a message"
        }
        if text.localizedCaseInsensitiveContains("internal") { return "an internal error reached the user" }
        let head = text.prefix { $0 != "\n" }
        let parts = head.split(separator: ":", maxSplits: 2)
        if parts.count == 3, let line = Int(parts[0]), let column = Int(parts[1]) {
            let lineCount = cell.split(separator: "\n", omittingEmptySubsequences: false).count
            guard line >= 1, line <= lineCount, column >= 1 else { return "the location \(line):\(column) is outside the cell" }
            return nil
        }
        if result.errorName == "KeyboardInterrupt" { return nil }
        return "an error without a location"
    }
}

/// What a failing statement must leave as it was: every name's definition and value, the
/// gradients `.grad` shows, and the graph's size.
struct InterpreterFingerprint: Equatable {
    var names: [String]
    var definitions: [String]
    var valueBits: [UInt64]
    var gradientNames: [String]
    var graphCount: Int

    init(_ session: Session) {
        let interpreter = session.interpreter
        names = interpreter.definitionOrder
        definitions = names.map { name in
            guard let definition = interpreter.definitions[name] else { return "?" }
            return "\(definition.isParam ? "param " : "")\(definition.sourceText)|\(definition.dependencies.joined(separator: ","))"
        }
        var bits: [UInt64] = []
        for name in names {
            guard let node = interpreter.nodeOfName[name], node.position < interpreter.graph.count else { continue }
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for scalar in interpreter.graph.value(node).scalars {
                hash = (hash ^ scalar.bitPattern) &* 0x0000_0100_0000_01B3
            }
            bits.append(hash)
        }
        valueBits = bits
        gradientNames = interpreter.latestGradients.keys.sorted()
        graphCount = interpreter.graph.count
    }

    /// What must hold after every cell, whatever happened in it.
    static func consistencyProblems(_ session: Session) -> [String] {
        let interpreter = session.interpreter
        var problems: [String] = []
        let order = interpreter.definitionOrder
        if Set(order).count != order.count { problems.append("a name is listed twice") }
        if interpreter.definitions.count != order.count { problems.append("\(interpreter.definitions.count) definitions for \(order.count) names") }
        if interpreter.nodeOfName.count != order.count { problems.append("\(interpreter.nodeOfName.count) nodes for \(order.count) names") }
        for name in order {
            guard let definition = interpreter.definitions[name] else {
                problems.append("'\(name)' has no definition")
                continue
            }
            guard let node = interpreter.nodeOfName[name], node.position >= 0, node.position < interpreter.graph.count else {
                problems.append("'\(name)' has no node in the graph")
                continue
            }
            if interpreter.name(of: node) != name { problems.append("node of '\(name)' is named \(interpreter.name(of: node) ?? "nothing")") }
            let value = interpreter.graph.value(node)
            if value.shape != interpreter.graph.shape(node) { problems.append("'\(name)' has a value of the wrong shape") }
            for dependency in definition.dependencies where interpreter.definitions[dependency] == nil {
                problems.append("'\(name)' depends on undefined '\(dependency)'")
            }
            if definition.isLeaf, case .leaf(let stored, _) = definition.body,
               stored.shape != value.shape || zip(stored.scalars, value.scalars).contains(where: { $0.bitPattern != $1.bitPattern }) {
                problems.append("leaf '\(name)' holds another value than its definition")
            }
        }
        if let cycle = cycle(in: interpreter.definitions.mapValues(\.dependencies)) {
            problems.append("the definitions are cyclic at '\(cycle)'")
        }
        return problems
    }

    /// A name on a dependency cycle, found without recursion.
    static func cycle(in dependencies: [String: [String]]) -> String? {
        var state: [String: Bool] = [:]  // false: on the stack, true: done
        for start in dependencies.keys.sorted() where state[start] == nil {
            var stack: [(name: String, next: Int)] = [(start, 0)]
            state[start] = false
            while let top = stack.last {
                let inputs = dependencies[top.name] ?? []
                if top.next < inputs.count {
                    stack[stack.count - 1].next += 1
                    let input = inputs[top.next]
                    switch state[input] {
                    case false?: return input
                    case true?: continue
                    case nil:
                        state[input] = false
                        stack.append((input, 0))
                    }
                } else {
                    stack.removeLast()
                    state[top.name] = true
                }
            }
        }
        return nil
    }
}

struct FuzzStatistics {
    var succeeded = 0
    var failed = 0
    var issues = 0
    var sessions = 1
    var slowest: (seconds: Double, cell: String) = (0, "")
    var errorKinds: [String: Int] = [:]
    var memorySamples: [Int] = []
    /// How often each error message (up to its first quote) appeared: what the generator hits.
    var messages: [String: Int] = [:]
    /// Replays of the sessions' latest backward runs, by outcome.
    var replays: [String: Int] = [:]

    mutating func record(cell: String, result: CellResult, seconds: Double) {
        if result.status == .ok { succeeded += 1 } else { failed += 1 }
        if let name = result.errorName { errorKinds[name, default: 0] += 1 }
        if let message = result.errorMessage { messages[String(message.prefix { $0 != "'" && $0 != "(" && $0 != ":" }), default: 0] += 1 }
        if seconds > slowest.seconds { slowest = (seconds, cell) }
    }

    /// Resident memory now (not the peak: one large tensor a cell asked for and freed is not
    /// growth).
    mutating func sampleMemory() {
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
           let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
            memorySamples.append(pages * Int(sysconf(Int32(_SC_PAGESIZE))))
            return
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        memorySamples.append(Int(usage.ru_maxrss) * 1024)
    }

    func summary(plannedCells: Int, seconds: Double, seed: UInt64) -> String {
        let kinds = errorKinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let peak = (memorySamples.max() ?? 0) / (1024 * 1024)
        let cells = succeeded + failed
        return "fuzz: \(cells) of \(plannedCells) cells (seed \(seed)) in \(String(format: "%.1f", seconds)) s over \(sessions) sessions: "
            + "\(succeeded) ok, \(failed) failed (\(kinds)); crashes: 0; slowest cell \(String(format: "%.3f", slowest.seconds)) s; "
            + "largest resident memory between sessions \(peak) MB; replays: \(replays.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")); "
            + "most frequent errors: "
            + messages.sorted { $0.value > $1.value }.prefix(12).map { "\($0.value)× \($0.key)" }.joined(separator: " | ")
    }
}

/// Cells for the fuzzer: mostly plausible programs over a small pool of names (so that names
/// get redefined, form cycles and break their dependents), with invalid arguments, shapes and
/// numbers mixed in, magics, and raw garbage.
struct ProgramGenerator {
    var random: FuzzRandom
    /// The names the session has defined: most references pick one of them, so that cells
    /// build on each other instead of failing on unknown names.
    var defined: [String] = []

    init(seed: UInt64) { random = FuzzRandom(seed: seed) }

    static let names = ["a", "b", "c", "d", "w", "x", "y", "z", "h", "J", "loss", "W", "v", "m", "labels"]
    static let unaryOps = ["exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "softmax", "log_softmax",
                           "flatten", "transpose", "sum", "mean", "max", "min", "logsumexp"]
    static let binaryOps = ["pow", "max", "min", "mse", "concat", "stack", "cross_entropy", "one_hot", "matmul"]
    static let constructors = ["zeros", "ones", "eye", "arange", "linspace", "randn", "rand", "full"]
    static let magics = ["who", "runs", "history", "explain", "graph", "sql", "plot", "record", "time", "rerun", "diff", "help", "reset", "nope"]

    /// Whether a failing cell must leave the interpreter and the database exactly as they were:
    /// one statement, and not one of the statements that keep part of their work on purpose
    /// (training keeps its finished steps, `%time` runs several statements, `%rerun` records
    /// the replay before reporting a mismatch).
    static func failureMustChangeNothing(_ cell: String) -> Bool {
        let bytes = Array(cell.utf8)
        if bytes.contains(where: { $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) { return false }
        return !["train", "%time", "%rerun", "%%", "%reset", "grad("].contains { word in
            let pattern = Array(word.utf8)
            return bytes.count >= pattern.count && (0...(bytes.count - pattern.count)).contains { start in
                bytes[start..<(start + pattern.count)].elementsEqual(pattern)
            }
        }
    }

    mutating func cell() -> String {
        switch random.below(100) {
        case 0..<30: return definition()
        case 30..<37: return "\(name()) = param(\(expression(depth: 2)))"
        case 37..<44: return "backward \(random.chance(0.8) ? name() : expression(depth: 2))"
        case 44..<47: return training()
        case 47..<56: return expression(depth: 3)
        case 56..<66: return magic()
        case 66..<69: return destructuring()
        case 69..<76: return (0..<(2 + random.below(3))).map { _ in statement() }.joined(separator: random.chance(0.7) ? "\n" : "; ")
        case 76..<86: return garbage()
        case 86..<90: return cycle()
        case 90..<93: return random.chance(0.5) ? "print(\(expression(depth: 2)), \"text\")" : "gradcheck(\(name()))"
        case 93..<95: return "\(name())?"
        case 95..<97:
            switch random.below(3) {
            case 0: return "grad(\(name()), \(name()))"
            case 1: return "grad(\(name()), \(name()), mode=\(random.pick(["\"forward\"", "\"reverse\"", "\"sideways\"", "1"])))"
            default: return "jvp(\(name()), \(name()), \(random.chance(0.7) ? number() : expression(depth: 1)))"
            }
        case 97: return deepExpression()
        default: return "\(name()).\(random.pick(["T", "shape", "grad", "bogus"]))"
        }
    }

    mutating func statement() -> String {
        switch random.below(6) {
        case 0, 1, 2: return definition()
        case 3: return "backward \(name())"
        case 4: return expression(depth: 2)
        default: return "%\(random.pick(["who", "runs", "record params", "help"]))"
        }
    }

    mutating func definition() -> String {
        let target = random.chance(0.03) ? random.pick(["exp", "param", "train", "sum", "x1y", "_", "αβ"]) : name()
        return "\(target) = \(expression(depth: 3))"
    }

    mutating func name() -> String {
        !defined.isEmpty && random.chance(0.93) ? random.pick(defined) : random.pick(Self.names)
    }

    mutating func training() -> String {
        let steps = random.chance(0.85) ? "\(1 + random.below(4))" : random.pick(["0", "-3", "2.5", "nan", "\"ten\"", "1e300"])
        let lr = random.chance(0.85) ? random.pick(["0.1", "0.01", "1e-3", "0.5"]) : random.pick(["0", "-1", "nan", "1e308", "inf"])
        var call = "train(\(random.chance(0.9) ? name() : expression(depth: 1)), steps=\(steps), lr=\(lr)"
        if random.chance(0.6) { call += ", optimizer=\"\(random.pick(["sgd", "momentum", "adam", "rmsprop"]))\"" }
        if random.chance(0.2) { call += ", \(random.pick(["momentum=0.5", "beta1=1", "eps=0", "weight_decay=0.1", "lr_end=0.001", "bogus=1"]))" }
        if random.chance(0.2) { call += ", checkpoint_every=\(random.pick(["1", "2", "7", "0", "-1", "x"]))" }
        return call + ")"
    }

    mutating func destructuring() -> String {
        let count = random.chance(0.9) ? "\(2 + random.below(30))" : random.pick(["0", "-5", "1e12", "nan"])
        let function = random.chance(0.5) ? "moons(\(count), noise=0.1, seed=\(random.below(9)))" : "blobs(\(count), centers=\(1 + random.below(4)), seed=\(random.below(9)))"
        let targets = random.chance(0.9) ? "\(name()), \(name())" : random.pick(["X", "X, y, z", "a, b"])
        return "\(targets) = \(function)"
    }

    mutating func cycle() -> String {
        let first = name(), second = name()
        return "\(first) = \(second) + 1\n\(second) = \(first) * 2"
    }

    mutating func magic() -> String {
        let magic = random.pick(Self.magics)
        switch magic {
        case "explain" where random.chance(0.3): return "%explain \(name()) --forward \(random.chance(0.9) ? name() : "")"
        case "explain", "graph": return "%\(magic) \(random.chance(0.2) ? "--dot " : "")\(random.chance(0.9) ? name() : "1 2")"
        case "plot":
            let queries = ["SELECT step, loss FROM train_steps", "SELECT step, name, grad_norm FROM param_history",
                           "SELECT run_id, loss, duration_ms FROM runs", "SELECT 1", "SELECT name, 1 FROM nodes",
                           "SELECT run_id, steps FROM runs WHERE 0", "SELEC oops", "", "DELETE FROM value",
                           "SELECT run_id, value FROM run_values", "SELECT step, 1e308 * 10 FROM train_steps"]
            let query = random.pick(queries)
            let logy = random.chance(0.3) ? "--logy " : ""
            return random.chance(0.2) ? "%%plot \(logy)\n\(query)" : "%plot \(logy)\(query)"
        case "sql":
            let queries = ["SELECT name, value, grad FROM run_values ORDER BY run_id DESC LIMIT 3",
                           "SELECT count(*) FROM runs", "SELECT * FROM nodes LIMIT 2", "SELEC oops",
                           "DELETE FROM value", "SELECT 1; UPDATE session SET notebook = 'x'",
                           "SELECT step, loss FROM train_steps LIMIT 2", "", "SELECT zeroblob(10)"]
            let query = random.pick(queries)
            return random.chance(0.2) ? "%%sql\n\(query)" : "%sql \(random.chance(0.1) ? "--write " : "")\(query)"
        case "record": return "%record \(random.pick(["all", "params", "scalars", "none", "everything", "", "params --checkpoint-every 3", "all --checkpoint-every 1", "params --checkpoint-every 0", "params --checkpoint-every x"]))"
        case "time": return "%time \(random.chance(0.5) ? "backward \(name())" : definition())"
        case "rerun": return "%rerun \(random.pick(["", "1", "2", "5", "17", "999", "-1", "x", "#3"]))"
        case "diff": return "%diff \(random.pick(["1 2", "2 5", "3 3", "1", "a b", "1 999"]))"
        case "history", "runs": return "%\(magic) \(random.pick(["", "3", "-1", "x"]))"
        case "help": return "%help \(random.pick(["", "exp", "train", "x", "nothing"]))"
        case "reset": return random.chance(0.3) ? "%reset" : "%who"
        default: return "%\(magic)"
        }
    }

    /// Bounded by `depth`: the generator's own recursion is under its control, never the input's.
    mutating func expression(depth: Int) -> String {
        if depth <= 0 || random.chance(0.3) { return atom() }
        switch random.below(10) {
        case 0, 1, 2:
            let op = random.pick(["+", "-", "*", "/", "@", "^", "**"])
            return "\(expression(depth: depth - 1)) \(op) \(expression(depth: depth - 1))"
        case 3: return "-\(expression(depth: depth - 1))"
        case 4: return "(\(expression(depth: depth - 1)))"
        case 5:
            let op = random.pick(Self.unaryOps)
            let keyword = random.chance(0.3) ? ", \(random.pick(["axis=0", "axis=1", "axis=-1", "axis=5", "keepdims=true", "axis=0, keepdims=1", "bogus=2"]))" : ""
            return "\(op)(\(expression(depth: depth - 1))\(keyword))"
        case 6:
            let op = random.pick(Self.binaryOps)
            let keyword = op == "concat" && random.chance(0.5) ? ", axis=\(random.below(3))" : ""
            if (op == "concat" || op == "stack") && random.chance(0.3) {
                // NumPy's spelling: the tensors as one list.
                return "\(op)([\(expression(depth: depth - 1)), \(expression(depth: depth - 1))]\(keyword))"
            }
            return "\(op)(\(expression(depth: depth - 1)), \(expression(depth: depth - 1))\(keyword))"
        case 7: return constructor()
        case 8: return index(expression(depth: depth - 1))
        default:
            return random.chance(0.5) ? "reshape(\(expression(depth: depth - 1)), \(shapeArguments()))" : "\(expression(depth: depth - 1)).\(random.pick(["T", "shape", "grad"]))"
        }
    }

    mutating func atom() -> String {
        switch random.below(10) {
        case 0, 1, 2, 3: return name()
        case 4, 5: return number()
        case 6: return "[\((0..<(1 + random.below(4))).map { _ in number() }.joined(separator: ", "))]"
        case 7:
            let columns = 1 + random.below(3)
            let rows = (0..<(1 + random.below(3))).map { _ in
                "[\((0..<(random.chance(0.9) ? columns : columns + 1)).map { _ in number() }.joined(separator: ", "))]"
            }
            return "[\(rows.joined(separator: ", "))]"
        case 8: return constructor()
        default: return random.pick(["\"s\"", "true", "false", "[]", "[[]]", "x.shape", "0/0", "1/0", "-0"])
        }
    }

    mutating func number() -> String {
        if random.chance(0.8) { return random.pick(["0", "1", "2", "3", "-1", "0.5", ".5", "2.5", "1e-3", "10", "-2", "7"]) }
        return random.pick(["1e308", "1e400", "-1e400", "1e-320", "4.9e-324", "1.7976931348623157e308", "9e15",
                            "1.2345678901234567e29", "0.1", "1e-300", "-0"])
    }

    mutating func constructor() -> String {
        let function = random.pick(Self.constructors)
        switch function {
        case "eye": return "eye(\(dimension()))"
        case "arange": return random.chance(0.7) ? "arange(\(dimension()))" : "arange(\(number()), \(number()), \(number()))"
        case "linspace": return "linspace(\(number()), \(number()), \(dimension()))"
        case "full": return "full(\(shapeArguments()), value=\(number()))"
        case "randn", "rand": return "\(function)(\(shapeArguments())\(random.chance(0.8) ? ", seed=\(random.below(5))" : ""))"
        default: return "\(function)(\(shapeArguments()))"
        }
    }

    /// Small dimensions, or ones no tensor may have (the element limit, negative, fractional,
    /// NaN), never sizes that are valid but expensive. Large numbers are written with an
    /// exponent so that deleting characters from them (`garbage`) cannot make a valid but huge
    /// size out of a long string of digits.
    mutating func dimension() -> String {
        random.chance(0.9) ? "\(1 + random.below(4))" : random.pick(["0", "-1", "2.5", "nan", "1e12", "1e300", "\"3\"", "1e11"])
    }

    mutating func shapeArguments() -> String {
        if random.chance(0.1) { return "[\(dimension()), \(dimension())]" }
        return (0..<(1 + random.below(3))).map { _ in dimension() }.joined(separator: ", ")
    }

    mutating func index(_ base: String) -> String {
        let component = { (random: inout FuzzRandom) -> String in
            random.pick(["0", "1", "-1", "5", ":", "1:", ":2", "0:1", "-2:", "2:1", "0.5", "nan", "x"])
        }
        let first = component(&random)
        return random.chance(0.5) ? "\(base)[\(first)]" : "\(base)[\(first), \(component(&random))]"
    }

    /// Long chains and deep nesting: the parser and evaluator must not recurse on them.
    mutating func deepExpression() -> String {
        let depth = 200 + random.below(3_000)
        switch random.below(3) {
        case 0: return "\(name()) = " + String(repeating: "(", count: depth) + "1" + String(repeating: ")", count: depth)
        case 1: return "\(name()) = " + (0..<depth).map { _ in name() }.joined(separator: " + ")
        default: return "\(name()) = " + String(repeating: "-", count: depth) + "1"
        }
    }

    mutating func garbage() -> String {
        switch random.below(5) {
        case 0:
            // A plausible cell, damaged: a span deleted, a byte inserted, or cut short.
            var characters = Array(cell())
            guard !characters.isEmpty else { return "(" }
            let at = random.below(characters.count)
            switch random.below(3) {
            case 0: characters.removeSubrange(at..<min(characters.count, at + 1 + random.below(4)))
            case 1: characters.insert(random.pick(Array("([{)]},;:=@#%\"\\.?!$`'\t\u{0}\u{7}é∑🙂")), at: at)
            default: characters.removeSubrange(at...)
            }
            return String(characters)
        case 1:
            let alphabet = Array("abxyzJ0123456789.e+-*/@^()[]{},;:=#%?! \t\n\"\\_")
            return String((0..<(1 + random.below(40))).map { _ in random.pick(alphabet) })
        case 2:
            return String(decoding: (0..<(1 + random.below(30))).map { _ in UInt8(truncatingIfNeeded: random.below(256)) }, as: UTF8.self)
        case 3:
            return random.pick(["\"unterminated", "x = [1, 2", "((((", "]]]", "x = = 1", "= 3", "backward", "%", "%%", "%%sql",
                                "x = 1 2", "1e", "x.", "x[", "f(,)", "train(", "a, = 1", ", b = 2", "\u{FEFF}x = 1",
                                "x = 1 # comment (", "# only a comment", "", " ", "\n\n", "\r\n", "x = \"a\\\"b\""])
        default:
            return "\(name()) = \(String(repeating: "x", count: 1 + random.below(300)))"
        }
    }
}

/// The same programs for the same seed on every machine: the bits of `randn`'s own generator.
struct FuzzRandom {
    private var generator: SeededGenerator

    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    mutating func next() -> UInt64 { generator.next() }

    mutating func below(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(next() % UInt64(bound)) }

    mutating func chance(_ probability: Double) -> Bool { Double(next() % 1_000_000) < probability * 1_000_000 }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}
