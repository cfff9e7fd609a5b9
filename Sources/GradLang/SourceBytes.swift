/// A cell's UTF-8 bytes with safe, clamped access.
///
/// Kept as a small value of its own so that the lexer and parser can call these helpers on it: in a
/// debug build, calling a non-mutating method of the big lexer or parser struct copies the whole struct.
struct SourceBytes {
    let bytes: [UInt8]

    var count: Int { bytes.count }

    func byte(at offset: Int) -> UInt8? {
        offset >= 0 && offset < bytes.count ? bytes[offset] : nil
    }

    func isDigit(at offset: Int) -> Bool {
        guard let byte = byte(at: offset) else { return false }
        return byte >= Byte.zero && byte <= Byte.nine
    }

    /// The text between two byte offsets, clamped into the source.
    func text(from lower: Int, to upper: Int) -> String {
        let start = min(max(0, lower), bytes.count)
        let end = min(max(start, upper), bytes.count)
        return bytes.withUnsafeBufferPointer { buffer in
            String(decoding: UnsafeBufferPointer(rebasing: buffer[start ..< end]), as: UTF8.self)
        }
    }

    func text(of span: SourceSpan) -> String {
        text(from: span.start.offset, to: span.end.offset)
    }

    func text(of token: Token) -> String {
        text(of: token.span)
    }

    func isReservedWord(_ range: Range<Int>) -> Bool {
        let length = range.upperBound - range.lowerBound
        guard length == 4 || length == 5 || length == 8, let first = byte(at: range.lowerBound),
              first == UInt8(ascii: "t") || first == UInt8(ascii: "f") || first == UInt8(ascii: "b")
        else { return false }
        return reservedWords.contains(text(from: range.lowerBound, to: range.upperBound))
    }
}
