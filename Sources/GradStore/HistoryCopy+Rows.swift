/// The rows of one group of sessions (HistoryCopy.swift), read from the source and written into
/// the target with their references mapped, in one target transaction.
extension HistoryCopy {
    struct GroupCounts {
        var runs = 0
        var values = 0
        var droppedReplays = 0
    }

    /// Source id -> target id of the rows this group copied so far, per table.
    final class GroupMapping {
        var ids: [String: [Int64: Int64]] = [:]
        var droppedReplays = 0

        subscript(table: String, sourceID: Int64) -> Int64? {
            get { ids[table]?[sourceID] }
            set { ids[table, default: [:]][sourceID] = newValue }
        }
    }

    func copyGroup(_ group: [Int64]) throws -> GroupCounts {
        let members = group.compactMap { sessions[$0] }
        let mapping = GroupMapping()
        var counts = GroupCounts()
        do {
            try target.transaction {
                counts = try copyRows(of: members, mapping: mapping)
            }
        } catch {
            for table in tables.values { table.discard() }
            throw error
        }
        copiedTensors.merge(mapping.ids[HistoryTable.tensor.name] ?? [:]) { first, _ in first }
        for member in members {
            if let id = mapping[HistoryTable.session.name, member.id] { targetSessions[member.uid] = id }
        }
        counts.droppedReplays = mapping.droppedReplays
        return counts
    }

    private func copyRows(of members: [SourceSession], mapping: GroupMapping) throws -> GroupCounts {
        var counts = GroupCounts()
        for table in [HistoryTable.session, .cell, .node, .train] {
            var rows: [(row: [SQLValue], member: SourceSession)] = []
            for member in members {
                rows += try source.statement(HistoryCopy.select(table, from: source.dialect)).rows([.integer(member.id)]).map { ($0, member) }
            }
            try insertKeyed(table, rows, mapping: mapping)
        }
        try copyGraphs(of: members, mapping: mapping)
        // Every run of the group in source order: a replay comes after the run it repeats.
        var runs: [(row: [SQLValue], member: SourceSession)] = []
        for member in members {
            runs += try source.statement(HistoryCopy.select(.run, from: source.dialect)).rows([.integer(member.id)]).map { ($0, member) }
        }
        runs.sort { ($0.row.first?.integerValue ?? 0) < ($1.row.first?.integerValue ?? 0) }
        try insertKeyed(.run, runs, mapping: mapping)
        counts.runs = runs.count
        for member in members {
            let runIDs = runs.filter { $0.member.id == member.id }.compactMap { $0.row.first?.integerValue }
            var start = 0
            while start < runIDs.count {
                let end = min(start + HistoryCopy.runsPerChunk, runIDs.count)
                counts.values += try copyRowsOfRuns(member, from: runIDs[start], to: runIDs[end - 1], mapping: mapping)
                start = end
            }
        }
        return counts
    }

    /// The values, tensors, checkpoints and optimizer state of `member`'s runs with ids from
    /// `first` to `last`; returns the number of value rows.
    private func copyRowsOfRuns(_ member: SourceSession, from first: Int64, to last: Int64, mapping: GroupMapping) throws -> Int {
        let arguments: [SQLValue] = [.integer(member.id), .integer(first), .integer(last)]
        let owner = owner(of: member)
        let values = try source.statement(HistoryCopy.select(.value, from: source.dialect, chunked: true)).rows(arguments)
        let tensorIDs = try source.statement("SELECT t.id FROM tensor AS t WHERE \(HistoryCopy.condition(.tensor, in: source.dialect, chunked: true)) ORDER BY t.id")
            .rows(arguments).compactMap { $0.first?.integerValue }
        let selectTensor = "SELECT \(HistoryTable.tensor.selectedColumns.joined(separator: ", ")) FROM tensor WHERE id = ?1"
        let newTensors = tensorIDs.filter { mapping[HistoryTable.tensor.name, $0] == nil && copiedTensors[$0] == nil }
        let tensors = writer(for: .tensor)
        try tensors.reserve(newTensors.count)
        for id in newTensors {
            // One at a time: a chunk's tensors may be large, its value rows never are.
            guard let row = try source.statement(selectTensor).rows([.integer(id)]).first else {
                throw HistoryCopyError.missingRow(table: HistoryTable.tensor.name, id: id, location: source.location)
            }
            mapping[HistoryTable.tensor.name, id] = try tensors.insert(try targetValues(.tensor, row, owner: owner, mapping: mapping))
            // A large tensor is sent at once rather than held for a multi-row INSERT.
            if let data = HistoryCopy.tensorData, data < row.count, case .blob(let bytes) = row[data], bytes.count > 65_536 {
                try tensors.flush()
            }
        }
        try tensors.flush()
        for row in values {
            try appendKeyless(.value, row, owner: owner, mapping: mapping)
        }
        try writer(for: .value).flush()
        // Checkpoints before their optimizer state, which refers to them.
        for table in [HistoryTable.checkpoint, .optimizerState] {
            for row in try source.statement(HistoryCopy.select(table, from: source.dialect, chunked: true)).rows(arguments) {
                try appendKeyless(table, row, owner: owner, mapping: mapping)
            }
            try writer(for: table).flush()
        }
        return values.count
    }

