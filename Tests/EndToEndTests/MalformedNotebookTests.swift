import Foundation
import Testing

/// Every notebook in Tests/Fixtures/malformed must end with exit 1 and a `file:line:column`
/// location, be recorded as a failed cell, and leave a sound database.
@Suite struct MalformedNotebookTests {
    static let fixtures: [String] = {
        let directory = Binary.packageRoot.appendingPathComponent("Tests/Fixtures/malformed")
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".grad") }.sorted()
    }()

    @Test func thereIsACorpus() {
        #expect(Self.fixtures.count >= 20)
    }

    @Test(arguments: fixtures)
    func failsCleanlyWithALocation(_ name: String) throws {
        let directory = try Binary.temporaryDirectory()
        let db = directory.appendingPathComponent("m.db").path
        let path = "Tests/Fixtures/malformed/\(name)"
        let output = try Binary.run(["run", path, "--db", db])
        #expect(output.status == 1, "\(name): exit \(output.status)\n\(output.stderr)")
        let pattern = try Regex("\(NSRegularExpression.escapedPattern(for: path)):[0-9]+:[0-9]+: error: ")
        #expect(output.stderr.contains(pattern), "\(name):\n\(output.stderr)")
        #expect(try Binary.sqlite(db, "SELECT count(*) FROM cells WHERE status = 'error';") == "1")
        #expect(try Binary.sqlite(db, "PRAGMA integrity_check;") == "ok")
    }

    @Test func errorsPointAtTheLineInTheFile() throws {
        let directory = try Binary.temporaryDirectory()
        let db = directory.appendingPathComponent("m.db").path
        let output = try Binary.run(["run", "Tests/Fixtures/malformed/unknown-name.grad", "--db", db])
        #expect(output.stderr.contains("unknown-name.grad:4:5: error: unknown name 'ww'"), "\(output.stderr)")
        #expect(output.stderr.contains("did you mean 'w'?"))
    }

    @Test func invalidUTF8IsRefusedWithoutRunningAnything() throws {
        let directory = try Binary.temporaryDirectory()
        let notebook = directory.appendingPathComponent("bytes.grad")
        try Data([0x23, 0x20, 0x25, 0x25, 0x0a, 0x78, 0x20, 0x3d, 0x20, 0xff, 0xfe, 0x0a]).write(to: notebook)
        let db = directory.appendingPathComponent("m.db").path
        let output = try Binary.run(["run", notebook.path, "--db", db])
        #expect(output.status == 1)
        #expect(output.stderr.contains("UTF-8"), "\(output.stderr)")
        #expect(try Binary.sqlite(db, "PRAGMA integrity_check;") == "ok")
    }

    @Test func allowErrorsRunsEveryCell() throws {
        let directory = try Binary.temporaryDirectory()
        let notebook = directory.appendingPathComponent("two.grad")
        try "# %%\nx = nope\n# %%\ny = 2\n".write(to: notebook, atomically: true, encoding: .utf8)
        let db = directory.appendingPathComponent("m.db").path
        let output = try Binary.run(["run", notebook.path, "--db", db, "--allow-errors"])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("y = 2"))
    }
}
