import Testing
@testable import GradStore

@Suite struct QueryFormattingTests {
    static let result = QueryResult(
        columns: ["name", "grad", "n", "note"],
        rows: [
            [.text("w"), .real(-4), .integer(12), .null],
            [.text("b"), .real(0.5), .integer(3), .text("a, \"quoted\"\nline")],
            [.text("J"), .real(2.0000000000000004), .integer(-1), .blob([0x0A, 0xFF])],
        ])

    @Test func realsUseShortestRoundTripDigits() {
        #expect(SQLValue.real(-4).displayText == "-4")
        #expect(SQLValue.real(2).displayText == "2")
        #expect(SQLValue.real(0.1 + 0.2).displayText == "0.30000000000000004")
        #expect(SQLValue.real(1e-5).displayText == "1e-05")
        #expect(SQLValue.real(-.infinity).displayText == "-inf")
        #expect(SQLValue.real(-0.0).displayText == "-0")
    }

    @Test func asciiTable() {
        #expect(QueryFormattingTests.result.formatted(.table) == """
            +------+--------------------+----+-------------------+
            | name | grad               | n  | note              |
            +------+--------------------+----+-------------------+
            | w    |                 -4 | 12 | NULL              |
            | b    |                0.5 |  3 | a, "quoted"\\nline |
            | J    | 2.0000000000000004 | -1 | x'0aff'           |
            +------+--------------------+----+-------------------+

            """)
    }

    @Test func boxTableWithTruncation() {
        let result = QueryResult(columns: ["name", "value_json"], rows: [[.text("W"), .text("[[1,2,3],[4,5,6]]")]])
        #expect(result.formatted(.box, maxColumnWidth: 8) == """
            ┌──────┬──────────┐
            │ name │ value_j… │
            ├──────┼──────────┤
            │ W    │ [[1,2,3… │
            └──────┴──────────┘

            """)
    }

    @Test func csvFollowsRFC4180() {
        #expect(QueryFormattingTests.result.formatted(.csv) ==
            "name,grad,n,note\r\nw,-4,12,\r\nb,0.5,3,\"a, \"\"quoted\"\"\nline\"\r\nJ,2.0000000000000004,-1,x'0aff'\r\n")
    }

    @Test func jsonIsAnArrayOfObjects() {
        #expect(QueryFormattingTests.result.formatted(.json) == """
            [{"name":"w","grad":-4,"n":12,"note":null},
            {"name":"b","grad":0.5,"n":3,"note":"a, \\"quoted\\"\\nline"},
            {"name":"J","grad":2.0000000000000004,"n":-1,"note":"0aff"}]

            """)
        #expect(QueryResult(columns: ["x"], rows: []).formatted(.json) == "[]\n")
    }

    @Test func htmlEscapes() {
        let result = QueryResult(columns: ["a<b"], rows: [[.text("x & \"y\"")], [.real(-4)]])
        #expect(result.formatted(.html) == """
            <table>
            <thead>
            <tr><th>a&lt;b</th></tr>
            </thead>
            <tbody>
            <tr><td>x &amp; &quot;y&quot;</td></tr>
            <tr><td style="text-align: right">-4</td></tr>
            </tbody>
            </table>

            """)
    }

    @Test func statementWithoutColumnsFormatsAsNothing() {
        for format in QueryFormat.allCases {
            #expect(QueryResult(columns: [], rows: [], changes: 3).formatted(format) == "")
        }
    }
}