    static let tensorData = HistoryTable.tensor.selectedColumns.firstIndex(of: "data")

    // MARK: graphs

    /// The graphs the group's runs used, as graphs of the target's node ids: one the target
    /// already holds with the same members (copied with another session) is used again.
    private func copyGraphs(of members: [SourceSession], mapping: GroupMapping) throws {
        var graphs: [(sourceID: Int64, nodeIDs: [Int64], owner: String?)] = []
        var seen = Set<Int64>()
        for member in members {
            var nodes: [Int64: [Int64]] = [:]
            for row in try source.statement(HistoryCopy.select(.graphNode, from: source.dialect)).rows([.integer(member.id)]) {
                guard let graphID = row[0].integerValue,
                      let nodeID = try mapReference(row[1], column: "node_id", of: .graphNode, mapping: mapping).integerValue else { continue }
                nodes[graphID, default: []].append(nodeID)
            }
            for row in try source.statement(HistoryCopy.select(.graph, from: source.dialect)).rows([.integer(member.id)]) {
                guard let graphID = row[0].integerValue, seen.insert(graphID).inserted else { continue }
                let nodeIDs = RunStore.removingAdjacentDuplicates((nodes[graphID] ?? []).sorted())
                graphs.append((graphID, nodeIDs, owner(of: member)))
            }
        }
        var found = try existingGraphs(Set(graphs.map(\.nodeIDs)))
        var created: [(nodeIDs: [Int64], owner: String?)] = []
        let writer = writer(for: .graph)
        try writer.reserve(Set(graphs.map(\.nodeIDs)).subtracting(found.keys).count)
        for graph in graphs {
            if let id = found[graph.nodeIDs] {
                mapping[HistoryTable.graph.name, graph.sourceID] = id
                continue
            }
            let digest = RunStore.digest(of: graph.nodeIDs)
            let id = try writer.insert(withOwner([.integer(Int64(graph.nodeIDs.count)), .integer(digest)], graph.owner, table: .graph))
            found[graph.nodeIDs] = id
            created.append((graph.nodeIDs, graph.owner))
            mapping[HistoryTable.graph.name, graph.sourceID] = id
        }
        try writer.flush()
        let members = self.writer(for: .graphNode)
        for graph in created {
            guard let id = found[graph.nodeIDs] else { continue }
            for nodeID in graph.nodeIDs {
                try members.append(withOwner([.integer(id), .integer(nodeID)], graph.owner, table: .graphNode))
            }
        }
        try members.flush()
    }

    /// The target's graphs with exactly these (sorted) members, found by digest as RunStore
    /// finds one, a few dozen per query.
    private func existingGraphs(_ sets: Set<[Int64]>) throws -> [[Int64]: Int64] {
        let width = 64
        let wanted = Dictionary(grouping: sets, by: { RunStore.digest(of: $0) })
        let digests = wanted.keys.sorted()
        var candidates: [Int64] = []
        for chunk in stride(from: 0, to: digests.count, by: width).map({ Array(digests[$0..<min($0 + width, digests.count)]) }) {
            let padded = chunk + Array(repeating: chunk[chunk.count - 1], count: width - chunk.count)
            let placeholders = (1...width).map { "?\($0)" }.joined(separator: ", ")
            candidates += try target.statement("SELECT id FROM graph WHERE digest IN (\(placeholders)) ORDER BY id")
                .rows(padded.map { .integer($0) }).compactMap { $0.first?.integerValue }
        }
        var found: [[Int64]: Int64] = [:]
        for chunk in stride(from: 0, to: candidates.count, by: width).map({ Array(candidates[$0..<min($0 + width, candidates.count)]) }) {
            let padded = chunk + Array(repeating: chunk[chunk.count - 1], count: width - chunk.count)
            let placeholders = (1...width).map { "?\($0)" }.joined(separator: ", ")
            var members: [Int64: [Int64]] = [:]
            for row in try target.statement("SELECT graph_id, node_id FROM graph_node WHERE graph_id IN (\(placeholders)) ORDER BY graph_id, node_id")
                .rows(padded.map { .integer($0) }) {
                guard let graphID = row[0].integerValue, let nodeID = row[1].integerValue else { continue }
                members[graphID, default: []].append(nodeID)
            }
            for id in chunk {
                let nodeIDs = members[id] ?? []
                if found[nodeIDs] == nil, wanted[RunStore.digest(of: nodeIDs)]?.contains(nodeIDs) == true { found[nodeIDs] = id }
            }
        }
        return found
    }

