import Testing
import GradREPL

@Test func aCompleteLineRunsAtOnce() {
    var cell = CellBuffer()
    #expect(cell.add("x = 2") == .run("x = 2"))
    #expect(cell.isEmpty)
}

@Test func anOpenBracketContinuesTheCell() {
    var cell = CellBuffer()
    #expect(cell.add("x = [1,") == .needMore(indent: ""))
    #expect(cell.add("     2,") == .needMore(indent: "     "))
    #expect(cell.add("     3]") == .run("x = [1,\n     2,\n     3]"))
}

@Test func aTrailingOperatorContinuesTheCell() {
    var cell = CellBuffer()
    #expect(cell.add("J = 0.5 *") == .needMore(indent: ""))
    #expect(cell.add("d^2") == .run("J = 0.5 *\nd^2"))
}

@Test func aCellMagicTakesLinesUntilAnEmptyOne() {
    var cell = CellBuffer()
    #expect(cell.add("%%sql") == .needMore(indent: ""))
    #expect(cell.add("SELECT name") == .needMore(indent: ""))
    #expect(cell.add("FROM nodes") == .needMore(indent: ""))
    #expect(cell.add("") == .run("%%sql\nSELECT name\nFROM nodes\n"))
}

@Test func blankLinesOnAnEmptyPromptRunNothing() {
    var cell = CellBuffer()
    #expect(cell.add("") == .nothing)
    #expect(cell.add("   ") == .nothing)
    #expect(cell.isEmpty)
}

@Test func aCellMoreLinesCannotFixRunsToShowItsError() {
    var cell = CellBuffer()
    #expect(cell.add("x = 1)") == .run("x = 1)"))
}

@Test func aCellRecalledFromHistoryRunsWhole() {
    var cell = CellBuffer()
    #expect(cell.add("x = [1,\n2]") == .run("x = [1,\n2]"))
}

@Test func theRemainderOfAScriptIsRunAsItIs() {
    var cell = CellBuffer()
    _ = cell.add("x = (1 +")
    #expect(cell.takeRemainder() == "x = (1 +")
    #expect(cell.isEmpty)
    #expect(cell.takeRemainder() == nil)
}
