import GradLang
import Testing

@Suite struct CompletenessTests {
    @Test(arguments: [
        "", "x = 1", "x = f(1, 2)", "backward J", "w?", "%sql SELECT (", "# only a comment", "x = [\n1,\n2]",
        "J = a +\n b", "x = 1\ny = 2\n", "%%sql\nSELECT 1\n", "%%time\nx = 1\n  ",
    ])
    func complete(_ source: String) {
        #expect(Parser.completeness(of: source) == .complete)
    }

    @Test(arguments: [
        ("x = f(1,", ""), ("x = [1, 2", ""), ("J = 0.5 * d ^", ""), ("y = a -", ""), ("z = (", ""),
        ("x = 1\n  y = g(", "  "), ("  m = [[1, 2],\n   [3, 4]", "   "), ("x = -", ""), ("w = a @\n", ""),
        ("%%sql", ""), ("%%sql --write\nSELECT 1", ""), ("q = x **", ""), ("f(a=1,\n\tb=2,", "\t"),
    ])
    func incomplete(_ source: String, indent: String) {
        #expect(Parser.completeness(of: source) == .incomplete(indent: indent))
    }

    @Test(arguments: [
        "x = 1)", ")", "x = (1]", "x =", "backward", "s = \"abc", "x = $", "1 = x", "x = 1 2", "x = (1 2",
        "f(a=1, 2,", "x = )\ny = (", "a, b", "x = 1e",
    ])
    func invalid(_ source: String) {
        #expect(Parser.completeness(of: source) == .invalid)
    }
}
