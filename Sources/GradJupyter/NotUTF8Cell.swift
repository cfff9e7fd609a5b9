/// An execute request whose code was not UTF-8: the error the kernel answers with instead of
/// running it, in the shape of every other cell error (`line:column: error: ...`, the line, a
/// caret under the place).
enum NotUTF8Cell {
    /// The first byte of `bytes` that is not part of a valid UTF-8 character, or nil.
    static func firstInvalidByte(in bytes: [UInt8]) -> UInt8? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .emptyInput: return nil
            case .error: return bytes[offset]
            }
        }
    }

    /// The error for `code`, as decoded (bad bytes read as U+FFFD), pointing at the first U+FFFD.
    static func error(code: String, byte: UInt8) -> ExecutionError {
        let hex = String(byte, radix: 16, uppercase: true)
        let message = "not UTF-8: byte 0x\(hex.count < 2 ? "0" + hex : hex) here is not part of a valid UTF-8 character"
        let lines = code.split(separator: "\n", omittingEmptySubsequences: false)
        guard let row = lines.firstIndex(where: { $0.contains("\u{FFFD}") }),
              let column = lines[row].firstIndex(of: "\u{FFFD}").map({ lines[row].distance(from: lines[row].startIndex, to: $0) }) else {
            return ExecutionError(ename: "UnicodeDecodeError", evalue: message, traceback: ["error: \(message) (in the request)"])
        }
        let place = "\(row + 1):\(column + 1)"
        return ExecutionError(ename: "UnicodeDecodeError", evalue: "\(message) (line \(row + 1), column \(column + 1))", traceback: [
            "\(place): error: \(message)", String(lines[row]), String(repeating: " ", count: column) + "^",
            "help: send the cell as UTF-8 text",
        ])
    }
}