    // MARK: rows

    /// The owner the target's rows of `member` name: only PostgreSQL keeps one per row.
    func owner(of member: SourceSession) -> String? {
        targetRowsCarryOwner ? (member.owner ?? target.userName) : nil
    }

    private func withOwner(_ values: [SQLValue], _ owner: String?, table: HistoryTable) -> [SQLValue] {
        guard let owner, !table.columns.contains("owner") else { return values }
        return values + [.text(owner)]
    }

    /// A source row (key first when the table has one) as the target's column values.
    private func targetValues(_ table: HistoryTable, _ row: [SQLValue], owner: String?, mapping: GroupMapping) throws -> [SQLValue] {
        guard row.count == table.selectedColumns.count else {
            throw HistoryCopyError.unexpectedRow(table: table.name, columns: row.count, expected: table.selectedColumns.count)
        }
        let offset = table.key == nil ? 0 : 1
        var values: [SQLValue] = []
        values.reserveCapacity(table.columns.count + 1)
        for (index, column) in table.columns.enumerated() {
            let value = row[index + offset]
            if table.references[column] != nil {
                values.append(try mapReference(value, column: column, of: table, mapping: mapping))
            } else if column == "owner", let owner {
                values.append(.text(owner))
            } else {
                values.append(value)
            }
        }
        return withOwner(values, owner, table: table)
    }

    /// Inserts rows of a table with an id column (key first in each row) and maps their ids.
    private func insertKeyed(_ table: HistoryTable, _ rows: [(row: [SQLValue], member: SourceSession)], mapping: GroupMapping) throws {
        let writer = writer(for: table)
        try writer.reserve(rows.count)
        for (row, member) in rows {
            guard let sourceID = row.first?.integerValue else {
                throw HistoryCopyError.unexpectedRow(table: table.name, columns: row.count, expected: table.selectedColumns.count)
            }
            mapping[table.name, sourceID] = try writer.insert(try targetValues(table, row, owner: owner(of: member), mapping: mapping))
        }
        try writer.flush()
    }

    private func appendKeyless(_ table: HistoryTable, _ row: [SQLValue], owner: String?, mapping: GroupMapping) throws {
        try writer(for: table).append(try targetValues(table, row, owner: owner, mapping: mapping))
    }

    func writer(for table: HistoryTable) -> TargetTable {
        if let writer = tables[table.name] { return writer }
        let writer = TargetTable(table, connection: target, withOwner: targetRowsCarryOwner && !table.columns.contains("owner"))
        tables[table.name] = writer
        return writer
    }

    // MARK: references

    /// The target's id for the row that `value` (a source id in `column`) names.
    func mapReference(_ value: SQLValue, column: String, of table: HistoryTable, mapping: GroupMapping) throws -> SQLValue {
        guard let sourceID = value.integerValue, let named = table.references[column] else { return value }
        let referenced = HistoryTable.identifying(named)
        if let id = mapping[referenced, sourceID] { return .integer(id) }
        if referenced == HistoryTable.tensor.name, let id = copiedTensors[sourceID] { return .integer(id) }
        if HistoryTable.sessionOwned.contains(referenced), let id = try rankMapped(referenced, sourceID) { return .integer(id) }
        if table.droppableReferences.contains(column) {
            mapping.droppedReplays += 1
            return .null
        }
        throw HistoryCopyError.unresolved(table: table.name, column: column, id: sourceID, referenced: referenced,
                                          target: target.location)
    }

    /// A row of a session the target already holds: the target row of the same rank within
    /// that session (a copy inserts a session's rows in source order). nil if the target's
    /// copy has fewer rows (it was made while the session was still recording).
    private func rankMapped(_ table: String, _ sourceID: Int64) throws -> Int64? {
        let sessionID: Int64
        if let known = owningSessions[table]?[sourceID] {
            sessionID = known
        } else {
            guard let found = try source.scalarInteger("SELECT session_id FROM \(table) WHERE id = ?1", [.integer(sourceID)]) else {
                return nil
            }
            owningSessions[table, default: [:]][sourceID] = found
            sessionID = found
        }
        if let map = rankMaps[table]?[sessionID] { return map[sourceID] }
        guard let uid = sessions[sessionID]?.uid, let targetSession = targetSessions[uid] else { return nil }
        let select = "SELECT id FROM \(table) WHERE session_id = ?1 ORDER BY id"
        let sourceIDs = try source.statement(select).rows([.integer(sessionID)]).compactMap { $0.first?.integerValue }
        let targetIDs = try target.statement(select).rows([.integer(targetSession)]).compactMap { $0.first?.integerValue }
        let map = Dictionary(zip(sourceIDs, targetIDs).map { ($0, $1) }, uniquingKeysWith: { first, _ in first })
        rankMaps[table, default: [:]][sessionID] = map
        return map[sourceID]
    }
}

