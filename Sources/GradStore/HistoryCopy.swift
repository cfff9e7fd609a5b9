import Foundation

/// `gradbook copy`: moves sessions from one history into another (SQLite or PostgreSQL on
/// either side), with every row a replay needs, so a copied run replays bit for bit there.
///
/// A session is identified by its uid in every history: one the target already holds is
/// skipped, so copying twice stores it once. Each session goes over in one target transaction
/// (all of it or none), rows in source order with ids the target assigns; references are
/// mapped through the rows copied so far, or, for rows of a session the target already held,
/// through their rank within that session (a copy keeps row order). A session whose rows cite
/// another session's (a replay names the original's graph, nodes and run) is copied after it;
/// with `--session`, such a session comes along even if not asked for. Sessions that cite each
/// other go over together, in one transaction.
///
/// On PostgreSQL every row names its owner: the session's owner, which row-level security lets
/// only that role (or the history's administrator) write.
public final class HistoryCopy {
    let source: any SQLConnection
    let target: any SQLConnection
    /// Whether the target names an owner on every row (SQLDialect.rowsCarryOwner).
    let targetRowsCarryOwner: Bool

    struct SourceSession {
        var id: Int64
        var uid: String
        var owner: String?
        /// Whether the session has ended: one that has not is copied as far as it got.
        var ended: Bool
    }

    /// Every session of the source, by id.
    var sessions: [Int64: SourceSession] = [:]
    /// Sessions the target holds, by uid (including those this copy committed).
    var targetSessions: [String: Int64] = [:]
    /// Tensors copied by committed sessions, source id -> target id: one a later session also
    /// uses is not copied again.
    var copiedTensors: [Int64: Int64] = [:]
    /// Rows of sessions the target holds, matched by rank: [table: [source session: map]].
    var rankMaps: [String: [Int64: [Int64: Int64]]] = [:]
    /// Source row -> its session, for rows of other sessions that a copied row cites.
    var owningSessions: [String: [Int64: Int64]] = [:]
    var tables: [String: TargetTable] = [:]

    /// Runs per read of their values: bounds the memory a copy needs whatever the history's size.
    static let runsPerChunk = 256

    /// - Parameters:
    ///   - source: read from (read-only is enough).
    ///   - target: written to; its schema must be current (a read-write `RunStore` migrates).
    public init(from source: any SQLConnection, to target: any SQLConnection) {
        self.source = source
        self.target = target
        targetRowsCarryOwner = target.dialect.rowsCarryOwner
    }

    public convenience init(from source: RunStore, to target: RunStore) {
        self.init(from: source.connection, to: target.connection)
    }

    /// Copies the sessions `selectors` name (uids or the source's session ids), or every
    /// session, and returns what it did. On failure, the sessions committed before the one
    /// that failed stay copied (`HistoryCopyFailure.copiedBefore`).
    public func copy(sessions selectors: [String] = []) throws -> HistoryCopyReport {
        var report = HistoryCopyReport()
        let plan: CopyPlan
        do {
            try loadSessions()
            let selected = try selectors.isEmpty ? sessions.keys.sorted() : selectors.map(resolve)
            plan = try makePlan(selected: selected)
        } catch let failure as HistoryCopyFailure {
            throw failure
        } catch {
            throw HistoryCopyFailure(message: "\(error)", copiedBefore: report)
        }
        report.skippedSessions = plan.skipped
        report.includedSessions = plan.included
        for group in plan.groups {
            do {
                let counts = try copyGroup(group)
                report.copiedSessions += group.count
                report.unfinishedSessions += group.filter { sessions[$0]?.ended == false }.count
                report.runs += counts.runs
                report.values += counts.values
                report.replaysWithoutOriginal += counts.droppedReplays
            } catch {
                throw HistoryCopyFailure(message: describe(error, copying: group), copiedBefore: report)
            }
        }
        return report
    }

    // MARK: sessions and their order

