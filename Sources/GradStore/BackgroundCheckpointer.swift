import CSQLite
import Foundation

/// Copies a database's write-ahead log into the database file on a thread and connection of
/// its own, so that no commit waits for it.
///
/// SQLite's automatic checkpoint runs inside the commit that takes the log past 1,000 pages:
/// that commit then copies the pages and waits for two fdatasyncs (tens of milliseconds here),
/// which lands on whatever the session does next, typically the end of a train() call. The
/// SQLite documentation's alternative is this one: replace the automatic checkpoint with a WAL
/// hook that wakes a checkpointer elsewhere. Its PASSIVE checkpoints never take the write lock,
/// so commits go on while it copies; once it has copied every frame, the next write
/// transaction starts the log from its beginning again. A log it could not finish (a reader
/// held an old snapshot) is part of the database all the same, and is copied by a later
/// checkpoint or the closing one.
///
/// A writer that never pauses can outrun it: the log starts again only when a checkpoint has
/// copied every frame, and frames keep arriving while one copies. So a log that reaches
/// `catchUpPages` is checkpointed by the committing thread itself, as SQLite's automatic
/// checkpoint would have done much earlier; with most frames already copied, that copies the
/// tail and bounds the log.
final class BackgroundCheckpointer: @unchecked Sendable {
    // @unchecked: everything is guarded by `condition`; the checkpointing thread's connection
    // is a local of that thread.

    /// Log size, in pages, that wakes the checkpointer: SQLite's own automatic threshold.
    static let thresholdPages: Int32 = 1000
    /// Log size, in pages, at which the committing thread checkpoints (see the type's doc).
    static let catchUpPages: Int32 = 4 * thresholdPages

    private let path: String
    private let condition = NSCondition()
    /// Log frames that existed when the last checkpoint was asked for, so that a log the
    /// checkpointer cannot shorten (a long reader) does not ask again on every commit.
    private var framesAtLastRequest: Int32 = 0
    private var requested = false
    private var running = false
    private var thread: JoinableThread?
    private var threadStarted = false
    private var stopping = false
    /// The thread has returned (stopped, or could not open its connection).
    private var ended = false
    private var completed = 0

    /// A checkpointer for the read-write database at `path`. Its thread and connection start
    /// with the first checkpoint asked for: a session that never writes 1,000 pages pays for
    /// neither.
    init(path: String) {
        self.path = path
    }

    /// Replaces `writer`'s automatic checkpoint with this checkpointer. The checkpointer must
    /// outlive the hook: call `detach(from:)` before releasing it.
    func attach(to writer: OpaquePointer) {
        sqlite3_wal_hook(writer, { context, connection, _, frames in
            guard let context else { return SQLITE_OK }
            Unmanaged<BackgroundCheckpointer>.fromOpaque(context).takeUnretainedValue().logGrew(to: frames)
            if frames >= BackgroundCheckpointer.catchUpPages {
                // PASSIVE: if the checkpointer is copying right now, this returns at once and
                // a later commit tries again.
                _ = sqlite3_wal_checkpoint_v2(connection, "main", SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            }
            return SQLITE_OK
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Removes the hook and ends the thread (after the checkpoint it may be running).
    func detach(from writer: OpaquePointer) {
        sqlite3_wal_hook(writer, nil, nil)
        condition.lock()
        stopping = true
        condition.broadcast()
        let started = thread
        condition.unlock()
        started?.join()
    }

    /// Called by SQLite after every commit on the writing connection, on the committing thread.
    private func logGrew(to frames: Int32) {
        condition.lock()
        defer { condition.unlock() }
        // A smaller log than at the last request: it was started again from the beginning.
        if frames < framesAtLastRequest { framesAtLastRequest = 0 }
        guard frames &- framesAtLastRequest >= BackgroundCheckpointer.thresholdPages, !stopping else { return }
        framesAtLastRequest = frames
        requested = true
        if !threadStarted {
            threadStarted = true
            // Without the thread (the system refused one), the catch-up checkpoints in the
            // hook still bound the log.
            thread = try? JoinableThread(name: "gradbook-ckpt") { [self] in checkpointUntilStopped() }
        }
        condition.broadcast()
    }

    private func checkpointUntilStopped() {
        // Without a connection (the file cannot be opened again), the catch-up checkpoints in
        // the hook still bound the log.
        let connection = openConnection()
        defer {
            if let connection { sqlite3_close_v2(connection) }
            condition.lock()
            ended = true
            condition.broadcast()
            condition.unlock()
        }
        guard let handle = connection else { return }
        condition.lock()
        while true {
            while !requested && !stopping {
                condition.wait()
            }
            if stopping { break }
            requested = false
            running = true
            condition.unlock()
            // Errors (a busy file, a full disk) leave the frames in the log, which is part of
            // the database; the next checkpoint tries again.
            let code = sqlite3_wal_checkpoint_v2(handle, "main", SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            condition.lock()
            running = false
            if code == SQLITE_OK { completed += 1 }
            condition.broadcast()
        }
        condition.unlock()
    }

    private func openConnection() -> OpaquePointer? {
        var opened: OpaquePointer?
        guard sqlite3_open_v2(path, &opened, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK,
              let handle = opened else {
            sqlite3_close_v2(opened)
            return nil
        }
        // Closing must not checkpoint either (see Database.checkpointBeforeClosing).
        _ = gradbook_sqlite3_db_config_int(handle, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nil)
        // The writing connection's durability: the log is synced before the database file
        // is written, and the file after.
        _ = sqlite3_exec(handle, "PRAGMA synchronous = NORMAL", nil, nil, nil)
        return handle
    }

    /// Waits until no checkpoint is asked for or running; returns how many have completed.
    func waitUntilIdle() -> Int {
        condition.lock()
        defer { condition.unlock() }
        while (requested || running) && !stopping && !ended {
            condition.wait()
        }
        return completed
    }
}
