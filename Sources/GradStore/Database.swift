import CSQLite
import Foundation

/// How a database is opened.
public enum OpenMode: Sendable, Equatable {
    /// Creates the file if needed; WAL journal, foreign keys on.
    case readWrite
    /// `SQLITE_OPEN_READONLY` plus `PRAGMA query_only`: no statement can change the file.
    case readOnly
}

/// One SQLite connection. Owns the `sqlite3*` and closes it in `deinit`.
///
/// Not thread-safe: use a `Database` (and its statements) from one thread at a time.
public final class Database {
    public let path: String
    public let mode: OpenMode
    private let usesWriteAheadLog: Bool
    let handle: OpaquePointer
    private var statementCache: [String: Statement] = [:]
    private var savepointDepth = 0
    /// Top-level transactions committed through `transaction`: what a piece of work costs in
    /// commits (each one takes the write lock and appends to the WAL).
    public private(set) var transactionsCommitted = 0
    /// Called after every rollback this wrapper performs, so owners can drop cached row ids.
    public var rollbackObserver: (() -> Void)?
    /// Set by `checkpointInBackground()`.
    private(set) var checkpointer: BackgroundCheckpointer?

    /// Whether `path` names an in-memory database.
    public var isInMemory: Bool { Database.isInMemoryPath(path) }

    static func isInMemoryPath(_ path: String) -> Bool {
        path == ":memory:" || path.isEmpty
    }

    /// Opens (read-write: creating) the database at `path`, or `:memory:`.
    /// - Parameter busyTimeout: seconds a writer waits for another writer's lock before failing.
    /// - Parameter usesWriteAheadLog: switch a read-write file to WAL now; a caller that must first
    ///   check whose file it is passes false and calls `enableWriteAheadLog()` afterwards.
    public init(path: String, mode: OpenMode = .readWrite, busyTimeout: Double = 5, usesWriteAheadLog: Bool = true) throws {
        self.path = path
        self.mode = mode
        self.usesWriteAheadLog = usesWriteAheadLog
        try Database.checkLocation(path: path, mode: mode)

        var opened: OpaquePointer?
        // NOMUTEX: a connection is used from one thread at a time (see the type's doc), so
        // SQLite's per-call locking is pure cost on the hot insert path.
        let flags = (mode == .readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
            | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &opened, flags, nil)
        guard code == SQLITE_OK, let opened else {
            let error = SQLiteError.last(opened, code: code)
            sqlite3_close_v2(opened)
            throw Database.describeOpenFailure(error, path: path)
        }
        handle = opened
        sqlite3_extended_result_codes(handle, 1)
        // See checkpointBeforeClosing: the close must not take the database file's exclusive lock.
        _ = gradbook_sqlite3_db_config_int(handle, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nil)
        sqlite3_busy_timeout(handle, Int32(clamping: Int((busyTimeout * 1000).rounded())))

        do {
            try configure()
        } catch let error as SQLiteError {
            throw Database.describeOpenFailure(error, path: path)
        }
    }

    deinit {
        statementCache.removeAll()
        checkpointer?.detach(from: handle)
        checkpointBeforeClosing()
        // close_v2 defers the close until statements still alive elsewhere are finalized.
        sqlite3_close_v2(handle)
    }

    /// Copies the WAL into the database file and empties it, so the file alone holds the whole
    /// history once the session ends, without the lock SQLite's own close would take for that.
    ///
    /// SQLite's default close checks whether it is the last connection by taking the database
    /// file's EXCLUSIVE lock, and if so checkpoints and deletes the WAL while holding it. Any
    /// reader opening the file in that window (the stock shell has no busy timeout) fails with
    /// "database is locked". A TRUNCATE checkpoint works under WAL-index locks only, which
    /// readers wait out by themselves; with no busy timeout it never stalls the close behind a
    /// reader. If a reader is mid-query, the checkpoint stops short and the rest stays in the
    /// WAL, which is part of the database: the next writer's checkpoint copies it.
    private func checkpointBeforeClosing() {
        guard mode == .readWrite, !isInMemory else { return }
        sqlite3_busy_timeout(handle, 0)
        _ = sqlite3_wal_checkpoint_v2(handle, "main", SQLITE_CHECKPOINT_TRUNCATE, nil, nil)
    }

    private func configure() throws {
        // Reading the schema is the first access to the file: a non-database or a corrupt
        // header fails here, with a clear error, instead of at some later statement.
        _ = try scalarInteger("SELECT count(*) FROM sqlite_schema")
        switch mode {
        case .readOnly:
            try execute("PRAGMA query_only = ON")
        case .readWrite:
            if sqlite3_db_readonly(handle, "main") == 1 {
                throw SQLiteError(code: SQLITE_READONLY, message: "the file is read-only (no write permission)")
            }
            if usesWriteAheadLog { try enableWriteAheadLog() }
        }
        try execute("PRAGMA foreign_keys = ON")
    }

