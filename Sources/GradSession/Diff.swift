import GradInterpreter
import GradLang
import GradStore
import GradTensor

/// What changed between two stored runs: their graphs by name, and the values and gradients
/// that moved most (`gradbook diff`, `%diff`).
public struct RunDiffReport: Sendable {
    public enum Change: String, Sendable {
        case added, removed, redefined
    }

    /// A name whose definition differs between the runs.
    public struct NodeChange: Sendable, Equatable {
        public var change: Change
        public var name: String
        /// The definition in run A (nil when added) and in run B (nil when removed), as written.
        public var before: String?
        public var after: String?
    }

    /// A value or gradient stored by both runs that is not the same in both.
    public struct Movement: Sendable, Equatable {
        public var name: String
        public var before: String
        public var after: String
        /// How far it moved: |b - a| for scalars, the L2 norm of b - a for tensors stored in
        /// full in both runs, and the change of the L2 norm where either is a summary. +inf
        /// when it became (or stopped being) NaN, or changed shape.
        public var distance: Double
        /// How `distance` was measured: `|Δ|`, `‖Δ‖` or `Δ‖·‖`.
        public var measure: String
    }

    public var runA: RunRecord
    public var runB: RunRecord
    public var nodeChanges: [NodeChange]
    /// Most moved first, at most the limit asked for.
    public var values: [Movement]
    public var gradients: [Movement]
    /// How many moved in all (the lists above may be cut).
    public var movedValueCount: Int
    public var movedGradientCount: Int

    public var nodeTable: QueryResult {
        QueryResult(columns: ["change", "name", "run \(runA.id ?? 0)", "run \(runB.id ?? 0)"], rows: nodeChanges.map { change in
            [.text(change.change.rawValue), .text(change.name), change.before.map(SQLValue.text) ?? .null, change.after.map(SQLValue.text) ?? .null]
        })
    }

    public func movementTable(_ movements: [Movement]) -> QueryResult {
        QueryResult(columns: ["name", "run \(runA.id ?? 0)", "run \(runB.id ?? 0)", "moved"], rows: movements.map { movement in
            [.text(movement.name), .text(movement.before), .text(movement.after), .text("\(movement.measure) \(formatScalar(movement.distance))")]
        })
    }

    /// What `gradbook diff` and `%diff` print.
    public var text: String { render(.table) }

    /// The same as HTML tables, for Jupyter.
    public var html: String { render(.html) }

    private func render(_ format: QueryFormat) -> String {
        let html = format == .html
        func heading(_ text: String) -> String { html ? "<p><b>\(Session.escapeHTML(text))</b></p>" : text }
        var parts = [heading("run \(runA.id ?? 0) (\(RunDiffer.describe(runA))) → run \(runB.id ?? 0) (\(RunDiffer.describe(runB)))")]
        let counts = [Change.added, .removed, .redefined].map { kind in "\(nodeChanges.filter { $0.change == kind }.count) \(kind.rawValue)" }
        if nodeChanges.isEmpty {
            parts.append(heading("nodes: the same definitions"))
        } else {
            parts.append(heading("nodes: " + counts.joined(separator: ", ")))
            parts.append(nodeTable.formatted(format))
        }
        for (label, movements, total) in [("values", values, movedValueCount), ("gradients", gradients, movedGradientCount)] {
            if movements.isEmpty {
                parts.append(heading("\(label): none stored by both runs moved"))
            } else {
                let cut = total > movements.count ? " (the \(movements.count) that moved most of \(total))" : ""
                parts.append(heading("\(label) that moved most\(cut):"))
                parts.append(movementTable(movements).formatted(format))
            }
        }
        return parts.map { $0.hasSuffix("\n") ? String($0.dropLast()) : $0 }.joined(separator: "\n")
    }
}

public enum RunDiffer {
    /// Compares run `a` with run `b`; `limit` caps each list of movements.
    public static func diff(_ a: Int64, _ b: Int64, store: RunStore, limit: Int = 10) throws -> RunDiffReport {
        let left = try RunGraph.load(a, from: store)
        let right = try RunGraph.load(b, from: store)
        let values = movements(left, right, gradients: false)
        let gradients = movements(left, right, gradients: true)
        let cap = max(limit, 0)
        return RunDiffReport(runA: left.run, runB: right.run, nodeChanges: nodeChanges(left, right),
                             values: Array(values.prefix(cap)), gradients: Array(gradients.prefix(cap)),
                             movedValueCount: values.count, movedGradientCount: gradients.count)
    }

    static func describe(_ run: RunRecord) -> String {
        var text = Replayer.describe(run)
        if let loss = run.loss { text += ", loss \(formatScalar(loss))" }
        if let original = run.replayOf { text += ", replay of run \(original)" }
        return text
    }

    // MARK: graphs

    private static func nodeChanges(_ left: RunGraph, _ right: RunGraph) -> [RunDiffReport.NodeChange] {
        var changes: [RunDiffReport.NodeChange] = []
        for name in left.order where right.definitions[name] == nil {
            changes.append(.init(change: .removed, name: name, before: left.definitions[name].map(definitionText), after: nil))
        }
        for name in right.order {
            guard let after = right.definitions[name] else { continue }
            guard let before = left.definitions[name] else {
                changes.append(.init(change: .added, name: name, before: nil, after: definitionText(after)))
                continue
            }
            guard isRedefinition(before, after) else { continue }
            var beforeText = definitionText(before), afterText = definitionText(after)
            if beforeText == afterText {
                beforeText += " (node \(before.id ?? 0))"
                afterText += " (node \(after.id ?? 0), \(before.op != after.op ? "op \(after.op)" : "another value"))"
            }
            changes.append(.init(change: .redefined, name: name, before: beforeText, after: afterText))
        }
        return changes
    }

