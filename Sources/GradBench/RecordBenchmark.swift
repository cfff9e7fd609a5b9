import Foundation
import GradSession
import GradStore

/// The result of `RecordBenchmark.run`.
public struct RecordResult: Sendable {
    public var steps: Int
    /// Seconds per training step of each `train()` call, per policy.
    public var secondsPerStepRecorded: [Double]
    public var secondsPerStepUnrecorded: [Double]
    public var secondsPerStepAll: [Double]
    /// Seconds each `params` and `none` call waited, after its last step, for the writer to
    /// commit (included in the step times above): the part of a call's cost that is its end.
    public var writeWaitRecorded: [Double]
    public var writeWaitUnrecorded: [Double]
    /// Elements stored in full (values, gradients and optimizer state) by one recorded
    /// `train()` call, under `%record params` and under `%record all`.
    public var valuesPerCall: Int
    public var valuesPerCallAll: Int
    /// Database bytes one `%record params` step adds, on average over the timed calls.
    public var bytesPerStep: Double
    public var machine: MachineInfo

    public var medianRecorded: Double { Stats(secondsPerStepRecorded).median ?? .nan }
    public var medianUnrecorded: Double { Stats(secondsPerStepUnrecorded).median ?? .nan }
    public var medianAll: Double { Stats(secondsPerStepAll).median ?? .nan }

    /// Extra time of a recorded step relative to an unrecorded one (0.1 = 10 %).
    public var overhead: Double { medianRecorded / medianUnrecorded - 1 }
    public var overheadAll: Double { medianAll / medianUnrecorded - 1 }

    /// Elements stored in full per second of recording time (the difference of the medians).
    public var valuesPerSecond: Double { Self.rate(valuesPerCall, medianRecorded - medianUnrecorded, steps) }
    public var valuesPerSecondAll: Double { Self.rate(valuesPerCallAll, medianAll - medianUnrecorded, steps) }

    static func rate(_ values: Int, _ addedPerStep: Double, _ steps: Int) -> Double {
        let added = addedPerStep * Double(steps)
        return added > 0 ? Double(values) / added : .infinity
    }

    public var json: OrderedJSON {
        .object([
            ("model", .string("moons 2-16-16-2 mlp, 354 params, cross_entropy, sgd")),
            ("steps_per_call", .int(steps)),
            ("s_per_step_params", Stats(secondsPerStepRecorded).json),
            ("s_per_step_none", Stats(secondsPerStepUnrecorded).json),
            ("s_per_step_all", Stats(secondsPerStepAll).json),
            ("s_write_wait_per_call_params", Stats(writeWaitRecorded).json),
            ("s_write_wait_per_call_none", Stats(writeWaitUnrecorded).json),
            ("overhead_fraction", .number(overhead)),
            ("overhead_fraction_all", .number(overheadAll)),
            ("values_per_call", .int(valuesPerCall)),
            ("values_per_s", .number(valuesPerSecond.isFinite ? valuesPerSecond : -1)),
            ("values_per_call_all", .int(valuesPerCallAll)),
            ("values_per_s_all", .number(valuesPerSecondAll.isFinite ? valuesPerSecondAll : -1)),
            ("bytes_per_step_params", .number(bytesPerStep)),
        ])
    }
}

/// Issue 3's `record` workload: the cost of the default `%record params` policy on a
/// moons-sized training run, measured through a real `Session` writing to a database file
/// (WAL, as a user's notebook does), against the same `train()` call under `%record none`, and
/// what `%record all` (every value and gradient in full at every step) records per second.
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

    /// `calls` rounds of one `train(steps: steps)` call per policy, alternating `params` and
    /// `none` so that changes in machine load hit them alike; then `calls` calls under `all`,
    /// whose volume keeps the database's checkpointer busy for a while after each call, which
    /// would otherwise be charged to whichever policy came next.
    /// - Parameter location: the history to record into; nil: a temporary SQLite file.
    public static func run(calls: Int = 31, steps: Int = 100, location: HistoryLocation? = nil) throws -> RecordResult {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("gradbook-record-\(getpid())-\(monotonicNanoseconds())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try RunStore(location: location ?? .sqlite(path: directory.appendingPathComponent("bench.gradbook.db").path))
        let session = try Session(store: store, kind: .batch, notebook: nil)
        defer { try? session.close() }
        try execute(setup, in: session)
        let train = "train(loss, steps=\(steps), lr=0.05);"
        var seconds: [String: [Double]] = [:]
        var waits: [String: [Double]] = [:]
        // One call of each first, untimed: statements get prepared, buffers allocated.
        for policy in ["params", "none"] {
            try execute("%record \(policy)", in: session)
            try execute(train, in: session)
        }
        var paramsBytes = 0.0
        let rounds = Array(repeating: ["params", "none"], count: calls).flatMap { $0 } + Array(repeating: "all", count: calls)
        for policy in rounds {
            try execute("%record \(policy)", in: session)
            let before = try store.connection.storageBytes()
            let start = monotonicNanoseconds()
            try execute(train, in: session)
            seconds[policy, default: []].append(Double(monotonicNanoseconds() - start) / 1e9 / Double(steps))
            if let wait = session.lastTrainingWriteWait { waits[policy, default: []].append(wait) }
            if policy == "params" { paramsBytes += Double(try store.connection.storageBytes() - before) }
        }
        return RecordResult(steps: steps, secondsPerStepRecorded: seconds["params"] ?? [], secondsPerStepUnrecorded: seconds["none"] ?? [],
                            secondsPerStepAll: seconds["all"] ?? [], writeWaitRecorded: waits["params"] ?? [],
                            writeWaitUnrecorded: waits["none"] ?? [], valuesPerCall: try valuesStored(policy: "params", store: store),
                            valuesPerCallAll: try valuesStored(policy: "all", store: store),
                            bytesPerStep: paramsBytes / Double(calls * steps), machine: MachineInfo())
    }

    /// Numbers stored in full by the latest train() call under `policy`: values, gradients and
    /// the optimizer state of its checkpoints.
    private static func valuesStored(policy: String, store: RunStore) throws -> Int {
        let latest = "(SELECT max(train_id) FROM run WHERE train_id IS NOT NULL AND record_policy = '\(policy)')"
        let counted = try store.query("""
            SELECT (SELECT coalesce(sum(CASE WHEN value_storage = 2 THEN numel ELSE 0 END + CASE WHEN grad_storage = 2 THEN numel ELSE 0 END), 0)
                    FROM \(store.connection.dialect.rowsOf("value")) WHERE run_id IN (SELECT id FROM run WHERE train_id = \(latest)))
                 + (SELECT coalesce(sum(length(data) / 8), 0) FROM optimizer_state
                    WHERE run_id IN (SELECT id FROM run WHERE train_id = \(latest)))
            """)
        return Int(counted.rows.first?.first?.integerValue ?? 0)
    }

    private static func execute(_ source: String, in session: Session) throws {
        let result = session.execute(source)
        guard result.status == .ok else {
            throw Failure(description: "record benchmark: \(source.prefix(40)): \(result.errorText ?? "failed")")
        }
    }
}
