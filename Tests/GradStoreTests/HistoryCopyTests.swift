import Foundation
import Testing
@testable import GradStore

/// `gradbook copy` between two SQLite histories: the same rows in every view (ids aside), each
/// session once, the rows a replay reads bit for bit, and one transaction per session.
@Suite struct HistoryCopyTests {
    /// A history file holding `CopyFixture`, and a read-only store over it (as `gradbook copy`
    /// opens its source).
    struct Source {
        let directory: TemporaryDirectory
        let path: String
        let fixture: CopyFixture
        let store: RunStore

        init() throws {
            directory = try TemporaryDirectory()
            path = directory.path("source.db")
            fixture = try CopyFixture.record(into: try RunStore(path: path))
            store = try RunStore(path: path, mode: .readOnly)
        }

        func uid(of sessionID: Int64) throws -> String {
            try #require(try store.query("SELECT uid FROM session WHERE id = ?1", arguments: [.integer(sessionID)]).rows.first?.first?.textValue)
        }
    }

    static func count(_ table: String, in store: RunStore) throws -> Int64 {
        try store.query("SELECT count(*) FROM \(table)", allowWrites: false).rows.first?.first?.integerValue ?? -1
    }

    static let tables = HistoryTable.all.map(\.name)

    static func counts(_ store: RunStore) throws -> [String: Int64] {
        Dictionary(uniqueKeysWithValues: try tables.map { ($0, try count($0, in: store)) })
    }

    /// What replay reads beyond the views: each session's engine revision, and the exact bytes
    /// of tensors, leaf values and optimizer state.
    static func replayInputs(_ store: RunStore) throws -> [String] {
        let queries = [
            "SELECT uid, engine_revision, owner FROM session",
            "SELECT shape, hex(data), json FROM tensor",
            "SELECT n.name, s.slot, s.shape, hex(s.data) FROM optimizer_state AS s JOIN node AS n ON n.id = s.node_id",
            "SELECT n.name, hex(n.leaf_value) FROM node AS n",
            "SELECT t.target, t.checkpoint_every, t.steps FROM train AS t",
        ]
        return try queries.flatMap { sql in
            try store.query(sql, allowWrites: false).rows.map { "\($0)" }
        }.sorted()
    }

