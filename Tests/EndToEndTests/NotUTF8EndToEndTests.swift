import Foundation
import Testing

/// Input that is not UTF-8, through the real binary: an error naming the line and column of the
/// first bad byte, exit 1, and nothing recorded half-way.
@Suite struct NotUTF8EndToEndTests {
    static let help = "help: save the file as UTF-8 text (it may be binary, or in another encoding such as Latin-1)\n"

    @Test func aGradNotebookIsRefusedBeforeAnythingRuns() throws {
        let directory = try Binary.temporaryDirectory()
        let good = directory.appendingPathComponent("good.grad")
        try "# %%\nx = 2\n".write(to: good, atomically: true, encoding: .utf8)
        let bad = directory.appendingPathComponent("latin.grad")
        try (Data("# %%\nx = 2\n# %%\ny = [1, 2]  # caf".utf8) + Data([0xE9]) + Data("\n".utf8)).write(to: bad)
        let db = directory.appendingPathComponent("m.db").path
        // The good notebook comes first; it is not run either: every file is read before anything runs.
        let output = try Binary.run(["run", good.path, bad.path, "--db", db])
        #expect(output.status == 1)
        #expect(output.stdout.isEmpty, "\(output.stdout)")
        #expect(output.stderr == "\(bad.path):4:18: error: not UTF-8: byte 0xE9 here is not part of a valid UTF-8 character\n"
            + "y = [1, 2]  # caf\u{FFFD}\n                 ^\n" + Self.help, "\(output.stderr)")
        #expect(!FileManager.default.fileExists(atPath: db), "nothing was recorded, so no database was made")
    }

    @Test func anIpynbNotebookIsRefusedAtTheByteInTheFile() throws {
        let directory = try Binary.temporaryDirectory()
        let notebook = directory.appendingPathComponent("bytes.ipynb")
        try (Data(#"{"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": "x = "#.utf8) + Data([0xC3, 0x28])
             + Data(#""}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}"#.utf8)).write(to: notebook)
        let db = directory.appendingPathComponent("m.db").path
        let output = try Binary.run(["run", notebook.path, "--db", db])
        #expect(output.status == 1)
        #expect(output.stderr.hasPrefix("\(notebook.path):1:80: error: not UTF-8: byte 0xC3 "), "\(output.stderr)")
        #expect(!FileManager.default.fileExists(atPath: db))
    }

    @Test func pipedInputStopsAtTheBadByteKeepingTheCellsBefore() throws {
        let directory = try Binary.temporaryDirectory()
        let db = directory.appendingPathComponent("m.db").path
        let input = Data("x = 2\ny = [1,\n 2".utf8) + Data([0xFE]) + Data("]\nx * 3\n".utf8)
        let output = try Binary.run(["repl", "--db", db], stdinBytes: input)
        #expect(output.status == 1)
        #expect(output.stdout == "x = 2\n", "\(output.stdout)")
        #expect(output.stderr == "<stdin>:3:3: error: not UTF-8: byte 0xFE here is not part of a valid UTF-8 character\n 2\u{FFFD}]\n  ^\n" + Self.help,
                "\(output.stderr)")
        // The cell before it is recorded whole; the one it was in, and everything after, not at all.
        #expect(try Binary.sqlite(db, "SELECT group_concat(source, '|') FROM cells;") == "x = 2")
        #expect(try Binary.sqlite(db, "SELECT ended_at IS NOT NULL FROM sessions;") == "1")
        #expect(try Binary.sqlite(db, "PRAGMA integrity_check;") == "ok")
    }
}
