import Foundation

/// A stored run with everything replay needs: the node definitions of its graph and the
/// values it recorded.
public struct RunSnapshot: Sendable {
    public var run: RunRecord
    /// The definitions the run used, by node id. Node ids are NOT a topological order (an input
    /// redefined after its consumer has the larger id): order them by `inputs`.
    public var nodes: [NodeRecord]
    /// What the run recorded, by node id.
    public var values: [Int64: ValueRecord]

    /// The value a leaf had in this run, exactly: the run's full record of it, else (for a
    /// non-param leaf, which nothing changes) its value at definition. nil when not stored.
    public func leafValue(of node: NodeRecord) -> [Double]? {
        if let id = node.id, let elements = values[id]?.value?.elements { return elements }
        return node.isParam ? nil : node.leafValue
    }

    /// Leaves (nodes without inputs) whose value in this run is not stored in full: a replay
    /// cannot rebuild the run until they are recorded (`%record all`, or `params` for small ones).
    public var leavesNotStoredInFull: [NodeRecord] {
        nodes.filter { $0.inputs.isEmpty && leafValue(of: $0) == nil }
    }
}

extension RunStore {
    // MARK: history

    public func history(_ request: HistoryQuery) throws -> [HistoryEntry] {
        let columns = "id, session_id, execution_count, source, status"
        let rows: [[SQLValue]]
        switch request {
        case let .tail(count, unique):
            let source = unique ? "cell WHERE id IN (SELECT max(id) FROM cell GROUP BY source)" : "cell"
            rows = try connection.statement("SELECT \(columns) FROM \(source) ORDER BY id DESC LIMIT ?1")
                .rows([.integer(Int64(max(count, 0)))]).reversed()
        case let .range(sessionID, start, stop):
            rows = try connection.statement("""
                SELECT \(columns) FROM cell
                WHERE session_id = ?1 AND execution_count >= ?2 AND (CAST(?3 AS BIGINT) IS NULL OR execution_count < ?3)
                ORDER BY execution_count, id
                """).rows([.integer(sessionID), .integer(Int64(start)), stop.map { .integer(Int64($0)) } ?? .null])
        case let .search(pattern, count, unique):
            let matches = connection.dialect.globCondition(column: "source", parameter: 1)
            let source = unique
                ? "cell WHERE id IN (SELECT max(id) FROM cell WHERE \(matches) GROUP BY source)"
                : "cell WHERE \(matches)"
            rows = try connection.statement("SELECT \(columns) FROM \(source) ORDER BY id DESC LIMIT ?2")
                .rows([connection.dialect.globArgument(pattern), .integer(Int64(max(count, 0)))]).reversed()
        }
        return rows.map { row in
            HistoryEntry(cellID: row[0].integerValue ?? 0, sessionID: row[1].integerValue ?? 0,
                         executionCount: row[2].integerValue.map { Int($0) }, source: row[3].textValue ?? "",
                         status: row[4].textValue.flatMap(CellStatus.init(rawValue:)))
        }
    }

    // MARK: the query surface

    /// Every view (the public query surface) with its columns in order, read from the
    /// database's own catalog.
    public func viewColumns() throws -> [(view: String, columns: [String])] {
        var views: [(view: String, columns: [String])] = []
        for row in try connection.statement(connection.dialect.viewColumnsQuery).rows() {
            guard let view = row[0].textValue, let column = row[1].textValue else { continue }
            if views.last?.view == view {
                views[views.count - 1].columns.append(column)
            } else {
                views.append((view, [column]))
            }
        }
        return views
    }

    // MARK: sessions

    public func session(_ sessionID: Int64) throws -> SessionRecord? {
        let rows = try connection.statement(
            "SELECT id, kind, notebook, started_at, ended_at FROM session WHERE id = ?1").rows([.integer(sessionID)])
        guard let row = rows.first else { return nil }
        return SessionRecord(id: row[0].integerValue ?? 0,
                             kind: row[1].textValue.flatMap(SessionKind.init(rawValue:)) ?? .batch,
                             notebook: row[2].textValue,
                             startedAt: row[3].textValue.flatMap(Timestamp.date(from:)) ?? Date(timeIntervalSince1970: 0),
                             endedAt: row[4].textValue.flatMap(Timestamp.date(from:)))
    }

    // MARK: runs

