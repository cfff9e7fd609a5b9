/// What can be wrong with a notebook file; each reads as one line.
public enum NotebookError: Error, CustomStringConvertible, Sendable, Equatable {
    case unreadable(path: String, reason: String)
    case unknownFormat(path: String)
    case invalidJSON(String)
    case invalidNotebook(String)
    case invalidParameter(String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "cannot read \(path): \(reason)"
        case let .unknownFormat(path): return "\(path): not a notebook (expected a .grad or .ipynb file)"
        case let .invalidJSON(message): return "invalid JSON: \(message)"
        case let .invalidNotebook(message): return "invalid notebook: \(message)"
        case let .invalidParameter(message): return "invalid parameter: \(message)"
        }
    }
}
