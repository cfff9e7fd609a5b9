import Foundation
import GradEngine
import GradTensor

/// The checked quantities of one `scalar_chain` run.
public struct ScalarChainChecksum: Sendable, Equatable {
    public var xFinal: Double
    public var gradX0: Double
    public var sumGradW: Double
    public var sumGradB: Double

    public var json: OrderedJSON {
        .object([("x_final", .number(xFinal)), ("grad_x0", .number(gradX0)),
                 ("sum_grad_w", .number(sumGradW)), ("sum_grad_b", .number(sumGradB))])
    }

    /// Agreement within 1e-9 relative (absolute below 1), the peers' criterion.
    public func matches(_ other: ScalarChainChecksum) -> Bool {
        func close(_ a: Double, _ b: Double) -> Bool { Swift.abs(a - b) <= 1e-9 * Swift.max(1, Swift.abs(b)) }
        return close(xFinal, other.xFinal) && close(gradX0, other.gradX0)
            && close(sumGradW, other.sumGradW) && close(sumGradB, other.sumGradB)
    }
}

/// One size of the `scalar_chain` workload.
public struct ScalarChainRow: Sendable {
    public var nodes: Int
    public var skipped: String?
    public var reps: Int = 0
    public var forwardSeconds: [Double] = []
    public var backwardSeconds: [Double] = []
    /// RSS growth during the first rep's forward, divided by N.
    public var rssBytesPerNode: Double = 0
    public var checksum: ScalarChainChecksum?
    public var reference: ScalarChainChecksum

    public var checksumMatches: Bool { checksum.map { $0.matches(reference) } ?? false }

    public var json: OrderedJSON {
        if let skipped {
            return .object([("n_nodes", .int(nodes)), ("skipped", .string(skipped))])
        }
        let n = Double(nodes)
        let totals = zip(forwardSeconds, backwardSeconds).map { $0 + $1 }
        return .object([
            ("n_nodes", .int(nodes)), ("reps", .int(reps)),
            ("forward_s", Stats(forwardSeconds).json), ("backward_s", Stats(backwardSeconds).json),
            ("ns_per_node_total", Stats(totals.map { $0 / n * 1e9 }).json),
            ("ns_per_node_forward", Stats(forwardSeconds.map { $0 / n * 1e9 }).json),
            ("ns_per_node_backward", Stats(backwardSeconds.map { $0 / n * 1e9 }).json),
            ("rss_bytes_per_node_after_forward", .number(rssBytesPerNode)),
            ("checksum", checksum?.json ?? .null),
            ("checksum_matches_reference", .bool(checksumMatches)),
        ])
    }
}

/// The result of `ScalarChainBenchmark.run`: rows per size and the machine description.
public struct ScalarChainResult: Sendable {
    public var rows: [ScalarChainRow]
    public var machine: MachineInfo

    /// One JSON object with the peers' keys (`torch_bench.py --workload scalar_chain`).
    public func json(indent: Int = 0) -> String {
        benchDocument([("scalar_chain", workloadJSON)], machine: machine, indent: indent)
    }

    /// One line per size: `N=1000000: 24.1 ns/node (fwd 14.0 + bwd 10.1), 30 B/node, checksum ok`.
    public var summary: String {
        rows.map { row in
            if let skipped = row.skipped { return "scalar_chain N=\(row.nodes): skipped (\(skipped))" }
            let n = Double(row.nodes)
            let forward = (Stats(row.forwardSeconds).median ?? 0) / n * 1e9
            let backward = (Stats(row.backwardSeconds).median ?? 0) / n * 1e9
            let total = (Stats(zip(row.forwardSeconds, row.backwardSeconds).map { $0 + $1 }).median ?? 0) / n * 1e9
            return String(format: "scalar_chain N=%d: %.1f ns/node (fwd %.1f + bwd %.1f), %.0f B/node, checksum %@",
                          row.nodes, total, forward, backward, row.rssBytesPerNode, row.checksumMatches ? "ok" : "MISMATCH")
        }.joined(separator: "\n")
    }
}

/// The peers' workload 1 (bench/peers/README.md §1): a chain of N scalar op nodes,
/// N/4 steps `a = x*w_i; c = a + b_i; r = relu(c); x = r*w_i` with `w_i = 0.9 sin(i+1)`,
/// `b_i = 0.5 cos(i+1)`, `x0 = 0.5`. Forward = building the N nodes through the `Graph`
/// API with eager values; backward = `backward(from:)`. Leaves are made before the clock.
public enum ScalarChainBenchmark {
    public static let defaultSizes = [1_000, 10_000, 100_000, 1_000_000]
    public static let x0 = 0.5

