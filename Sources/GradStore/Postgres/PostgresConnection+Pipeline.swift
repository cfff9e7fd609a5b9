import CPostgreSQL

/// Running statements, and transactions that keep the recording loop off the network.
///
/// Outside a transaction every call waits for its result. A transaction runs in libpq's
/// pipeline mode: `BEGIN`, every `write()` (a statement that returns no rows), `SAVEPOINT` and
/// `RELEASE` are sent without waiting. Their results are read at the next synchronous point —
/// a statement that returns rows, `insertReturningID`, `executeUpdate`, preparing a new
/// statement, a savepoint's rollback, a script, or `COMMIT` — which sends a Sync and checks
/// every pending result, so a whole step of training costs one round trip. A transaction run by
/// `transactionCommittingAhead` does not even wait for that: its COMMIT's answer is read later,
/// by `finishCommit()`, and nothing else may use the connection in between.
///
/// The price: a write's error (a violated constraint, a row-level security refusal) is thrown
/// by that later synchronous point, not by `write()`. From then on the transaction is failed
/// as PostgreSQL fails it — every later call in it throws the same error — until a savepoint
/// that began before the failing write is rolled back (a nested `transaction` whose body
/// throws); otherwise the top-level `transaction` rolls everything back and throws it. A
/// nested body that returns while the transaction is failed counts as a failing body. Nothing
/// of a failed transaction is ever committed.
extension PostgresConnection {
    struct PendingCommand {
        enum Role {
            /// A `write()` whose error would surface later.
            case sentAhead
            /// Transaction control and preparation: their errors are the caller's.
            case control
            /// The statement whose result the synchronous point returns.
            case awaited
        }

        var sql: String
        var role: Role
    }

    /// Runs a bound statement: at once outside a transaction; inside one, sent ahead unless
    /// `waitForResult` (then every pending result is read and this one returned).
    @discardableResult
    func run(_ statement: PostgresStatement, waitForResult: Bool) throws -> PostgresResult? {
        precondition(!commitInFlight, "a statement run while a commit's answer is awaited")
        if depth == 0 {
            try ensureConnected()
        } else if let failure {
            throw failure
        }
        try prepareIfNeeded(statement)
        if depth == 0 {
            answersAwaited += 1
            let raw = statement.withParameters { count, values, lengths, formats in
                PQexecPrepared(handle, statement.name, count, values, lengths, formats, 0)
            }
            return try checked(raw, sql: statement.sql)
        }
        let sent = statement.withParameters { count, values, lengths, formats in
            PQsendQueryPrepared(handle, statement.name, count, values, lengths, formats, 0)
        }
        guard sent == 1 else { throw fail(sendError(sql: statement.sql)) }
        let waits = waitForResult || !sendsWritesAhead
        pending.append(PendingCommand(sql: statement.sql, role: waits ? .awaited : .sentAhead))
        if waits { return try synchronize() }
        writesSentAhead += 1
        if pending.count >= PostgresConnection.maximumWritesAhead { try synchronize() }
        return nil
    }

    /// Prepares `statement` on the server under a new name if this connection has not (or
    /// has lost it), learning its parameter count; one round trip. Inside a transaction the
    /// preparation runs in a savepoint, so a statement that does not compile (a table that
    /// does not exist yet) fails alone, as in SQLite, instead of failing the transaction.
    func prepareIfNeeded(_ statement: PostgresStatement) throws {
        guard statement.generation != generation else { return }
        precondition(!commitInFlight, "a statement prepared while a commit's answer is awaited")
        if let failure { throw failure }
        statementNumber += 1
        let name = "gradbook_\(statementNumber)"
        let description: PostgresResult?
        if depth == 0 {
            guard PQenterPipelineMode(handle) == 1 else { throw fail(sendError(sql: statement.sql)) }
            defer { _ = PQexitPipelineMode(handle) }
            try sendPrepare(statement, name: name)
            description = try synchronize()
        } else {
            savepointNumber += 1
            let savepoint = "gradbook_prepare_\(savepointNumber)"
            try sendControl("SAVEPOINT \(savepoint)")
            try sendPrepare(statement, name: name)
            try sendControl("RELEASE SAVEPOINT \(savepoint)")
            do {
                description = try synchronize()
            } catch let error as PostgresError where error.kind == .server {
                rollBack(toSavepoint: savepoint)
                throw error
            }
        }
        guard let description else { throw PostgresError.client("the server did not describe the statement", sql: statement.sql) }
        statement.prepared(name: name, generation: generation, parameterCount: Int(PQnparams(description.handle)))
    }

