import GradLang
import GradStore

/// The node definitions a stored run used, by name, in the order the session's graph held
/// them: what replay rebuilds and diff compares.
///
/// A backward run lists only the nodes its gradient reached, so an input it did not reach
/// (class labels of `cross_entropy`, a `.shape`, an index in `backward w[i]`) is missing from
/// its graph. Such names are taken from the session's history: the definition that was live
/// when the run was recorded.
struct RunGraph {
    let snapshot: RunSnapshot
    /// One definition per name: the run's own, plus the completed ones.
    let definitions: [String: NodeRecord]
    /// Names the run's graph does not list, resolved from the session's history.
    let completedFromHistory: [String]
    /// Every name of `definitions`, each after its inputs.
    let order: [String]

    var run: RunRecord { snapshot.run }

    static func load(_ runID: Int64, from store: RunStore) throws -> RunGraph {
        let snapshot: RunSnapshot
        do {
            snapshot = try store.snapshot(ofRun: runID)
        } catch StoreError.notFound {
            throw RunHistoryError.noSuchRun(runID)
        }
        var definitions: [String: NodeRecord] = [:]
        for node in snapshot.nodes { definitions[node.name] = node }
        let history = try SessionDefinitions.live(at: snapshot.run, in: store)

        var completed: [String] = []
        var pending = snapshot.nodes.flatMap(\.inputs) + names(mentionedBy: snapshot.run.target)
        while let name = pending.popLast() {
            guard definitions[name] == nil else { continue }
            guard let nodeID = history.latest[name], let node = try store.node(nodeID) else {
                throw RunHistoryError.missingDefinition(run: runID, name: name)
            }
            definitions[name] = node
            completed.append(name)
            pending.append(contentsOf: node.inputs)
        }
        let order = try topologicalOrder(of: definitions, firstDefinition: history.first, runID: runID)
        return RunGraph(snapshot: snapshot, definitions: definitions, completedFromHistory: completed.sorted(), order: order)
    }

    /// The names a run's target expression mentions (`backward J`, `backward sum(w[i])`).
    static func names(mentionedBy target: String?) -> [String] {
        guard let target, !target.isEmpty else { return [] }
        let syntax = Parser.parse(target)
        guard !syntax.hasErrors else { return [] }
        return syntax.expressions.compactMap { expression in
            if case .name(let name) = expression.kind { return name }
            return nil
        }
    }

    /// Inputs before their consumers; among names free to go next, the one first defined
    /// earlier in the session goes first. That is the order in which the interpreter builds
    /// (and rebuilds) its graph, so a rebuilt graph adds up a node's incoming gradients in
    /// the original order: floating-point sums of three or more terms depend on it.
    private static func topologicalOrder(of definitions: [String: NodeRecord], firstDefinition: [String: Int64],
                                         runID: Int64) throws -> [String] {
        let starts = definitions.keys.sorted { left, right in
            let l = firstDefinition[left] ?? definitions[left]?.id ?? .max
            let r = firstDefinition[right] ?? definitions[right]?.id ?? .max
            return l != r ? l < r : left < right
        }
        var order: [String] = []
        order.reserveCapacity(definitions.count)
        var emitted = Set<String>()
        var onStack = Set<String>()
        for start in starts where !emitted.contains(start) {
            var stack: [(name: String, next: Int)] = [(start, 0)]
            onStack.insert(start)
            while let top = stack.last {
                let inputs = definitions[top.name]?.inputs ?? []
                if top.next < inputs.count {
                    stack[stack.count - 1].next += 1
                    let input = inputs[top.next]
                    guard !emitted.contains(input), definitions[input] != nil else { continue }
                    guard onStack.insert(input).inserted else {
                        throw RunHistoryError.cyclicGraph(run: runID, name: input)
                    }
                    stack.append((input, 0))
                } else {
                    stack.removeLast()
                    onStack.remove(top.name)
                    emitted.insert(top.name)
                    order.append(top.name)
                }
            }
        }
        return order
    }
}

/// What the session that recorded a run had defined when it recorded it.
struct SessionDefinitions {
    /// The live definition (node id) of each name.
    var latest: [String: Int64] = [:]
    /// Each name's first definition (node id) since the session's last `%reset`: the
    /// interpreter's definition order.
    var first: [String: Int64] = [:]

    /// Every definition is recorded with a forward run in the same transaction, and run ids
    /// are one sequence: a definition came before run N exactly when a forward run older than
    /// N used it. (Times and cell ids cannot order a run and a definition of the same cell
    /// recorded in the same millisecond.)
    static func live(at run: RunRecord, in store: RunStore) throws -> SessionDefinitions {
        guard let runID = run.id else { return SessionDefinitions() }
        let session: SQLValue = .integer(run.sessionID)
        let earlier = Set(try store.query("""
            SELECT DISTINCT g.node_id FROM run AS r JOIN graph_node AS g ON g.graph_id = r.graph_id
            WHERE r.session_id = ?1 AND r.id < ?2 AND r.kind = 'forward'
            """, arguments: [session, .integer(runID)], allowWrites: false).rows.compactMap { $0.first?.integerValue })
        let resetCell = try store.query("""
            SELECT max(id) FROM cell
            WHERE session_id = ?1 AND (CAST(?2 AS BIGINT) IS NULL OR id < ?2) AND source LIKE '%\\%reset%' ESCAPE '\\'
            """, arguments: [session, run.cellID.map { .integer($0) } ?? .null], allowWrites: false)
            .rows.first?.first?.integerValue ?? 0
        let rows = try store.query("SELECT id, name, cell_id > ?2 FROM node WHERE session_id = ?1 ORDER BY id",
                                   arguments: [session, .integer(resetCell)], allowWrites: false).rows
        var definitions = SessionDefinitions()
        for row in rows {
            guard row.count == 3, let id = row[0].integerValue, earlier.contains(id), let name = row[1].textValue else { continue }
            definitions.latest[name] = id
            if row[2].integerValue == 1 && definitions.first[name] == nil { definitions.first[name] = id }
        }
        return definitions
    }
}

/// Why a stored run cannot be rebuilt or compared.
public enum RunHistoryError: Error, CustomStringConvertible, Sendable, Equatable {
    case noSuchRun(Int64)
    case missingDefinition(run: Int64, name: String)
    case cyclicGraph(run: Int64, name: String)

    public var description: String {
        switch self {
        case .noSuchRun(let runID):
            return "there is no run \(runID) in this database (see %runs or: SELECT run_id, kind, target FROM runs)"
        case let .missingDefinition(run, name):
            return "run \(run) uses '\(name)', but the database has no definition of it from before that run"
        case let .cyclicGraph(run, name):
            return "the stored graph of run \(run) is cyclic at '\(name)': the database was modified by hand"
        }
    }
}
