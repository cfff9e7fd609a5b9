/// Row ids taken ahead from the server, so that recording a group of training steps waits for
/// no answer until it commits.
///
/// A PostgreSQL INSERT that returns its id costs a round trip to the server, and a training
/// step inserts a run (and, at checkpoints, tensors) whose id the step's other rows need. Ids
/// drawn in one query before the group (`nextval` of the table's identity sequence, as many as
/// the group will use) let every INSERT of the group travel in libpq's pipeline. SQLite answers
/// `last_insert_rowid` without a round trip, so it reserves nothing. An id reserved and not used
/// (a rollback, an unchanged tensor found in the cache) is a gap, as any rolled-back INSERT
/// leaves one in a sequence.
extension RunStore {
    public enum ReservableTable: String, Sendable {
        case run
        case tensor
    }

    /// Takes `count` ids of `table` for the inserts that follow (nothing on SQLite, or for a
    /// count of 0).
    public func reserveIDs(_ count: Int, for table: ReservableTable) throws {
        guard count > 0, let query = connection.dialect.reserveIDsQuery(table: table.rawValue) else { return }
        let ids = try connection.statement(query).rows([.integer(Int64(count))]).compactMap { $0.first?.integerValue }
        reservedIDs[table, default: []].append(contentsOf: ids)
    }

    /// The next reserved id of `table`, if any is left.
    func takeReservedID(_ table: ReservableTable) -> Int64? {
        guard var ids = reservedIDs[table], let id = ids.popFirst() else { return nil }
        reservedIDs[table] = ids
        return id
    }

    /// Runs `insert` (an INSERT of one row into `table`, its columns without `id`, its VALUES
    /// list last) with a reserved id when one is left, sent without waiting; else lets the
    /// database assign the id and returns it. `bind` binds the columns from 1.
    func insertRow(into table: ReservableTable, columns: String, values: String,
                   bind: (any SQLStatement) throws -> Void) throws -> Int64 {
        if let id = takeReservedID(table) {
            let statement = try connection.statement("INSERT INTO \(table.rawValue)(id, \(columns)) VALUES (?\(Self.parameterCount(values) + 1), \(values))")
            try bind(statement)
            try statement.bind(id, at: Int32(Self.parameterCount(values) + 1))
            try statement.write()
            return id
        }
        let statement = try connection.statement(connection.dialect.insertReturningID(
            "INSERT INTO \(table.rawValue)(\(columns)) VALUES (\(values))"))
        try bind(statement)
        return try connection.insertReturningID(statement)
    }

    private static func parameterCount(_ values: String) -> Int {
        values.split(separator: ",").count
    }
}