    private func sendPrepare(_ statement: PostgresStatement, name: String) throws {
        guard PQsendPrepare(handle, name, statement.serverSQL, 0, nil) == 1 else { throw fail(sendError(sql: statement.sql)) }
        pending.append(PendingCommand(sql: statement.sql, role: .control))
        guard PQsendDescribePrepared(handle, name) == 1 else { throw fail(sendError(sql: statement.sql)) }
        pending.append(PendingCommand(sql: statement.sql, role: .awaited))
    }

    /// Queues a statement without parameters in the pipeline.
    func sendControl(_ sql: String, role: PendingCommand.Role = .control) throws {
        guard PQsendQueryParams(handle, sql, 0, nil, nil, nil, nil, 0) == 1 else { throw fail(sendError(sql: sql)) }
        pending.append(PendingCommand(sql: sql, role: role))
    }

    /// Sends a Sync and reads the result of every pending command, in order. Returns the last
    /// awaited command's result; throws the first error (PostgreSQL skips what follows an
    /// error until the Sync, so later commands have none of their own).
    @discardableResult
    func synchronize() throws -> PostgresResult? {
        try sendSync()
        return try readUntilSync()
    }

    /// Ends the pipeline's batch with a Sync and sends everything queued (libpq flushes at a
    /// Sync); the answers are read by `readUntilSync`.
    private func sendSync() throws {
        answersAwaited += 1
        guard PQpipelineSync(handle) == 1 else {
            pending.removeAll(keepingCapacity: true)
            throw fail(sendError(sql: nil))
        }
    }

    /// Reads the result of every pending command up to the Sync's, in order (see `synchronize`).
    private func readUntilSync() throws -> PostgresResult? {
        defer { pending.removeAll(keepingCapacity: true) }
        var index = 0
        var firstError: PostgresError?
        var awaited: PostgresResult?
        while true {
            guard let raw = PQgetResult(handle) else {
                // NULL ends one command's results (none follows the Sync's result).
                if PQstatus(handle) == CONNECTION_BAD { throw fail(sendError(sql: pending.last?.sql)) }
                index += 1
                if index > pending.count {
                    throw fail(PostgresError.client("lost track of the pipeline's results"))
                }
                continue
            }
            let result = PostgresResult(raw)
            let command = index < pending.count ? pending[index] : nil
            let status = result.status
            if status == PGRES_PIPELINE_SYNC {
                if let firstError { throw fail(firstError) }
                return awaited
            } else if status == PGRES_PIPELINE_ABORTED {
                continue
            } else if result.isSuccess {
                if command?.role == .awaited { awaited = result }
            } else {
                let error = serverError(result, sql: command?.sql, sentAhead: command?.role == .sentAhead)
                if error.kind == .connectionClosed { throw fail(error) }
                if firstError == nil { firstError = error }
            }
        }
    }

    // MARK: transactions

    public func transaction<T>(_ body: () throws -> T) throws -> T {
        precondition(!commitInFlight, "a transaction begun while a commit's answer is awaited")
        if depth > 0 { return try savepoint(body) }
        try ensureConnected()
        guard PQenterPipelineMode(handle) == 1 else { throw fail(sendError(sql: "BEGIN")) }
        depth = 1
        let result: T
        do {
            try sendControl("BEGIN")
            result = try body()
            try commit()
        } catch {
            abandonTransaction()
            throw error
        }
        transactionsCommitted &+= 1
        return result
    }