    /// Switches a read-write file to WAL (readers never wait for the writer) with
    /// `synchronous = NORMAL`; nothing for an in-memory database.
    public func enableWriteAheadLog() throws {
        guard mode == .readWrite, !isInMemory else { return }
        let journal = try scalarText("PRAGMA journal_mode = WAL")
        guard journal?.lowercased() == "wal" else {
            throw SQLiteError(code: SQLITE_CANTOPEN,
                              message: "cannot use WAL journal mode (journal_mode is \(journal ?? "unknown"))")
        }
        try execute("PRAGMA synchronous = NORMAL")
    }

    /// Moves the log's checkpoints off the committing thread (see BackgroundCheckpointer);
    /// nothing for an in-memory or read-only database, or when already done.
    public func checkpointInBackground() {
        guard mode == .readWrite, !isInMemory, checkpointer == nil else { return }
        let checkpointer = BackgroundCheckpointer(path: path)
        checkpointer.attach(to: handle)
        self.checkpointer = checkpointer
    }

    /// Fails early, with the path, where SQLite would only say "unable to open database file".
    private static func checkLocation(path: String, mode: OpenMode) throws {
        guard !isInMemoryPath(path) else { return }
        let fileManager = FileManager.default
        let directory = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        if !directory.isEmpty,
           !fileManager.fileExists(atPath: directory, isDirectory: &isDirectory) || !isDirectory.boolValue {
            throw SQLiteError(code: SQLITE_CANTOPEN,
                              message: "cannot open database \(path): directory \(directory) does not exist")
        }
        if fileManager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw SQLiteError(code: SQLITE_CANTOPEN, message: "cannot open database \(path): it is a directory")
        }
        if mode == .readOnly, !fileManager.fileExists(atPath: path) {
            throw SQLiteError(code: SQLITE_CANTOPEN, message: "no database at \(path)")
        }
    }

    private static func describeOpenFailure(_ error: SQLiteError, path: String) -> SQLiteError {
        let detail: String
        switch error.primaryCode {
        case SQLITE_NOTADB: detail = "\(path) is not a SQLite database"
        case SQLITE_CORRUPT: detail = "\(path) is corrupt (\(error.message))"
        case SQLITE_READONLY: detail = "cannot write \(path): \(error.message)"
        case SQLITE_CANTOPEN: detail = "cannot open database \(path): \(error.message)"
        case SQLITE_BUSY: detail = "database \(path) is locked by another process (\(error.message))"
        default: detail = "cannot open database \(path): \(error.message)"
        }
        if error.message.contains(path) { return error }
        return SQLiteError(code: error.code, message: detail)
    }

    // MARK: statements

    /// Runs one or more SQL statements without arguments (schema scripts, PRAGMAs).
    public func execute(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        defer { sqlite3_free(errorMessage) }
        guard code == SQLITE_OK else {
            let message = errorMessage.map { String(cString: $0) } ?? SQLiteError.last(handle, code: code).message
            throw SQLiteError(code: sqlite3_extended_errcode(handle), message: message, sql: sql)
        }
    }

    /// Prepares a fresh statement that the caller owns.
    public func prepare(_ sql: String) throws -> Statement {
        try Statement(connection: handle, sql: sql)
    }

    /// A statement prepared once per connection and reused (reset) on every call: the way to
    /// run hot inserts. The caller must not keep it across a call that might reuse it.
    public func cachedStatement(_ sql: String) throws -> Statement {
        if let statement = statementCache[sql] {
            statement.reset()
            statement.clearBindings()
            return statement
        }
        let statement = try prepare(sql)
        statementCache[sql] = statement
        return statement
    }

    /// Runs every statement of `script` in order, as the sqlite3 shell does, and returns the
    /// rows of the last statement that produces columns (a SELECT, a PRAGMA with output,
    /// RETURNING). `arguments` are bound to every statement that has parameters.
    /// - Parameter readOnlyRefusal: when set, a statement that would change the database is
    ///   refused with this error before it runs (statements before it have run).
    func runScript(_ script: String, arguments: [SQLValue],
                   refuseWrites readOnlyRefusal: SQLiteError?) throws -> QueryResult {
        var result = QueryResult(columns: [], rows: [])
        let changesBefore = sqlite3_total_changes64(handle)
        if readOnlyRefusal != nil {
            // sqlite3_stmt_readonly() calls ATTACH and DETACH read-only (they change the
            // connection, not its files), yet ATTACH creates the file it names: the authorizer
            // refuses them while the statement is prepared.
            sqlite3_set_authorizer(handle, refuseAttach, nil)
        }
        defer { if readOnlyRefusal != nil { sqlite3_set_authorizer(handle, nil, nil) } }
        let bytes = Array(script.utf8) + [0]
        try bytes.withUnsafeBufferPointer { buffer in
            guard let start = buffer.baseAddress else { return }
            var cursor = UnsafeRawPointer(start).assumingMemoryBound(to: CChar.self)
            while cursor.pointee != 0 {
                var prepared: OpaquePointer?
                var tail: UnsafePointer<CChar>?
                let code = sqlite3_prepare_v2(handle, cursor, -1, &prepared, &tail)
                let consumed = tail.map { $0 - cursor } ?? strlen(cursor)
                let text = String(decoding: UnsafeRawBufferPointer(start: cursor, count: max(consumed, 0)), as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                guard code == SQLITE_OK else {
                    sqlite3_finalize(prepared)
                    if let readOnlyRefusal, code == SQLITE_AUTH {
                        throw SQLiteError(code: readOnlyRefusal.code, message: readOnlyRefusal.message, sql: text)
                    }
                    throw SQLiteError.last(handle, code: code, sql: text)
                }
                if let prepared {
                    let statement = Statement(connection: handle, handle: prepared, sql: text)
                    if let readOnlyRefusal, !statement.isReadOnly {
                        throw SQLiteError(code: readOnlyRefusal.code, message: readOnlyRefusal.message, sql: text)
                    }
                    let parameterCount = sqlite3_bind_parameter_count(prepared)
                    let boundArguments = parameterCount > 0 ? arguments : []
                    if statement.columnCount > 0 {
                        result.columns = statement.columnNames
                        result.rows = try statement.rows(boundArguments)
                    } else {
                        try statement.execute(boundArguments)
                    }
                }
                guard let tail, tail > cursor else { break }
                cursor = tail
            }
        }
        result.changes = Int(clamping: sqlite3_total_changes64(handle) - changesBefore)
        return result
    }

    // MARK: transactions

    /// Whether a transaction is open on this connection.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` in a transaction: `BEGIN IMMEDIATE` … `COMMIT`, or `ROLLBACK` if it throws.
    /// Nested calls become savepoints, so an inner failure undoes only the inner work.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        if isInTransaction {
            return try savepoint(body)
        }
        // IMMEDIATE takes the write lock now, so a second writer waits (busy_timeout) here
        // rather than failing at its first write with SQLITE_BUSY_SNAPSHOT.
        try executeCached("BEGIN IMMEDIATE")
        let result: T
        do {
            result = try body()
        } catch {
            rollbackQuietly()
            throw error
        }
        do {
            try executeCached("COMMIT")
        } catch {
            rollbackQuietly()
            throw error
        }
        transactionsCommitted &+= 1
        return result
    }

    /// Runs a statement without arguments or rows through the statement cache: transaction
    /// control runs several times per cell, and `execute` (sqlite3_exec) would compile it
    /// again every time.
    private func executeCached(_ sql: String) throws {
        let statement = try cachedStatement(sql)
        defer { statement.reset() }
        while try statement.step() {}
    }

    /// Runs `body` inside a savepoint; on error, rolls back to it and rethrows.
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        savepointDepth &+= 1
        defer { savepointDepth &-= 1 }
        let name = "gradbook_\(savepointDepth)"
        try executeCached("SAVEPOINT \(name)")
        let result: T
        do {
            result = try body()
        } catch {
            try? execute("ROLLBACK TO \(name)")
            try? execute("RELEASE \(name)")
            rollbackObserver?()
            throw error
        }
        try executeCached("RELEASE \(name)")
        return result
    }

    private func rollbackQuietly() {
        if isInTransaction {
            try? execute("ROLLBACK")
        }
        rollbackObserver?()
    }

    // MARK: small helpers

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Rows changed by the most recent INSERT, UPDATE or DELETE.
    public var changes: Int { Int(sqlite3_changes64(handle)) }

    /// The first column of the first row, as an integer (nil for no row or NULL).
    public func scalarInteger(_ sql: String, _ arguments: [SQLValue] = []) throws -> Int64? {
        let statement = try cachedStatement(sql)
        try statement.bind(arguments)
        defer { statement.reset() }
        guard try statement.step(), !statement.isNull(at: 0) else { return nil }
        return statement.int64(at: 0)
    }

    /// The first column of the first row, as text (nil for no row or NULL).
    public func scalarText(_ sql: String, _ arguments: [SQLValue] = []) throws -> String? {
        let statement = try prepare(sql)
        try statement.bind(arguments)
        guard try statement.step(), !statement.isNull(at: 0) else { return nil }
        return statement.text(at: 0)
    }

    /// Drops every cached statement, e.g. after a schema change made them stale.
    public func clearStatementCache() {
        statementCache.removeAll()
    }
}

/// The authorizer of read-only scripts: every action but ATTACH and DETACH is allowed (the
/// read-only check of each prepared statement refuses the writes).
private func refuseAttach(_: UnsafeMutableRawPointer?, _ action: Int32, _: UnsafePointer<CChar>?, _: UnsafePointer<CChar>?,
                          _: UnsafePointer<CChar>?, _: UnsafePointer<CChar>?) -> Int32 {
    action == SQLITE_ATTACH || action == SQLITE_DETACH ? SQLITE_DENY : SQLITE_OK
}
