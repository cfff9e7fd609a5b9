import Foundation

/// The run history of gradbook: sessions, cells, node definitions, runs and their values, in
/// one SQLite file (or `:memory:`). Records in, records out; it knows nothing of the engine.
///
/// Every write method is atomic on its own, and nests: wrap the writes of one interpreter
/// statement in `transaction { }` so that a failing statement leaves nothing behind.
/// Not thread-safe: use a store from one thread at a time.
public final class RunStore {
    /// The backend: a SQLite `Database` or a `PostgresConnection`.
    public let connection: any SQLConnection
    /// Where the history is, as messages show it (a file path, or the server without password).
    public var location: String { connection.location }
    public var mode: OpenMode { connection.mode }
    /// The SQLite connection, for what only a file has (its log, its checkpointer); nil on
    /// PostgreSQL.
    public var sqliteDatabase: Database? { connection as? Database }
    public let schemaVersion: Int32

    /// The graphs of recent runs by their sorted node ids, to give the next run with the same
    /// node definitions the same graph id without a query: every step of a train() call, and the
    /// runs around it, whose graphs alternate (on a server each lookup is two round trips).
    var knownGraphs: [[Int64]: Int64] = [:]
    static let knownGraphLimit = 64
    /// The last tensor stored in full per (node, value-or-grad): an unchanged tensor (a dataset
    /// at every step) is referenced again instead of stored again.
    var lastTensors: [TensorCacheKey: CachedTensor] = [:]
    var cachedTensorElements = 0
    /// Whether tensor rows written by this store still lack their JSON (see `flushDeferredJSON`).
    var hasDeferredJSON = false
    /// Whether training steps store only tensors' exact bytes and leave their JSON text to
    /// `flushDeferredJSON` (run by `finishCell` and `endSession`). Off by default: gradbook
    /// writes steps on a `TrainingWriter` thread, where formatting costs the training loop
    /// nothing, and JSON written with the row is not written twice. A caller that records
    /// steps on its training thread can turn it on.
    public var defersTrainingJSON = false
    /// Ids taken ahead from the server (see RunStore+ReservedIDs.swift).
    var reservedIDs: [ReservableTable: ArraySlice<Int64>] = [:]
    /// Queries that reserved ids so far (what tests check).
    var idReservations = 0
    /// The reservation query of each list of tables asked for (see RunStore+ReservedIDs.swift),
    /// put together once rather than at every group of steps.
    var reservationQueries: [[ReservableTable]: String] = [:]
    /// While a group of runs is being stored on a server (RunStore+Groups), its new tensor rows
    /// collect here, to be sent as one statement.
    var tensorBatch: SQLArrayColumns?
    /// The training writers' thread, started with the first and kept for the next.
    private var writerThread: WorkerThread?
    /// Shape JSON per shape, since the same few shapes repeat in every run.
    var shapeTexts: [[Int]: String] = [[]: "[]"]

    /// Opens (read-write: creates and migrates) the history at `path`, or `:memory:`.
    public convenience init(path: String, mode: OpenMode = .readWrite, migrator: SchemaMigrator = .gradbook) throws {
        // WAL only once the file is known to be (or to become) a gradbook history: a SQLite file
        // of someone else's is refused without so much as its journal mode changed.
        let database = try Database(path: path, mode: mode, usesWriteAheadLog: false)
        switch mode {
        case .readWrite:
            try migrator.migrate(database)
            try database.enableWriteAheadLog()
            database.checkpointInBackground()
        case .readOnly:
            try migrator.checkCurrent(database)
        }
        try self.init(connection: database, schemaVersion: try migrator.version(of: database))
    }

    /// A store over a connection whose schema is already current.
    init(connection: any SQLConnection, schemaVersion: Int32) throws {
        self.connection = connection
        self.schemaVersion = schemaVersion
        connection.rollbackObserver = { [weak self] in self?.forgetCachedRows() }
        if connection.mode == .readWrite {
            // A process that died during training left steps without their JSON.
            try flushDeferredJSON()
        }
    }

    deinit {
        writerThread?.stop()
        // Best effort: the next read-write open completes whatever is left.
        if hasDeferredJSON && !connection.isInTransaction { try? flushDeferredJSON() }
    }

    /// The thread a `TrainingWriter` runs on (see WorkerThread).
    func trainingWriterThread() throws -> WorkerThread {
        if let writerThread { return writerThread }
        let thread = try WorkerThread(name: "gradbook-writer")
        writerThread = thread
        return thread
    }

    /// Cached row ids may name rows that a rollback or a user's SQL just removed.
    func forgetCachedRows() {
        knownGraphs.removeAll()
        lastTensors.removeAll()
        cachedTensorElements = 0
        // A server that crashes before the transaction that drew these ids reached its log
        // may hand them out again after its restart, and the failed transaction rolled back.
        reservedIDs.removeAll()
    }

