/// One JSON line shaped like the peers' result files (`torch_bench.py --json`): system and
/// build, then one key per workload (`scalar_chain`, `moons_mlp`, `tensor_mlp`,
/// `backprop_vs_numeric`), then `machine`.
public func benchDocument(_ workloads: [(name: String, value: OrderedJSON)], machine: MachineInfo, indent: Int = 0) -> String {
    var fields: [(String, OrderedJSON)] = [("system", .string("gradbook")), ("build", .string(buildConfiguration))]
    for (name, value) in workloads { fields.append((name, value)) }
    fields.append(("machine", machine.json))
    return OrderedJSON.object(fields).rendered(indent: indent)
}

extension ScalarChainResult {
    /// The `scalar_chain` list, for `benchDocument`.
    public var workloadJSON: OrderedJSON { .array(rows.map(\.json)) }
}

extension TensorMLPResult {
    /// The `tensor_mlp` list (float64 only), for `benchDocument`.
    public var workloadJSON: OrderedJSON { .array([json]) }
}
