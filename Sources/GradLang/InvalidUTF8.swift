/// Where input that should be UTF-8 text is not: the first byte that does not start or continue
/// a character, with its `line:column` (columns count `Character`s, as every diagnostic's do).
///
/// Notebooks, cells and piped input are checked with this before anything runs, because a
/// `String` made from such bytes silently replaces them with U+FFFD.
public struct InvalidUTF8: Sendable, Equatable {
    /// Byte offset of the first bad byte.
    public var offset: Int
    public var line: Int
    public var column: Int
    public var byte: UInt8

    public init(offset: Int, line: Int, column: Int, byte: UInt8) {
        self.offset = offset
        self.line = line
        self.column = column
        self.byte = byte
    }

    /// The first invalid byte of `bytes`, or nil when they are all UTF-8. A truncated or
    /// overlong sequence is reported at its first byte.
    public static func find(in bytes: [UInt8]) -> InvalidUTF8? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                offset += encoded.count
            case .emptyInput:
                return nil
            case .error:
                return at(offset, in: bytes)
            }
        }
    }

    /// The location of the byte at `offset`, all bytes before it being valid UTF-8.
    private static func at(_ offset: Int, in bytes: [UInt8]) -> InvalidUTF8 {
        var line = 1
        var lineStart = 0
        for index in 0..<offset where bytes[index] == Byte.newline {
            line += 1
            lineStart = index + 1
        }
        let before = String(decoding: bytes[lineStart..<offset], as: UTF8.self)
        return InvalidUTF8(offset: offset, line: line, column: before.count + 1, byte: bytes[offset])
    }

    /// The error every front end shows, rendered against `String(decoding: bytes, as: UTF8.self)`
    /// (the bytes before this one are valid, so its offset is the same there).
    public var diagnostic: Diagnostic {
        let location = SourceLocation(line: line, column: column, offset: offset)
        let hex = "0x" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
        return Diagnostic(.invalidUTF8, "not UTF-8: byte \(hex) here is not part of a valid UTF-8 character", span: SourceSpan(start: location, end: location),
                          fixIt: "save the file as UTF-8 text (it may be binary, or in another encoding such as Latin-1)")
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: Swift.max(0, width - count)) + self }
}
