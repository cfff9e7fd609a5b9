import CPostgreSQL
import Foundation

/// One libpq connection to a PostgreSQL database: the history's second backend
/// (pg-plan.md). Owns the `PGconn` and closes it in `deinit`.
///
/// - Statements are prepared on the server once per connection (`statement(_:)` caches them
///   by SQL text) and run with text parameters (blobs binary); results come back as text and
///   are typed by column OID (PostgresValues.swift).
/// - Inside a transaction, writes are sent without waiting (libpq's pipeline mode); see
///   PostgresConnection+Pipeline.swift for when their errors surface.
/// - The server going away fails the running call with `PostgresError.Kind.connectionClosed`;
///   the next call outside a transaction reconnects, and `takeNotice()` says so once.
///
/// Not thread-safe: use a connection (and its statements) from one thread at a time.
public final class PostgresConnection: SQLConnection {
    public let dialect = SQLDialect.postgresql
    /// The connection string as messages show it: `HistoryLocation`'s text, password hidden.
    public let location: String
    public let mode: OpenMode
    /// `current_user` of the connection: the role that owns what it records.
    public private(set) var userName = ""
    public internal(set) var transactionsCommitted = 0
    public var rollbackObserver: (() -> Void)?

    let handle: OpaquePointer
    /// FATAL messages the server sent while the connection was idle (why it closed).
    let notices = NoticeLog()
    var statementCache: [String: PostgresStatement] = [:]
    /// Bumped whenever prepared statements are lost (reconnect, cache cleared): a statement
    /// prepared under an older generation prepares itself again before it runs.
    var generation = 0
    var statementNumber = 0
    var savepointNumber = 0
    /// 0 outside a transaction, 1 in one, one more per savepoint inside it.
    var depth = 0
    /// Commands sent in the pipeline whose results have not been read yet, in order.
    var pending: [PendingCommand] = []
    /// Set between `transactionCommittingAhead` and `finishCommit()`: the transaction is sent
    /// whole and nothing else may use the connection until its answer is read.
    var commitInFlight = false
    /// The error that aborted the open transaction (PostgreSQL refuses everything after an
    /// error until a rollback): thrown again by every later call in that transaction.
    var failure: (any Error)?
    private var notice: String?
    /// Set when this session cannot go on (the server closed it, or a pipeline could not be
    /// ended): why, as the notice of the reconnection at the next call will say.
    var reconnectReason: String?
    /// Writes sent ahead without waiting for the server: what tests and benchmarks check.
    var writesSentAhead = 0
    /// Times a prepared statement's answer or a pipeline's was waited for (a round trip each;
    /// statements' preparations not counted): what tests check.
    var answersAwaited = 0
    /// Whether writes inside a transaction are sent ahead; off only to measure the difference.
    var sendsWritesAhead = true
    /// Writes sent ahead before the pipeline is synchronized anyway, so that libpq's buffer of
    /// unread results (a few bytes each) stays bounded in a long transaction.
    static let maximumWritesAhead = 4096

    /// Connects, or throws `cannot connect to PostgreSQL at <conninfo>: <libpq's reason>`.
    /// - Parameter conninfo: anything libpq accepts (URI, `key=value` string, `service=`);
    ///   what it leaves out comes from the PG* environment variables and service files.
    /// - Parameter mode: `.readOnly` makes every transaction of the session read-only.
    public init(conninfo: String, mode: OpenMode) throws {
        self.location = HistoryLocation.postgresql(conninfo: conninfo).description
        self.mode = mode
        self.handle = try PostgresConnection.connect(conninfo: conninfo, location: location)
        PQsetNoticeReceiver(handle, receiveNotice, Unmanaged.passUnretained(notices).toOpaque())
        try configureSession()
    }

    deinit {
        PQfinish(handle)
    }

    private static func connect(conninfo: String, location: String) throws -> OpaquePointer {
        // fallback_application_name names the session in pg_stat_activity unless the
        // conninfo or PGAPPNAME already does; dbname is expanded as the whole conninfo.
        let keywords = ["fallback_application_name", "dbname"]
        let values = ["gradbook", conninfo]
        let keywordCopies = keywords.map { strdup($0) }
        let valueCopies = values.map { strdup($0) }
        defer {
            keywordCopies.forEach { free($0) }
            valueCopies.forEach { free($0) }
        }
        let keywordPointers = keywordCopies.map { UnsafePointer($0) } + [nil]
        let valuePointers = valueCopies.map { UnsafePointer($0) } + [nil]
        guard let handle = PQconnectdbParams(keywordPointers, valuePointers, 1) else {
            throw PostgresError.cannotConnect(to: location, reason: "out of memory")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let reason = String(cString: PQerrorMessage(handle))
            PQfinish(handle)
            throw PostgresError.cannotConnect(to: location, reason: reason)
        }
        return handle
    }

