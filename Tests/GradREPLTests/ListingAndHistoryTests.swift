import Testing
@testable import GradREPL

@Test func candidatesAreListedDownThenAcross() {
    let text = CompletionListing.text(["a", "bb", "c", "d", "e"], width: 12)
    #expect(text == "a   c   e\nbb  d")
}

@Test func oneColumnWhenTheTerminalIsNarrow() {
    #expect(CompletionListing.text(["alpha", "beta"], width: 3) == "alpha\nbeta")
}

@Test func longListingsAreCut() {
    let names = (0..<50).map { "n\($0)" }
    let text = CompletionListing.text(names, width: 5, maxRows: 4)
    #expect(text.split(separator: "\n") == ["n0", "n1", "n2", "n3", "… and 46 more"])
}

@Test func historyEntriesDropTheBlankLineThatEndedACellMagic() {
    #expect(HistoryText.entry(for: "%%sql\nSELECT 1\n") == "%%sql\nSELECT 1")
    #expect(HistoryText.entry(for: "  \n") == nil)
    #expect(HistoryText.entries(for: ["x = 1", "x = 1\n", "y = 2", "x = 1"]) == ["x = 1", "y = 2", "x = 1"])
}

@Test func trainingProgressReadsInOneLine() {
    #expect(TrainingProgressLine.significant(2.2719200000000003e-28) == "2.27192e-28")
    #expect(TrainingProgressLine.significant(0.5) == "0.5")
    #expect(TrainingProgressLine.significant(-4) == "-4")
    #expect(TrainingProgressLine.describe(target: "J", step: 500, totalSteps: 1000, loss: 0.25, elapsedSeconds: 0.5)
        == "train J: step 500 of 1000  loss 0.25  1000 steps/s  (Ctrl-C stops)")
}
