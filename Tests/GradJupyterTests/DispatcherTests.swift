import Foundation
import GradJSON
import GradJupyter
import Testing

@Suite struct DispatcherTests {
    @Test func kernelInfoIsWrappedInBusyAndIdle() {
        let harness = Harness()
        let messages = harness.shellRequest("kernel_info_request")
        #expect(messages.map(\.msgType) == ["status", "kernel_info_reply", "status"])
        #expect(messages.first?.content["execution_state"] == "busy")
        #expect(messages.last?.content["execution_state"] == "idle")
        let reply = messages.reply
        #expect(reply?.channel == .shell)
        #expect(reply?.content["protocol_version"] == "5.3")
        #expect(reply?.content["status"] == "ok")
        #expect(reply?.content["implementation"] == "scripted")
        #expect(reply?.content["language_info"]?["file_extension"] == ".scr")
        #expect(reply?.content["help_links"] == [["text": "docs", "url": "https://example.org"]])
        #expect(reply?.message.header["version"] == "5.3")
        #expect(reply?.message.identities == [Array("client-id".utf8)])
    }

    @Test func kernelInfoOnControlRepliesOnControl() {
        let harness = Harness()
        let messages = harness.controlRequest("kernel_info_request")
        #expect(messages.map(\.msgType) == ["status", "kernel_info_reply", "status"])
        #expect(messages.reply?.channel == .control)
    }

    @Test func executeSendsInputOutputsResultAndReplyInOrder() {
        let harness = Harness()
        let messages = harness.execute("result 42")
        #expect(messages.map(\.msgType) == ["status", "execute_input", "execute_result", "execute_reply", "status"])
        #expect(messages.first("execute_input")?.content == ["code": "result 42", "execution_count": 1])
        #expect(messages.first("execute_result")?.content["data"] == ["text/plain": "42"])
        #expect(messages.first("execute_result")?.content["execution_count"] == 1)
        let reply = messages.first("execute_reply")?.content
        #expect(reply?["status"] == "ok")
        #expect(reply?["execution_count"] == 1)
        #expect(reply?["payload"] == [])
        #expect(reply?["user_expressions"] == [:])
    }

    @Test func workAfterTheReplyComesBeforeIdleForEveryCellThatRan() {
        let harness = Harness()
        let late = harness.execute("late")
        #expect(late.map(\.msgType) == ["status", "execute_input", "execute_reply", "stream", "status"])
        #expect(late.first("stream")?.content == ["name": "stderr", "text": "after the reply"])
        _ = harness.execute("result 1", silent: true)
        _ = harness.execute("fail oops")
        // A cell aborted after the failure never ran, so nothing follows its reply.
        #expect(harness.execute("late aborted").first("execute_reply")?.content["status"] == "aborted")
        #expect(harness.interpreter.replied.current == ["late", "result 1", "fail oops"])
    }

    @Test func executionCountAdvancesOnlyForStoredNonSilentCells() {
        let harness = Harness()
        #expect(harness.execute("ok").first("execute_reply")?.content["execution_count"] == 1)
        #expect(harness.execute("ok", storeHistory: false).first("execute_reply")?.content["execution_count"] == 1)
        let silent = harness.execute("result 5", silent: true)
        #expect(silent.first("execute_reply")?.content["execution_count"] == 1)
        #expect(silent.iopubTypes == ["status", "status"], "silent cells publish neither execute_input nor execute_result")
        #expect(harness.execute("ok").first("execute_reply")?.content["execution_count"] == 2)
        #expect(harness.interpreter.calls.current.map(\.executionCount) == [1, 1, 1, 2])
        #expect(harness.interpreter.calls.current.map(\.storeHistory) == [true, false, false, true])
        #expect(harness.interpreter.calls.current.map(\.silent) == [false, false, true, false])
    }

    @Test func streamsAndDisplaysAreParentedToTheRequest() {
        let harness = Harness()
        let printed = harness.execute("print hello")
        #expect(printed.first("stream")?.content == ["name": "stdout", "text": "hello"])
        let displayed = harness.execute("display chart")
        #expect(displayed.iopubTypes == ["status", "execute_input", "display_data", "update_display_data", "status"])
        #expect(displayed.first("display_data")?.content["transient"] == ["display_id": "d1"])
        #expect(displayed.first("update_display_data")?.content["data"] == ["text/plain": "chart!"])
    }

