import Foundation
import GradJSON
import GradJupyter

/// One message the kernel sent, decoded.
struct SentMessage: Sendable {
    var channel: KernelChannel
    var message: JupyterMessage

    var msgType: String { message.msgType }
    var parentID: String? { message.parentHeader["msg_id"]?.stringValue }
    var content: [String: JSONValue] { message.content }
}

/// Records what the kernel sends, per channel; safe to share with a thread running a cell.
final class InMemoryTransport: KernelTransport, Sendable {
    private let frames = Locked<[(KernelChannel, [[UInt8]])]>([])

    func send(_ frames: [[UInt8]], on channel: KernelChannel) {
        self.frames.withLock { $0.append((channel, frames)) }
    }

    var rawFrames: [(KernelChannel, [[UInt8]])] { frames.current }

    /// Decodes everything sent so far with the client's codec (which also checks the signatures).
    func sent(decodingWith codec: MessageCodec) -> [SentMessage] {
        rawFrames.compactMap { channel, frames in
            guard case .success(let message) = codec.decode(frames) else { return nil }
            return SentMessage(channel: channel, message: message)
        }
    }

    func clear() {
        frames.withLock { $0.removeAll() }
    }
}

/// An interpreter whose behaviour is chosen by the cell's code, recording how it was called.
final class ScriptedInterpreter: JupyterInterpreter, Sendable {
    struct Call: Sendable, Equatable {
        var code: String
        var silent: Bool
        var storeHistory: Bool
        var executionCount: Int
    }

    let calls = Locked<[Call]>([])
    let shutdowns = Locked<[Bool]>([])
    let historyRequests = Locked<[HistoryRequest]>([])
    /// The code of each cell whose `executeReplied` came.
    let replied = Locked<[String]>([])
    private let interrupted = Locked(false)
    /// Set while a `wait` cell runs, so a test knows when to interrupt it.
    let waiting = Locked(false)

    var kernelInfo: KernelInfo {
        KernelInfo(implementation: "scripted", implementationVersion: "1.0",
                   languageInfo: LanguageInfo(name: "scripted", version: "1.0", mimetype: "text/x-scripted",
                                              fileExtension: ".scr", pygmentsLexer: "python", codemirrorMode: "python"),
                   banner: "scripted test interpreter", helpLinks: [HelpLink(text: "docs", url: "https://example.org")])
    }

    var interruptHandler: @Sendable () -> Void {
        let flag = interrupted
        return { flag.withLock { $0 = true } }
    }

    func execute(code: String, silent: Bool, storeHistory: Bool, executionCount: Int,
                 publisher: OutputPublisher) -> ExecuteOutcome {
        calls.withLock { $0.append(Call(code: code, silent: silent, storeHistory: storeHistory, executionCount: executionCount)) }
        interrupted.withLock { $0 = false }
        let (word, rest) = code.firstIndex(of: " ").map { (String(code[..<$0]), String(code[code.index(after: $0)...])) }
            ?? (code, "")
        switch word {
        case "result":
            publisher.result(["text/plain": .string(rest)])
        case "print":
            publisher.stream(.stdout, rest)
        case "display":
            publisher.display(["text/plain": .string(rest)], displayID: "d1")
            publisher.updateDisplay(["text/plain": .string(rest + "!")], displayID: "d1")
        case "page":
            return .ok(payload: [.page(data: ["text/plain": .string(rest)], start: 0)])
        case "fail":
            return .error(ExecutionError(ename: "Boom", evalue: rest, traceback: ["line 1", "  ^"]))
        case "wait":
            waiting.withLock { $0 = true }
            defer { waiting.withLock { $0 = false } }
            let deadline = Date().addingTimeInterval(300)
            while Date() < deadline {
                if interrupted.current {
                    return .error(ExecutionError(ename: "KeyboardInterrupt", evalue: "interrupted", traceback: []))
                }
                Thread.sleep(forTimeInterval: 0.001)
            }
            return .error(ExecutionError(ename: "Timeout", evalue: "never interrupted", traceback: []))
        default:
            break
        }
        return .ok()
    }

    /// A `late` cell publishes one more stream once it has been answered.
    func executeReplied(publisher: OutputPublisher) {
        guard let code = calls.current.last?.code else { return }
        replied.withLock { $0.append(code) }
        if code.hasPrefix("late") { publisher.stream(.stderr, "after the reply") }
    }

