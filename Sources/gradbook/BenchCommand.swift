import ArgumentParser
import Foundation
import GradBench
import GradStore

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run the benchmark workloads of ../shared/bench/peers/README.md (JSON keys as the peer scripts).",
        discussion: "Measure a release build (swift build -c release). bench/compare.sh runs gradbook and the peers side by side."
    )

    enum Workload: String, ExpressibleByArgument, CaseIterable {
        case scalarChain = "scalar_chain"
        case moonsMLP = "moons_mlp"
        case tensorMLP = "tensor_mlp"
        case backpropVsNumeric = "backprop_vs_numeric"
        /// Values recorded per second, and what the default %record policy adds to a moons_mlp-sized training step.
        case record
    }

    @Argument(help: "Workloads to run: \(Workload.allCases.map(\.rawValue).joined(separator: ", ")) (default: all).")
    var workloads: [Workload] = []

    @Option(parsing: .upToNextOption, help: "scalar_chain: the numbers of op nodes (default 1000 10000 100000 1000000).")
    var sizes: [Int] = []

    @Option(parsing: .upToNextOption, help: "backprop_vs_numeric: the hidden widths (default 10 100 1000).")
    var hidden: [Int] = []

    @Option(help: "tensor_mlp: the element type (only float64: gradbook computes in float64).")
    var dtype: String = "float64"

    @Option(help: "moons_mlp: the folder with moons.json and moons_init.json.")
    var data: String = "bench/data"

    @Option(name: .long, help: ArgumentHelp("record: the history to record into, e.g. a PostgreSQL server's 'dbname=bench' (default: a temporary SQLite file). The workload adds its sessions there.", valueName: "location"))
    var db: String?

    @Flag(help: "Print one JSON line (as the peer scripts' --json) instead of indented JSON.")
    var json = false

    func validate() throws {
        if let bad = sizes.first(where: { $0 < 4 || $0 % 4 != 0 }) {
            throw ValidationError("--sizes takes multiples of 4 (the chain has 4 op nodes per step), got \(bad)")
        }
        if let bad = hidden.first(where: { $0 < 1 }) { throw ValidationError("--hidden takes positive widths, got \(bad)") }
        guard dtype == "float64" else { throw ValidationError("--dtype: gradbook computes in float64 only") }
    }

    func run() throws {
        let machine = MachineInfo()
        var results: [(name: String, value: OrderedJSON)] = []
        do {
            for workload in workloads.isEmpty ? Workload.allCases : workloads {
                switch workload {
                case .scalarChain:
                    let result = try ScalarChainBenchmark.run(sizes: sizes.isEmpty ? ScalarChainBenchmark.defaultSizes : sizes)
                    results.append((workload.rawValue, result.workloadJSON))
                case .moonsMLP:
                    results.append((workload.rawValue, try MoonsMLPBenchmark.run(dataDirectory: data).json))
                case .tensorMLP:
                    results.append((workload.rawValue, try TensorMLPBenchmark.run().workloadJSON))
                case .backpropVsNumeric:
                    let result = try BackpropVsNumericBenchmark.run(hidden: hidden.isEmpty ? BackpropVsNumericBenchmark.defaultHidden : hidden)
                    results.append((workload.rawValue, BackpropVsNumericBenchmark.workloadJSON(result.rows)))
                case .record:
                    results.append((workload.rawValue, try RecordBenchmark.run(location: db.map(HistoryLocation.init)).json))
                }
            }
        } catch {
            throw CommandFailure(message: "gradbook bench: \(error)")
        }
        print(benchDocument(results, machine: machine, indent: json ? 0 : 2))
    }
}