    @Test func anErrorIsTheOnlyOutputAndTheReplyCarriesIt() {
        let harness = Harness()
        let messages = harness.execute("fail oops")
        #expect(messages.iopubTypes == ["status", "execute_input", "error", "status"])
        let error = messages.first("error")?.content
        #expect(error == ["ename": "Boom", "evalue": "oops", "traceback": ["line 1", "  ^"]])
        let reply = messages.first("execute_reply")?.content
        #expect(reply?["status"] == "error")
        #expect(reply?["ename"] == "Boom")
        #expect(reply?["traceback"] == ["line 1", "  ^"])
        #expect(reply?["execution_count"] == 1)
    }

    @Test func aFailedCellAbortsQueuedExecutesUntilTheQueueDrains() {
        let harness = Harness()
        _ = harness.execute("fail first")
        #expect(harness.shell.isAborting)
        let aborted = harness.execute("result never")
        #expect(aborted.map(\.msgType) == ["status", "execute_reply", "status"])
        #expect(aborted.first("execute_reply")?.content["status"] == "aborted")
        // Other requests are still answered while aborting.
        #expect(harness.shellRequest("is_complete_request", ["code": "x"]).reply?.content["status"] == "complete")
        harness.shell.queueDrained()
        #expect(!harness.shell.isAborting)
        #expect(harness.execute("result 2").first("execute_reply")?.content["status"] == "ok")
        #expect(harness.interpreter.calls.current.map(\.code) == ["fail first", "result 2"])
    }

    @Test func stopOnErrorFalseKeepsRunning() {
        let harness = Harness()
        _ = harness.execute("fail first", stopOnError: false)
        #expect(!harness.shell.isAborting)
        #expect(harness.execute("ok").first("execute_reply")?.content["status"] == "ok")
    }

    @Test func userExpressionsAndPayloadsAreInTheReply() {
        let harness = Harness()
        let reply = harness.execute("ok", userExpressions: ["a": "x", "b": "bad"]).first("execute_reply")?.content
        #expect(reply?["user_expressions"]?["a"] == ["status": "ok", "data": ["text/plain": "value of x"], "metadata": [:]])
        #expect(reply?["user_expressions"]?["b"]?["status"] == "error")
        let paged = harness.execute("page some help").first("execute_reply")?.content
        #expect(paged?["payload"] == [["source": "page", "data": ["text/plain": "some help"], "start": 0]])
    }

    @Test func executeWithoutCodeIsAnErrorReply() {
        let harness = Harness()
        let messages = harness.shellRequest("execute_request", ["silent": false])
        #expect(messages.map(\.msgType) == ["status", "execute_reply", "status"])
        #expect(messages.reply?.content["status"] == "error")
        #expect(harness.interpreter.calls.current.isEmpty)
    }

    @Test func completionCursorsCountCodePoints() {
        let harness = Harness()
        // "😀" is one code point (two UTF-16 units, four bytes); "é" written as e + U+0301 is two.
        let code = "😀 e\u{301} alp"
        let reply = harness.shellRequest("complete_request", ["code": .string(code), "cursor_pos": 8]).reply?.content
        #expect(reply?["matches"] == ["alpha", "alphabet"])
        #expect(reply?["cursor_start"] == 5)
        #expect(reply?["cursor_end"] == 8)
        #expect(reply?["metadata"] == ["source": "test"])
        #expect(reply?["status"] == "ok")
        // A missing cursor means the end; one past the end is clamped.
        #expect(harness.shellRequest("complete_request", ["code": "ab"]).reply?.content["cursor_end"] == 2)
        #expect(harness.shellRequest("complete_request", ["code": "ab", "cursor_pos": 99]).reply?.content["cursor_end"] == 2)
    }

