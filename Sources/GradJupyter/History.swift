import GradJSON

/// A `history_request`, already validated.
public struct HistoryRequest: Sendable, Equatable {
    public enum Access: Sendable, Equatable {
        /// The last `n` entries.
        case tail(n: Int)
        /// Lines `start..<stop` of session `session` (0 = the current session, negative = counted
        /// back from it; `stop` nil = to the end).
        case range(session: Int, start: Int, stop: Int?)
        /// Entries whose input matches the glob `pattern` (`*`, `?`), newest `n` if given, each input once if `unique`.
        case search(pattern: String, n: Int?, unique: Bool)
    }

    public var access: Access
    /// Include each entry's output.
    public var output: Bool
    /// Return the raw input rather than the transformed one (magics before expansion).
    public var raw: Bool

    public init(access: Access, output: Bool, raw: Bool) {
        self.access = access
        self.output = output
        self.raw = raw
    }

    /// Reads the request content; nil when `hist_access_type` is missing or unknown.
    init?(content: [String: JSONValue]) {
        let output = content["output"]?.boolValue ?? false
        let raw = content["raw"]?.boolValue ?? true
        let n = content["n"]?.intValue
        switch content["hist_access_type"]?.stringValue {
        case "tail":
            self.init(access: .tail(n: max(0, n ?? 10)), output: output, raw: raw)
        case "range":
            self.init(access: .range(session: content["session"]?.intValue ?? 0, start: content["start"]?.intValue ?? 0,
                                     stop: content["stop"]?.intValue),
                      output: output, raw: raw)
        case "search":
            self.init(access: .search(pattern: content["pattern"]?.stringValue ?? "*", n: n.map { max(0, $0) },
                                      unique: content["unique"]?.boolValue ?? false),
                      output: output, raw: raw)
        default:
            return nil
        }
    }
}

public struct HistoryEntry: Sendable, Equatable {
    public var session: Int
    public var line: Int
    public var input: String
    public var output: String?

    public init(session: Int, line: Int, input: String, output: String? = nil) {
        self.session = session
        self.line = line
        self.input = input
        self.output = output
    }

    /// `[session, line, input]`, or `[session, line, [input, output]]` when output was asked for.
    func json(includingOutput: Bool) -> JSONValue {
        let entry: JSONValue = includingOutput ? [.string(input), output.map { .string($0) } ?? .null] : .string(input)
        return [.int(session), .int(line), entry]
    }
}
