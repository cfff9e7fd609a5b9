import GradSession
import GradStore
import Testing

@Suite struct SessionTests {
    func makeSession() throws -> Session {
        try Session(store: RunStore(path: ":memory:"), kind: .batch, notebook: nil)
    }

    static let seed = """
    x = -2
    w = param(2)
    b = param(8)
    y = 2
    c = w * x
    a = c + b
    d = a - y
    J = 0.5 * d^2
    """

    func scalar(_ session: Session, _ sql: String) throws -> Double? {
        let result = try session.store.query(sql)
        guard let first = result.rows.first?.first else { return nil }
        switch first {
        case .real(let value): return value
        case .integer(let value): return Double(value)
        default: return nil
        }
    }

    @Test func aStatementThatRecordsNothingCommitsNoTransaction() throws {
        let session = try makeSession()
        let database = session.store.connection
        var before = database.transactionsCommitted
        #expect(session.execute("6 * 7").result?.plain == "42")
        // The cell row before it runs and its status after: nothing for the statement itself.
        #expect(database.transactionsCommitted - before == 2)
        before = database.transactionsCommitted
        #expect(session.execute("x = 3\nx * 2").result?.plain == "6")
        // The definition of x commits on its own (SPEC §3); `x * 2`, like `6 * 7`, records nothing.
        #expect(database.transactionsCommitted - before == 3)
        #expect(try scalar(session, "SELECT count(*) FROM cells WHERE status = 'ok'") == 2)
        #expect(try scalar(session, "SELECT count(*) FROM nodes WHERE name = 'x'") == 1)
    }

