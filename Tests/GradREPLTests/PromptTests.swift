import Testing
import GradREPL

@Test func promptsAreIPythons() {
    #expect(Prompts.input(3).plain == "In [3]: ")
    #expect(Prompts.output(3).plain == "Out[3]: ")
    #expect(Prompts.continuation(3).plain == "   ...: ")
}

@Test func continuationIsAsWideAsTheInputPrompt() {
    for number in [1, 9, 10, 99, 100, 12345] {
        #expect(Prompts.continuation(number).width == Prompts.input(number).width)
        #expect(Prompts.continuation(number).plain.hasSuffix("...: "))
    }
}

@Test func aValueOfSeveralLinesStartsOnItsOwnLine() {
    #expect(Prompts.result("-4", number: 10, colors: false) == "Out[10]: -4\n")
    #expect(Prompts.result("[[1, 2],\n [3, 4]]", number: 2, colors: false) == "Out[2]: \n[[1, 2],\n [3, 4]]\n")
}

@Test func coloursOnlyWhenAsked() {
    let prompt = Prompts.input(7)
    #expect(prompt.rendered(colors: false) == "In [7]: ")
    #expect(prompt.rendered(colors: true) == "\u{1B}[32mIn [\u{1B}[0m\u{1B}[1;32m7\u{1B}[0m\u{1B}[32m]: \u{1B}[0m")
    #expect(Prompts.result("-4", number: 1, colors: true).hasPrefix("\u{1B}[31mOut["))
}

@Test func lineEditorPromptMergesEscapesAndResetsBeforeTheLastCharacter() {
    let rendered = Prompts.input(7).renderedForLineEditor(colors: true, marker: "\u{1}")
    #expect(rendered == "\u{1}\u{1B}[32m\u{1}In [\u{1}\u{1B}[0m\u{1B}[1;32m\u{1}7\u{1}\u{1B}[0m\u{1B}[32m\u{1}]:\u{1}\u{1B}[0m\u{1} ")
    #expect(Prompts.input(7).renderedForLineEditor(colors: false, marker: "\u{1}") == "In [7]: ")
    // Every escape is closed by a marker that a visible character follows.
    let pieces = rendered.split(separator: "\u{1}", omittingEmptySubsequences: false)
    #expect(pieces.count % 2 == 1)
    for (index, piece) in pieces.enumerated() where index % 2 == 0 && index > 0 {
        #expect(!piece.isEmpty)
    }
}

@Test func noColorAndNonTerminalsTurnColoursOff() {
    let terminal = TerminalStyle(environment: ["TERM": "xterm-256color"], standardOutputIsTerminal: true, standardErrorIsTerminal: true)
    #expect(terminal.colorsOnStandardOutput && terminal.colorsOnStandardError)
    #expect(!TerminalStyle(environment: ["NO_COLOR": "1"], standardOutputIsTerminal: true, standardErrorIsTerminal: true).colorsOnStandardOutput)
    #expect(TerminalStyle(environment: ["NO_COLOR": ""], standardOutputIsTerminal: true, standardErrorIsTerminal: true).colorsOnStandardOutput)
    #expect(!TerminalStyle(environment: ["TERM": "dumb"], standardOutputIsTerminal: true, standardErrorIsTerminal: true).colorsOnStandardOutput)
    #expect(!TerminalStyle(environment: [:], standardOutputIsTerminal: false, standardErrorIsTerminal: true).colorsOnStandardError)
    let redirectedErrors = TerminalStyle(environment: [:], standardOutputIsTerminal: true, standardErrorIsTerminal: false)
    #expect(redirectedErrors.colorsOnStandardOutput && !redirectedErrors.colorsOnStandardError)
}
