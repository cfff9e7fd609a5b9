import Foundation
import GradEngine
import GradTensor

/// The result of `MoonsMLPBenchmark.run`.
public struct MoonsMLPResult: Sendable {
    public var runs: Int
    public var steps: Int
    public var secondsPerStep: [Double]
    public var secondsPerRun: [Double]
    public var losses: [Double]
    public var accuracies: [Double]
    public var machine: MachineInfo

    public static let expectedLossFirst = 0.895844102868
    public static let expectedLossFinal = 0.010978370135

    /// Loss at step 0 and 99 within 1e-9 of the peers' and accuracy 1.
    public var matchesReference: Bool {
        guard let first = losses.first, let last = losses.last else { return false }
        return Swift.abs(first - MoonsMLPResult.expectedLossFirst) < 1e-9
            && Swift.abs(last - MoonsMLPResult.expectedLossFinal) < 1e-9 && accuracies.last == 1
    }

    /// The object `torch_bench.py` prints under `moons_mlp`.
    public var json: OrderedJSON {
        .object([
            ("runs", .int(runs)), ("steps_per_run", .int(steps)), ("dtype", .string("float64")),
            ("s_per_step", Stats(secondsPerStep).json), ("s_per_run_total", Stats(secondsPerRun).json),
            ("loss_first", .number(losses.first ?? .nan)), ("loss_final", .number(losses.last ?? .nan)),
            ("accuracy_final", .number(accuracies.last ?? .nan)),
            ("matches_reference", .bool(matchesReference)),
        ])
    }

    public var summary: String {
        String(format: "moons_mlp: %.3f ms/step (median of %d), loss %.12f -> %.12f, accuracy %.2f, reference %@",
               (Stats(secondsPerStep).median ?? 0) * 1e3, secondsPerStep.count, losses.first ?? .nan,
               losses.last ?? .nan, accuracies.last ?? .nan, matchesReference ? "ok" : "MISMATCH")
    }
}

/// The peers' workload 2 (bench/peers/README.md §2): micrograd's demo MLP 2→16→16→1 on 100
/// moons points, hinge loss + 1e-4·Σp², SGD with lr 1 − 0.9k/100 for 100 steps, full batch.
/// The graph is built once with the batch as matrices; a step is forward recomputation,
/// backward, update.
public enum MoonsMLPBenchmark {
    public static let steps = 100

    /// `dataDirectory` holds the peers' `moons.json` and `moons_init.json`.
    public static func run(dataDirectory: String, runs: Int = 3) throws -> MoonsMLPResult {
        let data = try loadJSON(dataDirectory + "/moons.json")
        let initial = try loadJSON(dataDirectory + "/moons_init.json")
        guard let rows = data["X"] as? [[Double]], let labels = data["y"] as? [Double],
              let layers = initial["layers"] as? [[String: Any]] else {
            throw BenchError("moons data files do not have the expected keys")
        }
        var result = MoonsMLPResult(runs: runs, steps: steps, secondsPerStep: [], secondsPerRun: [], losses: [],
                                    accuracies: [], machine: MachineInfo())
        for run in 0..<runs {
            let (stepSeconds, losses, accuracies) = try train(rows: rows, labels: labels, layers: layers)
            result.secondsPerStep += stepSeconds
            result.secondsPerRun.append(stepSeconds.reduce(0, +))
            if run == 0 {
                result.losses = losses
                result.accuracies = accuracies
            }
        }
        return result
    }

    static func train(rows: [[Double]], labels: [Double], layers: [[String: Any]]) throws -> ([Double], [Double], [Double]) {
        var graph = Graph()
        let n = rows.count
        let X = graph.constant(try Tensor(shape: [n, 2], scalars: rows.flatMap { $0 }))
        let y = graph.constant(Tensor(vector: labels))
        var params: [NodeID] = []
        var hidden = X
        for (index, layer) in layers.enumerated() {
            guard let weights = layer["W"] as? [[Double]], let bias = layer["b"] as? [Double] else {
                throw BenchError("moons_init.json: layer \(index) lacks W or b")
            }
            let W = graph.leaf(try Tensor(shape: [weights.count, weights.first?.count ?? 0], scalars: weights.flatMap { $0 }), isParam: true)
            let b = graph.leaf(Tensor(vector: bias), isParam: true)
            params += [W, b]
            let product = try graph.apply(.matmul, [hidden, W], attributes: OpAttributes(transposeRight: true))
            let affine = try graph.apply(.add, product, b)
            hidden = index < layers.count - 1 ? try graph.apply(.relu, affine) : affine
        }
        let score = try graph.apply(.flatten, [hidden])
        let margins = try graph.apply(.sub, graph.constant(scalar: 1), try graph.apply(.mul, y, score))
        let dataLoss = try graph.apply(.mean, [try graph.apply(.relu, margins)])
        var squares: NodeID?
        for p in params {
            let term = try graph.apply(.sum, [try graph.apply(.mul, p, p)])
            squares = try squares.map { try graph.apply(.add, $0, term) } ?? term
        }
        guard let squares else { throw BenchError("moons: no parameters") }
        let total = try graph.apply(.add, dataLoss, try graph.apply(.mul, graph.constant(scalar: 1e-4), squares))

        var optimizer = Optimizer(kind: .sgd, learningRate: 1.0, learningRateEnd: 0.1, totalSteps: steps)
        var stepSeconds: [Double] = [], losses: [Double] = [], accuracies: [Double] = []
        for _ in 0..<steps {
            let t0 = monotonicNanoseconds()
            try graph.recomputeForward(changed: params)
            let gradients = try graph.backward(from: total)
            let loss = graph.scalar(total) ?? .nan
            let scores = graph.value(score).scalars
            var correct = 0
            for (label, s) in zip(labels, scores) where (label > 0) == (s > 0) { correct += 1 }
            try optimizer.step(graph: &graph, params: params, gradients: gradients)
            let t1 = monotonicNanoseconds()
            stepSeconds.append(Double(t1 - t0) / 1e9)
            losses.append(loss)
            accuracies.append(Double(correct) / Double(Swift.max(n, 1)))
        }
        return (stepSeconds, losses, accuracies)
    }

    static func loadJSON(_ path: String) throws -> [String: Any] {
        guard FileManager.default.isReadableFile(atPath: path), let data = FileManager.default.contents(atPath: path) else {
            throw BenchError("cannot read \(path): run from the repository, or pass --data with the folder holding moons.json and moons_init.json")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw BenchError("\(path) is not a JSON object")
        }
        return object
    }
}

/// A benchmark that could not run (missing or malformed input).
public struct BenchError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