    /// `transaction` whose COMMIT is sent without waiting for its answer: returns once the
    /// whole transaction is on its way to the server. The answer is read by `finishCommit()`,
    /// which must come before anything else uses the connection; until then
    /// `answerDescriptor` turns readable when the answer arrives. What the training writer
    /// uses to build its next group of steps while the server commits the previous one.
    public func transactionCommittingAhead(_ body: () throws -> Void) throws -> Bool {
        precondition(depth == 0 && !commitInFlight, "transactionCommittingAhead inside a transaction")
        try ensureConnected()
        guard PQenterPipelineMode(handle) == 1 else { throw fail(sendError(sql: "BEGIN")) }
        depth = 1
        do {
            try sendControl("BEGIN")
            try body()
            if let failure { throw failure }
            try sendControl("COMMIT", role: .awaited)
            try sendSync()
        } catch {
            abandonTransaction()
            throw error
        }
        commitInFlight = true
        return true
    }

    /// The socket the server answers on, to wait for a commit sent ahead beside other events.
    public var answerDescriptor: Int32? {
        let socket = PQsocket(handle)
        return socket >= 0 ? socket : nil
    }

    /// Whether the answer to the commit sent ahead can be read without waiting: reads what the
    /// socket holds. True too when the connection failed (`finishCommit()` then says how).
    public func commitAnswered() -> Bool {
        guard commitInFlight else { return true }
        guard PQconsumeInput(handle) == 1 else { return true }
        return PQisBusy(handle) == 0
    }

    /// Reads the answer to the transaction `transactionCommittingAhead` sent: returns once it
    /// is committed, or rolls it back and throws the error of the write that failed.
    public func finishCommit() throws {
        guard commitInFlight else { return }
        commitInFlight = false
        do {
            try finishCommitAnswer(readUntilSync()?.commandTag)
        } catch {
            abandonTransaction()
            throw error
        }
        transactionsCommitted &+= 1
    }

    private func commit() throws {
        if let failure { throw failure }
        try sendControl("COMMIT", role: .awaited)
        try finishCommitAnswer(synchronize()?.commandTag)
    }

    /// Checks a COMMIT's answer and leaves pipeline mode.
    private func finishCommitAnswer(_ tag: String?) throws {
        // A COMMIT of a transaction the server had aborted answers ROLLBACK, not an error.
        guard tag == "COMMIT" else {
            throw fail(PostgresError(kind: .server, sqlState: "40000",
                                     message: "the server rolled the transaction back instead of committing it",
                                     sql: "COMMIT"))
        }
        guard PQexitPipelineMode(handle) == 1 else { throw fail(sendError(sql: "COMMIT")) }
        depth = 0
        failure = nil
    }

    /// Ends a failed top-level transaction: reads what is still pending, leaves pipeline mode
    /// and rolls back. Nothing to do on the server if the connection is gone (the server
    /// rolls back a transaction whose connection closed).
    private func abandonTransaction() {
        defer {
            depth = 0
            failure = nil
            pending.removeAll()
            rollbackObserver?()
        }
        guard isUsable else { return }
        if PQpipelineStatus(handle) != PQ_PIPELINE_OFF {
            _ = try? synchronize()
            guard PQexitPipelineMode(handle) == 1 else {
                // Results libpq could not match: only a new session is in a known state.
                reconnectReason = "after losing track of the session's state"
                return
            }
        }
        PQclear(PQexec(handle, "ROLLBACK"))
    }

    private func savepoint<T>(_ body: () throws -> T) throws -> T {
        if let failure { throw failure }
        savepointNumber += 1
        let name = "gradbook_savepoint_\(savepointNumber)"
        try sendControl("SAVEPOINT \(name)")
        depth += 1
        defer { depth -= 1 }
        let result: T
        do {
            result = try body()
        } catch {
            rollBack(toSavepoint: name)
            rollbackObserver?()
            throw error
        }
        if let failure {
            // The body caught an error and went on, but the transaction is failed.
            rollBack(toSavepoint: name)
            rollbackObserver?()
            throw failure
        }
        try sendControl("RELEASE SAVEPOINT \(name)")
        return result
    }