    public static func run(sizes: [Int] = defaultSizes, repsSmall: Int = 7, repsLarge: Int = 3,
                           limitSeconds: Double = 60) throws(EngineError) -> ScalarChainResult {
        let machine = MachineInfo()
        var rows: [ScalarChainRow] = []
        var secondsPerNode: Double?
        for n in sizes {
            var row = ScalarChainRow(nodes: n, reference: reference(nodes: n))
            if let secondsPerNode, secondsPerNode * Double(n) > limitSeconds {
                row.skipped = String(format: "predicted %.0fs > %.0fs", secondsPerNode * Double(n), limitSeconds)
                rows.append(row)
                continue
            }
            row.reps = n <= 100_000 ? repsSmall : repsLarge
            for rep in 0..<row.reps {
                let once = try runOnce(nodes: n)
                row.forwardSeconds.append(once.forward)
                row.backwardSeconds.append(once.backward)
                if rep == 0 { row.rssBytesPerNode = once.rssBytesPerNode }
                row.checksum = once.checksum
            }
            let fastest = zip(row.forwardSeconds, row.backwardSeconds).map { $0 + $1 }.min() ?? 0
            secondsPerNode = fastest / Double(Swift.max(n, 1))
            rows.append(row)
        }
        return ScalarChainResult(rows: rows, machine: machine)
    }

    /// One fresh graph: (forward seconds, backward seconds, RSS bytes per node, checksum).
    public static func runOnce(nodes n: Int) throws(EngineError) -> (forward: Double, backward: Double, rssBytesPerNode: Double, checksum: ScalarChainChecksum) {
        let steps = n / 4
        var graph = Graph()
        var ws: [NodeID] = []
        var bs: [NodeID] = []
        ws.reserveCapacity(steps)
        bs.reserveCapacity(steps)
        for i in 0..<steps {
            ws.append(graph.leaf(scalar: 0.9 * sin(Double(i + 1))))
            bs.append(graph.leaf(scalar: 0.5 * cos(Double(i + 1))))
        }
        let start = graph.leaf(scalar: x0)
        let rss0 = residentSetBytes()
        let t0 = monotonicNanoseconds()
        var x = start
        for i in 0..<steps {
            let w = ws[i]
            let a = try graph.apply(.mul, x, w)
            let c = try graph.apply(.add, a, bs[i])
            let r = try graph.apply(.relu, c)
            x = try graph.apply(.mul, r, w)
        }
        let t1 = monotonicNanoseconds()
        let rss1 = residentSetBytes()
        let gradients = try graph.backward(from: x)
        let t2 = monotonicNanoseconds()
        let checksum = ScalarChainChecksum(
            xFinal: graph.scalar(x) ?? .nan,
            gradX0: gradients.scalar(start) ?? 0,
            sumGradW: compensatedSum(ws.map { gradients.scalar($0) ?? 0 }),
            sumGradB: compensatedSum(bs.map { gradients.scalar($0) ?? 0 }))
        return (Double(t1 - t0) / 1e9, Double(t2 - t1) / 1e9, Double(rss1 - rss0) / Double(Swift.max(n, 1)), checksum)
    }

    /// Plain-float forward and hand-written reverse pass (`workloads.chain_reference`).
    public static func reference(nodes n: Int) -> ScalarChainChecksum {
        let steps = n / 4
        let ws = (0..<steps).map { 0.9 * sin(Double($0 + 1)) }
        let bs = (0..<steps).map { 0.5 * cos(Double($0 + 1)) }
        var x = x0
        var tape: [(x: Double, c: Double, r: Double)] = []
        tape.reserveCapacity(steps)
        for i in 0..<steps {
            let c = x * ws[i] + bs[i]
            let r = c > 0 ? c : 0
            tape.append((x, c, r))
            x = r * ws[i]
        }
        var gx = 1.0, sumW = 0.0, sumB = 0.0
        var i = steps - 1
        while i >= 0 {
            let (xin, c, r) = tape[i]
            let w = ws[i]
            var gw = gx * r
            let gr = gx * w
            let gc = c > 0 ? gr : 0
            sumB += gc
            gw += gc * xin
            sumW += gw
            gx = gc * w
            i -= 1
        }
        return ScalarChainChecksum(xFinal: x, gradX0: gx, sumGradW: sumW, sumGradB: sumB)
    }
}
