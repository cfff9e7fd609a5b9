import GradJSON

/// The interpreter's way to send outputs while a cell runs. Every message is parented to the
/// execute request, so front ends put it under the right cell.
public struct OutputPublisher {
    public enum StreamName: String, Sendable {
        case stdout
        case stderr
    }

    /// This cell's execution count (what `execute_result` carries).
    public let executionCount: Int
    /// Silent requests get no execute_result (and no execute_input), as in IPython.
    public let isSilent: Bool
    private let emit: (_ msgType: String, _ content: [String: JSONValue]) -> Void

    public init(executionCount: Int, isSilent: Bool,
                emit: @escaping (_ msgType: String, _ content: [String: JSONValue]) -> Void) {
        self.executionCount = executionCount
        self.isSilent = isSilent
        self.emit = emit
    }

    public func stream(_ name: StreamName, _ text: String) {
        guard !text.isEmpty else { return }
        emit("stream", ["name": .string(name.rawValue), "text": .string(text)])
    }

    /// A rich output. Give it a `displayID` to replace it later with `updateDisplay`.
    public func display(_ data: MimeBundle, metadata: [String: JSONValue] = [:], displayID: String? = nil) {
        emit("display_data", ["data": .object(data), "metadata": .object(metadata), "transient": transient(displayID)])
    }

    /// Replaces every output shown with `displayID` (training progress updated in place).
    public func updateDisplay(_ data: MimeBundle, metadata: [String: JSONValue] = [:], displayID: String) {
        emit("update_display_data", ["data": .object(data), "metadata": .object(metadata), "transient": transient(displayID)])
    }

    /// The cell's value (`Out[n]`).
    public func result(_ data: MimeBundle, metadata: [String: JSONValue] = [:]) {
        guard !isSilent else { return }
        emit("execute_result", ["execution_count": .int(executionCount), "data": .object(data), "metadata": .object(metadata)])
    }

    /// Clears the cell's outputs; with `wait`, only when the next output arrives (no flicker).
    public func clearOutput(wait: Bool = false) {
        emit("clear_output", ["wait": .bool(wait)])
    }

    private func transient(_ displayID: String?) -> JSONValue {
        guard let displayID else { return .object([:]) }
        return ["display_id": .string(displayID)]
    }
}
