import ArgumentParser
import Foundation
import GradBench

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run the benchmark workloads of ../shared/bench/peers/README.md (JSON keys as the peer scripts).",
        discussion: "Build with -c release before measuring. Compare with the peers side by side: bench/compare.sh."
    )

    enum Workload: String, ExpressibleByArgument, CaseIterable {
        case scalarChain = "scalar_chain"
    }

    @Argument(help: "The workload: \(Workload.allCases.map(\.rawValue).joined(separator: ", ")).")
    var workload: Workload = .scalarChain

    @Option(parsing: .upToNextOption, help: "scalar_chain: the numbers of op nodes (default 1000 10000 100000 1000000).")
    var sizes: [Int] = []

    @Flag(help: "Print one JSON line (as the peer scripts' --json).")
    var json = false

    func validate() throws {
        if let bad = sizes.first(where: { $0 < 4 || $0 % 4 != 0 }) {
            throw ValidationError("--sizes takes multiples of 4 (the chain has 4 op nodes per step), got \(bad)")
        }
    }

    func run() throws {
        switch workload {
        case .scalarChain:
            let result: ScalarChainResult
            do {
                result = try ScalarChainBenchmark.run(sizes: sizes.isEmpty ? ScalarChainBenchmark.defaultSizes : sizes)
            } catch {
                throw CommandFailure(message: "gradbook bench: \(error)")
            }
            print(result.json(indent: json ? 0 : 2))
        }
    }
}
