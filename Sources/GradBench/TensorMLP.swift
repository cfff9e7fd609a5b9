import Foundation
import GradEngine
import GradTensor

/// The result of `TensorMLPBenchmark.run`.
public struct TensorMLPResult: Sendable {
    public var rounds: Int
    public var warmupSteps: Int
    public var timedSteps: Int
    public var millisecondsPerStep: [Double]
    public var roundMedians: [Double]
    public var lossStep0: Double
    public var lossStepLast: Double
    public var machine: MachineInfo

    public static let expectedLossStep0 = 2.302655592616
    public static let expectedLossStepLast = 2.299459584620

    public var matchesReference: Bool {
        Swift.abs(lossStep0 - TensorMLPResult.expectedLossStep0) < 1e-9
            && Swift.abs(lossStepLast - TensorMLPResult.expectedLossStepLast) < 1e-9
    }

    /// One entry of the peers' `tensor_mlp` list (float64).
    public var json: OrderedJSON {
        let median = Stats(roundMedians).median ?? .nan
        return .object([
            ("dtype", .string("float64")), ("rounds", .int(rounds)), ("warmup_steps", .int(warmupSteps)),
            ("timed_steps_per_round", .int(timedSteps)), ("ms_per_step", Stats(millisecondsPerStep).json),
            ("round_medians_ms", .array(roundMedians.map(OrderedJSON.number))),
            ("median_of_round_medians_ms", .number(median)),
            ("matmul_gflops_at_median", .number(Double(TensorMLPBenchmark.matmulFlop) / (median / 1e3) / 1e9)),
            ("loss_step0", .number(lossStep0)), ("loss_step_last", .number(lossStepLast)),
            ("total_steps_per_round", .int(warmupSteps + timedSteps)),
            ("matches_reference", .bool(matchesReference)),
        ])
    }

    public var summary: String {
        String(format: "tensor_mlp float64: %.2f ms/step (median of round medians), loss %.12f -> %.12f, reference %@",
               Stats(roundMedians).median ?? .nan, lossStep0, lossStepLast, matchesReference ? "ok" : "MISMATCH")
    }
}

/// The peers' workload 3 (bench/peers/README.md §3): MLP 784→256→256→10 with relu, softmax
/// cross-entropy over a fixed batch of 256, SGD lr 0.01. Inputs from `sin` of integers.
/// The graph is built once; a step is forward recomputation, backward and the update.
public enum TensorMLPBenchmark {
    public static let sizes = [784, 256, 256, 10]
    public static let batch = 256
    public static let learningRate = 0.01

    /// Multiply-adds ×2 of one step's matrix products (forward, weight gradients, input
    /// gradients of layers 2 and 3), as `workloads.tmlp_matmul_flop`.
    public static var matmulFlop: Int {
        let pairs = zip(sizes.dropLast(), sizes.dropFirst()).map { $0 * $1 }
        return 2 * batch * (2 * pairs.reduce(0, +) + pairs.dropFirst().reduce(0, +))
    }

    public static func run(rounds: Int = 3, warmup: Int = 5, steps: Int = 50) throws -> TensorMLPResult {
        var result = TensorMLPResult(rounds: rounds, warmupSteps: warmup, timedSteps: steps, millisecondsPerStep: [],
                                     roundMedians: [], lossStep0: .nan, lossStepLast: .nan, machine: MachineInfo())
        let inputs = (0..<(batch * sizes[0])).map { sin(Double($0) + 1) }
        let labels = (0..<batch).map { Double($0 % 10) }
        for _ in 0..<rounds {
            var graph = Graph()
            let X = graph.constant(try Tensor(shape: [batch, sizes[0]], scalars: inputs))
            let y = graph.constant(Tensor(vector: labels))
            var params: [NodeID] = []
            var hidden = X
            for layer in 1..<sizes.count {
                let fanIn = sizes[layer - 1], fanOut = sizes[layer]
                let offset = 1_000_003.0 * Double(layer)
                let weights = (0..<(fanOut * fanIn)).map { sin(offset + Double($0) + 1) / Double(fanIn).squareRoot() }
                let W = graph.leaf(try Tensor(shape: [fanOut, fanIn], scalars: weights), isParam: true)
                let b = graph.leaf(try Tensor.zeros([fanOut]), isParam: true)
                params += [W, b]
                let affine = try graph.apply(.add, try graph.apply(.matmul, [hidden, W], attributes: OpAttributes(transposeRight: true)), b)
                hidden = layer < sizes.count - 1 ? try graph.apply(.relu, affine) : affine
            }
            let loss = try graph.apply(.crossEntropy, [hidden, y])
            var optimizer = Optimizer(kind: .sgd, learningRate: learningRate)
            var times: [Double] = []
            var losses: [Double] = []
            for step in 0..<(warmup + steps) {
                let t0 = monotonicNanoseconds()
                try graph.recomputeForward(changed: params)
                let gradients = try graph.backward(from: loss)
                try optimizer.step(graph: &graph, params: params, gradients: gradients)
                let t1 = monotonicNanoseconds()
                losses.append(graph.scalar(loss) ?? .nan)
                if step >= warmup { times.append(Double(t1 - t0) / 1e6) }
            }
            result.millisecondsPerStep += times
            result.roundMedians.append(Stats(times).median ?? .nan)
            result.lossStep0 = losses.first ?? .nan
            result.lossStepLast = losses.last ?? .nan
        }
        return result
    }
}