    /// Completes the identifier before the cursor with "alpha", to check code-point cursors.
    func complete(code: String, cursorPos: String.Index) -> CompletionResult {
        var start = cursorPos
        while start > code.startIndex, code[code.index(before: start)].isLetter { start = code.index(before: start) }
        return CompletionResult(matches: ["alpha", "alphabet"], replacing: start..<cursorPos, metadata: ["source": "test"])
    }

    func inspect(code: String, cursorPos: String.Index, detailLevel: Int) -> InspectionResult? {
        guard code.contains("known") else { return nil }
        return InspectionResult(data: ["text/plain": .string("known thing, detail \(detailLevel), before cursor: \(code[..<cursorPos])")])
    }

    func isComplete(code: String) -> CodeCompleteness {
        if code.hasSuffix("(") { return .incomplete(indent: "  ") }
        if code.hasPrefix(")") { return .invalid }
        if code == "?" { return .unknown }
        return .complete
    }

    func history(_ request: HistoryRequest) -> [HistoryEntry] {
        historyRequests.withLock { $0.append(request) }
        return [HistoryEntry(session: 7, line: 1, input: "a", output: "1"), HistoryEntry(session: 7, line: 2, input: "b")]
    }

    func evaluateUserExpression(_ expression: String) -> UserExpressionResult {
        expression == "bad" ? .error(ExecutionError(ename: "NameError", evalue: "bad", traceback: []))
            : .value(["text/plain": .string("value of \(expression)")])
    }

    func shutdown(restart: Bool) {
        shutdowns.withLock { $0.append(restart) }
    }
}

/// A kernel core, both dispatchers and a client, all in memory.
struct Harness {
    static let key = "secret"

    let interpreter = ScriptedInterpreter()
    let transport = InMemoryTransport()
    let logLines = Locked<[String]>([])
    let core: KernelCore
    let shell: ShellDispatcher
    let control: ControlDispatcher
    /// The client's side: same key, its own session and replay memory.
    let client = MessageCodec(signer: MessageSigner(key: Array(Harness.key.utf8)), session: "client-session", username: "tester")

    init(key: String = Harness.key) {
        let lines = logLines
        core = KernelCore(codec: MessageCodec(signer: MessageSigner(key: Array(key.utf8))), kernelInfo: interpreter.kernelInfo,
                          lifecycle: KernelLifecycle(interruptHandler: interpreter.interruptHandler),
                          log: KernelLog { line in lines.withLock { $0.append(line) } })
        shell = ShellDispatcher(core: core, interpreter: interpreter, transport: transport)
        control = ControlDispatcher(core: core, transport: transport)
    }

    /// A signed request as a client sends it, and its msg_id.
    func request(_ msgType: String, _ content: [String: JSONValue] = [:]) -> (frames: [[UInt8]], id: String) {
        let frames = client.encode(msgType: msgType, content: content, parent: nil, identities: [Array("client-id".utf8)])
        guard case .success(let message) = client.decode(frames) else { return (frames, "") }
        // Decoding admitted the signature into the client's replay memory; the kernel has its own.
        return (frames, message.msgID)
    }

    /// Sends a request on the shell channel and returns the messages parented to it.
    @discardableResult
    func shellRequest(_ msgType: String, _ content: [String: JSONValue] = [:]) -> [SentMessage] {
        let (frames, id) = request(msgType, content)
        transport.clear()
        shell.receive(frames)
        return transport.sent(decodingWith: client).filter { $0.parentID == id }
    }

    @discardableResult
    func controlRequest(_ msgType: String, _ content: [String: JSONValue] = [:]) -> [SentMessage] {
        let (frames, id) = request(msgType, content)
        transport.clear()
        control.receive(frames)
        return transport.sent(decodingWith: client).filter { $0.parentID == id }
    }

    func execute(_ code: String, silent: Bool = false, storeHistory: Bool = true, stopOnError: Bool = true,
                 userExpressions: [String: JSONValue] = [:]) -> [SentMessage] {
        shellRequest("execute_request", ["code": .string(code), "silent": .bool(silent), "store_history": .bool(storeHistory),
                                         "stop_on_error": .bool(stopOnError), "user_expressions": .object(userExpressions),
                                         "allow_stdin": false])
    }
}

extension Array where Element == SentMessage {
    var iopubTypes: [String] { filter { $0.channel == .iopub }.map(\.msgType) }
    func first(_ msgType: String) -> SentMessage? { first { $0.msgType == msgType } }
    var reply: SentMessage? { first { $0.channel != .iopub } }
}