    @Test func everyViewHoldsTheSameRowsAfterTheCopyIdsAside() throws {
        let source = try Source()
        let directory = try TemporaryDirectory()
        let target = try RunStore(path: directory.path("target.db"))
        // A session of the target's own first, so that every copied row gets another id.
        _ = try SeedRecording.record(into: target)
        let before = try CanonicalViews(target)
        let inputsBefore = try Self.replayInputs(target)
        let countsBefore = try Self.counts(target)

        let report = try HistoryCopy(from: source.store, to: target).copy()

        #expect(report.copiedSessions == 3 && report.skippedSessions == 0 && report.includedSessions == 0)
        #expect(Int64(report.runs) == (try Self.count("run", in: source.store)))
        #expect(Int64(report.values) == (try Self.count("value", in: source.store)))
        #expect(report.replaysWithoutOriginal == 0)
        #expect(try CanonicalViews(target) == CanonicalViews(source.store).adding(before))
        #expect(try Self.replayInputs(target) == (try Self.replayInputs(source.store) + inputsBefore).sorted())
        // Every table grew by exactly the source's rows (the target's own seed graph has other
        // nodes than the copied seed's, so the copy does not reuse it).
        let sourceCounts = try Self.counts(source.store)
        for (table, count) in try Self.counts(target) {
            #expect(count == (countsBefore[table] ?? 0) + (sourceCounts[table] ?? 0), "\(table)")
        }
        // The dataset tensor is stored once in the source and referenced by every step.
        #expect(try Self.count("tensor", in: source.store) < Self.count("value WHERE value_tensor_id IS NOT NULL", in: source.store))
        // The copy's ids are the target's: the copied replay names the copied seed run.
        let copiedReplay = try #require(try target.query("""
            SELECT r.replay_of, o.id FROM run AS r JOIN session AS s ON s.id = r.session_id
            JOIN session AS os ON os.uid = ?1 JOIN run AS o ON o.session_id = os.id
            WHERE s.uid = ?2 AND r.kind = 'replay'
            """, arguments: [.text(try source.uid(of: source.fixture.seed.sessionID)), .text(try source.uid(of: source.fixture.replaySession))]).rows.first)
        #expect(copiedReplay[0] == copiedReplay[1] && copiedReplay[0] != .integer(source.fixture.seed.runID))
        #expect(try target.query("PRAGMA foreign_key_check").rows.isEmpty)
        #expect(try target.query("PRAGMA integrity_check").rows == [[.text("ok")]])
    }

    @Test func aSecondCopyAddsNothing() throws {
        let source = try Source()
        let directory = try TemporaryDirectory()
        let target = try RunStore(path: directory.path("target.db"))
        let first = try HistoryCopy(from: source.store, to: target).copy()
        let counts = try Self.counts(target)
        let views = try CanonicalViews(target)

        let second = try HistoryCopy(from: source.store, to: target).copy()

        #expect(first.copiedSessions == 3)
        #expect(second.copiedSessions == 0 && second.skippedSessions == 3 && second.runs == 0 && second.values == 0)
        #expect(second.summary == "copied 0 sessions (0 runs, 0 values), skipped 3 already there")
        #expect(try Self.counts(target) == counts)
        #expect(try CanonicalViews(target) == views)
    }

    @Test func aSubsetThenTheRest() throws {
        let source = try Source()
        let directory = try TemporaryDirectory()
        let target = try RunStore(path: directory.path("target.db"))

        let training = try HistoryCopy(from: source.store, to: target).copy(sessions: [try source.uid(of: source.fixture.trainingSession)])
        #expect(training.copiedSessions == 1 && training.includedSessions == 0 && training.skippedSessions == 0)
        #expect(Int64(training.runs) == (try Self.count("run WHERE session_id = \(source.fixture.trainingSession)", in: source.store)))
        // A session id of the source names a session too.
        let seed = try HistoryCopy(from: source.store, to: target).copy(sessions: ["\(source.fixture.seed.sessionID)"])
        #expect(seed.copiedSessions == 1 && seed.runs == 1 && seed.values == 8)
        // The replay session cites the seed's rows, which the target holds under other ids now.
        let rest = try HistoryCopy(from: source.store, to: target).copy()
        #expect(rest.copiedSessions == 1 && rest.skippedSessions == 2 && rest.replaysWithoutOriginal == 0)
        #expect(rest.summary == "copied 1 session (1 run, 8 values), skipped 2 already there")

        #expect(try CanonicalViews(target) == CanonicalViews(source.store))
        #expect(try Self.counts(target) == Self.counts(source.store))
        #expect(try Self.replayInputs(target) == Self.replayInputs(source.store))
    }

    @Test func aReplaySessionBringsTheSessionWhoseRunItReplays() throws {
        let source = try Source()
        let directory = try TemporaryDirectory()
        let target = try RunStore(path: directory.path("target.db"))

        let report = try HistoryCopy(from: source.store, to: target).copy(sessions: [try source.uid(of: source.fixture.replaySession)])

        #expect(report.copiedSessions == 2 && report.includedSessions == 1)
        #expect(report.summary == "copied 2 sessions (2 runs, 16 values), skipped 0 already there; 1 of the copied was not asked for: the sessions asked for replay its runs")
        let views = try CanonicalViews(target)
        let sourceViews = try CanonicalViews(source.store)
        let replayUID = try source.uid(of: source.fixture.replaySession)
        let seedUID = try source.uid(of: source.fixture.seed.sessionID)
        #expect(views.views["runs"] == sourceViews.views["runs"]?.filter { $0.contains(replayUID) || $0.contains("run_id=\(seedUID)#") })
        #expect(views.views["runs"]?.contains { $0.contains("replay_of=\(seedUID)#0") } == true)
    }

    @Test func aReplayWhoseOriginalTheTargetsCopyLacksLosesOnlyItsReplayOf() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("source.db")
        let writer = try RunStore(path: path)
        let seed = try SeedRecording.record(into: writer)
        let target = try RunStore(path: directory.path("target.db"))
        let first = try HistoryCopy(from: try RunStore(path: path, mode: .readOnly), to: target).copy()
        #expect(first.unfinishedSessions == 1)
        #expect(first.summary == "copied 1 session (1 run, 8 values), skipped 0 already there; 1 of the copied had not ended (still recording, or its process died): copied as far as it got")
        // The seed session goes on recording after its copy: its second run is not in the target.
        let later = try writer.insertRun(
            RunRecord(sessionID: seed.sessionID, cellID: seed.cellID, kind: .backward, target: "J", targetNodeID: seed.nodeIDs["J"],
                      loss: 2, recordPolicy: .params),
            nodeIDs: Array(seed.nodeIDs.values), values: [])
        let replaySession = try writer.beginSession(kind: .batch, notebook: nil)
        let replay = SeedRecording(sessionID: seed.sessionID, cellID: seed.cellID, nodeIDs: seed.nodeIDs, runID: later)
        _ = try CopyFixture.recordReplay(of: replay, in: replaySession, store: writer)

        let report = try HistoryCopy(from: try RunStore(path: path, mode: .readOnly), to: target).copy()

        #expect(report.copiedSessions == 1 && report.skippedSessions == 1 && report.replaysWithoutOriginal == 1 && report.unfinishedSessions == 1)
        #expect(report.summary.hasSuffix("; 1 replay lost its original run (replay_of NULL): the target's copy of the original session lacks it"))
        let copied = try target.query("SELECT kind, replay_of, target_node_id IS NOT NULL FROM run WHERE session_id = (SELECT max(id) FROM session)").rows
        #expect(copied == [[.text("replay"), .null, .integer(1)]])
        #expect(try target.query("PRAGMA foreign_key_check").rows.isEmpty)
    }

    @Test func sessionsThatReplayEachOthersRunsGoOverInOneTransaction() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("source.db")
        let writer = try RunStore(path: path)
        let first = try SeedRecording.record(into: writer)
        let second = try SeedRecording.record(into: writer)
        // Each session replays a run of the other (two kernels running %rerun on each other's runs).
        let secondReplays = try CopyFixture.recordReplay(of: first, in: second.sessionID, store: writer)
        let replayed = SeedRecording(sessionID: second.sessionID, cellID: second.cellID, nodeIDs: second.nodeIDs, runID: secondReplays)
        _ = try CopyFixture.recordReplay(of: replayed, in: first.sessionID, store: writer)
        let source = try RunStore(path: path, mode: .readOnly)
        let target = try RunStore(path: directory.path("target.db"))
        _ = try SeedRecording.record(into: target)
        let before = try CanonicalViews(target)
        let committed = target.connection.transactionsCommitted

        let report = try HistoryCopy(from: source, to: target).copy()

        #expect(report.copiedSessions == 2 && report.runs == 4)
        #expect(target.connection.transactionsCommitted == committed + 1)
        #expect(try CanonicalViews(target) == CanonicalViews(source).adding(before))
    }

    @Test func sessionsAreOrderedSoThatTheOnesTheyCiteComeFirst() {
        #expect(HistoryCopy.orderedGroups([1, 2, 3], cites: [:]) == [[1], [2], [3]])
        #expect(HistoryCopy.orderedGroups([1, 2, 3], cites: [1: [3]]) == [[3], [1], [2]])
        #expect(HistoryCopy.orderedGroups([1, 2, 3, 4], cites: [1: [3], 3: [1], 2: [4]]) == [[1, 3], [4], [2]])
        #expect(HistoryCopy.orderedGroups([1, 2, 3], cites: [1: [2], 2: [3], 3: [1]]) == [[1, 2, 3]])
        // A chain as long as a history's sessions may be does not recurse.
        let chain = (1...20_000).map(Int64.init)
        let cites = Dictionary(uniqueKeysWithValues: chain.dropLast().map { ($0, [$0 + 1]) })
        #expect(HistoryCopy.orderedGroups(chain, cites: cites) == chain.reversed().map { [$0] })
    }

    @Test func aSessionThatFailsLeavesNothingAndTheOnesBeforeItStay() throws {
        let source = try Source()
        let directory = try TemporaryDirectory()
        let target = try RunStore(path: directory.path("target.db"))
        // The training session's last run (a forward run) cannot be written into this target.
        _ = try target.query("CREATE TRIGGER refuse_forward BEFORE INSERT ON run WHEN NEW.kind = 'forward' BEGIN SELECT RAISE(ABORT, 'no forward runs here'); END")

        let copy = HistoryCopy(from: source.store, to: target)
        let failure = try #require(throws: HistoryCopyFailure.self) { try copy.copy() }

        let trainingUID = try source.uid(of: source.fixture.trainingSession)
        #expect(failure.copiedBefore.copiedSessions == 1)
        #expect(failure.description.hasPrefix("session \(trainingUID): no forward runs here"))
        #expect(failure.description.hasSuffix("(the 1 session copied before it stay copied)"))
        #expect(try target.query("SELECT uid FROM session").rows == [[.text(try source.uid(of: source.fixture.seed.sessionID))]])
        for (table, expected) in ["cell": 1, "node": 8, "graph": 1, "graph_node": 8, "run": 1, "value": 8, "train": 0, "tensor": 0, "checkpoint": 0] {
            #expect(try Self.count(table, in: target) == Int64(expected), "\(table)")
        }
        // The rest goes over once the target accepts it.
        _ = try target.query("DROP TRIGGER refuse_forward")
        let rest = try HistoryCopy(from: source.store, to: target).copy()
        #expect(rest.copiedSessions == 2 && rest.skippedSessions == 1)
        #expect(try CanonicalViews(target) == CanonicalViews(source.store))
    }

    @Test func anUnknownSessionIsRefusedWithTheSourcesName() throws {
        let source = try Source()
        let target = try RunStore(path: ":memory:")
        let failure = try #require(throws: HistoryCopyFailure.self) {
            try HistoryCopy(from: source.store, to: target).copy(sessions: ["nope"])
        }
        #expect(failure.description == "no session 'nope' in \(source.path) (give a session_uid or session_id from its sessions view)")
        #expect(try Self.count("session", in: target) == 0)
    }

    /// A table or column added to schema.sql must be described for the copy, or copies would
    /// silently drop it; a foreign key not described would be copied as a stale id.
    @Test func theTableDescriptionCoversEverySchemaTableColumnAndForeignKey() throws {
        let store = try RunStore(path: ":memory:")
        let tables = try store.query("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").rows
            .compactMap { $0.first?.textValue }
        #expect(tables == HistoryTable.all.map(\.name).sorted())
        for table in HistoryTable.all {
            let columns = try store.query("SELECT name FROM pragma_table_info(?1)", arguments: [.text(table.name)]).rows.compactMap { $0.first?.textValue }
            #expect(Set(columns) == Set(table.selectedColumns) && columns.count == table.selectedColumns.count, "\(table.name)")
            let keys = try store.query("SELECT \"from\", \"table\" FROM pragma_foreign_key_list(?1)", arguments: [.text(table.name)]).rows
            let references = Dictionary(keys.map { ($0[0].textValue ?? "", $0[1].textValue ?? "") }, uniquingKeysWith: { first, _ in first })
            #expect(references == table.references, "\(table.name)")
        }
    }

    @Test func countsAreGroupedByThousands() {
        #expect(HistoryCopyReport.grouped(0) == "0")
        #expect(HistoryCopyReport.grouped(999) == "999")
        #expect(HistoryCopyReport.grouped(1_234) == "1,234")
        #expect(HistoryCopyReport.grouped(56_789_012) == "56,789,012")
    }
}