    private static let runColumns = """
        r.id, r.session_id, r.cell_id, r.kind, r.target, r.target_node_id, r.step, r.loss, r.started_at,
        r.duration_ms, r.train_id, r.replay_of, r.record_policy, r.graph_id, t.optimizer, r.steps
        """

    /// The latest `limit` runs, oldest first; of one session when `sessionID` is given.
    public func runs(sessionID: Int64?, limit: Int) throws -> [RunRecord] {
        let rows = try connection.statement("""
            SELECT \(RunStore.runColumns) FROM run AS r LEFT JOIN train AS t ON t.id = r.train_id
            WHERE CAST(?1 AS BIGINT) IS NULL OR r.session_id = ?1 ORDER BY r.id DESC LIMIT ?2
            """).rows([sessionID.map { .integer($0) } ?? .null, .integer(Int64(max(limit, 0)))])
        return rows.reversed().map(RunStore.runRecord)
    }

    public func run(_ runID: Int64) throws -> RunRecord? {
        let rows = try connection.statement("""
            SELECT \(RunStore.runColumns) FROM run AS r LEFT JOIN train AS t ON t.id = r.train_id WHERE r.id = ?1
            """).rows([.integer(runID)])
        return rows.first.map(RunStore.runRecord)
    }

    private static func runRecord(_ row: [SQLValue]) -> RunRecord {
        RunRecord(id: row[0].integerValue, sessionID: row[1].integerValue ?? 0, cellID: row[2].integerValue,
                  kind: row[3].textValue.flatMap(RunKind.init(rawValue:)) ?? .forward,
                  target: row[4].textValue, targetNodeID: row[5].integerValue,
                  step: row[6].integerValue.map { Int(clamping: $0) }, loss: row[7].doubleValue,
                  startedAt: row[8].textValue.flatMap(Timestamp.date(from:)) ?? Date(timeIntervalSince1970: 0),
                  durationMs: row[9].doubleValue, trainID: row[10].integerValue, replayOf: row[11].integerValue,
                  recordPolicy: row[12].textValue.flatMap(RecordPolicy.init(rawValue:)),
                  graphID: row[13].integerValue, optimizerJSON: row[14].textValue,
                  steps: row[15].integerValue.map { Int(clamping: $0) })
    }

    // MARK: nodes

    private static let nodeColumns = """
        n.id, n.session_id, n.cell_id, n.name, n.op, n.inputs, n.shape, n.is_param, n.expr, n.attributes,
        n.leaf_value, n.defined_at
        """

    public func node(_ nodeID: Int64) throws -> NodeRecord? {
        let rows = try connection.statement("SELECT \(RunStore.nodeColumns) FROM node AS n WHERE n.id = ?1")
            .rows([.integer(nodeID)])
        return try rows.first.map(RunStore.nodeRecord)
    }

    /// The node definitions a run used, by node id.
    public func nodes(ofRun runID: Int64) throws -> [NodeRecord] {
        try connection.statement("""
            SELECT \(RunStore.nodeColumns) FROM run AS r
            JOIN graph_node AS g ON g.graph_id = r.graph_id
            JOIN node AS n ON n.id = g.node_id
            WHERE r.id = ?1 ORDER BY n.id
            """).rows([.integer(runID)]).map(RunStore.nodeRecord)
    }

    /// Every definition of a session's nodes in definition order (redefinitions included).
    public func nodes(ofSession sessionID: Int64) throws -> [NodeRecord] {
        try connection.statement("SELECT \(RunStore.nodeColumns) FROM node AS n WHERE n.session_id = ?1 ORDER BY n.id")
            .rows([.integer(sessionID)]).map(RunStore.nodeRecord)
    }

    private static func nodeRecord(_ row: [SQLValue]) throws -> NodeRecord {
        let shape = try decodeIntegers(row[6].textValue ?? "[]")
        var leaf: [Double]?
        if let bytes = row[10].blobValue {
            guard let decoded = Float64Bytes.decode(bytes) else {
                throw StoreError.invalidRecord("node \(row[0].integerValue ?? 0): leaf value is not float64 data")
            }
            leaf = decoded
        }
        return NodeRecord(id: row[0].integerValue, sessionID: row[1].integerValue ?? 0, cellID: row[2].integerValue,
                          name: row[3].textValue ?? "", op: row[4].textValue ?? "",
                          inputs: try decodeStrings(row[5].textValue ?? "[]"), shape: shape,
                          isParam: row[7].integerValue == 1, expr: row[8].textValue, attributesJSON: row[9].textValue,
                          leafValue: leaf,
                          definedAt: row[11].textValue.flatMap(Timestamp.date(from:)) ?? Date(timeIntervalSince1970: 0))
    }

