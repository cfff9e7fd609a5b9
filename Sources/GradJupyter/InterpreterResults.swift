import GradJSON

/// A MIME bundle: `text/plain` → a string, `application/json` → any JSON, `image/png` → base64 text.
public typealias MimeBundle = [String: JSONValue]

/// An error raised by the code being run, as Jupyter shows it: exception name, message, and the
/// traceback lines (which may carry ANSI colour codes).
public struct ExecutionError: Error, Sendable, Equatable {
    public var ename: String
    public var evalue: String
    public var traceback: [String]

    public init(ename: String, evalue: String, traceback: [String]) {
        self.ename = ename
        self.evalue = evalue
        self.traceback = traceback
    }

    var json: [String: JSONValue] {
        ["ename": .string(ename), "evalue": .string(evalue), "traceback": .array(traceback.map { .string($0) })]
    }
}

/// Deprecated-but-supported side effects an execution can ask of the front end.
public enum ExecutePayload: Sendable, Equatable {
    /// Show `data` in the pager, scrolled to line `start`.
    case page(data: MimeBundle, start: Int)
    /// Put `text` into the next input cell.
    case setNextInput(text: String, replace: Bool)
    /// Ask the front end to exit.
    case askExit(keepKernel: Bool)

    var json: JSONValue {
        switch self {
        case .page(let data, let start):
            return ["source": "page", "data": .object(data), "start": .int(start)]
        case .setNextInput(let text, let replace):
            return ["source": "set_next_input", "text": .string(text), "replace": .bool(replace)]
        case .askExit(let keepKernel):
            return ["source": "ask_exit", "keepkernel": .bool(keepKernel)]
        }
    }
}

public enum ExecuteOutcome: Sendable, Equatable {
    case ok(payload: [ExecutePayload] = [])
    case error(ExecutionError)
}

public enum UserExpressionResult: Sendable, Equatable {
    case value(MimeBundle, metadata: [String: JSONValue] = [:])
    case error(ExecutionError)

    var json: JSONValue {
        switch self {
        case .value(let data, let metadata):
            return ["status": "ok", "data": .object(data), "metadata": .object(metadata)]
        case .error(let error):
            var object = error.json
            object["status"] = "error"
            return .object(object)
        }
    }
}

public struct CompletionResult: Sendable, Equatable {
    public var matches: [String]
    /// The part of the code the chosen match replaces, as indices into the request's `code`.
    public var replacing: Range<String.Index>
    public var metadata: [String: JSONValue]

    public init(matches: [String], replacing: Range<String.Index>, metadata: [String: JSONValue] = [:]) {
        self.matches = matches
        self.replacing = replacing
        self.metadata = metadata
    }
}

public struct InspectionResult: Sendable, Equatable {
    public var data: MimeBundle
    public var metadata: [String: JSONValue]

    public init(data: MimeBundle, metadata: [String: JSONValue] = [:]) {
        self.data = data
        self.metadata = metadata
    }
}

/// The answer to `is_complete_request`: may the front end run the code now?
public enum CodeCompleteness: Sendable, Equatable {
    case complete
    /// More lines are needed; `indent` is the suggested indentation of the next line.
    case incomplete(indent: String)
    case invalid
    case unknown

    var json: [String: JSONValue] {
        switch self {
        case .complete: return ["status": "complete"]
        case .incomplete(let indent): return ["status": "incomplete", "indent": .string(indent)]
        case .invalid: return ["status": "invalid"]
        case .unknown: return ["status": "unknown"]
        }
    }
}
