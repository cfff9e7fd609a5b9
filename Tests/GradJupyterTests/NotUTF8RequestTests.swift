import GradJSON
import GradJupyter
import Testing

/// An execute request whose code is not UTF-8 (jupyter_client sends such bytes for a string
/// decoded with `surrogateescape`) is refused like any bad cell, at the place of the bad byte,
/// without running and without taking an execution count.
@Suite struct NotUTF8RequestTests {
    /// A signed execute request whose code is `before`, the raw `bytes`, then `after`.
    func request(_ harness: Harness, before: String, bytes: [UInt8], after: String) throws -> (frames: [[UInt8]], id: String) {
        var (frames, id) = harness.request("execute_request", ["code": .string(before + "@@" + after), "silent": false, "store_history": true,
                                                               "stop_on_error": true, "user_expressions": [:], "allow_stdin": false])
        let delimiter = try #require(frames.firstIndex(of: messageDelimiter))
        let content = frames[delimiter + 5]
        let marker = try #require(content.indices.first { content[$0] == UInt8(ascii: "@") && content[$0 + 1] == UInt8(ascii: "@") })
        frames[delimiter + 5] = Array(content[..<marker]) + bytes + Array(content[(marker + 2)...])
        frames[delimiter + 1] = harness.client.signer.signature(for: Array(frames[(delimiter + 2)...(delimiter + 5)]))
        return (frames, id)
    }

    @Test func theCellIsRefusedAtItsFirstBadByte() throws {
        let harness = Harness()
        let (frames, id) = try request(harness, before: "x = 1\ny = ", bytes: [0xFF], after: " + 2")
        harness.transport.clear()
        harness.shell.receive(frames)
        let messages = harness.transport.sent(decodingWith: harness.client).filter { $0.parentID == id }
        #expect(messages.map(\.msgType) == ["status", "error", "execute_reply", "status"])
        let reply = try #require(messages.first("execute_reply")?.content)
        #expect(reply["status"] == "error")
        #expect(reply["ename"] == "UnicodeDecodeError")
        #expect(reply["evalue"] == "not UTF-8: byte 0xFF here is not part of a valid UTF-8 character (line 2, column 5)")
        #expect(reply["traceback"] == ["2:5: error: not UTF-8: byte 0xFF here is not part of a valid UTF-8 character",
                                       "y = \u{FFFD} + 2", "    ^", "help: send the cell as UTF-8 text"])
        #expect(reply["execution_count"] == 0)
        #expect(messages.first("error")?.content["ename"] == "UnicodeDecodeError")
        #expect(harness.interpreter.calls.current.isEmpty, "the cell did not run")
        // Like a failed cell, it aborts what was queued behind it (stop_on_error).
        #expect(harness.execute("ok").first("execute_reply")?.content["status"] == "aborted")
    }

    @Test func utf8CellsAreNotFlagged() throws {
        let harness = Harness()
        let (frames, _) = try request(harness, before: "x = \"caf", bytes: [0xC3, 0xA9], after: "\"")
        harness.shell.receive(frames)
        #expect(harness.interpreter.calls.current.map(\.code) == ["x = \"café\""])
    }
}
