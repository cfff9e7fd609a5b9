/// Shortest round-trip decimal text for doubles, the way gradbook shows numbers everywhere:
/// `-4` (no trailing `.0`), `0.5`, `2.0000000000000004`, `1e-05`.
public enum NumberText {
    /// Display text: integral values without `.0`; `nan`, `inf`, `-inf` for non-finite values.
    public static func display(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return json(value)
    }

    /// JSON number text. JSON has no NaN or infinities: NaN is `null`, +/-infinity are
    /// `9e999` / `-9e999`, which JSON readers (SQLite's, Python's, JavaScript's) parse as +/-inf.
    public static func json(_ value: Double) -> String {
        String(unsafeUninitializedCapacity: maximumJSONLength) { buffer in
            guard let out = buffer.baseAddress else { return 0 }
            return writeJSON(value, to: out)
        }
    }

    /// The longest text `writeJSON` produces.
    static let maximumJSONLength = ShortestDouble.maximumLength

    /// Writes `json(value)` as UTF-8 at `out` (room for `maximumJSONLength` bytes); returns
    /// its length.
    static func writeJSON(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        if value.isNaN { return copy("null", to: out) }
        if value.isInfinite { return copy(value < 0 ? "-9e999" : "9e999", to: out) }
        return ShortestDouble.write(value, to: out)
    }

    private static func copy(_ text: StaticString, to out: UnsafeMutablePointer<UInt8>) -> Int {
        out.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        return text.utf8CodeUnitCount
    }
}
