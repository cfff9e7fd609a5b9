import GradJSON

/// Answers the shell channel: runs the interpreter, one request at a time, on the thread that
/// owns it.
public final class ShellDispatcher {
    private let core: KernelCore
    private let interpreter: any JupyterInterpreter
    private let transport: any KernelTransport
    public private(set) var state = ExecutionState()
    private var hasShutDown = false

    public init(core: KernelCore, interpreter: any JupyterInterpreter, transport: any KernelTransport) {
        self.core = core
        self.interpreter = interpreter
        self.transport = transport
    }

    /// True after a failed execute with stop_on_error: the loop should feed the requests that were
    /// queued while the cell ran (`takeQueuedAtFailure()`; their executes are aborted) and then
    /// call `queueDrained()`.
    public var isAborting: Bool { state.isAborting }

    /// Reads the requests already waiting on the shell socket, without blocking. The dispatcher
    /// calls it when a cell fails, BEFORE replying, so only requests sent while the cell ran are
    /// aborted, never one a client sends after it has seen the error reply.
    public var readQueuedRequests: () -> [[[UInt8]]] = { [] }
    private var queuedAtFailure: [[[UInt8]]] = []

    public func takeQueuedAtFailure() -> [[[UInt8]]] {
        defer { queuedAtFailure = [] }
        return queuedAtFailure
    }

    public func queueDrained() {
        state.queueDrained()
    }

    public var shutdownRequest: KernelLifecycle.ShutdownRequest? { core.lifecycle.shutdownRequest }

    /// Lets the interpreter close down, once, after a shutdown request (from either channel).
    public func finishShutdown() {
        guard !hasShutDown, let request = core.lifecycle.shutdownRequest else { return }
        hasShutDown = true
        interpreter.shutdown(restart: request.restart)
    }

    public func receive(_ frames: [[UInt8]]) {
        core.serve(frames, on: .shell, transport: transport) { scope in
            switch scope.request.msgType {
            case "execute_request": execute(scope)
            case "complete_request": complete(scope)
            case "inspect_request": inspect(scope)
            case "is_complete_request": isComplete(scope)
            case "history_request": history(scope)
            case "comm_info_request": scope.reply("comm_info_reply", ["status": "ok", "comms": [:]])
            case "comm_open":
                // No comm targets exist; the protocol asks to close an unknown comm at once.
                if let commID = scope.request.content["comm_id"]?.stringValue {
                    scope.publish("comm_close", ["comm_id": .string(commID), "data": [:]])
                }
            case "comm_msg", "comm_close":
                break
            default:
                if !core.handleCommonRequest(scope) {
                    core.log("ignored unknown shell message type \"\(scope.request.msgType)\"")
                }
            }
        }
    }

