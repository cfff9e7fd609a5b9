@testable import GradSession
import GradStore
import Testing

/// A training step is held back until the next one arrives (it may be the last finished step,
/// a checkpoint). What it keeps alive meanwhile: under `params` its params only, which is all that
/// policy records of a step, so that the next step does not compute beside the previous one's
/// activations and gradients; under `all`, which records every node, every node.
@Suite struct HeldStepTests {
    static let model = """
    X, labels = moons(20, noise=0.1, seed=3)
    W1 = param(randn(2, 5, seed=4) * 0.5)
    b1 = param(zeros(5))
    W2 = param(randn(5, 2, seed=5) * 0.5)
    hidden = tanh(X @ W1 + b1)
    logits = hidden @ W2
    loss = cross_entropy(logits, labels)
    """

    /// The held step's node names, seen after each step of a 5-step train() call under `policy`.
    func heldNodes(under policy: String) throws -> [[String]] {
        let session = try Session(store: RunStore(path: ":memory:"), kind: .batch, notebook: nil)
        let setup = session.execute(Self.model + "\n%record \(policy)")
        try #require(setup.status == .ok, "\(setup.errorText ?? "")")
        var seen: [[String]] = []
        session.progressHandler = { [unowned session] progress in
            if !progress.finished, let names = session.recorder.heldNodeNames { seen.append(names.sorted()) }
        }
        let training = session.execute("train(loss, steps=5, lr=0.1)")
        try #require(training.status == .ok, "\(training.errorText ?? "")")
        #expect(session.recorder.heldNodeNames == nil, "nothing is held beyond the statement")
        return seen
    }

    @Test func underParamsAHeldStepKeepsTheParamsOnly() throws {
        let held = try heldNodes(under: "params")
        // Steps 1 to 4 are held (step 0 is a checkpoint, written at once).
        #expect(held == Array(repeating: ["W1", "W2", "b1"], count: 4))
    }

    @Test func underAllAHeldStepKeepsEveryNode() throws {
        let held = try heldNodes(under: "all")
        #expect(held.count == 4)
        #expect(held.allSatisfy { $0 == ["W1", "W2", "X", "b1", "hidden", "labels", "logits", "loss"] }, "\(held)")
    }
}
