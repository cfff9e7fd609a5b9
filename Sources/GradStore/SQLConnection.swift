/// What the history model needs from one database connection. SQLite (`Database`) and
/// PostgreSQL (`PostgresConnection`) implement it; `RunStore` and everything above it is
/// written against this protocol only, as Fluent's drivers sit below SQLKit.
///
/// SQL passed in is written once for both backends: parameters are `?1`, `?2`, … (or plain
/// `?`, numbered in order), and it uses only what both dialects accept. The few statements that
/// must differ ask the connection's `dialect` (SQLDialect.swift), the one place that knows how.
///
/// A connection is not thread-safe: use it (and its statements) from one thread at a time.
public protocol SQLConnection: AnyObject {
    /// Which backend this is, for the statements that differ (see SQLDialect).
    var dialect: SQLDialect { get }
    /// The history's location as messages show it: a file path, or the server and database
    /// (never a password).
    var location: String { get }
    var mode: OpenMode { get }
    /// Who records: the PostgreSQL role connected (`current_user`), or the login name of the
    /// process for a SQLite file. Sessions record it as their owner.
    var userName: String { get }

    /// A statement prepared once per connection and reused on every call (the hot inserts).
    /// The caller must not keep it across a call that might reuse it.
    func statement(_ sql: String) throws -> any SQLStatement

    /// Runs `body` in a transaction (a savepoint when nested): all of its writes, or none.
    /// A write that a backend sends ahead without waiting (PostgreSQL's pipeline) reports its
    /// error no later than the top-level commit, which then fails and rolls everything back.
    func transaction<T>(_ body: () throws -> T) throws -> T
    var isInTransaction: Bool { get }
    /// Runs `body` in a top-level transaction like `transaction`, and returns once its COMMIT
    /// is sent if the backend can send it ahead (a server): true then, and `finishCommit()`
    /// must read the answer before anything else uses the connection. False when the
    /// transaction is committed already (SQLite, whose commit has no one to wait for).
    func transactionCommittingAhead(_ body: () throws -> Void) throws -> Bool
    /// What turns readable when the answer to a commit sent ahead arrives (a socket), if any.
    var answerDescriptor: Int32? { get }
    /// Whether `finishCommit()` can read the answer without waiting.
    func commitAnswered() -> Bool
    /// Reads the answer to the commit sent ahead: returns once committed; otherwise the
    /// transaction is rolled back and the failing write's error thrown.
    func finishCommit() throws
    /// Top-level transactions committed through `transaction`.
    var transactionsCommitted: Int { get }

    /// Runs a bound INSERT of one row into a table whose key is `id` and returns that id.
    func insertReturningID(_ statement: any SQLStatement) throws -> Int64
    /// Runs a bound UPDATE or DELETE and returns how many rows it changed.
    func executeUpdate(_ statement: any SQLStatement) throws -> Int

    /// Runs a user's SQL script (several statements allowed) and returns the rows of the last
    /// statement that produced columns. With `readOnly`, nothing may change: a statement that
    /// would write (or touch a file) is refused with `StoreError.readOnly`.
    func runScript(_ script: String, arguments: [SQLValue], readOnly: Bool) throws -> QueryResult

    /// Called after every rollback the connection performs, so owners can drop cached row ids.
    var rollbackObserver: (() -> Void)? { get set }
    /// Drops every cached statement (after a schema change, or a new server connection).
    func clearStatementCache()
    /// The bytes the history occupies (a SQLite file's used pages; a PostgreSQL database's
    /// gradbook relations), for benchmarks' bytes-per-step figures.
    func storageBytes() throws -> Int
    /// What happened to the connection since the last call that its user should hear about
    /// (PostgreSQL: "reconnected to … after the server closed the connection"); nil if nothing.
    func takeNotice() -> String?
}

/// A prepared statement of a `SQLConnection`, with parameters bound by 1-based index.
public protocol SQLStatement: AnyObject {
    var sql: String { get }
    func bind(_ value: Int64?, at index: Int32) throws
    func bind(_ value: Double?, at index: Int32) throws
    func bind(_ value: String?, at index: Int32) throws
    /// The bytes are copied before the call returns.
    func bind(blob bytes: UnsafeRawBufferPointer, at index: Int32) throws
    func bindNull(at index: Int32) throws
    func reset()
    func clearBindings()
    /// Runs a bound statement that returns no rows (an INSERT, usually). Inside a transaction a
    /// backend may send it without waiting for the server (see `SQLConnection.transaction`).
    func write() throws
    /// Resets, binds `arguments` and runs a statement that returns no rows.
    func execute(_ arguments: [SQLValue]) throws
    /// Resets, binds `arguments` and returns every row.
    func rows(_ arguments: [SQLValue]) throws -> [[SQLValue]]
}

extension SQLStatement {
    public func execute() throws { try execute([]) }
    public func rows() throws -> [[SQLValue]] { try rows([]) }

    public func bind(_ value: SQLValue, at index: Int32) throws {
        switch value {
        case .null: try bindNull(at: index)
        case .integer(let integer): try bind(integer, at: index)
        case .real(let real): try bind(real, at: index)
        case .text(let text): try bind(text, at: index)
        case .blob(let bytes): try bytes.withUnsafeBytes { try bind(blob: $0, at: index) }
        }
    }
}

extension SQLConnection {
    public func transactionCommittingAhead(_ body: () throws -> Void) throws -> Bool {
        try transaction(body)
        return false
    }

    public var answerDescriptor: Int32? { nil }
    public func commitAnswered() -> Bool { true }
    public func finishCommit() throws {}

    /// The first column of the first row, as an integer (nil for no row or NULL).
    public func scalarInteger(_ sql: String, _ arguments: [SQLValue] = []) throws -> Int64? {
        try statement(sql).rows(arguments).first?.first?.integerValue
    }

    /// The first column of the first row, as text (nil for no row or NULL).
    public func scalarText(_ sql: String, _ arguments: [SQLValue] = []) throws -> String? {
        try statement(sql).rows(arguments).first?.first?.textValue
    }
}