    private func execute(_ scope: RequestScope) {
        let content = scope.request.content
        guard let code = content["code"]?.stringValue else {
            scope.replyError("execute_reply", ename: "InvalidRequest", evalue: "execute_request without \"code\"",
                             extra: ["execution_count": .int(state.executionCount)])
            return
        }
        let silent = content["silent"]?.boolValue ?? false
        let storeHistory = !silent && (content["store_history"]?.boolValue ?? true)
        let stopOnError = content["stop_on_error"]?.boolValue ?? true
        if let byte = scope.request.invalidUTF8Byte {
            // Refused before it runs or takes an execution count: nothing is recorded.
            let error = NotUTF8Cell.error(code: code, byte: byte)
            if stopOnError { queuedAtFailure = readQueuedRequests() }
            scope.publish("error", error.json)
            var reply = error.json
            reply["status"] = "error"
            reply["execution_count"] = .int(state.executionCount)
            reply["payload"] = []
            reply["user_expressions"] = [:]
            scope.reply("execute_reply", reply, metadata: ["status": "error"])
            state.executeFinished(failed: true, stopOnError: stopOnError)
            return
        }

        guard case .run(let count) = state.executeRequested(storeHistory: storeHistory) else {
            scope.reply("execute_reply", ["status": "aborted", "execution_count": .int(state.executionCount)],
                        metadata: ["status": "aborted"])
            return
        }
        if !silent {
            scope.publish("execute_input", ["code": .string(code), "execution_count": .int(count)])
        }
        let publisher = OutputPublisher(executionCount: count, isSilent: silent) { msgType, outputContent in
            scope.publish(msgType, outputContent)
        }
        core.lifecycle.executionStarted()
        let outcome = interpreter.execute(code: code, silent: silent, storeHistory: storeHistory, executionCount: count,
                                          publisher: publisher)
        core.lifecycle.executionEnded()

        switch outcome {
        case .ok(let payload):
            var expressions: [String: JSONValue] = [:]
            for (name, expression) in content["user_expressions"]?.objectValue ?? [:] {
                guard let source = expression.stringValue else { continue }
                expressions[name] = interpreter.evaluateUserExpression(source).json
            }
            scope.reply("execute_reply", [
                "status": "ok",
                "execution_count": .int(count),
                "payload": .array(payload.map(\.json)),
                "user_expressions": .object(expressions),
            ], metadata: ["status": "ok"])
            state.executeFinished(failed: false, stopOnError: stopOnError)
        case .error(let error):
            if stopOnError { queuedAtFailure = readQueuedRequests() }
            scope.publish("error", error.json)
            var reply = error.json
            reply["status"] = "error"
            reply["execution_count"] = .int(count)
            reply["payload"] = []
            reply["user_expressions"] = [:]
            scope.reply("execute_reply", reply, metadata: ["status": "error"])
            state.executeFinished(failed: true, stopOnError: stopOnError)
        }
        interpreter.executeReplied(publisher: publisher)
    }

    private func complete(_ scope: RequestScope) {
        let code = scope.request.content["code"]?.stringValue ?? ""
        let cursor = cursorIndex(scope.request.content, in: code)
        let result = interpreter.complete(code: code, cursorPos: cursor)
        scope.reply("complete_reply", [
            "status": "ok",
            "matches": .array(result.matches.map { .string($0) }),
            "cursor_start": .int(CodePoints.offset(of: result.replacing.lowerBound, in: code)),
            "cursor_end": .int(CodePoints.offset(of: result.replacing.upperBound, in: code)),
            "metadata": .object(result.metadata),
        ])
    }

    private func inspect(_ scope: RequestScope) {
        let code = scope.request.content["code"]?.stringValue ?? ""
        let cursor = cursorIndex(scope.request.content, in: code)
        let detail = scope.request.content["detail_level"]?.intValue == 1 ? 1 : 0
        let result = interpreter.inspect(code: code, cursorPos: cursor, detailLevel: detail)
        scope.reply("inspect_reply", [
            "status": "ok",
            "found": .bool(result != nil),
            "data": .object(result?.data ?? [:]),
            "metadata": .object(result?.metadata ?? [:]),
        ])
    }

    private func isComplete(_ scope: RequestScope) {
        let code = scope.request.content["code"]?.stringValue ?? ""
        scope.reply("is_complete_reply", interpreter.isComplete(code: code).json)
    }

    private func history(_ scope: RequestScope) {
        guard let request = HistoryRequest(content: scope.request.content) else {
            scope.replyError("history_reply", ename: "InvalidRequest",
                             evalue: "hist_access_type must be tail, range or search", extra: ["history": []])
            return
        }
        let entries = interpreter.history(request)
        scope.reply("history_reply", [
            "status": "ok",
            "history": .array(entries.map { $0.json(includingOutput: request.output) }),
        ])
    }

    /// The request's `cursor_pos` as an index; a missing or null cursor means the end of the code.
    private func cursorIndex(_ content: [String: JSONValue], in code: String) -> String.Index {
        guard let offset = content["cursor_pos"]?.intValue else { return code.endIndex }
        return CodePoints.index(in: code, offset: offset)
    }
}
