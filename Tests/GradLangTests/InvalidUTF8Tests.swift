import GradLang
import Testing

/// Input that is not UTF-8 is found at its first bad byte, with the `line:column` every
/// diagnostic uses (columns count characters).
@Suite struct InvalidUTF8Tests {
    func find(_ bytes: [UInt8]) -> InvalidUTF8? { InvalidUTF8.find(in: bytes) }

    @Test func utf8IsAccepted() {
        #expect(find([]) == nil)
        #expect(find(Array("x = 1  # café, ∂J/∂w, 🙂\n\"ü\"\r\n".utf8)) == nil)
    }

    @Test func theFirstBadByteIsFound() {
        #expect(find([0xFF]) == InvalidUTF8(offset: 0, line: 1, column: 1, byte: 0xFF))
        // Columns count characters: `é` is one column of two bytes.
        #expect(find(Array("a\nbé = ".utf8) + [0x80, 0xFF]) == InvalidUTF8(offset: 8, line: 2, column: 6, byte: 0x80))
        // A truncated sequence, an overlong encoding and an encoded surrogate are reported at their first byte.
        #expect(find(Array("x".utf8) + [0xE2, 0x82]) == InvalidUTF8(offset: 1, line: 1, column: 2, byte: 0xE2))
        #expect(find([0x41, 0xC0, 0x80]) == InvalidUTF8(offset: 1, line: 1, column: 2, byte: 0xC0))
        #expect(find(Array("\n\n  ".utf8) + [0xED, 0xA0, 0x80]) == InvalidUTF8(offset: 4, line: 3, column: 3, byte: 0xED))
    }

    @Test func theDiagnosticPointsAtTheByte() throws {
        let bytes = Array("x = 1\ny = \"ab".utf8) + [0xFF] + Array("c\"\n".utf8)
        let problem = try #require(find(bytes))
        let rendered = problem.diagnostic.rendered(source: String(decoding: bytes, as: UTF8.self), origin: "book.grad")
        #expect(rendered == """
            book.grad:2:8: error: not UTF-8: byte 0xFF here is not part of a valid UTF-8 character
            y = "ab\u{FFFD}c"
                   ^
            help: save the file as UTF-8 text (it may be binary, or in another encoding such as Latin-1)
            """)
        #expect(problem.diagnostic.id == SyntaxErrorCode.invalidUTF8.rawValue)
    }
}
