import Foundation

/// `{"median","min","max","n"}` over repetitions, as the peers' `common.stats`.
public struct Stats: Sendable, Equatable {
    public var median: Double?
    public var min: Double?
    public var max: Double?
    public var n: Int

    public init(_ samples: [Double]) {
        let sorted = samples.sorted()
        n = sorted.count
        min = sorted.first
        max = sorted.last
        if sorted.isEmpty {
            median = nil
        } else if sorted.count % 2 == 1 {
            median = sorted[sorted.count / 2]
        } else {
            median = (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
    }

    public var json: OrderedJSON {
        .object([("median", median.map(OrderedJSON.number) ?? .null), ("min", min.map(OrderedJSON.number) ?? .null),
                 ("max", max.map(OrderedJSON.number) ?? .null), ("n", .int(n))])
    }
}

/// Monotonic nanoseconds (CLOCK_MONOTONIC, as Python's `perf_counter_ns` on Linux).
public func monotonicNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
}

/// Resident set size in bytes from /proc/self/statm (0 where unavailable).
public func residentSetBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// The peers' `machine` object: the same keys (`python` is null here), plus `swift`.
public struct MachineInfo: Sendable {
    public let loadavgStart: [Double]?

    public init() {
        loadavgStart = MachineInfo.loadavg()
    }

    static func loadavg() -> [Double]? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        let values = text.split(separator: " ").prefix(3).compactMap { Double($0) }
        return values.count == 3 ? values : nil
    }

    static func cpuModel() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    static func kernelRelease() -> String? {
        var names = utsname()
        guard uname(&names) == 0 else { return nil }
        return withUnsafeBytes(of: &names.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// CPUs this process may run on, from the `Cpus_allowed` mask in /proc/self/status.
    static func affinityCount() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("Cpus_allowed:") {
            let mask = line.dropFirst("Cpus_allowed:".count).filter { $0 != "," && $0 != " " && $0 != "\t" }
            return mask.reduce(0) { $0 + (Int(String($1), radix: 16)?.nonzeroBitCount ?? 0) }
        }
        return nil
    }

    public var json: OrderedJSON {
        func numbers(_ values: [Double]?) -> OrderedJSON { values.map { .array($0.map(OrderedJSON.number)) } ?? .null }
        return .object([
            ("loadavg_start", numbers(loadavgStart)),
            ("loadavg_end", numbers(MachineInfo.loadavg())),
            ("nproc", .int(ProcessInfo.processInfo.processorCount)),
            ("affinity", MachineInfo.affinityCount().map(OrderedJSON.int) ?? .null),
            ("cpu_model", MachineInfo.cpuModel().map(OrderedJSON.string) ?? .null),
            ("kernel", MachineInfo.kernelRelease().map(OrderedJSON.string) ?? .null),
            ("python", .null),
            ("executable", .string(CommandLine.arguments.first ?? "")),
            ("swift", .string(swiftCompilerVersion)),
        ])
    }
}

/// The compiler this binary was built with.
let swiftCompilerVersion: String = {
    #if compiler(>=6.3)
    return "6.3"
    #elseif compiler(>=6.2)
    return "6.2"
    #elseif compiler(>=6.1)
    return "6.1"
    #else
    return "6.0"
    #endif
}()

/// Whether this is an optimised build (figures from debug builds are not comparable).
public let buildConfiguration: String = {
    #if DEBUG
    return "debug"
    #else
    return "release"
    #endif
}()

/// Σ values with Neumaier compensation (the peers use Python's exactly rounded `math.fsum`;
/// this agrees far inside the 1e-9 checksum tolerance).
public func compensatedSum(_ values: [Double]) -> Double {
    var sum = 0.0, compensation = 0.0
    for value in values {
        let t = sum + value
        if Swift.abs(sum) >= Swift.abs(value) {
            compensation += (sum - t) + value
        } else {
            compensation += (value - t) + sum
        }
        sum = t
    }
    return sum + compensation
}
