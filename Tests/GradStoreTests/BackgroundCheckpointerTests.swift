import CSQLite
import Foundation
import Testing
@testable import GradStore

/// The write-ahead log is copied into the database file by the store's checkpointer thread,
/// never by a commit (see BackgroundCheckpointer).
@Suite struct BackgroundCheckpointerTests {
    typealias History = ParamHistory

    static func makeHistory() throws -> History {
        try ParamHistory(shape: [64, 64])
    }

    /// One run holding a 64 x 64 tensor that differs from the previous run's (about 30
    /// pages of log with its JSON).
    static func writeRun(_ index: Int, into history: History) throws {
        let elements = (0..<4096).map { Double($0) + Double(index) / 3 }
        _ = try history.store.insertRun(
            RunRecord(sessionID: history.sessionID, cellID: nil, kind: .backward, target: "W", recordPolicy: .params),
            nodeIDs: [history.nodeID],
            values: [ValueRecord(nodeID: history.nodeID, shape: [64, 64], value: .full(elements), grad: nil)])
    }

    static func walBytes(_ history: History) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: history.path + "-wal")
        return (attributes[.size] as? NSNumber)?.intValue ?? -1
    }

    @Test func commitsDoNotCheckpointAndTheLogStaysBounded() throws {
        let history = try Self.makeHistory()
        // SQLite reports 0 when its own automatic checkpoint is not what runs after a commit.
        #expect(try history.store.connection.scalarInteger("PRAGMA wal_autocheckpoint") == 0)
        let runs = 400  // ~12,000 pages of log, twelve times the threshold
        for index in 0..<runs {
            try Self.writeRun(index, into: history)
        }
        let checkpointer = try #require(history.store.sqliteDatabase?.checkpointer)
        #expect(checkpointer.waitUntilIdle() >= 1)
        // One more commit starts the fully copied log again from its beginning.
        try Self.writeRun(runs, into: history)
        let pageSize = 4096
        let bound = Int(BackgroundCheckpointer.catchUpPages) + 100
        // Without checkpoints the log would hold all 12,000 pages (~48 MB).
        #expect(try Self.walBytes(history) < bound * pageSize)
        #expect(try history.store.connection.scalarInteger("SELECT count(*) FROM run") == Int64(runs + 1))
    }

    @Test func aReaderHoldingASnapshotDelaysTheCopyButNotTheWriter() throws {
        let history = try Self.makeHistory()
        try Self.writeRun(0, into: history)
        let reader = try Database(path: history.path, mode: .readOnly)
        try reader.execute("BEGIN")
        #expect(try reader.scalarInteger("SELECT count(*) FROM run") == 1)
        for index in 1...100 {
            try Self.writeRun(index, into: history)
        }
        let checkpointer = try #require(history.store.sqliteDatabase?.checkpointer)
        _ = checkpointer.waitUntilIdle()
        #expect(try reader.scalarInteger("SELECT count(*) FROM run") == 1, "the reader keeps its snapshot")
        try reader.execute("COMMIT")
        #expect(try reader.scalarInteger("SELECT count(*) FROM run") == 101)
        #expect(try reader.scalarText("PRAGMA integrity_check") == "ok")
    }

    @Test func closingWaitsForARunningCheckpointAndLeavesAnEmptyLog() throws {
        var history: History? = try Self.makeHistory()
        for index in 0..<60 {
            try Self.writeRun(index, into: try #require(history))
        }
        let path = try #require(history?.path)
        let directory = try #require(history?.directory)
        history = nil  // closes while the checkpointer may still be copying
        let attributes = try FileManager.default.attributesOfItem(atPath: path + "-wal")
        #expect((attributes[.size] as? NSNumber)?.intValue == 0)
        let reader = try Database(path: path, mode: .readOnly)
        #expect(try reader.scalarInteger("SELECT count(*) FROM run") == 60)
        #expect(try reader.scalarText("PRAGMA integrity_check") == "ok")
        _ = directory
    }

    @Test func inMemoryAndReadOnlyStoresHaveNoCheckpointer() throws {
        #expect(try RunStore(path: ":memory:").sqliteDatabase?.checkpointer == nil)
        let history = try Self.makeHistory()
        #expect(try RunStore(path: history.path, mode: .readOnly).sqliteDatabase?.checkpointer == nil)
    }
}