    @Test func aDeferredCellReadsAsRunningUntilItsOutcomeIsWritten() throws {
        let session = try makeSession()
        let statusSQL = "SELECT coalesce(status, 'running') FROM cells ORDER BY cell_id DESC LIMIT 1"
        func lastStatus() throws -> SQLValue? { try session.store.query(statusSQL).rows.first?.first }
        let result = session.executeDeferringFinish("x = 2\nx * 21")
        #expect(result.status == .ok && result.result?.plain == "42")
        // The statement's own record is committed already; only the cell's outcome waits.
        #expect(try lastStatus() == .text("running"))
        #expect(try scalar(session, "SELECT count(*) FROM nodes WHERE name = 'x'") == 1)
        #expect(session.finishDeferredCell() == nil)
        #expect(try lastStatus() == .text("ok"))
        #expect(try session.store.query("SELECT outputs FROM cells ORDER BY cell_id DESC LIMIT 1").rows.first?.first?.textValue?
            .contains("42") == true)
        #expect(session.finishDeferredCell() == nil, "nothing left to write")
        // Running another cell, or closing, writes a pending outcome first.
        _ = session.executeDeferringFinish("1 +")
        #expect(try lastStatus() == .text("running"))
        #expect(session.execute("3").result?.plain == "3")
        #expect(try session.store.query("SELECT status FROM cells ORDER BY cell_id").rows.map { $0.first }
            == [.text("ok"), .text("error"), .text("ok")])
        _ = session.executeDeferringFinish("4")
        try session.close()
        #expect(try lastStatus() == .text("ok"))
    }

    @Test func seedValuesAndGradientsLandInRunValues() throws {
        let session = try makeSession()
        #expect(session.execute(Self.seed).status == .ok)
        let result = session.execute("backward J\ngrad(J, w)")
        #expect(result.status == .ok)
        #expect(result.result?.plain == "-4")
        let latest = "(SELECT max(run_id) FROM runs WHERE kind = 'backward')"
        #expect(try scalar(session, "SELECT value FROM run_values WHERE run_id = \(latest) AND name = 'J'") == 2)
        #expect(try scalar(session, "SELECT grad FROM run_values WHERE run_id = \(latest) AND name = 'w'") == -4)
        #expect(try scalar(session, "SELECT grad FROM run_values WHERE run_id = \(latest) AND name = 'b'") == 2)
        for (name, grad) in [("d", 2.0), ("a", 2), ("c", 2)] {
            #expect(try scalar(session, "SELECT grad FROM run_values WHERE run_id = \(latest) AND name = '\(name)'") == grad)
        }
        #expect(try scalar(session, "SELECT count(*) FROM nodes WHERE session_id = \(session.sessionID)") == 8)
        #expect(try scalar(session, "SELECT is_param FROM nodes WHERE name = 'w'") == 1)
    }

    @Test func definitionsShowTheirValues() throws {
        let session = try makeSession()
        let result = session.execute(Self.seed)
        let text = result.outputs.compactMap { if case .stdout(let text) = $0 { text } else { nil } }.joined()
        #expect(text.contains("c = -4\n") && text.contains("J = 2\n"), "\(text)")
        let silent = session.execute("q = 5;")
        #expect(silent.outputs.isEmpty)
    }

    @Test func failingCellIsRecordedAsErrorWithLocation() throws {
        let session = try makeSession()
        let result = session.execute("ok = 1\nbad = missing * 2")
        #expect(result.status == .error)
        #expect(result.errorText?.contains("2:7: error: unknown name 'missing'") == true, "\(result.errorText ?? "")")
        #expect(try scalar(session, "SELECT count(*) FROM cells WHERE status = 'error'") == 1)
        #expect(try scalar(session, "SELECT count(*) FROM nodes WHERE name = 'bad'") == 0)
        #expect(try scalar(session, "SELECT count(*) FROM nodes WHERE name = 'ok'") == 1)
    }

    @Test func syntaxErrorsRunNothing() throws {
        let session = try makeSession()
        let result = session.execute("a = 1\nb = (2 +")
        #expect(result.status == .error)
        #expect(result.errorText?.contains("2:") == true)
        #expect(session.interpreter.nodeOfName["a"] == nil)
    }

    @Test func sqlMagicIsReadOnlyUnlessAskedToWrite() throws {
        let session = try makeSession()
        session.execute(Self.seed)
        let table = session.execute("%sql SELECT name FROM nodes ORDER BY node_id LIMIT 2")
        #expect(table.status == .ok)
        let shown = table.outputs.compactMap { if case .display(let rich) = $0 { rich.plain } else { nil } }.joined()
        #expect(shown.contains("x") && shown.contains("w"), "\(shown)")
        let refused = session.execute("%sql DELETE FROM run")
        #expect(refused.status == .error)
        #expect(refused.errorText?.contains("--write") == true, "\(refused.errorText ?? "")")
        #expect(session.execute("%sql --write CREATE TABLE notes(text TEXT)").status == .ok)
    }

    @Test func explainMagicShowsBothTables() throws {
        let session = try makeSession()
        session.execute(Self.seed)
        let result = session.execute("%explain J")
        let shown = result.outputs.compactMap { if case .display(let rich) = $0 { rich.plain } else { nil } }.joined()
        #expect(shown.contains("c = w * x = -4"))
        #expect(shown.contains("dJ/dc = dJ/da * da/dc = 2 * 1 = 2"))
    }

    @Test func trainingStepsAreRuns() throws {
        let session = try makeSession()
        session.execute("w = param(0)\nL = (w - 3)^2")
        let result = session.execute("train(L, steps=25, lr=0.1)")
        #expect(result.status == .ok, "\(result.errorText ?? "")")
        #expect(try scalar(session, "SELECT count(*) FROM runs WHERE kind = 'train'") == 25)
        #expect(try scalar(session, "SELECT loss FROM runs WHERE kind = 'train' AND step = 0") == 9)
        #expect(try scalar(session, "SELECT count(*) FROM runs WHERE kind = 'train' AND loss IS NULL") == 0)
    }

    @Test func recordNoneKeepsRunsButNoValues() throws {
        let session = try makeSession()
        session.execute("%record none")
        session.execute(Self.seed + "\nbackward J")
        #expect(try scalar(session, "SELECT count(*) FROM runs WHERE kind = 'backward'") == 1)
        #expect(try scalar(session, "SELECT count(*) FROM run_values") == 0)
    }

    @Test func largeTensorsAreSummarisedByDefault() throws {
        let session = try makeSession()
        session.execute("W = param(randn(100, 100, seed=1))\nL = sum(W * W)\nbackward L")
        let run = "(SELECT max(run_id) FROM runs WHERE kind = 'backward')"
        #expect(try scalar(session, "SELECT count(*) FROM run_values WHERE run_id = \(run) AND name = 'W' AND value_json IS NULL") == 1)
        #expect(try scalar(session, "SELECT count(*) FROM run_values WHERE run_id = \(run) AND name = 'L' AND value = grad") == 0)
        session.execute("%record all\nbackward L")
        #expect(try scalar(session, "SELECT count(*) FROM run_values WHERE run_id = \(run) AND name = 'W' AND value_json IS NOT NULL") == 1)
    }

    @Test func closeSetsEndedAt() throws {
        let session = try makeSession()
        try session.close()
        #expect(try scalar(session, "SELECT count(*) FROM sessions WHERE ended_at IS NOT NULL") == 1)
    }
}

/// `:session` in `%sql` and `%plot` is the session's own id: a notebook recording into a history
/// other sessions share (a class's server) queries its own runs.
@Suite struct SessionParameterTests {
    @Test func sessionStandsForTheSessionsOwnID() throws {
        let store = try RunStore(path: ":memory:")
        let first = try Session(store: store, kind: .batch, notebook: "a.grad")
        first.execute("w = param(3)\nloss = w * w\ntrain(loss, steps=4, lr=0.1)")
        let second = try Session(store: store, kind: .batch, notebook: "b.grad")
        second.execute("v = param(5)\nloss = v * v\ntrain(loss, steps=2, lr=0.1)")
        let own = second.execute("%sql SELECT count(*) AS steps, min(session_id) AS id FROM train_steps WHERE session_id = :session")
        #expect(own.status == .ok)
        let table = own.outputs.compactMap { output -> String? in
            if case .display(let rich) = output { return rich.plain }
            return nil
        }.joined()
        let row = table.split(separator: "\n").map { $0.replacingOccurrences(of: " ", with: "") }
        #expect(row.contains("|2|\(second.sessionID)|"), "\(table)")
        let plotted = first.execute("%plot SELECT step, loss FROM train_steps WHERE session_id = :session ORDER BY step")
        #expect(plotted.status == .ok, "\(plotted.errorText ?? "")")
        #expect(try store.query("SELECT count(*) FROM train_steps WHERE session_id = \(first.sessionID)").rows.first?.first == .integer(4))
    }
}