    func loadSessions() throws {
        for row in try source.statement("SELECT id, uid, owner, ended_at IS NOT NULL FROM session ORDER BY id").rows() {
            guard let id = row[0].integerValue else { continue }
            guard let uid = row[1].textValue, !uid.isEmpty else {
                throw HistoryCopyFailure(message: "session \(id) of \(source.location) has no uid; open the history once read-write with this gradbook to give it one",
                                         copiedBefore: HistoryCopyReport())
            }
            sessions[id] = SourceSession(id: id, uid: uid, owner: row[2].textValue, ended: row[3].integerValue == 1)
        }
        for row in try target.statement("SELECT uid, id FROM session WHERE uid IS NOT NULL").rows() {
            guard let uid = row[0].textValue, let id = row[1].integerValue else { continue }
            targetSessions[uid] = id
        }
    }

    /// A `--session` argument: a session uid, or a session id of the source.
    func resolve(_ selector: String) throws -> Int64 {
        if let id = Self.match(selector, among: sessions.values.map { ($0.id, $0.uid) }) { return id }
        throw Self.noSuchSession(selector, in: source)
    }

    /// Checks `--session` arguments against the source alone, before anything is opened for
    /// writing: an unknown session must not leave a new, empty target behind.
    public static func checkSelectors(_ selectors: [String], in source: any SQLConnection) throws {
        guard !selectors.isEmpty else { return }
        let known = try source.statement("SELECT id, uid FROM session").rows().compactMap { row -> (Int64, String)? in
            guard let id = row[0].integerValue else { return nil }
            return (id, row[1].textValue ?? "")
        }
        for selector in selectors where match(selector, among: known) == nil {
            throw noSuchSession(selector, in: source)
        }
    }

    private static func match(_ selector: String, among sessions: [(id: Int64, uid: String)]) -> Int64? {
        let text = selector.trimmingCharacters(in: .whitespaces).lowercased()
        if let id = Int64(text), sessions.contains(where: { $0.id == id }) { return id }
        return sessions.first { $0.uid.lowercased() == text }?.id
    }

    private static func noSuchSession(_ selector: String, in source: any SQLConnection) -> HistoryCopyFailure {
        HistoryCopyFailure(message: "no session '\(selector)' in \(source.location) (give a session_uid or session_id from its sessions view)",
                           copiedBefore: HistoryCopyReport())
    }

    struct CopyPlan {
        /// Groups of source session ids, each copied in one transaction, in this order.
        var groups: [[Int64]]
        var skipped: Int
        var included: Int
    }

    /// The sessions to copy (those selected that the target lacks, and the sessions their rows
    /// cite that it lacks too), grouped and ordered so that cited sessions come first.
    func makePlan(selected: [Int64]) throws -> CopyPlan {
        var toCopy = Set<Int64>()
        var skipped = 0
        for id in Set(selected) {
            guard let session = sessions[id] else { continue }
            if targetSessions[session.uid] != nil { skipped += 1 } else { toCopy.insert(id) }
        }
        var included = 0
        var cites: [Int64: [Int64]] = [:]
        var pending = toCopy.sorted()
        while let id = pending.popLast() {
            let cited = try citedSessions(of: id).filter { other in
                other != id && sessions[other].map { targetSessions[$0.uid] == nil } == true
            }.sorted()
            cites[id] = cited
            for other in cited where !toCopy.contains(other) {
                toCopy.insert(other)
                included += 1
                pending.append(other)
            }
        }
        return CopyPlan(groups: HistoryCopy.orderedGroups(toCopy.sorted(), cites: cites), skipped: skipped, included: included)
    }

