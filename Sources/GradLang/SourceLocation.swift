/// A position in a cell's source text.
///
/// `line` and `column` are 1-based and meant for people (`column` counts `Character`s, so a tab or an
/// `é` is one column); `offset` is the 0-based UTF-8 byte offset, meant for slicing the source.
public struct SourceLocation: Hashable, Sendable, Comparable {
    public var line: Int
    public var column: Int
    public var offset: Int

    public init(line: Int, column: Int, offset: Int) {
        self.line = line
        self.column = column
        self.offset = offset
    }

    /// The first character of a source.
    public static let start = SourceLocation(line: 1, column: 1, offset: 0)

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        lhs.offset < rhs.offset
    }
}

/// A half-open range `start ..< end` of source text.
public struct SourceSpan: Hashable, Sendable {
    public var start: SourceLocation
    /// Exclusive: the location just after the last character of the span.
    public var end: SourceLocation

    public init(start: SourceLocation, end: SourceLocation) {
        self.start = start
        self.end = end
    }

    /// An empty span at `location`, for "expected something here" diagnostics.
    public init(at location: SourceLocation) {
        self.init(start: location, end: location)
    }

    public var isEmpty: Bool { start.offset >= end.offset }

    /// The UTF-8 byte range of the span.
    public var byteRange: Range<Int> { start.offset ..< max(start.offset, end.offset) }

    /// The smallest span covering both spans.
    public func union(_ other: SourceSpan) -> SourceSpan {
        SourceSpan(start: min(start, other.start), end: max(end, other.end))
    }
}

extension SourceLocation: CustomStringConvertible {
    public var description: String { "\(line):\(column)" }
}

extension SourceSpan: CustomStringConvertible {
    public var description: String { "\(start)-\(end)" }
}
