/// Candidates shown below the line when Tab cannot decide, in columns read down then across
/// (as readline and `ls` show them), at most `maxRows` rows.
public enum CompletionListing {
    public static func text(_ candidates: [String], width: Int, maxRows: Int = 20) -> String {
        guard !candidates.isEmpty else { return "" }
        let columnWidth = (candidates.map(\.count).max() ?? 0) + 2
        let columns = max(1, min(candidates.count, width / columnWidth))
        let shown = Array(candidates.prefix(max(1, maxRows) * columns))
        let rows = (shown.count + columns - 1) / columns
        var lines: [String] = []
        for row in 0..<rows {
            var line = ""
            for column in 0..<columns {
                let index = column * rows + row
                guard index < shown.count else { break }
                let isLastInLine = column == columns - 1 || (column + 1) * rows + row >= shown.count
                line += isLastInLine ? shown[index] : padded(shown[index], to: columnWidth)
            }
            lines.append(line)
        }
        if shown.count < candidates.count {
            lines.append("… and \(candidates.count - shown.count) more")
        }
        return lines.joined(separator: "\n")
    }

    private static func padded(_ text: String, to width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
