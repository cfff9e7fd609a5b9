/// How a cell's source becomes one entry of the line editor's history: a cell recalled with Up
/// comes back as it was typed, without the empty line that ended a `%%` cell.
public enum HistoryText {
    public static func entry(for source: String) -> String? {
        var text = Substring(source)
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return text.isEmpty ? nil : String(text)
    }

    /// The entries for a history list, oldest first, without consecutive repeats.
    public static func entries(for sources: [String]) -> [String] {
        var entries: [String] = []
        for source in sources {
            guard let entry = entry(for: source), entry != entries.last else { continue }
            entries.append(entry)
        }
        return entries
    }
}
