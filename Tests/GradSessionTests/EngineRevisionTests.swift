import Foundation
@testable import GradSession
import GradStore
import Testing

/// A run is replayed with the arithmetic of the session that recorded it (`session.engine_revision`):
/// revision 0 copied `W.T` before the product, revision 1 reads W transposed in place, and BLAS may
/// round the two layouts differently, so a run recorded by either replays bit for bit.
@Suite struct EngineRevisionTests {
    static let program = """
    %record all
    X = randn(64, 256, seed=1)
    W = param(randn(10, 256, seed=2) * 0.1)
    V = param(randn(64, 3, seed=3))
    J = sum(tanh(X @ W.T)) + sum((V.T @ X) ^ 2) * 0.001
    backward J
    """

    func backwardRun(_ session: Session) throws -> Int64 {
        try #require(try session.store.query("SELECT max(run_id) FROM runs WHERE kind = 'backward'").rows.first?.first?.integerValue)
    }

    @Test func theSessionRecordsItsRevision() throws {
        let session = try Session(store: RunStore(path: ":memory:"), kind: .batch, notebook: nil)
        #expect(try session.store.engineRevision(ofSession: session.sessionID) == 1)
    }

    @Test(arguments: [0, 1])
    func aRunReplaysBitForBitWithTheRevisionThatRecordedIt(revision: Int) throws {
        let session = try Session(store: RunStore(path: ":memory:"), kind: .batch, notebook: nil)
        if revision == 0 {
            // What a session of an earlier gradbook recorded: the transposes copied, no revision kept.
            session.interpreter.arithmeticRevision = 0
            _ = try session.store.query("UPDATE session SET engine_revision = NULL WHERE id = ?1",
                                        arguments: [.integer(session.sessionID)], allowWrites: true)
        }
        let result = session.execute(Self.program)
        try #require(result.status == .ok, "\(result.errorText ?? "")")
        let report = try Replayer.replay(run: try backwardRun(session), store: session.store, recording: nil)
        #expect(report.isIdentical, "\(report.text)")
        #expect(report.comparisons.count >= 8)
    }
}