    /// Two definitions of a name differ when what they compute can differ: not the same row,
    /// and another op, input list, expression, attributes or leaf value.
    static func isRedefinition(_ before: NodeRecord, _ after: NodeRecord) -> Bool {
        guard before.id != after.id else { return false }
        if before.op != after.op || before.inputs != after.inputs || before.expr != after.expr
            || before.isParam != after.isParam || before.attributesJSON != after.attributesJSON {
            return true
        }
        switch (before.leafValue, after.leafValue) {
        case let (l?, r?): return l.count != r.count || zip(l, r).contains { $0.bitPattern != $1.bitPattern }
        case (nil, nil): return false
        default: return true
        }
    }

    private static func definitionText(_ node: NodeRecord) -> String {
        if let expr = node.expr, !expr.isEmpty { return expr }
        if let leaf = node.leafValue, let tensor = try? Tensor(shape: node.shape, scalars: leaf) {
            let text = tensor.description
            return text.contains("\n") ? "a \(formatShape(node.shape)) tensor" : text
        }
        return "(\(node.op))"
    }

    // MARK: values

    private static func movements(_ left: RunGraph, _ right: RunGraph, gradients: Bool) -> [RunDiffReport.Movement] {
        let leftByName = stored(left, gradients: gradients)
        let rightByName = stored(right, gradients: gradients)
        var result: [RunDiffReport.Movement] = []
        for name in right.order {
            guard let before = leftByName[name], let after = rightByName[name],
                  let movement = movement(of: name, before, after) else { continue }
            result.append(movement)
        }
        // Largest first; a tie keeps graph order so the output is stable.
        return result.enumerated().sorted { lhs, rhs in
            lhs.element.distance != rhs.element.distance ? lhs.element.distance > rhs.element.distance : lhs.offset < rhs.offset
        }.map(\.element)
    }

    private static func stored(_ graph: RunGraph, gradients: Bool) -> [String: (shape: [Int], data: TensorData)] {
        var result: [String: (shape: [Int], data: TensorData)] = [:]
        for node in graph.snapshot.nodes {
            guard let id = node.id, let record = graph.snapshot.values[id],
                  let data = gradients ? record.grad : record.value else { continue }
            result[node.name] = (record.shape, data)
        }
        return result
    }

    private static func movement(of name: String, _ before: (shape: [Int], data: TensorData),
                                 _ after: (shape: [Int], data: TensorData)) -> RunDiffReport.Movement? {
        if before.shape != after.shape {
            return .init(name: name, before: "shape \(formatShape(before.shape))", after: "shape \(formatShape(after.shape))",
                         distance: .infinity, measure: "shape")
        }
        switch (before.data, after.data) {
        case let (.full(l), .full(r)) where l.count == r.count:
            if before.shape.isEmpty, let a = l.first, let b = r.first {
                guard !BitComparison.same(a, b) else { return nil }
                return .init(name: name, before: formatScalar(a), after: formatScalar(b), distance: gap(a, b), measure: "|Δ|")
            }
            guard zip(l, r).contains(where: { !BitComparison.same($0, $1) }) else { return nil }
            let distance = zip(l, r).map { $0 - $1 }.withUnsafeBufferPointer { TensorSummary(summarizing: $0).l2 }
            return .init(name: name, before: "‖·‖ \(formatScalar(norm(l)))", after: "‖·‖ \(formatScalar(norm(r)))",
                         distance: distance.isNaN ? .infinity : distance, measure: "‖Δ‖")
        default:
            let a = summary(before.data).l2, b = summary(after.data).l2
            guard !BitComparison.same(a, b) || !sameSummary(before.data, after.data) else { return nil }
            return .init(name: name, before: "‖·‖ \(formatScalar(a))", after: "‖·‖ \(formatScalar(b))", distance: gap(a, b), measure: "Δ‖·‖")
        }
    }

    private static func gap(_ a: Double, _ b: Double) -> Double {
        let distance = abs(b - a)
        return distance.isNaN ? .infinity : distance
    }

    private static func norm(_ elements: [Double]) -> Double { TensorSummary(summarizing: elements).l2 }

    private static func summary(_ data: TensorData) -> TensorSummary {
        switch data {
        case .full(let elements): return TensorSummary(summarizing: elements)
        case .summary(let summary): return summary
        }
    }

    private static func sameSummary(_ left: TensorData, _ right: TensorData) -> Bool {
        BitComparison.difference(stored: summary(left), replayed: summary(right)) == nil
    }
}

extension Session {
    /// `%diff A B`.
    func diffMagic(argument: String, span: SourceSpan, cell: inout CellRun) throws {
        let words = argument.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { String($0.hasPrefix("#") ? $0.dropFirst() : $0[...]) }
        guard words.count == 2, let a = Int64(words[0]), let b = Int64(words[1]), a > 0, b > 0 else {
            throw RuntimeError.session("%diff takes two run ids", at: span, fixIt: "e.g. %diff 3 7 (see %runs)")
        }
        let report: RunDiffReport
        do {
            report = try RunDiffer.diff(a, b, store: store)
        } catch {
            throw RuntimeError.session("%diff: \(error)", at: span)
        }
        emit(.display(RichOutput(plain: report.text, html: report.html)), into: &cell)
    }
}