    /// The sessions whose rows session `id`'s rows refer to (itself included).
    func citedSessions(of id: Int64) throws -> Set<Int64> {
        var cited = Set<Int64>()
        for table in HistoryTable.all {
            for (column, referenced) in table.references.sorted(by: { $0.key < $1.key }) {
                let owner = HistoryTable.identifying(referenced)
                guard HistoryTable.sessionOwned.contains(owner) else { continue }
                // A session's runs are its own by definition.
                if table.rows == .ofRun && column == "run_id" { continue }
                if table.rows == .ofSession && column == "session_id" { continue }
                let sql = "SELECT DISTINCT x.session_id FROM \(source.dialect.rowsOf(table.name)) AS t JOIN \(owner) AS x ON x.id = t.\(column) "
                    + "WHERE \(HistoryCopy.condition(table.rows, in: source.dialect))"
                for row in try source.statement(sql).rows([.integer(id)]) {
                    if let session = row.first?.integerValue { cited.insert(session) }
                }
            }
        }
        return cited
    }

    /// Tarjan's strongly connected components over "cites", iteratively (a long chain of
    /// sessions each replaying the previous one must not exhaust the stack). Components come
    /// out after every component they cite; roots are taken in id order, so sessions that cite
    /// nothing the copy lacks keep their id order.
    static func orderedGroups(_ ids: [Int64], cites: [Int64: [Int64]]) -> [[Int64]] {
        var nextIndex = 0
        var index: [Int64: Int] = [:]
        var lowLink: [Int64: Int] = [:]
        var stack: [Int64] = []
        var onStack = Set<Int64>()
        var groups: [[Int64]] = []
        func visit(_ id: Int64) {
            index[id] = nextIndex
            lowLink[id] = nextIndex
            nextIndex += 1
            stack.append(id)
            onStack.insert(id)
        }
        for root in ids where index[root] == nil {
            visit(root)
            var frames: [(id: Int64, next: Int)] = [(root, 0)]
            while let frame = frames.last {
                let neighbours = cites[frame.id] ?? []
                if frame.next < neighbours.count {
                    frames[frames.count - 1].next += 1
                    let other = neighbours[frame.next]
                    if index[other] == nil {
                        visit(other)
                        frames.append((other, 0))
                    } else if onStack.contains(other) {
                        lowLink[frame.id] = min(lowLink[frame.id, default: 0], index[other, default: 0])
                    }
                    continue
                }
                frames.removeLast()
                if let parent = frames.last {
                    lowLink[parent.id] = min(lowLink[parent.id, default: 0], lowLink[frame.id, default: 0])
                }
                guard lowLink[frame.id] == index[frame.id] else { continue }
                var group: [Int64] = []
                while let member = stack.popLast() {
                    onStack.remove(member)
                    group.append(member)
                    if member == frame.id { break }
                }
                groups.append(group.sorted())
            }
        }
        return groups
    }

    /// Which rows of a table session `?1` brings; for rows of runs, those with run ids from
    /// `?2` to `?3` when `chunked`. Value rows are read as `dialect` shows them (on a server,
    /// with the values in run rows).
    static func condition(_ rows: HistoryTable.Rows, in dialect: SQLDialect, chunked: Bool = false) -> String {
        let runs = "SELECT id FROM run WHERE session_id = ?1"
        let range = chunked ? "t.run_id BETWEEN ?2 AND ?3 AND " : ""
        switch rows {
        case .session: return "t.id = ?1"
        case .ofSession: return "t.session_id = ?1"
        case .ofRun: return "\(range)t.run_id IN (\(runs))"
        case .graph: return "t.id IN (SELECT graph_id FROM run WHERE session_id = ?1)"
        case .graphMember: return "t.graph_id IN (SELECT graph_id FROM run WHERE session_id = ?1)"
        case .tensor:
            let values = "FROM \(dialect.rowsOf("value")) AS v WHERE \(chunked ? "v.run_id BETWEEN ?2 AND ?3 AND " : "")v.run_id IN (\(runs))"
            return "t.id IN (SELECT v.value_tensor_id \(values)) OR t.id IN (SELECT v.grad_tensor_id \(values))"
        }
    }

