import Foundation
import Testing
@testable import GradStore

/// The training writer on a server: a call's ids are drawn once, and the steps left when the
/// call ends are put together while the server commits the group before them. The server is
/// made to hold that group (another session locks the `run` table), so the order of events is
/// the test's, not the scheduler's.
@Suite(.enabled(if: PostgresTestDatabase.isConfigured, PostgresTestDatabase.disabledReason))
struct PostgresTrainingWriterTests {
    typealias History = PostgresRunGroupTests.History

    /// The steps of one train() call of `count` steps, a checkpoint every `checkpointEvery`.
    static func steps(_ count: Int, checkpointEvery: Int?, of history: History) -> [TrainingWriter.Step] {
        history.runs(count, checkpointEvery: checkpointEvery).enumerated().map { index, pair in
            let (run, checkpoint) = pair
            let train = index == 0
                ? TrainRecord(sessionID: history.sessionID, cellID: history.cellID, target: "J", optimizerJSON: "{}",
                              steps: count, checkpointEvery: checkpointEvery)
                : nil
            return TrainingWriter.Step(train: train, run: run.record, nodeIDs: run.nodeIDs, values: run.values,
                                       checkpoint: checkpoint)
        }
    }

    /// Writes a call of one step first, as a session's earlier train() would: the connection
    /// has then prepared its statements (preparing an INSERT waits for a lock on its table too).
    static func writeAnEarlierCall(of history: History) throws {
        let writer = try TrainingWriter(store: history.store)
        try writer.submit(steps(1, checkpointEvery: 1, of: history)[0])
        try writer.finish()
    }

