import Foundation
import GradEngine
import GradTensor

/// One hidden width of `backprop_vs_numeric`.
public struct BackpropVsNumericRow: Sendable {
    public var hidden: Int
    public var parameters: Int
    public var forwardSeconds: [Double] = []
    public var backwardSeconds: [Double] = []
    public var forwardNoGraphSeconds: [Double] = []
    public var finiteDifferenceSeconds: [Double] = []
    public var maxRelativeDifference: Double = .nan
    public var loss: Double = .nan

    public var json: OrderedJSON {
        let backward = Stats(backwardSeconds).median ?? .nan
        let forwardPlusBackward = Stats(zip(forwardSeconds, backwardSeconds).map { $0 + $1 }).median ?? .nan
        let finite = Stats(finiteDifferenceSeconds).median ?? .nan
        return .object([
            ("hidden", .int(hidden)), ("p", .int(parameters)),
            ("bp_reps", .int(forwardSeconds.count)), ("fd_reps", .int(finiteDifferenceSeconds.count)),
            ("forward_s", Stats(forwardSeconds).json), ("backward_s", Stats(backwardSeconds).json),
            ("forward_nograd_s", Stats(forwardNoGraphSeconds).json),
            ("finite_diff_s", Stats(finiteDifferenceSeconds).json), ("fd_forward_passes", .int(2 * parameters)),
            ("ratio_fd_over_backward", .number(finite / backward)),
            ("ratio_fd_over_forward_plus_backward", .number(finite / forwardPlusBackward)),
            ("max_rel_grad_diff_fd_vs_bp", .number(maxRelativeDifference)), ("loss", .number(loss)),
        ])
    }
}

/// The peers' workload 4 (bench/peers/README.md §4): one backward pass against central
/// finite differences (2p forward passes) for f(θ) = mean_b (w2·tanh(W1 x_b + b1) + b2 − y_b)²
/// with p = 10h + 1 parameters in one flat vector θ.
public enum BackpropVsNumericBenchmark {
    public static let defaultHidden = [10, 100, 1000]
    public static let batch = 32
    public static let inputs = 8
    public static let epsilon = 1e-6

    /// The graph of f(θ) with θ a leaf; returns (graph, θ, f).
    public static func build(hidden h: Int) throws -> (Graph, NodeID, NodeID) {
        let p = 10 * h + 1
        var graph = Graph()
        let theta = graph.leaf(Tensor(vector: (0..<p).map { 0.3 * sin(Double($0 + 1)) }))
        // x_b[j] = sin(8b + j + 1): the flat row-major index plus one.
        let X = graph.constant(try Tensor(shape: [batch, inputs], scalars: (0..<(batch * inputs)).map { sin(Double($0 + 1)) }))
        let y = graph.constant(Tensor(vector: (0..<batch).map { cos(Double($0 + 1)) }))
        func slice(_ start: Int, _ stop: Int) throws -> NodeID {
            try graph.apply(.index, [theta], attributes: OpAttributes(index: [.slice(start: start, stop: stop, step: nil)]))
        }
        let W1 = try graph.apply(.reshape, [try slice(0, 8 * h)], attributes: OpAttributes(shape: [h, inputs]))
        let b1 = try slice(8 * h, 9 * h)
        let w2 = try slice(9 * h, 10 * h)
        let b2 = try graph.apply(.index, [theta], attributes: OpAttributes(index: [.index(10 * h)]))
        let preactivation = try graph.apply(.add, try graph.apply(.matmul, [X, W1], attributes: OpAttributes(transposeRight: true)), b1)
        let prediction = try graph.apply(.add, try graph.apply(.matmul, [try graph.apply(.tanh, preactivation), w2]), b2)
        let loss = try graph.apply(.mse, [prediction, y])
        return (graph, theta, loss)
    }

    /// The `backprop_vs_numeric` list, for `benchDocument`.
    public static func workloadJSON(_ rows: [BackpropVsNumericRow]) -> OrderedJSON { .array(rows.map(\.json)) }

    public static func run(hidden: [Int] = defaultHidden, backpropReps: Int = 21, finiteDifferenceReps: Int = 3) throws -> (rows: [BackpropVsNumericRow], machine: MachineInfo) {
        let machine = MachineInfo()
        var rows: [BackpropVsNumericRow] = []
        for h in hidden {
            var row = BackpropVsNumericRow(hidden: h, parameters: 10 * h + 1)
            var analytic = Tensor(0)
            for _ in 0..<backpropReps {
                let t0 = monotonicNanoseconds()
                let (graph, theta, loss) = try build(hidden: h)
                let t1 = monotonicNanoseconds()
                let gradients = try graph.backward(from: loss)
                let t2 = monotonicNanoseconds()
                row.forwardSeconds.append(Double(t1 - t0) / 1e9)
                row.backwardSeconds.append(Double(t2 - t1) / 1e9)
                analytic = gradients[theta] ?? analytic
                row.loss = graph.scalar(loss) ?? .nan
            }
            var (graph, theta, loss) = try build(hidden: h)
            for _ in 0..<backpropReps {
                let t0 = monotonicNanoseconds()
                try graph.recomputeForward(changed: [theta])
                row.forwardNoGraphSeconds.append(Double(monotonicNanoseconds() - t0) / 1e9)
            }
            var numeric = Tensor(0)
            for _ in 0..<finiteDifferenceReps {
                let t0 = monotonicNanoseconds()
                numeric = try graph.numericGradient(of: loss, withRespectTo: theta, epsilon: epsilon)
                row.finiteDifferenceSeconds.append(Double(monotonicNanoseconds() - t0) / 1e9)
            }
            let largest = analytic.scalars.map { Swift.abs($0) }.max() ?? 0
            let difference = zip(numeric.scalars, analytic.scalars).map { Swift.abs($0 - $1) }.max() ?? .nan
            row.maxRelativeDifference = difference / Swift.max(1e-300, largest)
            rows.append(row)
        }
        return (rows, machine)
    }
}