    static func select(_ table: HistoryTable, from dialect: SQLDialect, chunked: Bool = false) -> String {
        let columns = table.selectedColumns.map { "t.\($0)" }.joined(separator: ", ")
        let order = table.order.split(separator: ",").map { "t.\($0.trimmingCharacters(in: .whitespaces))" }.joined(separator: ", ")
        return "SELECT \(columns) FROM \(dialect.rowsOf(table.name)) AS t WHERE \(condition(table.rows, in: dialect, chunked: chunked)) ORDER BY \(order)"
    }

    // MARK: errors

    /// One line for a session that could not be copied; row-level security's refusal in the
    /// words of the lanes it enforces.
    func describe(_ error: Error, copying group: [Int64]) -> String {
        let members = group.compactMap { sessions[$0] }
        let uids = members.map(\.uid).joined(separator: ", ")
        let text = "\(error)"
        if (error as? PostgresError)?.isLaneRefusal == true,
           let foreign = members.first(where: { ($0.owner ?? target.userName) != target.userName }) {
            return "session \(foreign.uid) was recorded by '\(foreign.owner ?? target.userName)'; as '\(target.userName)' you can copy only your own sessions"
        }
        return "\(members.count == 1 ? "session" : "sessions") \(uids): \(text)"
    }
}

/// What a copy did.
public struct HistoryCopyReport: Sendable, Equatable {
    /// Sessions copied into the target.
    public var copiedSessions = 0
    /// Sessions asked for that the target already held.
    public var skippedSessions = 0
    /// Of the copied sessions, those not asked for (`--session`) that the others' rows cite.
    public var includedSessions = 0
    public var runs = 0
    public var values = 0
    /// Replays whose original run the target does not hold, stored with `replay_of` NULL.
    public var replaysWithoutOriginal = 0
    /// Of the copied sessions, those that had not ended (still recording, or their process died).
    public var unfinishedSessions = 0

    public init() {}

    /// `copied 3 sessions (1,234 runs, 56,789 values), skipped 2 already there`
    public var summary: String {
        var text = "copied \(HistoryCopyReport.count(copiedSessions, "session")) (\(HistoryCopyReport.count(runs, "run")), "
            + "\(HistoryCopyReport.count(values, "value"))), skipped \(HistoryCopyReport.grouped(skippedSessions)) already there"
        if includedSessions > 0 {
            text += "; \(HistoryCopyReport.grouped(includedSessions)) of the copied \(includedSessions == 1 ? "was" : "were") not asked for: the sessions asked for replay \(includedSessions == 1 ? "its" : "their") runs"
        }
        if unfinishedSessions > 0 {
            text += "; \(HistoryCopyReport.grouped(unfinishedSessions)) of the copied had not ended (still recording, or its process died): copied as far as \(unfinishedSessions == 1 ? "it" : "they") got"
        }
        if replaysWithoutOriginal > 0 {
            text += "; \(HistoryCopyReport.count(replaysWithoutOriginal, "replay")) lost \(replaysWithoutOriginal == 1 ? "its" : "their") original run (replay_of NULL): the target's copy of the original session lacks it"
        }
        return text
    }

    static func count(_ number: Int, _ noun: String) -> String {
        "\(grouped(number)) \(noun)\(number == 1 ? "" : "s")"
    }

    /// 1234567 -> 1,234,567
    static func grouped(_ number: Int) -> String {
        let digits = String(number.magnitude)
        var result = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return (number < 0 ? "-" : "") + result
    }
}

/// A copy that stopped: one line saying why, and what was copied before (and stays copied).
public struct HistoryCopyFailure: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var copiedBefore: HistoryCopyReport

    public var description: String {
        guard copiedBefore.copiedSessions > 0 else { return message }
        return message + " (the \(HistoryCopyReport.count(copiedBefore.copiedSessions, "session")) copied before it stay copied)"
    }
}
