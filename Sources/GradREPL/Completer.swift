import GradLang

/// What Tab may offer, gathered from the session when Tab is pressed.
public struct CompletionSources {
    /// Defined nodes, in definition order.
    public var names: [String]
    /// Built-in functions.
    public var builtins: [String]
    public var magics: [String]
    /// Attributes after a dot (`x.T`).
    public var attributes: [String]
    /// The keyword arguments of a built-in, without `=`.
    public var keywordArguments: (String) -> [String]
    /// The words `%record` takes.
    public var recordPolicies: [String]
    /// Views and columns of the run history, for `%sql`; asked only when completing SQL.
    public var sqlNames: () -> [String]

    public init(names: [String], builtins: [String], magics: [String], attributes: [String],
                keywordArguments: @escaping (String) -> [String], recordPolicies: [String],
                sqlNames: @escaping () -> [String]) {
        self.names = names
        self.builtins = builtins
        self.magics = magics
        self.attributes = attributes
        self.keywordArguments = keywordArguments
        self.recordPolicies = recordPolicies
        self.sqlNames = sqlNames
    }
}

/// The result of completing: which word before the cursor is replaced, and by what.
public struct Completion: Sendable, Equatable {
    /// Characters before the cursor that a candidate replaces (the part of the word typed so far).
    public var replacing: Int
    public var candidates: [String]

    public init(replacing: Int, candidates: [String]) {
        self.replacing = replacing
        self.candidates = candidates
    }

    public static let none = Completion(replacing: 0, candidates: [])

    /// What Tab puts in place of the typed word: the only candidate, or the longest start all
    /// candidates share (nil when there is no candidate).
    public var insertion: String? {
        guard var common = candidates.first else { return nil }
        for candidate in candidates.dropFirst() {
            common = String(zip(common, candidate).prefix { $0 == $1 }.map(\.0))
        }
        return common
    }
}

/// Tab completion: magics after `%`, SQL names in `%sql` and `%plot`, keyword arguments inside a call
/// (`randn(3, se` → `seed=`), attributes after a dot, and otherwise node names and built-ins.
public enum Completer {
    /// Completes the word that ends at the cursor; `textBeforeCursor` is the cell so far,
    /// earlier lines included, so a call opened on a previous line is still seen.
    public static func complete(_ textBeforeCursor: String, sources: CompletionSources) -> Completion {
        let lines = textBeforeCursor.split(separator: "\n", omittingEmptySubsequences: false)
        let currentLine = lines.last ?? ""
        let word = trailingWord(of: currentLine)
        let lineBeforeWord = currentLine.dropLast(word.count)
        let firstLine = (lines.first ?? "").drop { $0 == " " || $0 == "\t" }

        if firstLine.hasPrefix("%%") {
            let magic = leadingWord(of: firstLine.dropFirst(2))
            if lines.count == 1 {
                if lineBeforeWord.drop(while: { $0 == " " || $0 == "\t" }) == "%%" {
                    return matching(word, in: sources.magics)
                }
                return completeMagicArgument(magic, word: word, argumentBeforeCursor: "", sources: sources)
            }
            let body = lines.dropFirst().joined(separator: "\n")
            return magic == "sql" || magic == "plot" ? completeSQL(word, sources: sources) : completeCode(body, word: word, sources: sources)
        }
        let trimmedLine = currentLine.drop { $0 == " " || $0 == "\t" }
        if trimmedLine.hasPrefix("%") && !insideBrackets(lines.dropLast().joined(separator: "\n")) {
            let afterPercent = trimmedLine.dropFirst()
            if afterPercent.count == word.count { return matching(word, in: sources.magics) }
            let magic = leadingWord(of: afterPercent)
            let argument = afterPercent.dropFirst(magic.count).drop { $0 == " " || $0 == "\t" }
            return completeMagicArgument(magic, word: word, argumentBeforeCursor: String(argument), sources: sources)
        }
        return completeCode(textBeforeCursor, word: word, sources: sources)
    }

    // MARK: magics

    private static func completeMagicArgument(_ magic: String, word: Substring, argumentBeforeCursor: String, sources: CompletionSources) -> Completion {
        switch magic {
        case "sql", "plot": return completeSQL(word, sources: sources)
        case "explain", "graph": return matching(word, in: sources.names)
        case "record": return matching(word, in: sources.recordPolicies)
        case "help": return matching(word, in: sources.names + sources.builtins + sources.magics)
        case "time": return completeCode(argumentBeforeCursor, word: word, sources: sources)
        default: return .none
        }
    }

    static let sqlKeywords = [
        "SELECT", "FROM", "WHERE", "GROUP", "BY", "ORDER", "HAVING", "LIMIT", "OFFSET", "JOIN", "LEFT", "INNER",
        "ON", "USING", "AS", "AND", "OR", "NOT", "NULL", "IS", "IN", "LIKE", "GLOB", "BETWEEN", "DISTINCT", "CASE",
        "WHEN", "THEN", "ELSE", "END", "WITH", "UNION", "ASC", "DESC", "COUNT", "SUM", "AVG", "MIN", "MAX",
        "ROUND", "ABS", "JSON_EXTRACT",
    ]

