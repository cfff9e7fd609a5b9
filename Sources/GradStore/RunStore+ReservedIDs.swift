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
///
/// Not drawn in larger chunks, as a sequence's `CACHE` would: that would save the group's wait
/// for its ids, but every session would leave a chunk's worth of unused ids behind, so the same
/// notebooks would number their runs differently on a server than in a file. The training
/// writer draws ahead only what its call will use (a run per step still to come, and the run
/// the statement records at the end; TrainingWriter.swift): an id left over is the session's
/// next run's, as it would be in a file. Tensor ids are drawn for an upper bound anyway (an
/// unchanged tensor reuses its row), those left serving the next tensors; the writer adds one
/// for the call's last checkpoint and the run recorded with it.
extension RunStore {
    public enum ReservableTable: String, Sendable {
        case train
        case run
        case tensor
    }

    /// Makes sure at least `count` ids of `table` are reserved for the inserts that follow
    /// (nothing on SQLite).
    public func reserveIDs(_ count: Int, for table: ReservableTable) throws {
        try reserveIDs([(table, count)])
    }

    /// `reserveIDs(_:for:)` for several tables; what is missing is drawn in one query (one round
    /// trip to a server), none when every table has enough left.
    public func reserveIDs(_ counts: [(table: ReservableTable, count: Int)]) throws {
        let wanted = counts.compactMap { table, count -> (table: ReservableTable, count: Int)? in
            let missing = count - (reservedIDs[table]?.count ?? 0)
            return missing > 0 ? (table, missing) : nil
        }
        guard !wanted.isEmpty, let query = reservationQuery(wanted.map(\.table)) else { return }
        idReservations += 1
        let rows = try connection.statement(query).rows(wanted.map { .integer(Int64($0.count)) })
        for row in rows {
            guard row.count == 2, let index = row[0].integerValue, let id = row[1].integerValue,
                  let slot = Int(exactly: index), wanted.indices.contains(slot) else {
                throw StoreError.invalidRecord("the server answered the id reservation with an unexpected row")
            }
            reservedIDs[wanted[slot].table, default: []].append(id)
        }
    }

    private func reservationQuery(_ tables: [ReservableTable]) -> String? {
        if let query = reservationQueries[tables] { return query }
        let query = connection.dialect.reserveIDsQuery(tables: tables.map(\.rawValue))
        reservationQueries[tables] = query
        return query
    }

    /// The next reserved id of `table`, if any is left.
    func takeReservedID(_ table: ReservableTable) -> Int64? {
        guard var ids = reservedIDs[table], let id = ids.popFirst() else { return nil }
        reservedIDs[table] = ids
        return id
    }

    /// Runs `insert` with a reserved id when one is left, sent without waiting; else lets the
    /// database assign the id and returns it. `bind` binds the columns from 1.
    func insertRow(_ insert: RowInsert, bind: (any SQLStatement) throws -> Void) throws -> Int64 {
        if let id = takeReservedID(insert.table) {
            let statement = try connection.statement(insert.withID)
            try bind(statement)
            try statement.bind(id, at: insert.idParameter)
            try statement.write()
            return id
        }
        let statement = try connection.statement(connection.dialect.insertReturningID(insert.withoutID))
        try bind(statement)
        return try connection.insertReturningID(statement)
    }
}

/// One row's INSERT into a table keyed by `id`, in the two forms `insertRow` runs, written once
/// (a training step runs one of them: no SQL is put together per step).
struct RowInsert: Sendable {
    let table: RunStore.ReservableTable
    /// `INSERT INTO t(c1, …, cn) VALUES (?1, …, ?n)`: the database picks the id.
    let withoutID: String
    /// The same with `id` bound last, at `idParameter`.
    let withID: String
    let idParameter: Int32

    init(_ table: RunStore.ReservableTable, columns: [String]) {
        let parameters = (1...columns.count).map { "?\($0)" }
        self.table = table
        withoutID = "INSERT INTO \(table.rawValue)(\(columns.joined(separator: ", "))) VALUES (\(parameters.joined(separator: ", ")))"
        idParameter = Int32(columns.count + 1)
        withID = "INSERT INTO \(table.rawValue)(\(columns.joined(separator: ", ")), id) VALUES (\(parameters.joined(separator: ", ")), ?\(idParameter))"
    }

    static let run = RowInsert(.run, columns: ["session_id", "cell_id", "kind", "target", "target_node_id", "step", "loss",
                                              "started_at", "duration_ms", "graph_id", "train_id", "replay_of", "record_policy", "steps"])
    static let tensor = RowInsert(.tensor, columns: ["shape", "data", "json"])
    static let train = RowInsert(.train, columns: ["session_id", "cell_id", "target", "optimizer", "steps", "started_at",
                                                  "checkpoint_every"])
}
