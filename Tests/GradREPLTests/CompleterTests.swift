import Testing
@testable import GradREPL

/// Sources shaped like the session's, with a small keyword table.
private func sources(names: [String] = ["J", "w", "x", "weights"]) -> CompletionSources {
    let keywords: [String: [String]] = [
        "randn": ["seed"], "sum": ["axis", "keepdims"], "train": ["steps", "lr", "optimizer"], "moons": ["noise", "seed"],
    ]
    return CompletionSources(
        names: names, builtins: ["grad", "gradcheck", "moons", "randn", "relu", "sum", "train"],
        magics: ["explain", "graph", "help", "history", "record", "sql", "time", "who"], attributes: ["T", "shape", "grad"],
        keywordArguments: { keywords[$0] ?? [] }, recordPolicies: ["all", "params", "scalars", "none"],
        sqlNames: { ["cells", "nodes", "runs", "run_values", "run_id", "name"] })
}

private func complete(_ text: String) -> Completion {
    Completer.complete(text, sources: sources())
}

@Test func builtinNameCompletesToItsOnlyCandidate() {
    let completion = complete("gradch")
    #expect(completion == Completion(replacing: 6, candidates: ["gradcheck"]))
    #expect(completion.insertion == "gradcheck")
}

@Test func sharedStartIsInsertedWhenSeveralCandidatesMatch() {
    let completion = complete("J = gra")
    #expect(completion.candidates == ["grad", "gradcheck"])
    #expect(completion.insertion == "grad")
    #expect(completion.replacing == 3)
}

@Test func nodeNamesAndBuiltinsComplete() {
    #expect(complete("y = w").candidates == ["w", "weights"])
    #expect(complete("y = re").candidates == ["relu"])
}

@Test func keywordArgumentOfTheEnclosingCallComesFirst() {
    #expect(complete("randn(3, se").candidates == ["seed="])
    #expect(complete("X, y = moons(100, noise=0.1, s").candidates == ["seed=", "sum"])
}

@Test func keywordsAlreadyGivenAreNotOfferedAgain() {
    #expect(complete("moons(100, seed=1, ").candidates == ["noise="])
}

@Test func innermostCallDecidesTheKeywords() {
    #expect(complete("sum(randn(3, se").candidates == ["seed="])
    #expect(complete("sum(randn(3, seed=1), ax").candidates == ["axis="])
}

@Test func aCallOpenedOnAnEarlierLineStillCounts() {
    #expect(complete("train(J,\n      st").candidates == ["steps="])
}

@Test func noKeywordAfterAnEqualsSign() {
    #expect(complete("randn(3, seed=s").candidates == ["sum"])
}

@Test func emptyWordInsideACallListsTheKeywords() {
    #expect(complete("sum(x, ") == Completion(replacing: 0, candidates: ["axis=", "keepdims="]))
    #expect(complete("y = ") == Completion(replacing: 0, candidates: []))
}

@Test func magicNamesCompleteAfterPercent() {
    #expect(complete("%ex") == Completion(replacing: 2, candidates: ["explain"]))
    #expect(complete("%h").candidates == ["help", "history"])
    #expect(complete("%%sq").candidates == ["sql"])
}

@Test func magicArgumentsComplete() {
    #expect(complete("%explain we").candidates == ["weights"])
    #expect(complete("%record sc").candidates == ["scalars"])
    #expect(complete("%time gradch").candidates == ["gradcheck"])
}

@Test func sqlNamesCompleteInLineAndCellMagics() {
    #expect(complete("%sql SELECT * FROM ru").candidates == ["run_id", "run_values", "runs"])
    #expect(complete("%%sql\nSELECT name FROM no").candidates == ["nodes", "not"])
    #expect(complete("%plot SELECT step, loss FROM ru").candidates == ["run_id", "run_values", "runs"])
    #expect(complete("%%plot --logy\nSELECT step, loss FROM no").candidates == ["nodes", "not"])
}

@Test func sqlKeywordsFollowTheCaseTyped() {
    #expect(complete("%sql SEL").candidates == ["SELECT"])
    #expect(complete("%sql sel").candidates == ["select"])
}

@Test func attributesCompleteAfterADot() {
    #expect(complete("w.sh").candidates == ["shape"])
    #expect(complete("(w * x).").candidates == ["T", "grad", "shape"])
    #expect(complete("y = .").candidates.isEmpty)
}

@Test func nothingInsideStringsCommentsAndNumbers() {
    #expect(complete("load_csv(\"we").candidates.isEmpty)
    #expect(complete("x = 2  # we").candidates.isEmpty)
    #expect(complete("x = 2e").candidates.isEmpty)
}

@Test func percentInsideBracketsIsNotAMagic() {
    #expect(Completer.trailingWord(of: "foo(bar") == "bar")
    #expect(complete("x = [1,\n%ex").candidates.isEmpty)
}
