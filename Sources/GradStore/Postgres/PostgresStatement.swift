import CPostgreSQL

/// A statement prepared on the server (`PQprepare` under a generated name) with its bound
/// parameters, which are kept here and sent with every execution.
///
/// Parameters are 1-based, as in `?1`; an unbound parameter is NULL (as in SQLite). A
/// statement belongs to its connection and is used from that connection's thread.
public final class PostgresStatement: SQLStatement {
    /// The SQL as gradbook wrote it (`?N` parameters).
    public let sql: String
    /// The SQL as the server reads it (`$N` parameters).
    let serverSQL: String
    weak var connection: PostgresConnection?
    /// The server-side name, valid while `generation` is the connection's.
    var name = ""
    var generation = -1
    /// How many parameters the server found (`PQnparams` of the prepared statement).
    private(set) var parameterCount = 0
    /// Each parameter's bytes: NUL-terminated text, or raw bytes for a binary blob. A slot's
    /// buffer keeps its capacity from one binding to the next, so the hot inserts of a
    /// recording loop allocate nothing per row.
    private var buffers: [[UInt8]] = []
    private var isNull: [Bool] = []
    private var formats: [Int32] = []

    init(sql: String, connection: PostgresConnection) {
        self.sql = sql
        self.serverSQL = SQLDialect.postgresql.parameters(sql)
        self.connection = connection
    }

    /// Records what the server's preparation said; bindings made so far stay if they fit.
    func prepared(name: String, generation: Int, parameterCount: Int) {
        self.name = name
        self.generation = generation
        if parameterCount != self.parameterCount || buffers.count != parameterCount {
            self.parameterCount = parameterCount
            buffers = Array(repeating: [], count: parameterCount)
            isNull = Array(repeating: true, count: parameterCount)
            formats = Array(repeating: PostgresValues.textFormat, count: parameterCount)
        }
    }

    private func owner() throws -> PostgresConnection {
        guard let connection else { throw PostgresError.client("the PostgreSQL connection of this statement is closed", sql: sql) }
        return connection
    }

    // MARK: binding

    private func slot(_ index: Int32) throws -> Int {
        guard index >= 1, Int(index) <= parameterCount else {
            throw PostgresError.client("parameter \(index) is out of range: the statement has \(parameterCount)", sql: sql)
        }
        return Int(index) - 1
    }

    /// Fills parameter `index`'s buffer with `write`, which appends the bytes.
    private func set(at index: Int32, format: Int32, _ write: (inout [UInt8]) throws -> Void) throws {
        let slot = try slot(index)
        buffers[slot].removeAll(keepingCapacity: true)
        try write(&buffers[slot])
        isNull[slot] = false
        formats[slot] = format
    }

    public func bind(_ value: Int64?, at index: Int32) throws {
        guard let value else { return try bindNull(at: index) }
        try set(at: index, format: PostgresValues.textFormat) { PostgresValues.appendText(of: value, to: &$0) }
    }

    public func bind(_ value: Double?, at index: Int32) throws {
        // NaN is NULL (see PostgresValues.appendText(of:to:)).
        guard let value, !value.isNaN else { return try bindNull(at: index) }
        try set(at: index, format: PostgresValues.textFormat) { PostgresValues.appendText(of: value, to: &$0) }
    }

    public func bind(_ value: String?, at index: Int32) throws {
        guard let value else { return try bindNull(at: index) }
        try set(at: index, format: PostgresValues.textFormat) { buffer in
            buffer.append(contentsOf: value.utf8)
            // libpq sends text parameters up to their NUL, so a NUL inside would silently cut
            // the value short (PostgreSQL's text cannot hold one anyway).
            if buffer.contains(0) {
                throw PostgresError.client("parameter \(index) contains a NUL character, which PostgreSQL text cannot store", sql: sql)
            }
            buffer.append(0)
        }
    }

    public func bind(blob bytes: UnsafeRawBufferPointer, at index: Int32) throws {
        try set(at: index, format: PostgresValues.binaryFormat) { $0.append(contentsOf: bytes) }
    }

    public func bindNull(at index: Int32) throws {
        let slot = try slot(index)
        isNull[slot] = true
        formats[slot] = PostgresValues.textFormat
    }

    /// Nothing to do: a result is read whole when the statement runs, so there is no cursor
    /// to rewind (bindings stay, as after `sqlite3_reset`).
    public func reset() {}

    public func clearBindings() {
        for slot in isNull.indices {
            isNull[slot] = true
            formats[slot] = PostgresValues.textFormat
        }
    }

    /// Binds `arguments` in order; none keeps the current bindings (a statement bound with
    /// `bind(_:at:)` then run through `rows()`).
    private func bind(_ arguments: [SQLValue]) throws {
        guard !arguments.isEmpty || parameterCount == 0 else { return }
        guard arguments.count == parameterCount else {
            throw PostgresError.client("statement takes \(parameterCount) argument(s), \(arguments.count) given", sql: sql)
        }
        for (offset, argument) in arguments.enumerated() {
            try bind(argument, at: Int32(offset + 1))
        }
    }

    // MARK: running

    public func write() throws {
        try owner().run(self, waitForResult: false)
    }

    public func execute(_ arguments: [SQLValue]) throws {
        let connection = try owner()
        try connection.prepareIfNeeded(self)
        try bind(arguments)
        try connection.run(self, waitForResult: false)
    }

    public func rows(_ arguments: [SQLValue]) throws -> [[SQLValue]] {
        let connection = try owner()
        try connection.prepareIfNeeded(self)
        try bind(arguments)
        return try connection.run(self, waitForResult: true)?.rows ?? []
    }

    /// Calls `body` with libpq's parameter arrays (count, values, lengths, formats), which
    /// point into one temporary copy of the bound bytes.
    func withParameters<Result>(
        _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> Result
    ) -> Result {
        let count = buffers.count
        var total = 0
        for slot in 0..<count where !isNull[slot] { total += buffers[slot].count }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(total, 1)) { arena in
            withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: max(count, 1)) { pointers in
                withUnsafeTemporaryAllocation(of: Int32.self, capacity: max(count, 1)) { lengths in
                    var offset = 0
                    for slot in 0..<count {
                        guard !isNull[slot], let base = arena.baseAddress else {
                            pointers[slot] = nil
                            lengths[slot] = 0
                            continue
                        }
                        let start = base + offset
                        let length = buffers[slot].count
                        buffers[slot].withUnsafeBufferPointer { source in
                            if let from = source.baseAddress { start.update(from: from, count: length) }
                        }
                        pointers[slot] = UnsafeRawPointer(start).assumingMemoryBound(to: CChar.self)
                        lengths[slot] = Int32(clamping: length)
                        offset += length
                    }
                    return formats.withUnsafeBufferPointer { formatBuffer in
                        body(Int32(count), UnsafePointer(pointers.baseAddress), UnsafePointer(lengths.baseAddress),
                             formatBuffer.baseAddress)
                    }
                }
            }
        }
    }
}