/// Inserts into one table of the target, several rows per statement. A row whose new id is
/// needed at once gets it from ids reserved ahead (PostgreSQL: one query for many ids, so the
/// inserts travel in the pipeline without waiting), else from its own INSERT (SQLite, where
/// that costs no round trip).
final class TargetTable {
    let table: HistoryTable
    let connection: any SQLConnection
    /// The columns of a batched row: the id first for a table that has one.
    let columns: [String]
    let hasKey: Bool
    /// Rows per multi-row INSERT, within the 999 parameters every SQLite accepts.
    let rowsPerStatement: Int
    private var pending: [SQLValue] = []
    private var pendingRows = 0
    private var insertSQL: [Int: String] = [:]
    private var reserved: [Int64] = []
    private var nextReserved = 0

    init(_ table: HistoryTable, connection: any SQLConnection, withOwner: Bool) {
        self.table = table
        self.connection = connection
        hasKey = table.key != nil
        columns = (table.key.map { [$0] } ?? []) + table.columns + (withOwner ? ["owner"] : [])
        rowsPerStatement = max(1, 900 / max(columns.count, 1))
    }

    private func sql(rows: Int) -> String {
        if let sql = insertSQL[rows] { return sql }
        let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        let sql = "INSERT INTO \(table.name)(\(columns.joined(separator: ", "))) VALUES "
            + Array(repeating: row, count: rows).joined(separator: ", ")
        insertSQL[rows] = sql
        return sql
    }

    /// Takes ids for the next `count` inserts where the backend hands them out ahead.
    func reserve(_ count: Int) throws {
        guard hasKey, count > 0, let query = connection.dialect.reserveIDsQuery(table: table.name) else { return }
        reserved.removeFirst(nextReserved)
        nextReserved = 0
        reserved += try connection.statement(query).rows([.integer(Int64(count))]).compactMap { $0.first?.integerValue }
    }

    /// Inserts a row of a table with an id (`values` without it) and returns the row's id;
    /// the row may wait for `flush` when its id was reserved.
    func insert(_ values: [SQLValue]) throws -> Int64 {
        if nextReserved < reserved.count {
            let id = reserved[nextReserved]
            nextReserved += 1
            try append([.integer(id)] + values)
            return id
        }
        let insert = "INSERT INTO \(table.name)(\(columns.dropFirst().joined(separator: ", "))) VALUES ("
            + Array(repeating: "?", count: columns.count - 1).joined(separator: ", ") + ")"
        let statement = try connection.statement(connection.dialect.insertReturningID(insert))
        for (index, value) in values.enumerated() {
            try statement.bind(value, at: Int32(index + 1))
        }
        let id = try connection.insertReturningID(statement)
        statement.reset()
        return id
    }

    /// Adds a row (every column of `columns`) to the next multi-row INSERT.
    func append(_ values: [SQLValue]) throws {
        pending += values
        pendingRows += 1
        if pendingRows == rowsPerStatement { try flush() }
    }

    func flush() throws {
        guard pendingRows > 0 else { return }
        let statement = try connection.statement(sql(rows: pendingRows))
        for (index, value) in pending.enumerated() {
            try statement.bind(value, at: Int32(index + 1))
        }
        pending.removeAll(keepingCapacity: true)
        pendingRows = 0
        try statement.write()
        statement.reset()
    }

    /// Forgets rows not yet written and ids not yet used (their transaction failed).
    func discard() {
        pending.removeAll(keepingCapacity: true)
        pendingRows = 0
        reserved.removeAll()
        nextReserved = 0
    }
}

/// A source row the copy cannot place; each reads as one line.
enum HistoryCopyError: Error, CustomStringConvertible {
    case unresolved(table: String, column: String, id: Int64, referenced: String, target: String)
    case missingRow(table: String, id: Int64, location: String)
    case unexpectedRow(table: String, columns: Int, expected: Int)

    var description: String {
        switch self {
        case let .unresolved(table, column, id, referenced, target):
            return "\(table).\(column) names \(referenced) \(id), which belongs to a session neither copied nor held by \(target) in full"
        case let .missingRow(table, id, location):
            return "\(location) has no \(table) \(id), yet its rows refer to it"
        case let .unexpectedRow(table, columns, expected):
            return "a \(table) row came back with \(columns) columns instead of \(expected)"
        }
    }
}
