/// Jupyter cursor positions count Unicode code points (protocol 5.2+), not UTF-16 units,
/// bytes or grapheme clusters: `é` typed as e + U+0301 is two, an emoji is one.
public enum CodePoints {
    /// The index `offset` code points into `text`, clamped to its bounds.
    public static func index(in text: String, offset: Int) -> String.Index {
        guard offset > 0 else { return text.startIndex }
        let scalars = text.unicodeScalars
        return scalars.index(scalars.startIndex, offsetBy: offset, limitedBy: scalars.endIndex) ?? scalars.endIndex
    }

    /// The code-point offset of `index` in `text`.
    public static func offset(of index: String.Index, in text: String) -> Int {
        let scalars = text.unicodeScalars
        let bounded = min(max(index, scalars.startIndex), scalars.endIndex)
        return scalars.distance(from: scalars.startIndex, to: bounded)
    }

    /// The number of code points in `text`: the cursor position at its end.
    public static func count(_ text: String) -> Int {
        text.unicodeScalars.count
    }
}
