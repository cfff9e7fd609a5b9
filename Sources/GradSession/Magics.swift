import GradInterpreter
import GradLang
import GradStore
import GradTensor

/// The magics of SPEC §2. Each reads the interpreter or the store and shows something.
extension Session {
    public static let magicNames = ["sql", "plot", "explain", "graph", "runs", "who", "history", "record", "reset", "help", "time", "clear", "rerun", "diff"]

    func runMagic(_ name: String, argument: String, body: String?, span: SourceSpan, cell: inout CellRun) throws {
        switch name {
        case "sql":
            try sqlMagic(argument: argument, body: body, span: span, cell: &cell)
        case "plot":
            try plotMagic(argument: argument, body: body, span: span, cell: &cell)
        case "explain" where argument.split(separator: " ").contains("--forward"):
            try forwardExplainMagic(argument: argument, span: span, cell: &cell)
        case "explain":
            let target = try singleName(argument, magic: name, span: span)
            do {
                let explanation = try interpreter.explain(target)
                emit(.display(RichOutput(plain: explanation.text, html: Self.explanationHTML(explanation))), into: &cell)
            } catch {
                var diagnostic = error.diagnostic
                diagnostic.span = span
                throw RuntimeError(diagnostic: diagnostic)
            }
        case "graph":
            try graphMagic(argument: argument, span: span, cell: &cell)
        case "who":
            let result = whoTable()
            emit(.display(RichOutput(plain: result.rows.isEmpty ? "no nodes defined yet" : result.formatted(.table), html: result.rows.isEmpty ? nil : result.formatted(.html))), into: &cell)
        case "runs":
            let limit = Int(argument.trimmed) ?? 20
            let result = try store.query("""
                SELECT run_id, kind, target, step, loss, duration_ms, steps FROM runs WHERE session_id = ?1
                ORDER BY run_id DESC LIMIT ?2
                """, arguments: [.integer(sessionID), .integer(Int64(max(1, limit)))])
            let ordered = QueryResult(columns: result.columns, rows: result.rows.reversed())
            emit(.display(RichOutput(plain: ordered.rows.isEmpty ? "no runs yet" : ordered.formatted(.table), html: ordered.formatted(.html))), into: &cell)
        case "history":
            let count = Int(argument.trimmed) ?? 20
            let entries = try store.history(.tail(count: max(1, count)))
            let text = entries.map { entry in
                let label = "[\(entry.sessionID):\(entry.executionCount.map(String.init) ?? "-")]"
                return label + " " + entry.source.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n" + String(repeating: " ", count: label.count + 1))
            }.joined(separator: "\n")
            emit(.display(RichOutput(plain: text.isEmpty ? "no history yet" : text)), into: &cell)
        case "record":
            try recordMagic(argument: argument, span: span, cell: &cell)
        case "reset":
            reset()
            emit(.display(RichOutput(plain: "the graph is empty (the run history keeps everything)")), into: &cell)
        case "help":
            emit(.display(RichOutput(plain: argument.trimmed.isEmpty ? Help.text : (interpreter.inspect(argument.trimmed) ?? Help.text))), into: &cell)
        case "clear":
            emit(.clearOutput, into: &cell)
        case "time":
            try timeMagic(argument: body ?? argument, span: span, cell: &cell)
        case "rerun":
            try rerunMagic(argument: argument, span: span, cell: &cell)
        case "diff":
            try diffMagic(argument: argument, span: span, cell: &cell)
        default:
            let suggestion = NameSuggestion.nearest(to: name, among: Self.magicNames)
            throw RuntimeError.session("unknown magic %\(name)", at: span, fixIt: suggestion.map { "did you mean %\($0)?" } ?? "see %help")
        }
    }

    /// `%record [all|params|scalars|none] [--checkpoint-every K]`: what runs store from now on.
    private func recordMagic(argument: String, span: SourceSpan, cell: inout CellRun) throws {
        var words = argument.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        var policy = recordPolicy
        var interval = checkpointEvery
        let usage = "%record [all|params|scalars|none] [--checkpoint-every K]"
        while !words.isEmpty {
            let word = words.removeFirst()
            if word == "--checkpoint-every" || word.hasPrefix("--checkpoint-every=") {
                let text = word.hasPrefix("--checkpoint-every=") ? String(word.dropFirst("--checkpoint-every=".count))
                    : (words.isEmpty ? "" : words.removeFirst())
                guard let parsed = Int(text), parsed >= 1 else {
                    throw RuntimeError.session("%record --checkpoint-every takes a whole number of steps of at least 1, not '\(text)'", at: span,
                                               fixIt: "e.g. %record params --checkpoint-every 50")
                }
                interval = parsed
            } else if let named = RecordPolicy(rawValue: word) {
                policy = named
            } else {
                throw RuntimeError.session("%record takes all, params, scalars or none, not '\(word)'", at: span, fixIt: "usage: \(usage)")
            }
        }
        recordPolicy = policy
        checkpointEvery = interval
        let checkpoints = policy.keepsCheckpoints
            ? "train() stores checkpoints at its first step, every \(interval == 1 ? "step" : "\(interval) steps") and its last"
            : "train() keeps no checkpoints under this policy"
        emit(.display(RichOutput(plain: "%record \(policy.rawValue) --checkpoint-every \(interval)\n\(checkpoints)")), into: &cell)
    }

