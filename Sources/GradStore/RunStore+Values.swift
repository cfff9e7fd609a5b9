import Foundation

/// Which of a node's two tensors a cached tensor row holds.
struct TensorCacheKey: Hashable {
    var nodeID: Int64
    var isGrad: Bool
}

/// One tensor's columns of a value row (value_storage or grad_storage, then the seven
/// `value…` or `grad…` columns).
struct TensorColumns {
    var storage: Int64?
    var scalar: Double?
    var scalarJSON: String?
    var tensorID: Int64?
    var summary: TensorSummary?
}

struct CachedTensor {
    var tensorID: Int64
    var shape: [Int]
    /// A private copy: holding the caller's array would make its next in-place update copy.
    var elements: [Double]
}

extension RunStore {
    /// Tensors up to this many elements are remembered for reuse, and at most this many in all.
    static let cacheableTensorElements = 4096
    static let tensorCacheBudget = 2_000_000

    private static let insertValueSQL = """
        INSERT INTO value(run_id, node_id, shape, numel, value_storage, grad_storage,
                          value, value_json, value_tensor_id, value_min, value_max, value_mean, value_l2,
                          grad, grad_json, grad_tensor_id, grad_min, grad_max, grad_mean, grad_l2)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)
        """

    /// Scalars recorded in full are most rows of a scalar graph: they bind 8 columns, not 20.
    private static let insertScalarSQL = """
        INSERT INTO value(run_id, node_id, shape, numel, value_storage, grad_storage, value, value_json, grad, grad_json)
        VALUES (?1, ?2, '[]', 1, ?3, ?4, ?5, ?6, ?7, ?8)
        """

    /// Rows that hold only summaries (a training step between checkpoints) go in one statement
    /// per run: for such narrow rows SQLite's per-statement work is most of the cost.
    private static let summaryRowsPerStatement = 32

