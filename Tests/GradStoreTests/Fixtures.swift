import Foundation
@testable import GradStore

/// A scratch directory removed when the value is released.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("gradstore-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}

/// A file-backed history with one session and one param `W` of `shape`: what the tests of
/// training writes start from.
struct ParamHistory {
    let directory: TemporaryDirectory
    let path: String
    let store: RunStore
    let sessionID: Int64
    let nodeID: Int64

    init(shape: [Int]) throws {
        directory = try TemporaryDirectory()
        path = directory.path("history.db")
        store = try RunStore(path: path)
        sessionID = try store.beginSession(kind: .batch, notebook: nil)
        nodeID = try store.insertNode(NodeRecord(sessionID: sessionID, cellID: nil, name: "W", op: "param",
                                                 inputs: [], shape: shape, isParam: true))
    }
}

/// The seed's example (SPEC): x = -2, w = param(2), b = param(8), y = 2, c = w*x, a = c+b,
/// d = a-y, J = 0.5*d^2, recorded as the interpreter would record it.
struct SeedRecording {
    let sessionID: Int64
    let cellID: Int64
    let nodeIDs: [String: Int64]
    let runID: Int64

    /// name, op, inputs, expr, is_param, leaf value, value, grad (dJ/dnode)
    static let nodes: [(String, String, [String], String, Bool, Double?, Double, Double)] = [
        ("x", "const", [], "-2", false, -2, -2, 4),
        ("w", "param", [], "param(2)", true, 2, 2, -4),
        ("b", "param", [], "param(8)", true, 8, 8, 2),
        ("y", "const", [], "2", false, 2, 2, -2),
        ("c", "mul", ["w", "x"], "w * x", false, nil, -4, 2),
        ("a", "add", ["c", "b"], "c + b", false, nil, 4, 2),
        ("d", "sub", ["a", "y"], "a - y", false, nil, 2, 2),
        ("J", "mul", ["d"], "0.5 * d^2", false, nil, 2, 1),
    ]

    static let source = """
        x = -2
        w = param(2)
        b = param(8)
        y = 2
        c = w * x
        a = c + b
        d = a - y
        J = 0.5 * d^2
        backward J
        """

    static func record(into store: RunStore) throws -> SeedRecording {
        let sessionID = try store.beginSession(kind: .batch, notebook: "seed.grad")
        let cellID = try store.beginCell(sessionID: sessionID, executionCount: 1, source: source)
        var ids: [String: Int64] = [:]
        for (name, op, inputs, expr, isParam, leaf, _, _) in nodes {
            ids[name] = try store.insertNode(NodeRecord(
                sessionID: sessionID, cellID: cellID, name: name, op: op, inputs: inputs, shape: [],
                isParam: isParam, expr: expr, leafValue: leaf.map { [$0] }))
        }
        let values = nodes.map { node in
            ValueRecord(nodeID: ids[node.0] ?? 0, shape: [], value: .full([node.6]), grad: .full([node.7]))
        }
        let runID = try store.insertRun(
            RunRecord(sessionID: sessionID, cellID: cellID, kind: .backward, target: "J",
                      targetNodeID: ids["J"], loss: 2, durationMs: 0.01, recordPolicy: .params),
            nodeIDs: Array(ids.values), values: values)
        try store.finishCell(cellID, status: .ok, error: nil, outputsJSON: "[]", durationMs: 1.5)
        return SeedRecording(sessionID: sessionID, cellID: cellID, nodeIDs: ids, runID: runID)
    }
}

/// xorshift64*: deterministic test data without the platform's generator.
struct TestRandom {
    var state: UInt64

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }

    /// Any bit pattern that is not NaN: covers subnormals, huge values, -0.0 and infinities.
    mutating func anyDouble() -> Double {
        while true {
            let value = Double(bitPattern: next())
            if !value.isNaN { return value }
        }
    }
}

/// Runs a command-line tool and returns its standard output; throws if it exits non-zero.
@discardableResult
func runTool(_ executable: String, _ arguments: [String], input: String? = nil) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    let inputPipe = Pipe()
    if input != nil { process.standardInput = inputPipe }
    try process.run()
    if let input {
        inputPipe.fileHandleForWriting.write(Data(input.utf8))
        try inputPipe.fileHandleForWriting.close()
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw ToolFailure(description: "\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): "
                          + String(decoding: errorData, as: UTF8.self))
    }
    return String(decoding: data, as: UTF8.self)
}

struct ToolFailure: Error, CustomStringConvertible {
    var description: String
}