    // MARK: values

    /// What a run recorded, in node id order. Full tensors come from the exact float64 bytes;
    /// scalars from their exact JSON text (which, unlike a REAL, keeps -0 and NaN).
    public func values(ofRun runID: Int64) throws -> [ValueRecord] {
        let statement = try connection.statement("""
            SELECT v.node_id, n.name, v.shape, v.numel, v.value_storage, v.grad_storage,
                   v.value, v.value_json, vt.data, v.value_min, v.value_max, v.value_mean, v.value_l2,
                   v.grad, v.grad_json, gt.data, v.grad_min, v.grad_max, v.grad_mean, v.grad_l2
            FROM \(connection.dialect.rowsOf("value")) AS v
            JOIN node AS n ON n.id = v.node_id
            LEFT JOIN tensor AS vt ON vt.id = v.value_tensor_id
            LEFT JOIN tensor AS gt ON gt.id = v.grad_tensor_id
            WHERE v.run_id = ?1 ORDER BY v.node_id
            """)
        var records: [ValueRecord] = []
        for row in try statement.rows([.integer(runID)]) {
            let nodeID = row[0].integerValue ?? 0
            let shape = try RunStore.decodeIntegers(row[2].textValue ?? "[]")
            let numel = Int(clamping: row[3].integerValue ?? 0)
            func tensor(storage: SQLValue, first: Int) throws -> TensorData? {
                switch storage.integerValue {
                case 2?:
                    if shape.isEmpty {
                        return .full([try RunStore.decodeScalar(json: row[first + 1], real: row[first])])
                    }
                    guard let bytes = row[first + 2].blobValue, let elements = Float64Bytes.decode(bytes),
                          elements.count == numel else {
                        throw StoreError.invalidRecord("run \(runID), node \(nodeID): stored tensor does not match shape \(shape)")
                    }
                    return .full(elements)
                case 1?:
                    return .summary(TensorSummary(numel: numel, min: row[first + 3].doubleValue,
                                                  max: row[first + 4].doubleValue, mean: row[first + 5].doubleValue,
                                                  l2: row[first + 6].doubleValue ?? .nan))
                default:
                    return nil
                }
            }
            records.append(ValueRecord(nodeID: nodeID, shape: shape,
                                       value: try tensor(storage: row[4], first: 6),
                                       grad: try tensor(storage: row[5], first: 13),
                                       name: row[1].textValue))
        }
        return records
    }

    /// A run with its graph and values, for replay and diff.
    public func snapshot(ofRun runID: Int64) throws -> RunSnapshot {
        guard let run = try run(runID) else { throw StoreError.notFound("no run \(runID) in \(location)") }
        let values = try values(ofRun: runID)
        return RunSnapshot(run: run, nodes: try nodes(ofRun: runID),
                           values: Dictionary(values.map { ($0.nodeID, $0) }, uniquingKeysWith: { first, _ in first }))
    }

    // MARK: decoding helpers

    static func decodeScalar(json: SQLValue, real: SQLValue) throws -> Double {
        if let text = json.textValue {
            if text == "null" { return .nan }
            if let value = Double(text) { return value }
        }
        if let value = real.doubleValue { return value }
        throw StoreError.invalidRecord("scalar value is neither JSON nor REAL")
    }

    static func decodeIntegers(_ text: String) throws -> [Int] {
        let decoded = try TensorJSON.decode(text)
        guard decoded.shape.count == 1 || decoded.elements.isEmpty,
              let integers = Optional(decoded.elements.compactMap { Int(exactly: $0) }),
              integers.count == decoded.elements.count else {
            throw StoreError.invalidRecord("not a JSON array of integers: \(text)")
        }
        return integers
    }

    static func decodeStrings(_ text: String) throws -> [String] {
        guard let data = text.data(using: .utf8),
              let array = try? JSONSerialization.jsonObject(with: data) as? [String] else {
            throw StoreError.invalidRecord("not a JSON array of strings: \(text)")
        }
        return array
    }
}