    @Test func inspectReportsFoundOrNot() {
        let harness = Harness()
        let found = harness.shellRequest("inspect_request", ["code": "😀known", "cursor_pos": 1, "detail_level": 1]).reply?.content
        #expect(found?["found"] == true)
        #expect(found?["data"] == ["text/plain": "known thing, detail 1, before cursor: 😀"])
        let missing = harness.shellRequest("inspect_request", ["code": "nothing", "cursor_pos": 3, "detail_level": 0]).reply?.content
        #expect(missing?["found"] == false)
        #expect(missing?["status"] == "ok")
    }

    @Test func isCompleteCoversEveryStatus() {
        let harness = Harness()
        func status(_ code: String) -> [String: JSONValue]? {
            harness.shellRequest("is_complete_request", ["code": .string(code)]).reply?.content
        }
        #expect(status("x = 1") == ["status": "complete"])
        #expect(status("f(") == ["status": "incomplete", "indent": "  "])
        #expect(status(")") == ["status": "invalid"])
        #expect(status("?") == ["status": "unknown"])
    }

    @Test func historyRequestsArePassedOnAndAnswered() {
        let harness = Harness()
        let tail = harness.shellRequest("history_request", ["hist_access_type": "tail", "n": 2, "output": false, "raw": true])
        #expect(tail.reply?.content["history"] == [[7, 1, "a"], [7, 2, "b"]])
        let withOutput = harness.shellRequest("history_request", ["hist_access_type": "range", "session": 7, "start": 1,
                                                                  "stop": 3, "output": true, "raw": false])
        #expect(withOutput.reply?.content["history"] == [[7, 1, ["a", "1"]], [7, 2, ["b", nil]]])
        _ = harness.shellRequest("history_request", ["hist_access_type": "search", "pattern": "a*", "unique": true, "n": 3,
                                                     "output": false, "raw": true])
        #expect(harness.interpreter.historyRequests.current.map(\.access) == [
            .tail(n: 2), .range(session: 7, start: 1, stop: 3), .search(pattern: "a*", n: 3, unique: true),
        ])
        let invalid = harness.shellRequest("history_request", ["hist_access_type": "sideways"])
        #expect(invalid.reply?.content["status"] == "error")
    }

    @Test func commInfoIsEmptyAndUnknownCommsAreClosed() {
        let harness = Harness()
        #expect(harness.shellRequest("comm_info_request").reply?.content == ["status": "ok", "comms": [:]])
        let opened = harness.shellRequest("comm_open", ["comm_id": "c1", "target_name": "widgets", "data": [:]])
        #expect(opened.map(\.msgType) == ["status", "comm_close", "status"])
        #expect(opened.first("comm_close")?.content == ["comm_id": "c1", "data": [:]])
    }

    @Test func unknownTypesGetBusyIdleNoReplyAndALogLine() {
        let harness = Harness()
        let messages = harness.shellRequest("frobnicate_request")
        #expect(messages.map(\.msgType) == ["status", "status"])
        #expect(harness.logLines.current.contains { $0.contains("frobnicate_request") })
    }

    @Test func misSignedAndUnsignedMessagesAreDroppedUnansweredAndLogged() {
        let harness = Harness()
        let stranger = MessageCodec(signer: MessageSigner(key: Array("wrong key".utf8)))
        harness.shell.receive(stranger.encode(msgType: "execute_request", content: ["code": "result 1"], parent: nil, identities: [[9]]))
        let unsigned = MessageCodec(signer: MessageSigner(key: []))
        harness.control.receive(unsigned.encode(msgType: "shutdown_request", content: ["restart": false], parent: nil, identities: [[9]]))
        #expect(harness.transport.rawFrames.isEmpty)
        #expect(harness.interpreter.calls.current.isEmpty)
        #expect(harness.core.lifecycle.shutdownRequest == nil)
        #expect(harness.logLines.current.count == 2)
        #expect(harness.logLines.current.allSatisfy { $0.contains("wrong or missing signature") })
    }

    @Test func aReplayedRequestIsDropped() {
        let harness = Harness()
        let (frames, _) = harness.request("execute_request", ["code": "result 1"])
        harness.shell.receive(frames)
        harness.shell.receive(frames)
        #expect(harness.interpreter.calls.current.count == 1)
        #expect(harness.logLines.current.contains { $0.contains("replayed") })
    }

    @Test func anUnauthenticatedKernelAcceptsUnsignedMessages() {
        let harness = Harness(key: "")
        let unsigned = MessageCodec(signer: MessageSigner(key: []))
        harness.shell.receive(unsigned.encode(msgType: "kernel_info_request", content: [:], parent: nil, identities: [[9]]))
        let sent = harness.transport.sent(decodingWith: unsigned)
        #expect(sent.map(\.msgType) == ["status", "kernel_info_reply", "status"])
        #expect(harness.transport.rawFrames.allSatisfy { _, frames in frames.firstIndex(of: messageDelimiter).map { frames[$0 + 1].isEmpty } ?? false })
    }

    @Test func shutdownOnControlRepliesBroadcastsAndLetsTheShellFinish() {
        let harness = Harness()
        let messages = harness.controlRequest("shutdown_request", ["restart": true])
        #expect(messages.map(\.msgType) == ["status", "shutdown_reply", "shutdown_reply", "status"])
        #expect(messages.reply?.channel == .control)
        #expect(messages.reply?.content == ["status": "ok", "restart": true])
        #expect(harness.shell.shutdownRequest == KernelLifecycle.ShutdownRequest(restart: true))
        harness.shell.finishShutdown()
        harness.shell.finishShutdown()
        #expect(harness.interpreter.shutdowns.current == [true])
    }

    @Test func shutdownOnShellIsAcceptedToo() {
        let harness = Harness()
        #expect(harness.shellRequest("shutdown_request", ["restart": false]).reply?.content["status"] == "ok")
        #expect(harness.shell.shutdownRequest == KernelLifecycle.ShutdownRequest(restart: false))
    }

    @Test func interruptWhileIdleIsAcknowledgedAndReachesNoCell() {
        let harness = Harness()
        let messages = harness.controlRequest("interrupt_request")
        #expect(messages.map(\.msgType) == ["status", "interrupt_reply", "status"])
        #expect(messages.reply?.content == ["status": "ok"])
        #expect(!harness.core.lifecycle.interrupt())
    }

    @Test(.timeLimit(.minutes(5))) func interruptOnControlStopsALongExecute() async throws {
        let harness = Harness()
        let (frames, executeID) = harness.request("execute_request", ["code": "wait"])
        let (core, interpreter, transport) = (harness.core, harness.interpreter, harness.transport)
        let finished = Locked(false)
        let worker = Thread {
            // The shell dispatcher lives on the thread that runs the cell, as in the kernel.
            ShellDispatcher(core: core, interpreter: interpreter, transport: transport).receive(frames)
            finished.withLock { $0 = true }
        }
        worker.start()
        while !harness.interpreter.waiting.current { try await Task.sleep(for: .milliseconds(1)) }
        let (interrupt, interruptID) = harness.request("interrupt_request")
        harness.control.receive(interrupt)
        // The fake cell runs until it sees the interrupt (it gives up only after minutes, with another error).
        while !finished.current { try await Task.sleep(for: .milliseconds(1)) }

        let sent = harness.transport.sent(decodingWith: harness.client)
        let interruptReply = sent.first { $0.parentID == interruptID && $0.msgType == "interrupt_reply" }
        #expect(interruptReply?.channel == .control)
        let executeMessages = sent.filter { $0.parentID == executeID }
        #expect(executeMessages.map(\.msgType) == ["status", "execute_input", "error", "execute_reply", "status"])
        #expect(executeMessages.first("execute_reply")?.content["ename"] == "KeyboardInterrupt")
    }
}

@Suite struct ExecutionStateTests {
    @Test func countsAbortsAndRecovers() {
        var state = ExecutionState()
        #expect(state.executeRequested(storeHistory: true) == .run(executionCount: 1))
        #expect(state.executeRequested(storeHistory: false) == .run(executionCount: 1))
        state.executeFinished(failed: true, stopOnError: false)
        #expect(!state.isAborting)
        state.executeFinished(failed: true, stopOnError: true)
        #expect(state.executeRequested(storeHistory: true) == .abort)
        #expect(state.executionCount == 1, "aborted cells take no number")
        state.queueDrained()
        #expect(state.executeRequested(storeHistory: true) == .run(executionCount: 2))
    }
}