    /// The session's settings, set again after every reconnect.
    private func configureSession() throws {
        // extra_float_digits > 0: float8 text is the shortest exact form (PostgreSQL 12+),
        // whatever the server's default; hex bytea is what PostgresValues decodes.
        // plan_cache_mode: the statements this connection prepares are the store's own, planned
        // once. Left to choose, the server plans the INSERTs of a group of steps anew at every
        // execution: a custom plan knows how many rows unnest() returns and so always looks
        // cheaper than the generic one, which then never wins (measured: 50–300 µs of planning
        // per statement). A user's SQL is unaffected: it runs as unnamed statements.
        var settings = "SET extra_float_digits = 3; SET bytea_output = 'hex'; SET client_encoding = 'UTF8'; "
            + "SET plan_cache_mode = force_generic_plan; "
        if mode == .readOnly { settings += "SET default_transaction_read_only = on; " }
        settings += "SELECT current_user"
        let result = try checked(PQexec(handle, settings), sql: settings)
        userName = result.rows.first?.first?.textValue ?? ""
    }

    // MARK: losing and regaining the server

    /// Whether the session can take commands (it may still be closing: see `closed`).
    var isUsable: Bool { reconnectReason == nil && PQstatus(handle) == CONNECTION_OK }

    /// Before a call outside a transaction: reads what the server sent while the connection
    /// was idle and starts a new session if this one is over. A server that terminates a
    /// session (shutdown, restart, pg_terminate_backend) first sends a FATAL message, which
    /// libpq hands to the notice receiver, then closes the socket.
    func ensureConnected() throws {
        if isUsable, PQconsumeInput(handle) == 1 {
            _ = PQisBusy(handle)  // parses what arrived, so a FATAL reaches `notices`
            if PQstatus(handle) == CONNECTION_OK, notices.closingReason == nil { return }
        }
        _ = PQisBusy(handle)
        let reason = reconnectReason
            ?? "after the server closed the connection" + (notices.closingReason.map { " (\($0))" } ?? "")
        notices.closingReason = nil
        PQreset(handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError.cannotConnect(to: location, reason: String(cString: PQerrorMessage(handle)))
        }
        reconnectReason = nil
        forgetPreparedStatements()
        try configureSession()
        notice = "reconnected to PostgreSQL at \(location) \(reason)"
    }

    /// A new server session knows none of the old one's prepared statements.
    func forgetPreparedStatements() {
        statementCache.removeAll()
        generation += 1
        pending.removeAll()
    }

    public func takeNotice() -> String? {
        defer { notice = nil }
        return notice
    }

    // MARK: statements

    public func statement(_ sql: String) throws -> any SQLStatement {
        try cachedStatement(sql)
    }

    func cachedStatement(_ sql: String) throws -> PostgresStatement {
        if depth == 0 { try ensureConnected() }
        if let statement = statementCache[sql], statement.generation == generation {
            statement.clearBindings()
            return statement
        }
        let statement = PostgresStatement(sql: sql, connection: self)
        try prepareIfNeeded(statement)
        statementCache[sql] = statement
        return statement
    }

    public func clearStatementCache() {
        statementCache.removeAll()
        generation += 1
        guard isUsable else { return }
        if depth == 0 {
            PQclear(PQexec(handle, "DEALLOCATE ALL"))
        } else if failure == nil {
            try? sendControl("DEALLOCATE ALL")
        }
    }

    /// The statement as this connection's own (statements of another connection are refused).
    func own(_ statement: any SQLStatement) throws -> PostgresStatement {
        guard let statement = statement as? PostgresStatement, statement.connection === self else {
            throw PostgresError.client("the statement belongs to another connection", sql: statement.sql)
        }
        return statement
    }

    public func insertReturningID(_ statement: any SQLStatement) throws -> Int64 {
        let statement = try own(statement)
        guard let id = try run(statement, waitForResult: true)?.rows.first?.first?.integerValue else {
            throw PostgresError.client("the INSERT returned no id (make its SQL with SQLDialect.insertReturningID)",
                                       sql: statement.sql)
        }
        return id
    }

    public func executeUpdate(_ statement: any SQLStatement) throws -> Int {
        try run(own(statement), waitForResult: true)?.changedRows ?? 0
    }

    public var isInTransaction: Bool { depth > 0 }

    // MARK: size

    /// Bytes of gradbook's tables in the current schema, with their indexes and TOAST data
    /// (`pg_total_relation_size`); 0 before the schema exists.
    public func storageBytes() throws -> Int {
        let statement = try cachedStatement("""
            SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname = ANY (?1::text[])
            """)
        let names = "{" + (PostgresSchema.tables + [PostgresSchema.versionTable]).joined(separator: ",") + "}"
        let rows = try statement.rows([.text(names)])
        return Int(clamping: rows.first?.first?.integerValue ?? 0)
    }
}

/// What the server said outside any call, kept for the reconnect notice.
final class NoticeLog {
    var closingReason: String?
}

/// libpq's notice receiver: NOTICEs and WARNINGs (`DROP … IF EXISTS` skipping) are not
/// printed to stderr as libpq's default does; a FATAL message is why the server is closing
/// the connection, kept for the reconnect notice.
private func receiveNotice(_ argument: UnsafeMutableRawPointer?, _ result: OpaquePointer?) {
    guard let argument, let result else { return }
    let log = Unmanaged<NoticeLog>.fromOpaque(argument).takeUnretainedValue()
    guard let severity = PQresultErrorField(result, Int32(UInt8(ascii: "V"))).map({ String(cString: $0) }),
          severity == "FATAL" || severity == "PANIC",
          let message = PQresultErrorField(result, Int32(UInt8(ascii: "M"))) else { return }
    log.closingReason = String(cString: message)
}
