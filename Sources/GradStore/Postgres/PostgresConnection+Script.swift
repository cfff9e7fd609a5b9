import CPostgreSQL

/// A user's SQL (`gradbook sql`, `%sql`): several statements without arguments, or exactly
/// one with them.
///
/// Unlike SQLite's statement-by-statement run, PostgreSQL runs a multi-statement script as
/// one implicit transaction: an error leaves none of the script's changes. A script that
/// opens a transaction must close it; one left open is rolled back and reported.
extension PostgresConnection {
    public func runScript(_ script: String, arguments: [SQLValue], readOnly: Bool) throws -> QueryResult {
        do {
            if depth == 0 {
                try ensureConnected()
                return try runScriptAlone(script, arguments: arguments, readOnly: readOnly)
            }
            return try runScriptInTransaction(script, arguments: arguments, readOnly: readOnly)
        } catch let error as PostgresError where error.sqlState == "25006" {
            // read_only_sql_transaction: what the read-only transaction refused.
            throw StoreError.readOnly
        }
    }

    /// Read-only: inside `BEGIN READ ONLY` … `ROLLBACK`, with read-only also the session's
    /// default meanwhile, so a `COMMIT` in the script does not open the way to writes after it.
    private func runScriptAlone(_ script: String, arguments: [SQLValue], readOnly: Bool) throws -> QueryResult {
        if readOnly {
            _ = try checked(PQexec(handle, mode == .readWrite ? "SET default_transaction_read_only = on; BEGIN READ ONLY"
                                                                : "BEGIN READ ONLY"), sql: nil)
        }
        let outcome = Result { try runStatements(script, arguments: arguments) }
        let leftOpen = isUsable && PQtransactionStatus(handle) != PQTRANS_IDLE
        if leftOpen { PQclear(PQexec(handle, "ROLLBACK")) }
        if readOnly {
            if mode == .readWrite, isUsable { PQclear(PQexec(handle, "SET default_transaction_read_only = off")) }
            return try outcome.get()
        }
        let result = try outcome.get()
        if leftOpen {
            throw PostgresError.client("the script began a transaction and did not end it (add COMMIT); it was rolled back",
                                       sql: script)
        }
        return result
    }

    /// Inside gradbook's transaction: in a savepoint, so that a failing script (or a
    /// read-only one) is undone alone and the transaction goes on, as with SQLite.
    private func runScriptInTransaction(_ script: String, arguments: [SQLValue], readOnly: Bool) throws -> QueryResult {
        if let failure { throw failure }
        try synchronize()
        guard PQexitPipelineMode(handle) == 1 else { throw fail(sendError(sql: script)) }
        defer { _ = PQenterPipelineMode(handle) }
        savepointNumber += 1
        let name = "gradbook_script_\(savepointNumber)"
        _ = try checked(PQexec(handle, "SAVEPOINT \(name)"), sql: nil)
        if readOnly {
            _ = try checked(PQexec(handle, "SET TRANSACTION READ ONLY; SET default_transaction_read_only = on"), sql: nil)
        }
        let outcome = Result { try runStatements(script, arguments: arguments) }
        guard isUsable else { return try outcome.get() }
        if PQtransactionStatus(handle) == PQTRANS_IDLE {
            if readOnly, mode == .readWrite { PQclear(PQexec(handle, "SET default_transaction_read_only = off")) }
            throw fail(PostgresError.client("the script ended gradbook's transaction (COMMIT or ROLLBACK inside a transaction)",
                                            sql: script))
        }
        if case .failure = outcome {
            _ = try checked(PQexec(handle, "ROLLBACK TO SAVEPOINT \(name); RELEASE SAVEPOINT \(name)"), sql: nil)
            failure = nil
        } else if readOnly {
            _ = try checked(PQexec(handle, "ROLLBACK TO SAVEPOINT \(name); RELEASE SAVEPOINT \(name)"), sql: nil)
        } else {
            _ = try checked(PQexec(handle, "RELEASE SAVEPOINT \(name)"), sql: nil)
        }
        return try outcome.get()
    }

    /// Sends the script and reads every statement's result: the rows of the last one with
    /// columns, and the rows all of them changed.
    private func runStatements(_ script: String, arguments: [SQLValue]) throws -> QueryResult {
        let sent: Int32
        if arguments.isEmpty {
            // Without arguments the text goes as written: `?` is PostgreSQL's own operator
            // (jsonb ? 'key'), a parameter only where there are arguments to bind.
            sent = PQsendQuery(handle, script)
        } else {
            let statement = PostgresStatement(sql: script, connection: self)
            statement.prepared(name: "", generation: -1, parameterCount: arguments.count)
            for (offset, argument) in arguments.enumerated() {
                try statement.bind(argument, at: Int32(offset + 1))
            }
            sent = statement.withParameters { count, values, lengths, formats in
                PQsendQueryParams(handle, statement.serverSQL, count, nil, values, lengths, formats, 0)
            }
        }
        guard sent == 1 else { throw fail(sendError(sql: script)) }
        var result = QueryResult(columns: [], rows: [])
        var firstError: (any Error)?
        while let raw = PQgetResult(handle) {
            let statementResult = PostgresResult(raw)
            let status = statementResult.status
            if statementResult.isSuccess {
                if status == PGRES_TUPLES_OK, statementResult.columnCount > 0 {
                    result.columns = statementResult.columnNames
                    result.rows = statementResult.rows
                }
                result.changes += statementResult.changedRows
            } else if status == PGRES_COPY_IN || status == PGRES_COPY_OUT {
                endCopy(status)
                if firstError == nil {
                    firstError = PostgresError.client("COPY … FROM STDIN / TO STDOUT cannot run here: use INSERT or SELECT",
                                                      sql: script)
                }
            } else {
                let error = serverError(statementResult, sql: script, sentAhead: false)
                if firstError == nil { firstError = error }
                if error.kind == .connectionClosed { break }
            }
        }
        if let firstError { throw fail(firstError) }
        return result
    }
}
