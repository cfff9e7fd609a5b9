import GradSession
import GradStore
import Testing

/// Gradients follow the graph through a session: what `.grad`, `%who`, `%graph` and `name?`
/// show, and the backward runs the recomputations leave in the run history.
@Suite struct GradientFollowingSessionTests {
    func makeSession() throws -> Session {
        try Session(store: RunStore(path: ":memory:"), kind: .batch, notebook: nil)
    }

    func run(_ session: Session, _ source: String) throws -> CellResult {
        let result = session.execute(source)
        try #require(result.status == .ok, "\(source): \(result.errorText ?? "")")
        return result
    }

    func text(_ result: CellResult) -> String {
        result.outputs.compactMap { output -> String? in
            switch output {
            case .display(let rich): return rich.plain
            case .stdout(let text), .stderr(let text), .page(let text): return text
            default: return nil
            }
        }.joined(separator: "\n") + (result.result.map { "\n" + $0.plain } ?? "")
    }

    func rows(_ session: Session, _ sql: String) throws -> [[SQLValue]] {
        try session.store.query(sql).rows
    }

    static let latestBackward = "(SELECT max(run_id) FROM runs WHERE kind = 'backward')"

    @Test func aRedefinitionRecordsTheRecomputedGradientsAsABackwardRun() throws {
        let session = try makeSession()
        _ = try run(session, SessionTests.seed)
        _ = try run(session, "backward J")
        let redefinition = try run(session, "x = 3")
        #expect(try run(session, "w.grad").result?.plain == "36")
        // The backward run belongs to the cell that changed x, after its forward run.
        let kinds = try rows(session, """
            SELECT r.kind, r.target, r.loss FROM runs AS r JOIN cells AS c ON c.cell_id = r.cell_id
            WHERE c.execution_count = \(redefinition.executionCount) ORDER BY r.run_id
            """)
        #expect(kinds == [[.text("forward"), .text("x"), .real(3)], [.text("backward"), .text("J"), .real(72)]])
        let grads = try rows(session, "SELECT name, grad FROM run_values WHERE run_id = \(Self.latestBackward) AND name IN ('w', 'b') ORDER BY name")
        #expect(grads == [[.text("b"), .real(12)], [.text("w"), .real(36)]])
        // The recomputed run reads back like any other: its graph has the new definition of x.
        let x = try rows(session, "SELECT expr FROM run_nodes WHERE run_id = \(Self.latestBackward) AND name = 'x'")
        #expect(x == [[.text("3")]])
    }

    @Test func everyInspectionShowsTheCurrentGradient() throws {
        let session = try makeSession()
        _ = try run(session, SessionTests.seed)
        _ = try run(session, "backward J")
        _ = try run(session, "x = 3")
        let who = text(try run(session, "%who"))
        #expect(who.contains("| grad"), "\(who)")
        let wRow = who.split(separator: "\n").first { $0.hasPrefix("| w ") }
        #expect(wRow?.contains("| 36 ") == true, "\(who)")
        #expect(text(try run(session, "w?")).contains("gradient:   36"))
        let graph = text(try run(session, "%graph J"))
        #expect(graph.contains("value 2, grad 36"), "\(graph)")
        #expect(!graph.contains("grad -4"), "\(graph)")
        let dot = text(try run(session, "%graph --dot J"))
        #expect(dot.contains("grad 36") && !dot.contains("grad -4"), "\(dot)")
    }

    @Test func afterTrainingTheHistoryHoldsTheGradientAtTheTrainedValues() throws {
        let session = try makeSession()
        _ = try run(session, SessionTests.seed)
        _ = try run(session, "backward J")
        _ = try run(session, "train(J, steps=4, lr=0.01)")
        let shown = try #require(Double(try run(session, "w.grad").result?.plain ?? ""))
        let values = try rows(session, "SELECT name, value, grad FROM run_values WHERE run_id = \(Self.latestBackward) AND name IN ('b', 'w') ORDER BY name")
        let b = try #require(values.first?[1].doubleValue), w = try #require(values.last?[1].doubleValue)
        let d = w * -2 + b - 2
        #expect(values.last?[2].doubleValue == d * -2)
        #expect(shown == d * -2)
        // The backward run comes after the training's last step.
        let order = try rows(session, "SELECT kind FROM runs ORDER BY run_id DESC LIMIT 2")
        #expect(order == [[.text("backward")], [.text("train")]])
    }

    @Test func resetForgetsTheLossesAndTheirGradients() throws {
        let session = try makeSession()
        _ = try run(session, SessionTests.seed)
        _ = try run(session, "backward J")
        _ = try run(session, "%reset")
        _ = try run(session, SessionTests.seed)
        let before = try rows(session, "SELECT count(*) FROM runs WHERE kind = 'backward'")
        let result = session.execute("w.grad")
        #expect(result.status == .error)
        #expect(result.errorText?.contains("no gradient yet") == true, "\(result.errorText ?? "")")
        _ = try run(session, "x = 3")
        #expect(try rows(session, "SELECT count(*) FROM runs WHERE kind = 'backward'") == before)
    }

    @Test func aLossThatCannotBeDifferentiatedAnyMoreSaysSo() throws {
        let session = try makeSession()
        _ = try run(session, SessionTests.seed)
        _ = try run(session, "backward J")
        let redefinition = try run(session, "J = [1, 2] * d")
        #expect(text(redefinition).contains("gradients of backward J are cleared"), "\(text(redefinition))")
        let result = session.execute("w.grad")
        #expect(result.status == .error)
        #expect(result.errorText?.contains("has shape [2] now") == true, "\(result.errorText ?? "")")
        let who = text(try run(session, "%who"))
        #expect(who.split(separator: "\n").first { $0.hasPrefix("| w ") }?.hasSuffix("| -    |") == true, "\(who)")
        #expect(text(try run(session, "w?")).contains("gradient:   (none now: the backward pass of J cannot run: J has shape [2] now"))
    }
}
