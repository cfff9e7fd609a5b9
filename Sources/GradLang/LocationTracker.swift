/// Turns UTF-8 byte offsets, asked for in increasing order, into `line:column`.
///
/// Columns count `Character`s. Up to the first non-ASCII byte of a line a column is a byte difference
/// (the lexer does that sum itself, it is its hottest path); past it, columns are counted from the last
/// answer onwards, so a long line costs O(length) in total, never O(length²). A grapheme cluster split
/// across two tokens (a letter, then a stray combining mark) may count as two columns.
struct LocationTracker {
    private(set) var line = 1
    private(set) var lineStart = 0
    /// `Int.max` while the current line is all ASCII.
    private(set) var firstNonASCIIOnLine = Int.max
    private var countedUpTo = 0
    private var columnAtCounted = 1

    /// The byte at `offset` begins a new line.
    mutating func startLine(at offset: Int) {
        line += 1
        lineStart = offset
        firstNonASCIIOnLine = Int.max
        countedUpTo = offset
        columnAtCounted = 1
    }

    /// The byte at `offset` (on the current line) is not ASCII.
    mutating func noteNonASCII(at offset: Int) {
        guard offset < firstNonASCIIOnLine else { return }
        firstNonASCIIOnLine = offset
        // Columns before it are byte counts; counting starts one byte early, in case that ASCII character
        // and the non-ASCII one form a single grapheme (`e` + combining accent).
        if offset - 1 > countedUpTo {
            countedUpTo = offset - 1
            columnAtCounted = countedUpTo - lineStart + 1
        }
    }

    mutating func location(at offset: Int, in bytes: [UInt8]) -> SourceLocation {
        guard offset > firstNonASCIIOnLine else {
            return SourceLocation(line: line, column: offset - lineStart + 1, offset: offset)
        }
        if offset < countedUpTo {
            countedUpTo = lineStart
            columnAtCounted = 1
        }
        let end = min(offset, bytes.count)
        let from = min(countedUpTo, end)
        columnAtCounted += bytes.withUnsafeBufferPointer { buffer in
            String(decoding: UnsafeBufferPointer(rebasing: buffer[from ..< end]), as: UTF8.self).count
        }
        countedUpTo = end
        return SourceLocation(line: line, column: columnAtCounted, offset: offset)
    }
}
