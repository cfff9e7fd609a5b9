/// Parameters in SQL text, found the way SQLite's tokenizer finds them: outside string literals,
/// quoted names and comments.
public enum SQLText {
    public enum Parameter: Equatable, Sendable {
        /// `?N`, or a plain `?` (nil).
        case numbered(Int?)
        /// `:name` (not PostgreSQL's `::type` cast).
        case named(String)
    }

    /// The text with each parameter replaced by what `replacement` returns for it (nil keeps it).
    public static func rewritingParameters(_ sql: String, _ replacement: (Parameter) -> String?) -> String {
        var output = ""
        output.reserveCapacity(sql.utf8.count + 16)
        var characters = Array(sql.unicodeScalars)[...]
        var previous: Unicode.Scalar = " "
        while let character = characters.first {
            characters = characters.dropFirst()
            switch character {
            case "'", "\"":
                output.unicodeScalars.append(character)
                while let next = characters.first {
                    characters = characters.dropFirst()
                    output.unicodeScalars.append(next)
                    if next == character { break }
                }
            case "-" where characters.first == "-":
                output.unicodeScalars.append(character)
                while let next = characters.first, next != "\n" {
                    characters = characters.dropFirst()
                    output.unicodeScalars.append(next)
                }
            case "?":
                var digits = ""
                while let next = characters.first, ("0"..."9").contains(next) {
                    characters = characters.dropFirst()
                    digits.unicodeScalars.append(next)
                }
                let text = "?" + digits
                output += replacement(.numbered(Int(digits))) ?? text
            case ":" where previous != ":" && characters.first.map(isNameStart) == true:
                var name = ""
                while let next = characters.first, isNameStart(next) || ("0"..."9").contains(next) {
                    characters = characters.dropFirst()
                    name.unicodeScalars.append(next)
                }
                output += replacement(.named(name)) ?? ":" + name
            default:
                output.unicodeScalars.append(character)
            }
            previous = character
        }
        return output
    }

    private static func isNameStart(_ character: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(character) || ("A"..."Z").contains(character) || character == "_"
    }
}
