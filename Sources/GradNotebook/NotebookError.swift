/// What can be wrong with a notebook file; each reads as one line.
public enum NotebookError: Error, CustomStringConvertible, Sendable, Equatable {
    case unreadable(path: String, reason: String)
    case unknownFormat(path: String)
    case invalidJSON(String)
    case invalidNotebook(String)
    case invalidParameter(String)
    /// Bytes that are not UTF-8, as the rendered `path:line:column: error: ...` diagnostic.
    case notUTF8(path: String, line: Int, column: Int, rendered: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "cannot read \(path): \(reason)"
        case let .unknownFormat(path): return "\(path): not a notebook (expected a .grad or .ipynb file)"
        case let .invalidJSON(message): return "invalid JSON: \(message)"
        case let .invalidNotebook(message): return "invalid notebook: \(message)"
        case let .invalidParameter(message): return "invalid parameter: \(message)"
        case let .notUTF8(_, _, _, rendered): return rendered
        }
    }
}
