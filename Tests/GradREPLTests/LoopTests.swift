import Testing
import GradLang
import GradREPL

private func trimmed<Text: StringProtocol>(_ text: Text) -> String {
    String(text.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
}

/// A kernel that evaluates `name = number` and bare names, and fails on anything else.
private final class FakeBackend: REPLBackend {
    var values: [String: String] = [:]
    var executed: [String] = []
    var history: [String]
    var closed = false
    let output: MemoryOutput

    init(history: [String] = [], output: MemoryOutput) {
        self.history = history
        self.output = output
    }

    var nextExecutionCount: Int { executed.count + 1 }

    func execute(_ source: String) -> CellOutcome {
        executed.append(source)
        let number = executed.count
        let parts = source.split(separator: "=", maxSplits: 1).map { trimmed($0) }
        if parts.count == 2 {
            values[parts[0]] = parts[1]
            output.write("\(parts[0]) = \(parts[1])\n", to: .output)
            return CellOutcome(executionCount: number)
        }
        if let value = values[trimmed(source)] { return CellOutcome(executionCount: number, value: value) }
        return CellOutcome(executionCount: number, errorText: "1:1: error: unknown name '\(source)'")
    }

    func completionSources() -> CompletionSources {
        CompletionSources(names: values.keys.sorted(), builtins: ["gradcheck"], magics: ["sql"], attributes: [],
                          keywordArguments: { $0 == "randn" ? ["seed"] : [] }, recordPolicies: [], sqlNames: { [] })
    }

    func recentCells(limit: Int) -> [String] { Array(history.suffix(limit)) }
    func definesName(_ name: String) -> Bool { values[name] != nil }
    func close() { closed = true }
}

private final class MemoryOutput: REPLOutput {
    var standardOutput = ""
    var standardError = ""

    func write(_ text: String, to stream: StandardStream) {
        if stream == .output { standardOutput += text } else { standardError += text }
    }
}

/// Plays back what a user typed and remembers the prompts it was shown.
private final class ScriptedReader: LineReader {
    var inputs: [LineInput]
    var prompts: [String] = []
    var initialTexts: [String] = []
    var history: [String] = []
    var completion: ((String) -> Completion)?
    /// Text before the cursor to press Tab on, before the read at the same index.
    var tabPresses: [Int: String] = [:]
    var completions: [Completion] = []

    init(_ inputs: [LineInput]) {
        self.inputs = inputs
    }

    func readLine(prompt: StyledText, initialText: String) -> LineInput {
        if let text = tabPresses[prompts.count], let completion { completions.append(completion(text)) }
        prompts.append(prompt.plain)
        initialTexts.append(initialText)
        return inputs.isEmpty ? .endOfInput : inputs.removeFirst()
    }

    func addToHistory(_ entry: String) {
        history.append(entry)
    }
}

private func interactive(_ inputs: [LineInput], history: [String] = []) -> (FakeBackend, ScriptedReader, MemoryOutput) {
    let output = MemoryOutput()
    let backend = FakeBackend(history: history, output: output)
    let reader = ScriptedReader(inputs)
    InteractiveLoop(backend: backend, reader: reader, output: output, style: .none).run()
    return (backend, reader, output)
}

@Test func cellsRunWithNumberedPromptsAndOut() {
    let (backend, reader, output) = interactive([.line("w = 2"), .line("w"), .endOfInput])
    #expect(backend.executed == ["w = 2", "w"])
    #expect(reader.prompts == ["In [1]: ", "In [2]: ", "In [3]: "])
    #expect(output.standardOutput == "w = 2\n\nOut[2]: 2\n\n\n")
}

@Test func errorsGoToStandardError() {
    let (_, _, output) = interactive([.line("nope"), .endOfInput])
    #expect(output.standardError == "1:1: error: unknown name 'nope'\n")
}

@Test func anOpenBracketShowsContinuationPromptsUntilClosed() {
    let (backend, reader, _) = interactive([.line("x = [1,"), .line("  2]"), .endOfInput])
    #expect(backend.executed == ["x = [1,\n  2]"])
    #expect(reader.prompts == ["In [1]: ", "   ...: ", "In [2]: "])
}

@Test func continuationLinesArePrefilledWithTheIndent() {
    let (_, reader, _) = interactive([.line("x = [1,"), .line("     2,"), .line("3]"), .endOfInput])
    #expect(reader.initialTexts == ["", "", "     ", ""])
}

@Test func ctrlCAbandonsTheCellBeingTyped() {
    let (backend, reader, _) = interactive([.line("x = [1,"), .interrupted, .line("y = 3"), .endOfInput])
    #expect(backend.executed == ["y = 3"])
    #expect(reader.prompts == ["In [1]: ", "   ...: ", "In [1]: ", "In [2]: "])
}

@Test func ctrlDInsideACellAbandonsItAndOnAnEmptyPromptLeaves() {
    let (backend, reader, _) = interactive([.line("x = (1 +"), .endOfInput, .line("y = 3"), .endOfInput, .line("z = 4")])
    #expect(backend.executed == ["y = 3"])
    #expect(reader.prompts.count == 4)
}

@Test func historyIsLoadedFirstAndGrowsWithEachCell() {
    let (_, reader, _) = interactive([.line("y = 3"), .line("%%sql"), .line("SELECT 1"), .line(""), .endOfInput],
                                     history: ["x = 1", "x = 1", "%%sql\nSELECT 2\n"])
    #expect(reader.history == ["x = 1", "%%sql\nSELECT 2", "y = 3", "%%sql\nSELECT 1"])
}

@Test func exitAndQuitLeaveUnlessTheyAreNodeNames() {
    let (backend, _, _) = interactive([.line("x = 1"), .line("quit"), .line("y = 2")])
    #expect(backend.executed == ["x = 1"])
    let (shadowed, _, _) = interactive([.line("exit = 1"), .line("exit"), .line("exit()")])
    #expect(shadowed.executed == ["exit = 1", "exit"])
}

@Test func completionSeesTheEarlierLinesOfTheCell() {
    let output = MemoryOutput()
    let backend = FakeBackend(output: output)
    let reader = ScriptedReader([.line("randn(3,"), .line("se"), .endOfInput])
    reader.tabPresses = [0: "gradch", 1: "se"]
    InteractiveLoop(backend: backend, reader: reader, output: output, style: .none).run()
    #expect(reader.completions == [Completion(replacing: 6, candidates: ["gradcheck"]), Completion(replacing: 2, candidates: ["seed="])])
    #expect(reader.completion == nil)
}

@Test func aScriptShowsNoPromptsAndFailsWithStatusOne() {
    let output = MemoryOutput()
    let backend = FakeBackend(output: output)
    let reader = ScriptedReader([.line("w = 2"), .line("w"), .line("nope"), .line("(w"), .endOfInput])
    let status = ScriptLoop(backend: backend, reader: reader, output: output).run()
    #expect(status == 1)
    #expect(backend.executed == ["w = 2", "w", "nope", "(w"])
    #expect(output.standardOutput == "w = 2\n2\n")
    #expect(!output.standardError.contains("In ["))
}

@Test func aScriptWithoutErrorsSucceeds() {
    let output = MemoryOutput()
    let backend = FakeBackend(output: output)
    let status = ScriptLoop(backend: backend, reader: ScriptedReader([.line("w = 2"), .line(""), .line("w")]), output: output).run()
    #expect(status == 0)
    #expect(output.standardOutput == "w = 2\n2\n")
}

/// The line `bytes` as a reader hands it over (`LineInput.decoding` is internal to GradREPL).
private func notUTF8(_ bytes: [UInt8]) throws -> LineInput {
    let problem = try #require(InvalidUTF8.find(in: bytes))
    return .notUTF8(problem, text: String(decoding: bytes, as: UTF8.self))
}

@Test func aScriptStopsAtTheFirstByteThatIsNotUTF8() throws {
    let output = MemoryOutput()
    let backend = FakeBackend(output: output)
    let reader = ScriptedReader([.line("w = 2"), .line("x = [1,"), try notUTF8([0x20, 0x32, 0xFE, 0x5D]), .line("w")])
    let status = ScriptLoop(backend: backend, reader: reader, output: output).run()
    #expect(status == 1)
    // The cell the bad line belongs to does not run, nor anything after it.
    #expect(backend.executed == ["w = 2"])
    #expect(output.standardError.hasPrefix("<stdin>:3:3: error: not UTF-8: byte 0xFE here is not part of a valid UTF-8 character\n 2\u{FFFD}]\n  ^\n"),
            "\(output.standardError)")
}

@Test func atThePromptABadByteAbandonsTheCellLikeCtrlC() throws {
    let (backend, _, output) = interactive([.line("x = [1,"), try notUTF8([0x33, 0xC3, 0x28]), .line("y = 3"), .endOfInput])
    #expect(backend.executed == ["y = 3"])
    #expect(output.standardError.hasPrefix("2:2: error: not UTF-8: byte 0xC3"), "\(output.standardError)")
}
