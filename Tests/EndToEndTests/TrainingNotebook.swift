import Foundation

/// A small classifier notebook whose `train` runs as long as a test needs: every step writes a
/// run row, value rows and tensor rows, which is what crash and concurrency tests stress.
enum TrainingNotebook {
    /// Named nodes of the graph: X, labels, W1, b1, W2, b2, hidden, logits, loss.
    static let namedNodeCount = 9
    /// Params: W1, b1, W2, b2. A training step stores a value row for each (summaries between
    /// checkpoints, in full at checkpoints) under the default `%record params`.
    static let paramCount = 4

    static func source(steps: Int, optimizer: String = "adam") -> String {
        """
        # %%
        X, labels = moons(64, noise=0.1, seed=1)
        W1 = param(randn(2, 16, seed=2) * 0.5)
        b1 = param(zeros(16))
        W2 = param(randn(16, 2, seed=3) * 0.5)
        b2 = param(zeros(2))
        hidden = tanh(X @ W1 + b1)
        logits = hidden @ W2 + b2
        loss = cross_entropy(logits, labels)

        # %%
        backward loss

        # %%
        train(loss, steps=\(steps), lr=0.05, optimizer="\(optimizer)")

        # %%
        backward loss

        """
    }

    /// Writes the notebook into `directory` and returns its path.
    static func write(steps: Int, optimizer: String = "adam", in directory: URL, name: String = "train.grad") throws -> String {
        let url = directory.appendingPathComponent(name)
        try source(steps: steps, optimizer: optimizer).write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }
}
