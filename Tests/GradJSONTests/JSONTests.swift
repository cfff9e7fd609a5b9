import GradJSON
import Testing

@Suite struct JSONTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONParser.parse(#" {"a": [1, -2.5, 3e2, true, false, null], "b": {"c": "d"}, "e": 0} "#)
        #expect(value == ["a": [1, -2.5, 300.0, true, false, nil], "b": ["c": "d"], "e": 0])
    }

    @Test func keepsIntegersApartFromDoubles() throws {
        #expect(try JSONParser.parse("3") == .int(3))
        #expect(try JSONParser.parse("3.0") == .double(3))
        #expect(try JSONParser.parse("3.0").intValue == 3)
        #expect(try JSONParser.parse("3.5").intValue == nil)
        // Beyond Int64 the number is kept as a double rather than rejected.
        #expect(try JSONParser.parse("123456789012345678901234567890") == .double(1.2345678901234568e29))
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        #expect(try JSONParser.parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#) == .string("a\"b\\c/d\n\té😀"))
        // A lone surrogate cannot be a scalar: it becomes U+FFFD instead of failing the message.
        #expect(try JSONParser.parse(#""\ud800x""#) == .string("\u{FFFD}x"))
    }

    @Test func rejectsMalformedInput() {
        for text in ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "tru", "\"abc", "\"a\u{01}\"", "[1] 2", "{1: 2}", "\"\\x\""] {
            #expect(throws: JSONParseError.self, "\(text)") { try JSONParser.parse(text) }
        }
    }

    @Test func limitsNesting() throws {
        let deep = String(repeating: "[", count: JSONParser.maximumDepth + 1) + String(repeating: "]", count: JSONParser.maximumDepth + 1)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let allowed = String(repeating: "[", count: JSONParser.maximumDepth) + String(repeating: "]", count: JSONParser.maximumDepth)
        #expect(try JSONParser.parse(allowed).arrayValue != nil)
        let hostile = String(repeating: "{\"a\":", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(hostile) }
    }

    @Test func writesCompactSortedEscapedJSON() {
        let value: JSONValue = ["b": [1, 2.5, nil, true], "a": "q\"\\\n\u{01}é", "c": .double(.nan)]
        #expect(value.description == #"{"a":"q\"\\\n\u0001é","b":[1,2.5,null,true],"c":null}"#)
    }

    /// As Python's json module writes strings (ensure_ascii=False): what nbformat saves.
    @Test func quotesStringsAsPythonDoes() throws {
        #expect(JSONWriter.quoted("tab\there \u{08}\u{0C}\r \u{1F} \"é\" \\ 😀") == #""tab\there \b\f\r \u001f \"é\" \\ 😀""#)
        #expect(try JSONParser.parse(JSONWriter.quoted("\u{08}\u{0C}")) == .string("\u{08}\u{0C}"))
    }

    @Test func roundTrips() throws {
        let value: JSONValue = ["text": "línea 1\nline\t2 😀", "n": -42, "x": 0.1, "list": [[], [:], ["k": false]]]
        #expect(try JSONParser.parse(JSONWriter.encode(value)) == value)
    }
}