    private static func insertSummariesSQL(rows: Int) -> String {
        let row = "(?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        return "INSERT INTO value(run_id, node_id, shape, numel, value_storage, grad_storage, value_min, value_max, value_mean, value_l2, "
            + "grad_min, grad_max, grad_mean, grad_l2) VALUES " + Array(repeating: row, count: rows).joined(separator: ", ")
    }

    private static let insertSummariesSQLByRows = (0...summaryRowsPerStatement).map { insertSummariesSQL(rows: $0) }

    func insertValues(_ values: [ValueRecord], runID: Int64, deferJSON: Bool) throws {
        guard !values.isEmpty else { return }
        var summaries: [ValueRecord] = []
        // Fetched when first needed: a training step between checkpoints uses neither.
        var general: (any SQLStatement)?
        var scalars: (any SQLStatement)?
        for record in values {
            if case .summary? = record.value, record.grad.isSummaryOrNil {
                summaries.append(record)
                continue
            }
            if record.shape.isEmpty {
                let scalarStatement = try scalars ?? connection.statement(RunStore.insertScalarSQL)
                scalars = scalarStatement
                if try insertScalar(record, runID: runID, statement: scalarStatement) { continue }
            }
            let statement = try general ?? connection.statement(RunStore.insertValueSQL)
            general = statement
            guard let numel = TensorJSON.elementCount(of: record.shape) else {
                throw StoreError.invalidRecord("node \(record.nodeID): invalid shape \(record.shape)")
            }
            statement.reset()
            try statement.bind(runID, at: 1)
            try statement.bind(record.nodeID, at: 2)
            try statement.bind(shapeText(record.shape), at: 3)
            try statement.bind(Int64(numel), at: 4)
            try bindTensor(record.value, of: record, numel: numel, isGrad: false, firstColumn: 7,
                           storageColumn: 5, deferJSON: deferJSON, statement: statement)
            try bindTensor(record.grad, of: record, numel: numel, isGrad: true, firstColumn: 14,
                           storageColumn: 6, deferJSON: deferJSON, statement: statement)
            try statement.write()
        }
        general?.reset()
        var start = 0
        while start < summaries.count {
            let chunk = summaries[start..<Swift.min(start + RunStore.summaryRowsPerStatement, summaries.count)]
            try insertSummaries(chunk, runID: runID)
            start += chunk.count
        }
    }

    /// Inserts rows whose value is a summary and whose gradient is a summary or absent.
    private func insertSummaries(_ records: ArraySlice<ValueRecord>, runID: Int64) throws {
        let statement = try connection.statement(RunStore.insertSummariesSQLByRows[records.count])
        var column: Int32 = 1
        func bind(_ summary: TensorSummary?) throws {
            try statement.bind(summary?.min, at: column)
            try statement.bind(summary?.max, at: column + 1)
            try statement.bind(summary?.mean, at: column + 2)
            try statement.bind(summary?.l2, at: column + 3)
            column += 4
        }
        for record in records {
            guard let numel = TensorJSON.elementCount(of: record.shape) else {
                throw StoreError.invalidRecord("node \(record.nodeID): invalid shape \(record.shape)")
            }
            guard case .summary(let value)? = record.value else { continue }
            var grad: TensorSummary?
            if case .summary(let given)? = record.grad { grad = given }
            for given in [value, grad].compactMap({ $0 }) where given.numel != numel {
                throw StoreError.invalidRecord("node \(record.nodeID): summary of \(given.numel) elements for shape \(record.shape)")
            }
            try statement.bind(runID, at: column)
            try statement.bind(record.nodeID, at: column + 1)
            try statement.bind(shapeText(record.shape), at: column + 2)
            try statement.bind(Int64(numel), at: column + 3)
            try statement.bind(grad == nil ? nil : Int64(1), at: column + 4)
            column += 5
            try bind(value)
            try bind(grad)
        }
        try statement.write()
        statement.reset()
    }

    /// Inserts a scalar row whose value and grad are each in full or absent; false (nothing
    /// written) for anything else, which the general path handles.
    private func insertScalar(_ record: ValueRecord, runID: Int64, statement: any SQLStatement) throws -> Bool {
        var value: Double?
        var grad: Double?
        switch record.value {
        case nil: break
        case .full(let elements)? where elements.count == 1: value = elements[0]
        default: return false
        }
        switch record.grad {
        case nil: break
        case .full(let elements)? where elements.count == 1: grad = elements[0]
        default: return false
        }
        statement.reset()
        try statement.bind(runID, at: 1)
        try statement.bind(record.nodeID, at: 2)
        try statement.bind(value == nil ? nil : Int64(2), at: 3)
        try statement.bind(grad == nil ? nil : Int64(2), at: 4)
        try statement.bind(value, at: 5)
        try statement.bind(value.map(NumberText.json), at: 6)
        try statement.bind(grad, at: 7)
        try statement.bind(grad.map(NumberText.json), at: 8)
        try statement.write()
        return true
    }

    /// Binds one tensor's seven columns (scalar, json, tensor id, min, max, mean, l2) and its
    /// storage column.
    private func bindTensor(_ data: TensorData?, of record: ValueRecord, numel: Int, isGrad: Bool,
                            firstColumn column: Int32, storageColumn: Int32, deferJSON: Bool,
                            statement: any SQLStatement) throws {
        let columns = try tensorColumns(data, of: record, numel: numel, isGrad: isGrad, deferJSON: deferJSON)
        try statement.bind(columns.storage, at: storageColumn)
        try statement.bind(columns.scalar, at: column)
        try statement.bind(columns.scalarJSON, at: column + 1)
        try statement.bind(columns.tensorID, at: column + 2)
        try statement.bind(columns.summary?.min, at: column + 3)
        try statement.bind(columns.summary?.max, at: column + 4)
        try statement.bind(columns.summary?.mean, at: column + 5)
        try statement.bind(columns.summary?.l2, at: column + 6)
    }

    /// What one of a value row's two tensors stores: a full tensor goes to its tensor row
    /// (stored now, or an identical one reused) and leaves its id.
    func tensorColumns(_ data: TensorData?, of record: ValueRecord, numel: Int, isGrad: Bool,
                       deferJSON: Bool) throws -> TensorColumns {
        var columns = TensorColumns()
        switch data {
        case nil:
            break
        case .summary(let given)?:
            guard given.numel == numel else {
                throw StoreError.invalidRecord("node \(record.nodeID): summary of \(given.numel) elements for shape \(record.shape)")
            }
            columns.summary = given
            columns.storage = 1
        case .full(let elements)?:
            guard elements.count == numel else {
                throw StoreError.invalidRecord("node \(record.nodeID): shape \(record.shape) needs \(numel) elements, got \(elements.count)")
            }
            columns.storage = 2
            if record.shape.isEmpty {
                columns.scalar = elements[0]
                columns.scalarJSON = NumberText.json(elements[0])
            } else {
                columns.tensorID = try storeTensor(elements, shape: record.shape,
                                                   key: TensorCacheKey(nodeID: record.nodeID, isGrad: isGrad),
                                                   deferJSON: deferJSON)
                columns.summary = TensorSummary(summarizing: elements)
            }
        }
        return columns
    }

    /// Stores a full tensor (bytes and JSON) or reuses the row of an identical one this node
    /// stored last time, and returns the tensor id.
    private func storeTensor(_ elements: [Double], shape: [Int], key: TensorCacheKey, deferJSON: Bool) throws -> Int64 {
        if let cached = lastTensors[key], cached.shape == shape, RunStore.sameBits(cached.elements, elements) {
            return cached.tensorID
        }
        if tensorBatch != nil, let tensorID = takeReservedID(.tensor) {
            tensorBatch?.append(tensorID)
            try tensorBatch?.append(shapeText(shape))
            Float64Bytes.withLittleEndianBytes(of: elements) { tensorBatch?.append(bytes: $0) }
            try tensorBatch?.append(try tensorJSON(shape: shape, elements: elements, deferJSON: deferJSON))
            remember(tensorID, elements: elements, shape: shape, key: key)
            return tensorID
        }
        let tensorID = try insertRow(.tensor) { statement in
            try statement.bind(shapeText(shape), at: 1)
            try Float64Bytes.withLittleEndianBytes(of: elements) { try statement.bind(blob: $0, at: 2) }
            try statement.bind(try tensorJSON(shape: shape, elements: elements, deferJSON: deferJSON), at: 3)
        }
        remember(tensorID, elements: elements, shape: shape, key: key)
        return tensorID
    }

    /// A tensor row's JSON, or nil when it is left to `flushDeferredJSON`.
    private func tensorJSON(shape: [Int], elements: [Double], deferJSON: Bool) throws -> String? {
        guard !deferJSON else {
            hasDeferredJSON = true
            return nil
        }
        return try TensorJSON.encode(shape: shape, elements: elements)
    }

    private func remember(_ tensorID: Int64, elements: [Double], shape: [Int], key: TensorCacheKey) {
        guard elements.count <= RunStore.cacheableTensorElements else { return }
        if var cached = lastTensors[key], cached.elements.count == elements.count {
            // Overwrite the private copy in place: no allocation per training step.
            lastTensors[key] = nil
            cached.tensorID = tensorID
            cached.shape = shape
            cached.elements.withUnsafeMutableBufferPointer { target in
                elements.withUnsafeBufferPointer { source in
                    guard let targetBase = target.baseAddress, let sourceBase = source.baseAddress else { return }
                    targetBase.update(from: sourceBase, count: source.count)
                }
            }
            lastTensors[key] = cached
            return
        }
        guard cachedTensorElements + elements.count <= RunStore.tensorCacheBudget else { return }
        let copy = elements.withUnsafeBufferPointer { Array($0) }
        if let previous = lastTensors[key] { cachedTensorElements -= previous.elements.count }
        lastTensors[key] = CachedTensor(tensorID: tensorID, shape: shape, elements: copy)
        cachedTensorElements += copy.count
    }

    /// Writes the JSON of every tensor stored without it (training steps), in batches, each in
    /// its own transaction. Cheap when there is nothing to do.
    public func flushDeferredJSON() throws {
        guard mode == .readWrite else { return }
        // Only the tensors this store may change: another role's pending JSON is theirs to write.
        let select = "SELECT id, shape, data FROM tensor WHERE json IS NULL\(connection.dialect.andOwnRows) ORDER BY id LIMIT 512"
        while true {
            let pending = try connection.statement(select).rows()
            if pending.isEmpty { break }
            try transaction {
                let update = try connection.statement("UPDATE tensor SET json = ?2 WHERE id = ?1")
                for row in pending {
                    guard let id = row[0].integerValue, let shapeText = row[1].textValue,
                          let bytes = row[2].blobValue, let elements = Float64Bytes.decode(bytes) else {
                        throw StoreError.invalidRecord("tensor row \(row.first?.displayText ?? "?") is damaged")
                    }
                    let shape = try RunStore.decodeIntegers(shapeText)
                    try update.execute([.integer(id), .text(try TensorJSON.encode(shape: shape, elements: elements))])
                }
            }
        }
        hasDeferredJSON = false
    }

    static func sameBits(_ left: [Double], _ right: [Double]) -> Bool {
        guard left.count == right.count else { return false }
        return left.withUnsafeBytes { leftBytes in
            right.withUnsafeBytes { rightBytes in
                guard let leftBase = leftBytes.baseAddress, let rightBase = rightBytes.baseAddress else { return true }
                return memcmp(leftBase, rightBase, leftBytes.count) == 0
            }
        }
    }

    func shapeText(_ shape: [Int]) -> String {
        if let text = shapeTexts[shape] { return text }
        let text = JSONText.integers(shape)
        if shapeTexts.count < 4096 { shapeTexts[shape] = text }
        return text
    }

    // MARK: graphs

    /// The graph id for a set of node definitions: a recent run's if equal, else an identical
    /// stored graph, else a new one. nil for an empty set.
    func graphID(for nodeIDs: [Int64]) throws -> Int64? {
        guard !nodeIDs.isEmpty else { return nil }
        let sorted = RunStore.graphKey(of: nodeIDs)
        if let known = knownGraphs[sorted] {
            return known
        }
        let digest = RunStore.digest(of: sorted)
        let candidates = try connection.statement("SELECT id FROM graph WHERE digest = ?1 AND node_count = ?2")
            .rows([.integer(digest), .integer(Int64(sorted.count))])
        let members = try connection.statement("SELECT node_id FROM graph_node WHERE graph_id = ?1 ORDER BY node_id")
        for candidate in candidates {
            guard case .integer(let candidateID) = candidate.first else { continue }
            let stored = try members.rows([.integer(candidateID)]).compactMap { $0.first?.integerValue }
            if stored == sorted {
                remember(graph: candidateID, nodeIDs: sorted)
                return candidateID
            }
        }
        let insertGraph = try connection.statement(connection.dialect.insertReturningID("INSERT INTO graph(node_count, digest) VALUES (?1, ?2)"))
        try insertGraph.bind(Int64(sorted.count), at: 1)
        try insertGraph.bind(digest, at: 2)
        let graphID = try connection.insertReturningID(insertGraph)
        insertGraph.reset()
        let insertMember = try connection.statement("INSERT INTO graph_node(graph_id, node_id) VALUES (?1, ?2)")
        for nodeID in sorted {
            insertMember.reset()
            try insertMember.bind(graphID, at: 1)
            try insertMember.bind(nodeID, at: 2)
            try insertMember.write()
        }
        insertMember.reset()
        remember(graph: graphID, nodeIDs: sorted)
        return graphID
    }

    /// Whether `graphID(for:)` answers without asking the database.
    func knowsGraph(of nodeIDs: [Int64]) -> Bool {
        nodeIDs.isEmpty || knownGraphs[RunStore.graphKey(of: nodeIDs)] != nil
    }

    /// A graph's node ids as `knownGraphs` keys them: sorted, each once.
    private static func graphKey(of nodeIDs: [Int64]) -> [Int64] {
        guard !isStrictlyIncreasing(nodeIDs) else { return nodeIDs }
        return removingAdjacentDuplicates(nodeIDs.sorted())
    }

    private func remember(graph: Int64, nodeIDs: [Int64]) {
        if knownGraphs.count >= RunStore.knownGraphLimit { knownGraphs.removeAll() }
        knownGraphs[nodeIDs] = graph
    }

    static func isStrictlyIncreasing(_ values: [Int64]) -> Bool {
        var previous = Int64.min
        for (index, value) in values.enumerated() {
            if index > 0, value <= previous { return false }
            previous = value
        }
        return true
    }

    static func removingAdjacentDuplicates(_ sorted: [Int64]) -> [Int64] {
        var result: [Int64] = []
        result.reserveCapacity(sorted.count)
        for value in sorted where result.last != value {
            result.append(value)
        }
        return result
    }

    /// FNV-1a over the ids' bytes: only a lookup key, always confirmed by comparing members.
    static func digest(of sortedIDs: [Int64]) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for id in sortedIDs {
            var bits = UInt64(bitPattern: id)
            for _ in 0..<8 {
                hash ^= bits & 0xFF
                hash = hash &* 0x0000_0100_0000_01B3
                bits >>= 8
            }
        }
        return Int64(bitPattern: hash)
    }
}

private extension Optional where Wrapped == TensorData {
    var isSummaryOrNil: Bool {
        switch self {
        case nil, .summary?: return true
        case .full?: return false
        }
    }
}