    /// Undoes everything since `SAVEPOINT name` and ends the transaction's failure, if the
    /// savepoint exists: it does not when the failing command came before it (the server
    /// skipped the SAVEPOINT), and then the transaction stays failed.
    func rollBack(toSavepoint name: String) {
        guard isUsable else { return }
        // Sent in the same batch after a failed command, the rollback would itself be skipped.
        if !pending.isEmpty { _ = try? synchronize() }
        do {
            try sendControl("ROLLBACK TO SAVEPOINT \(name)")
            try sendControl("RELEASE SAVEPOINT \(name)")
            try synchronize()
            failure = nil
        } catch {
            // synchronize recorded it; the transaction stays failed.
        }
    }

    // MARK: errors

    /// Inside a transaction, any error fails it (see the extension's doc); returns `error`.
    func fail(_ error: any Error) -> any Error {
        if depth > 0, failure == nil { failure = error }
        return error
    }

    /// A plain call's result, or its error thrown (a lost connection as such).
    func checked(_ raw: OpaquePointer?, sql: String?) throws -> PostgresResult {
        guard let raw else { throw fail(sendError(sql: sql)) }
        let result = PostgresResult(raw)
        if result.isSuccess { return result }
        let status = result.status
        if status == PGRES_COPY_IN || status == PGRES_COPY_OUT {
            endCopy(status)
            while let rest = PQgetResult(handle) { PQclear(rest) }
            throw fail(PostgresError.client("COPY … FROM STDIN / TO STDOUT cannot run through gradbook: use INSERT or SELECT", sql: sql))
        }
        throw fail(serverError(result, sql: sql, sentAhead: false))
    }

    /// Leaves the COPY state libpq enters when a statement turns out to be `COPY … STDIN` or
    /// `STDOUT`: an IN copy is failed with a message, an OUT copy's rows are read and dropped.
    func endCopy(_ status: ExecStatusType) {
        if status == PGRES_COPY_IN {
            _ = PQputCopyEnd(handle, "gradbook sends no COPY data")
        } else if status == PGRES_COPY_OUT {
            var buffer: UnsafeMutablePointer<CChar>?
            while PQgetCopyData(handle, &buffer, 0) > 0 {
                PQfreemem(buffer)
                buffer = nil
            }
        }
    }

    /// The error a failed result carries, or the lost connection it reports (a FATAL error
    /// ends the session: the server closes the connection after sending it).
    func serverError(_ result: PostgresResult, sql: String?, sentAhead: Bool) -> PostgresError {
        let error = PostgresError(result: result.handle, sql: sql, wasSentAhead: sentAhead)
        if PQstatus(handle) == CONNECTION_BAD || error.severity == "FATAL" || error.severity == "PANIC" {
            return closed(reason: error.message, sql: sql)
        }
        return error
    }

    /// libpq refused to send, or a call returned no result: the connection's error message.
    func sendError(sql: String?) -> PostgresError {
        let message = PostgresError.firstLine(PQerrorMessage(handle).map { String(cString: $0) } ?? "unknown libpq error")
        if PQstatus(handle) == CONNECTION_BAD { return closed(reason: message, sql: sql) }
        return .client(message, sql: sql)
    }

    /// The running call's error when the server closed the connection; the next call outside
    /// a transaction starts a new session.
    private func closed(reason: String, sql: String?) -> PostgresError {
        // libpq's words when the server said nothing first.
        let unexplained = reason.isEmpty || reason.hasPrefix("server closed the connection")
        if reconnectReason == nil {
            reconnectReason = "after the server closed the connection" + (unexplained ? "" : " (\(reason))")
        }
        return .connectionClosed(at: location, reason: unexplained ? nil : reason, sql: sql)
    }
}