    func singleName(_ argument: String, magic: String, span: SourceSpan) throws -> String {
        let name = argument.trimmed
        guard !name.isEmpty, !name.contains(" ") else {
            throw RuntimeError.session("%\(magic) takes one node name", at: span, fixIt: "e.g. %\(magic) J")
        }
        guard interpreter.nodeOfName[name] != nil else {
            let suggestion = NameSuggestion.nearest(to: name, among: interpreter.definitionOrder)
            throw RuntimeError.session("%\(magic): unknown name '\(name)'", at: span, fixIt: suggestion.map { "did you mean '\($0)'?" })
        }
        return name
    }

    /// The query with `:session` standing for this session's id, so that a notebook recording
    /// into a history many sessions share (a class's server) queries its own runs:
    /// `WHERE session_id = :session`.
    func withThisSession(_ sql: String) -> String {
        SQLText.rewritingParameters(sql) { parameter in
            parameter == .named("session") ? String(sessionID) : nil
        }
    }

    private func sqlMagic(argument: String, body: String?, span: SourceSpan, cell: inout CellRun) throws {
        var words = argument.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true).map(String.init)
        var allowWrites = false
        if words.first == "--write" {
            allowWrites = true
            words.removeFirst()
        }
        let sql = body ?? words.joined(separator: " ")
        guard !sql.trimmed.isEmpty else {
            throw RuntimeError.session("%sql needs a query", at: span, fixIt: "e.g. %sql SELECT name, value, grad FROM run_values LIMIT 5")
        }
        let result: QueryResult
        do {
            result = try store.query(withThisSession(sql), allowWrites: allowWrites)
        } catch {
            throw RuntimeError.session("SQL error: \(error)", at: span)
        }
        if result.columns.isEmpty {
            emit(.display(RichOutput(plain: "ok")), into: &cell)
        } else {
            emit(.display(RichOutput(plain: result.formatted(.table), html: result.formatted(.html))), into: &cell)
        }
    }

    private func graphMagic(argument: String, span: SourceSpan, cell: inout CellRun) throws {
        var words = argument.split(separator: " ").map(String.init)
        let wantsDOT = words.first == "--dot"
        if wantsDOT { words.removeFirst() }
        let name = try singleName(words.joined(separator: " "), magic: "graph", span: span)
        guard let text = interpreter.graphText(of: name), let dot = interpreter.graphDOT(of: name) else { return }
        if wantsDOT {
            emit(.display(RichOutput(plain: dot)), into: &cell)
            return
        }
        let svg = renderSVG(dot)
        let plain = prefersRichOutput && svg == nil ? dot : text
        emit(.display(RichOutput(plain: plain, svg: svg)), into: &cell)
    }

    private func timeMagic(argument: String, span: SourceSpan, cell: inout CellRun) throws {
        let source = argument.trimmed
        guard !source.isEmpty else { throw RuntimeError.session("%time needs a statement", at: span, fixIt: "e.g. %time backward J") }
        let syntax = Parser.parse(source)
        if let diagnostic = syntax.diagnostics.first(where: { $0.severity == .error }) {
            throw RuntimeError.session("%time: \(diagnostic.message)", at: span)
        }
        let started = Clock.now()
        let stepsBefore = stepsCounted
        let lastExpression = syntax.statements.lastIndex { if case .expression = $0.kind { true } else { false } }
        for (index, statement) in syntax.statements.enumerated() {
            do {
                try executeStatement(statement, in: syntax, isLast: index == lastExpression, cell: &cell)
            } catch let error as RuntimeError {
                // Positions inside the %time argument mean nothing in the cell: point at the magic.
                throw RuntimeError.session("%time: \(error.diagnostic.message)", at: span, fixIt: error.diagnostic.fixIt)
            }
        }
        let elapsed = Clock.now() - started
        let steps = stepsCounted - stepsBefore
        emit(.stdout("Wall time: \(Self.formatDuration(elapsed)), \(CountText.grouped(steps)) step\(steps == 1 ? "" : "s")\n"), into: &cell)
    }

    static func formatDuration(_ seconds: Double) -> String {
        if seconds < 1e-3 { return "\(formatScalar((seconds * 1e6 * 10).rounded() / 10)) µs" }
        if seconds < 1 { return "\(formatScalar((seconds * 1e3 * 100).rounded() / 100)) ms" }
        return "\(formatScalar((seconds * 1000).rounded() / 1000)) s"
    }

    func whoTable() -> QueryResult {
        let rows: [[SQLValue]] = interpreter.summaries.map { node in
            [.text(node.name), .text(node.op), .text(formatShape(node.shape)), .text(node.isParam ? "yes" : "no"),
             .text(node.expression.isEmpty ? Self.display(node.value) : node.expression),
             .text(node.gradient.map(Self.compactGradient) ?? "-")]
        }
        return QueryResult(columns: ["name", "op", "shape", "param", "definition", "grad"], rows: rows)
    }

    /// A gradient in one table cell: small tensors in full, larger ones by their L2 norm.
    static func compactGradient(_ gradient: Tensor) -> String {
        if gradient.count <= 6 {
            return display(gradient).split(separator: "\n").map { $0.trimmingPrefix(while: \.isWhitespace) }.joined(separator: " ")
        }
        let norm = gradient.scalars.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return "norm \(formatScalar(norm)), shape \(formatShape(gradient.shape))"
    }

    static func explanationHTML(_ explanation: Explanation) -> String { ExplanationHTML.render(explanation) }

    static func escapeHTML(_ text: String) -> String { HTMLText.escaped(text) }
}

extension String {
    var trimmed: String {
        var slice = self[...]
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}