    /// Runs `body` in one transaction (a savepoint when nested): all of its writes, or none.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try connection.transaction(body)
    }

    // MARK: sessions and cells

    /// - Parameter engineRevision: the revision of the arithmetic the session computes with
    ///   (`session.engine_revision`), which a replay of its runs must use again; nil for a
    ///   session that computes nothing itself.
    /// The engine revision a session recorded (`beginSession`); nil for sessions recorded
    /// before revisions were kept.
    public func engineRevision(ofSession sessionID: Int64) throws -> Int? {
        try query("SELECT engine_revision FROM session WHERE id = ?1", arguments: [.integer(sessionID)], allowWrites: false)
            .rows.first?.first?.integerValue.map(Int.init)
    }

    /// - Parameter uid: the session's identity across histories (`sessions.session_uid`): a copy
    ///   of the session into another history keeps it, so copying twice stores it once.
    public func beginSession(kind: SessionKind, notebook: String?, engineRevision: Int? = nil, startedAt: Date = Date(),
                             uid: UUID = UUID()) throws -> Int64 {
        try transaction {
            let statement = try connection.statement(connection.dialect.insertReturningID(
                "INSERT INTO session(kind, notebook, started_at, engine_revision, uid, owner) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"))
            try statement.bind(kind.rawValue, at: 1)
            try statement.bind(notebook, at: 2)
            try statement.bind(Timestamp.string(from: startedAt), at: 3)
            try statement.bind(engineRevision.map(Int64.init), at: 4)
            try statement.bind(uid.uuidString.lowercased(), at: 5)
            try statement.bind(connection.userName, at: 6)
            return try connection.insertReturningID(statement)
        }
    }

    public func endSession(_ sessionID: Int64, endedAt: Date = Date()) throws {
        if hasDeferredJSON && !connection.isInTransaction { try flushDeferredJSON() }
        try transaction {
            let statement = try connection.statement("UPDATE session SET ended_at = ?2 WHERE id = ?1")
            try statement.bind(sessionID, at: 1)
            try statement.bind(Timestamp.string(from: endedAt), at: 2)
            guard try connection.executeUpdate(statement) == 1 else { throw StoreError.notFound("no session \(sessionID)") }
        }
    }

    /// Records a cell as running (status NULL) so that its nodes and runs can refer to it.
    public func beginCell(sessionID: Int64, executionCount: Int?, source: String,
                          startedAt: Date = Date()) throws -> Int64 {
        try transaction {
            let statement = try connection.statement(connection.dialect.insertReturningID(
                "INSERT INTO cell(session_id, execution_count, source, started_at) VALUES (?1, ?2, ?3, ?4)"))
            try statement.bind(sessionID, at: 1)
            try statement.bind(executionCount.map(Int64.init), at: 2)
            try statement.bind(source, at: 3)
            try statement.bind(Timestamp.string(from: startedAt), at: 4)
            return try connection.insertReturningID(statement)
        }
    }

    /// - Parameter outputsJSON: the cell's outputs as an nbformat outputs array (JSON text).
    public func finishCell(_ cellID: Int64, status: CellStatus, error: String?, outputsJSON: String?,
                           durationMs: Double?) throws {
        if hasDeferredJSON && !connection.isInTransaction { try flushDeferredJSON() }
        try transaction {
            let statement = try connection.statement(
                "UPDATE cell SET status = ?2, error = ?3, outputs = ?4, duration_ms = ?5 WHERE id = ?1")
            try statement.bind(cellID, at: 1)
            try statement.bind(status.rawValue, at: 2)
            try statement.bind(error, at: 3)
            try statement.bind(outputsJSON, at: 4)
            try statement.bind(durationMs, at: 5)
            guard try connection.executeUpdate(statement) == 1 else { throw StoreError.notFound("no cell \(cellID)") }
        }
    }

    // MARK: nodes

    /// Stores one definition of a named node and returns its node id.
    public func insertNode(_ record: NodeRecord) throws -> Int64 {
        guard let count = TensorJSON.elementCount(of: record.shape) else {
            throw StoreError.invalidRecord("node \(record.name): invalid shape \(record.shape)")
        }
        var leafJSON: String?
        if let leaf = record.leafValue {
            guard leaf.count == count else {
                throw StoreError.invalidRecord("node \(record.name): shape \(record.shape) needs \(count) elements, leaf value has \(leaf.count)")
            }
            leafJSON = try TensorJSON.encode(shape: record.shape, elements: leaf)
        }
        return try transaction {
            let statement = try connection.statement(connection.dialect.insertReturningID("""
                INSERT INTO node(session_id, cell_id, name, op, inputs, shape, is_param, expr, attributes,
                                 leaf_value, leaf_value_json, defined_at)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                """))
            try statement.bind(record.sessionID, at: 1)
            try statement.bind(record.cellID, at: 2)
            try statement.bind(record.name, at: 3)
            try statement.bind(record.op, at: 4)
            try statement.bind(JSONText.strings(record.inputs), at: 5)
            try statement.bind(JSONText.integers(record.shape), at: 6)
            try statement.bind(Int64(record.isParam ? 1 : 0), at: 7)
            try statement.bind(record.expr, at: 8)
            try statement.bind(record.attributesJSON, at: 9)
            if let leaf = record.leafValue {
                try Float64Bytes.withLittleEndianBytes(of: leaf) { try statement.bind(blob: $0, at: 10) }
            } else {
                try statement.bindNull(at: 10)
            }
            try statement.bind(leafJSON, at: 11)
            try statement.bind(Timestamp.string(from: record.definedAt), at: 12)
            return try connection.insertReturningID(statement)
        }
    }

    // MARK: training and runs

    /// Stores the settings of one train() call; its step runs refer to the returned id.
    public func beginTrain(_ record: TrainRecord) throws -> Int64 {
        // One statement is all or nothing by itself: inside the caller's transaction (the
        // training writer's group) a savepoint would only cost two more round trips to a server.
        try connection.isInTransaction ? insertTrain(record) : transaction { try insertTrain(record) }
    }

    /// With an id reserved (the training writer reserves one with its first group's), the row
    /// travels without a round trip.
    private func insertTrain(_ record: TrainRecord) throws -> Int64 {
        try insertRow(.train) { statement in
            try statement.bind(record.sessionID, at: 1)
            try statement.bind(record.cellID, at: 2)
            try statement.bind(record.target, at: 3)
            try statement.bind(record.optimizerJSON, at: 4)
            try statement.bind(Int64(record.steps), at: 5)
            try statement.bind(Timestamp.string(from: record.startedAt), at: 6)
            try statement.bind(record.checkpointEvery.map(Int64.init), at: 7)
        }
    }

    /// Stores a run, the node definitions it used and the values it recorded, in one
    /// transaction, and returns the run id.
    /// - Parameter nodeIDs: every node definition of the run's graph (what replay rebuilds),
    ///   whatever the record policy; order does not matter.
    public func insertRun(_ record: RunRecord, nodeIDs: [Int64], values: [ValueRecord]) throws -> Int64 {
        if connection.dialect.insertsFromArrays {
            // A server: the run's value rows as one statement (RunStore+Groups), not one each.
            return try transaction {
                let ids = try insertRunsInTransaction([NewRun(record: record, nodeIDs: nodeIDs, values: values)]) { _, _ in }
                guard let runID = ids.first else { throw StoreError.invalidRecord("the run was not stored") }
                return runID
            }
        }
        return try transaction {
            let graphID = try graphID(for: nodeIDs)
            let runID = try insertRow(.run) { statement in
                try statement.bind(record.sessionID, at: 1)
                try statement.bind(record.cellID, at: 2)
                try statement.bind(record.kind.rawValue, at: 3)
                try statement.bind(record.target, at: 4)
                try statement.bind(record.targetNodeID, at: 5)
                try statement.bind(record.step.map(Int64.init), at: 6)
                try statement.bind(record.loss, at: 7)
                try statement.bind(Timestamp.string(from: record.startedAt), at: 8)
                try statement.bind(record.durationMs, at: 9)
                try statement.bind(graphID, at: 10)
                try statement.bind(record.trainID, at: 11)
                try statement.bind(record.replayOf, at: 12)
                try statement.bind(record.recordPolicy?.rawValue, at: 13)
                try statement.bind(record.steps.map(Int64.init), at: 14)
            }
            try insertValues(values, runID: runID, deferJSON: defersTrainingJSON && record.kind == .train)
            return runID
        }
    }

    /// Sets a run's duration once it is known (a run row is often written before it ends).
    public func setRunDuration(_ runID: Int64, durationMs: Double) throws {
        try transaction {
            let statement = try connection.statement("UPDATE run SET duration_ms = ?2 WHERE id = ?1")
            try statement.bind(runID, at: 1)
            try statement.bind(durationMs, at: 2)
            guard try connection.executeUpdate(statement) == 1 else { throw StoreError.notFound("no run \(runID)") }
        }
    }

    // MARK: SQL

    /// Runs SQL (several statements allowed) and returns the rows of the last statement that
    /// produces columns. On a read-only store, a statement that would write is refused before it
    /// runs with "read-only: pass --write to modify the database".
    public func query(_ sql: String, arguments: [SQLValue] = []) throws -> QueryResult {
        try query(sql, arguments: arguments, allowWrites: mode == .readWrite)
    }

    /// `%sql` inside a session: the session's own read-write connection, but statements that
    /// would write are refused unless the user asked for `--write` (SPEC §2).
    public func query(_ sql: String, arguments: [SQLValue] = [], allowWrites: Bool) throws -> QueryResult {
        let writes = allowWrites && mode == .readWrite
        // The user's SQL may have deleted rows the caches point at.
        defer { if writes { forgetCachedRows() } }
        return try connection.runScript(sql, arguments: arguments, readOnly: !writes)
    }
}
