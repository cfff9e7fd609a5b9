import Foundation
import GradSession
import GradStore

/// The result of `RecordBenchmark.run`.
public struct RecordResult: Sendable {
    public var steps: Int
    /// Seconds per training step of each `train()` call, per policy.
    public var secondsPerStepRecorded: [Double]
    public var secondsPerStepUnrecorded: [Double]
    /// Elements stored in full (values and gradients) by one recorded `train()` call.
    public var valuesPerCall: Int
    public var machine: MachineInfo

    public var medianRecorded: Double { Stats(secondsPerStepRecorded).median ?? .nan }
    public var medianUnrecorded: Double { Stats(secondsPerStepUnrecorded).median ?? .nan }

    /// Extra time of a recorded step relative to an unrecorded one (0.1 = 10 %).
    public var overhead: Double { medianRecorded / medianUnrecorded - 1 }

    /// Elements stored in full per second of recording time (the difference of the medians).
    public var valuesPerSecond: Double {
        let added = (medianRecorded - medianUnrecorded) * Double(steps)
        return added > 0 ? Double(valuesPerCall) / added : .infinity
    }

    public var json: OrderedJSON {
        .object([
            ("model", .string("moons 2-16-16-2 mlp, 354 params, cross_entropy, sgd")),
            ("steps_per_call", .int(steps)),
            ("s_per_step_params", Stats(secondsPerStepRecorded).json),
            ("s_per_step_none", Stats(secondsPerStepUnrecorded).json),
            ("overhead_fraction", .number(overhead)),
            ("values_per_call", .int(valuesPerCall)),
            ("values_per_s", .number(valuesPerSecond.isFinite ? valuesPerSecond : -1)),
        ])
    }

    public var summary: String {
        String(format: "record: %.3f ms/step with %%record params, %.3f ms/step with %%record none: +%.1f %%, %.2f M values/s",
               medianRecorded * 1e3, medianUnrecorded * 1e3, overhead * 100, valuesPerSecond / 1e6)
    }
}

/// Issue 3's `record` workload: the cost of the default `%record params` policy on a
/// moons-sized training run, measured through a real `Session` writing to a database file
/// (WAL, as a user's notebook does), against the same `train()` call under `%record none`.
public enum RecordBenchmark {
    static let setup = """
        X, y = moons(100, noise=0.1, seed=1337);
        W1 = param(randn(2, 16, seed=1) * 0.7);
        b1 = param(zeros(16));
        W2 = param(randn(16, 16, seed=2) * 0.25);
        b2 = param(zeros(16));
        W3 = param(randn(16, 2, seed=3) * 0.25);
        b3 = param(zeros(2));
        h1 = relu(X @ W1 + b1);
        h2 = relu(h1 @ W2 + b2);
        logits = h2 @ W3 + b3;
        loss = cross_entropy(logits, y);
        """

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// `calls` pairs of `train(steps: steps)` calls, alternating the two policies so that
    /// changes in machine load hit both alike.
    public static func run(calls: Int = 7, steps: Int = 100) throws -> RecordResult {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("gradbook-record-\(getpid())-\(monotonicNanoseconds())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try RunStore(path: directory.appendingPathComponent("bench.gradbook.db").path)
        let session = try Session(store: store, kind: .batch, notebook: nil)
        defer { try? session.close() }
        try execute(setup, in: session)
        let train = "train(loss, steps=\(steps), lr=0.05);"
        var recorded: [Double] = []
        var unrecorded: [Double] = []
        // One call of each first, untimed: statements get prepared, buffers allocated.
        for policy in ["params", "none"] {
            try execute("%record \(policy)", in: session)
            try execute(train, in: session)
        }
        for _ in 0..<calls {
            for policy in ["params", "none"] {
                try execute("%record \(policy)", in: session)
                let start = monotonicNanoseconds()
                try execute(train, in: session)
                let seconds = Double(monotonicNanoseconds() - start) / 1e9 / Double(steps)
                if policy == "params" { recorded.append(seconds) } else { unrecorded.append(seconds) }
            }
        }
        let counted = try store.query("""
            SELECT sum(CASE WHEN value_storage = 2 THEN numel ELSE 0 END + CASE WHEN grad_storage = 2 THEN numel ELSE 0 END)
            FROM value WHERE run_id IN (SELECT id FROM run WHERE train_id =
                (SELECT max(train_id) FROM run WHERE train_id IS NOT NULL AND record_policy = 'params'))
            """)
        let values = counted.rows.first?.first?.integerValue ?? 0
        return RecordResult(steps: steps, secondsPerStepRecorded: recorded, secondsPerStepUnrecorded: unrecorded,
                            valuesPerCall: Int(values), machine: MachineInfo())
    }

    private static func execute(_ source: String, in session: Session) throws {
        let result = session.execute(source)
        guard result.status == .ok else {
            throw Failure(description: "record benchmark: \(source.prefix(40)): \(result.errorText ?? "failed")")
        }
    }
}