    /// SQL words match whatever their case; keywords come out in the case the word was typed in.
    private static func completeSQL(_ word: Substring, sources: CompletionSources) -> Completion {
        guard !word.isEmpty else { return .none }
        let lowercaseWord = word.lowercased()
        let keywordsInCase = word.contains { $0.isUppercase } ? sqlKeywords : sqlKeywords.map { $0.lowercased() }
        let names = sources.sqlNames().filter { $0.lowercased().hasPrefix(lowercaseWord) }
        let keywords = keywordsInCase.filter { $0.lowercased().hasPrefix(lowercaseWord) }
        return Completion(replacing: word.count, candidates: unique((names + keywords).sorted()))
    }

    // MARK: code

    private static func completeCode(_ text: String, word: Substring, sources: CompletionSources) -> Completion {
        if let first = word.first, first.isNumber { return .none }
        let before = String(text.dropLast(word.count))
        let context = CodeContext(before)
        if context.inStringOrComment { return .none }
        if context.afterDot {
            return matching(word, in: sources.attributes)
        }
        var keywords: [String] = []
        if context.atArgumentStart, let callee = context.callee {
            keywords = sources.keywordArguments(callee).filter { !context.keywordsGiven.contains($0) && $0.hasPrefix(word) }.map { $0 + "=" }
        }
        guard !word.isEmpty else { return Completion(replacing: 0, candidates: keywords) }
        let names = unique((sources.names + sources.builtins + reservedWords.sorted()).filter { $0.hasPrefix(word) }.sorted())
        return Completion(replacing: word.count, candidates: unique(keywords + names))
    }

    private static func insideBrackets(_ text: String) -> Bool {
        CodeContext(text).openBrackets > 0
    }

    // MARK: words

    private static func isWordCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "_")
    }

    static func trailingWord(of line: Substring) -> Substring {
        var start = line.endIndex
        while start > line.startIndex {
            let previous = line.index(before: start)
            guard isWordCharacter(line[previous]) else { break }
            start = previous
        }
        return line[start...]
    }

    private static func leadingWord(of text: Substring) -> String {
        String(text.prefix { isWordCharacter($0) })
    }

    private static func matching(_ word: Substring, in candidates: [String]) -> Completion {
        Completion(replacing: word.count, candidates: unique(candidates.filter { $0.hasPrefix(word) }.sorted()))
    }

    private static func unique(_ words: [String]) -> [String] {
        var seen = Set<String>()
        return words.filter { seen.insert($0).inserted }
    }
}

/// Where the cursor is in code, from the tokens before the word being completed.
struct CodeContext {
    /// The function whose parentheses the cursor is directly inside (`randn(3, se` → randn).
    var callee: String?
    /// Keywords already given in that call.
    var keywordsGiven: Set<String> = []
    /// Right after `(` or `,` of that call: a keyword argument may start here.
    var atArgumentStart = false
    /// Right after `name.` (or `).`, `].`).
    var afterDot = false
    var inStringOrComment = false
    var openBrackets = 0

    init(_ text: String) {
        let bytes = Array(text.utf8)
        func spelling(_ token: Token) -> String {
            let start = min(max(token.span.start.offset, 0), bytes.count)
            let end = min(max(token.span.end.offset, start), bytes.count)
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
        struct Frame {
            var callee: String?
            var keywordsGiven: Set<String> = []
        }
        var frames: [Frame] = []
        var previous: Token?
        var beforePrevious: Token?
        var last: Token?
        for token in Lexer.tokenize(text) where token.kind != .endOfInput {
            last = token
            switch token.kind {
            case .comment:
                continue
            case .newline:
                if frames.isEmpty {
                    previous = nil
                    beforePrevious = nil
                }
                continue
            case .leftParen:
                let callee = previous.flatMap { $0.kind == .name ? spelling($0) : nil }
                frames.append(Frame(callee: callee))
            case .leftBracket:
                frames.append(Frame(callee: nil))
            case .rightParen, .rightBracket:
                if !frames.isEmpty { frames.removeLast() }
            case .equal:
                if let name = previous, name.kind == .name,
                   let opener = beforePrevious, opener.kind == .comma || opener.kind == .leftParen,
                   !frames.isEmpty {
                    frames[frames.count - 1].keywordsGiven.insert(spelling(name))
                }
            default:
                break
            }
            beforePrevious = previous
            previous = token
        }
        openBrackets = frames.count
        if let last, last.span.end.offset >= bytes.count {
            inStringOrComment = last.kind == .comment || last.kind == .string || last.kind == .error
        }
        if let frame = frames.last {
            callee = frame.callee
            keywordsGiven = frame.keywordsGiven
        }
        if let previous {
            atArgumentStart = callee != nil && (previous.kind == .leftParen || previous.kind == .comma)
            let operand = beforePrevious?.kind
            afterDot = previous.kind == .dot && (operand == .name || operand == .rightParen || operand == .rightBracket)
        }
    }
}