    @Test func aCallsRunsTakeConsecutiveIdsDrawnOnce() throws {
        let history = try History()
        let store = history.store
        let reservationsBefore = store.idReservations
        // Capacity 1: the writer takes the steps nearly one at a time, a group each.
        let writer = try TrainingWriter(store: store, capacity: 1)
        for step in Self.steps(20, checkpointEvery: nil, of: history) {
            try writer.submit(step)
        }
        let runIDs = try writer.finish()
        #expect(runIDs.count == 20)
        #expect(runIDs == Array((runIDs.first ?? 0)...(runIDs.first ?? 0) + 19), "\(runIDs)")
        #expect(store.idReservations - reservationsBefore == 1)
        // The id drawn for the run a statement records after its steps is the next run's.
        let next = try store.insertRun(RunRecord(sessionID: history.sessionID, cellID: history.cellID, kind: .backward,
                                                 target: "J"), nodeIDs: [], values: [])
        #expect(next == (runIDs.last ?? 0) + 1)
        #expect(try history.table("SELECT count(*), min(step), max(step) FROM runs WHERE kind = 'train'")
                == [[.integer(20), .integer(0), .integer(19)]])
    }

    /// A call of three steps (checkpoints at 0 and 2) whose `finish()` is running, the server
    /// holding step 0's transaction and the writer having built steps 1 and 2 meanwhile; the
    /// server goes on once `lock` is released.
    private func endACallWhileItsFirstGroupCommits(in history: History) throws -> (lock: RunTableLock, finishing: Finishing) {
        let steps = Self.steps(3, checkpointEvery: 2, of: history)
        let lock = try RunTableLock(database: try history.databaseName)
        let writer = try TrainingWriter(store: history.store)
        try writer.submit(steps[0])
        try lock.waitUntilSomeoneWaits()
        // The writer waits for the server's answer to step 0; the call ends with two steps left.
        try writer.submit(steps[1])
        try writer.submit(steps[2])
        let finishing = Finishing(writer)
        try waitFor("the steps left to be built") { writer.stepsBuiltAhead == 2 }
        return (lock, finishing)
    }

    @Test func theStepsLeftWhenTheCallEndsAreBuiltWhileTheGroupBeforeCommits() throws {
        let history = try History()
        let store = history.store
        try Self.writeAnEarlierCall(of: history)
        let reservationsBefore = store.idReservations
        let (lock, finishing) = try endACallWhileItsFirstGroupCommits(in: history)
        lock.release()
        let runIDs = try finishing.result()
        #expect(runIDs.count == 3 && runIDs == runIDs.sorted())
        #expect(store.idReservations - reservationsBefore == 1, "the last group's ids were drawn with the first's")
        let trainID = try #require(try history.table("SELECT max(train_id) FROM train_steps").first?.first)
        #expect(try store.query("SELECT count(*), min(step), max(step) FROM train_steps WHERE train_id = ?1", arguments: [trainID]).rows
                == [[.integer(3), .integer(0), .integer(2)]])
        #expect(try store.query("SELECT step FROM checkpoints WHERE train_id = ?1 ORDER BY step", arguments: [trainID]).rows
                == [[.integer(0)], [.integer(2)]])
        // The rows built ahead read back as any others: the checkpoint's params in full, step 1's summarized.
        #expect(try store.query("""
            SELECT r.step, count(*), count(*) FILTER (WHERE v.value_stored = 'full') FROM run_values AS v
            JOIN run AS r ON r.id = v.run_id WHERE r.train_id = ?1 GROUP BY r.step ORDER BY r.step
            """, arguments: [trainID]).rows == [[.integer(0), .integer(8), .integer(8)], [.integer(1), .integer(8), .integer(0)],
                     [.integer(2), .integer(8), .integer(8)]])
    }

    @Test func stepsBuiltAheadOfAGroupThatFailsAreNotWritten() throws {
        let history = try History()
        try Self.writeAnEarlierCall(of: history)
        let before = try history.table(Self.rowCounts)
        let (lock, finishing) = try endACallWhileItsFirstGroupCommits(in: history)
        // The server ends the writer's session while step 0's transaction waits.
        try PostgresTestDatabase.psql("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE relation = 'run'::regclass AND NOT granted",
                                      database: try history.databaseName)
        lock.release()
        let error = try #require(throws: PostgresError.self) { try finishing.result() }
        #expect(error.kind == .connectionClosed, "\(error)")
        // Nothing of the call: not step 0, whose transaction was rolled back, nor the steps after it.
        #expect(try history.table(Self.rowCounts) == before)
    }

    static let rowCounts = "SELECT (SELECT count(*) FROM run), (SELECT count(*) FROM train), (SELECT count(*) FROM tensor)"

    /// Polls `condition` (each check an event the test waits for); fails after a minute.
    private func waitFor(_ what: String, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(60)
        while try !condition() {
            guard Date() < deadline else { throw PostgresTestDatabase.Failure(description: "gave up waiting for \(what)") }
            usleep(2_000)
        }
    }
}

/// `finish()` on a thread of its own: it returns only once the server answers.
private final class Finishing: @unchecked Sendable {
    // @unchecked: `outcome` is written once by the thread and read after `done` is signalled.
    private var outcome: Result<[Int64], any Error>?
    private let done = DispatchSemaphore(value: 0)

    init(_ writer: TrainingWriter) {
        Thread.detachNewThread { [self] in
            outcome = Result { try writer.finish() }
            done.signal()
        }
    }

    func result() throws -> [Int64] {
        done.wait()
        return try outcome.map { try $0.get() } ?? []
    }
}

/// Another session holding `LOCK TABLE run IN SHARE MODE` in an open transaction (a `psql`
/// reading its commands from a pipe): every INSERT into `run` waits until `release()`.
private final class RunTableLock {
    private let process = Process()
    private let input = Pipe()
    private let database: String

    init(database: String) throws {
        self.database = database
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database]
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data("BEGIN;\nLOCK TABLE run IN SHARE MODE;\n".utf8))
        try waitUntilLocks("mode = 'ShareLock' AND granted")
    }

    deinit {
        release()
    }

    /// Waits until a session waits for the lock (the writer's INSERT).
    func waitUntilSomeoneWaits() throws {
        try waitUntilLocks("NOT granted")
    }

    func release() {
        guard process.isRunning else { return }
        input.fileHandleForWriting.write(Data("ROLLBACK;\n\\q\n".utf8))
        process.waitUntilExit()
    }

    private func waitUntilLocks(_ condition: String) throws {
        let deadline = Date().addingTimeInterval(60)
        while true {
            let count = try PostgresTestDatabase.psql(
                "SELECT count(*) FROM pg_locks WHERE relation = 'run'::regclass AND \(condition)", database: database)
            if Int(count.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 > 0 { return }
            guard process.isRunning, Date() < deadline else {
                throw PostgresTestDatabase.Failure(description: "no lock on run where \(condition)")
            }
            usleep(2_000)
        }
    }
}
