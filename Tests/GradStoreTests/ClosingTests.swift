import CSQLite
import Foundation
import Testing
@testable import GradStore

/// How a session's connection leaves the file when it closes (see Database.checkpointBeforeClosing).
@Suite struct ClosingTests {
    @Test func theDatabaseFileAloneHoldsTheHistoryOnceTheStoreCloses() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("history.db")
        let sessions: Int64
        do {
            let store = try RunStore(path: path)
            _ = try SeedRecording.record(into: store)
            sessions = try #require(try store.connection.scalarInteger("SELECT count(*) FROM session"))
            #expect(try fileSize(path + "-wal") > 0, "the writes went to the WAL first")
        }
        // Emptied by a TRUNCATE checkpoint, not deleted by SQLite's close-time checkpoint: that
        // one holds the file's exclusive lock, which a reader without a busy timeout fails on.
        #expect(try fileSize(path + "-wal") == 0)
        let copy = directory.path("copy.db")
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let reader = try Database(path: copy, mode: .readOnly)
        #expect(try reader.scalarInteger("SELECT count(*) FROM session") == sessions)
        #expect(try reader.scalarText("PRAGMA integrity_check") == "ok")
    }

    @Test func aReaderMidQueryNeitherStallsTheCloseNorLosesTheTail() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("history.db")
        var store: RunStore? = try RunStore(path: path)
        // A busy timeout far above anything a close takes, so that the bound below tells a
        // close that waits for the reader (it would take the full minute) from one that does not,
        // however loaded the machine.
        #expect(try store?.connection.scalarInteger("PRAGMA busy_timeout = 60000") == 60_000)
        let reader = try Database(path: path, mode: .readOnly)
        _ = try SeedRecording.record(into: try #require(store))
        let before = try #require(try store?.connection.scalarInteger("SELECT count(*) FROM value"))
        try reader.execute("BEGIN")
        #expect(try reader.scalarInteger("SELECT count(*) FROM value") == before)
        _ = try SeedRecording.record(into: try #require(store))
        let after = try #require(try store?.connection.scalarInteger("SELECT count(*) FROM value"))
        let started = Date()
        store = nil
        #expect(Date().timeIntervalSince(started) < 30, "the closing checkpoint waited for the reader")
        #expect(try reader.scalarInteger("SELECT count(*) FROM value") == before, "the reader keeps its snapshot")
        try reader.execute("COMMIT")
        #expect(try reader.scalarInteger("SELECT count(*) FROM value") == after, "the tail is still in the WAL")
    }

    private func fileSize(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.size] as? NSNumber)?.intValue ?? -1
    }
}
