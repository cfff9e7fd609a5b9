import Foundation
import GradNotebook
import Testing

/// A notebook file that is not UTF-8 is refused with the place of its first bad byte, in both
/// formats (an .ipynb's JSON strings would otherwise read such bytes as U+FFFD).
@Suite struct NotUTF8Tests {
    func read(_ bytes: [UInt8], name: String) throws -> NotebookError? {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gradbook-utf8-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            _ = try Notebook.read(path: path)
            return nil
        } catch let error as NotebookError {
            if case .notUTF8(let where_, _, _, let rendered) = error {
                #expect(where_ == path)
                #expect(rendered.hasPrefix(path + ":"), "\(rendered)")
            }
            return error
        }
    }

    func location(_ error: NotebookError?) -> String? {
        guard case .notUTF8(_, let line, let column, _)? = error else { return nil }
        return "\(line):\(column)"
    }

    @Test func aPercentNotebook() throws {
        let bytes = Array("# %%\nx = 1\n# %%\ny = 2 # \u{00E9}t\u{00E9}".utf8) + [0xE9] + Array("\n".utf8)
        #expect(location(try read(bytes, name: "latin.grad")) == "4:12")
    }

    @Test func anIpynbNotebook() throws {
        let bytes = Array("{\n \"cells\": [{\"cell_type\": \"code\", \"source\": \"x = ".utf8) + [0xFF] + Array("\"}],\n \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}\n".utf8)
        #expect(location(try read(bytes, name: "bytes.ipynb")) == "2:49")
    }

    @Test func utf8NotebooksStillRead() throws {
        #expect(try read(Array("# %%\nx = 1  # café\n".utf8), name: "fine.grad") == nil)
    }
}
