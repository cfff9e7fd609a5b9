import GradJSON

/// What every channel of one kernel shares: the codec (keys, session, replay guard), the kernel
/// info, the lifecycle and the log. Sendable, so the control thread gets a copy.
public struct KernelCore: Sendable {
    public let codec: MessageCodec
    public let kernelInfo: KernelInfo
    public let lifecycle: KernelLifecycle
    public let log: KernelLog

    public init(codec: MessageCodec, kernelInfo: KernelInfo, lifecycle: KernelLifecycle, log: KernelLog = .standardError) {
        self.codec = codec
        self.kernelInfo = kernelInfo
        self.lifecycle = lifecycle
        self.log = log
    }

    /// The one dispatch every request goes through, on every channel: verify and decode, publish
    /// `busy` parented to the request, let `handle` answer it, publish `idle`. Messages that fail
    /// verification are logged and dropped without any answer.
    func serve(_ frames: [[UInt8]], on channel: KernelChannel, transport: any KernelTransport,
               handle: (RequestScope) -> Void) {
        let request: JupyterMessage
        switch codec.decode(frames) {
        case .failure(let rejection):
            log("dropped a message on \(channel.rawValue): \(rejection)")
            return
        case .success(let message):
            request = message
        }
        let scope = RequestScope(core: self, request: request, channel: channel, transport: transport)
        scope.publish("status", ["execution_state": "busy"])
        handle(scope)
        scope.publish("status", ["execution_state": "idle"])
    }

    /// Requests both shell and control answer the same way; false when `scope` is not one of them.
    func handleCommonRequest(_ scope: RequestScope) -> Bool {
        switch scope.request.msgType {
        case "kernel_info_request":
            scope.reply("kernel_info_reply", kernelInfo.replyContent)
        case "interrupt_request":
            lifecycle.interrupt()
            scope.reply("interrupt_reply", ["status": "ok"])
        case "shutdown_request":
            let restart = scope.request.content["restart"]?.boolValue ?? false
            let content: [String: JSONValue] = ["status": "ok", "restart": .bool(restart)]
            scope.reply("shutdown_reply", content)
            // Older clients listen for the shutdown on IOPub, as ipykernel broadcasts it.
            scope.publish("shutdown_reply", content)
            lifecycle.requestShutdown(restart: restart)
        default:
            return false
        }
        return true
    }
}

/// Sends messages parented to one request: replies on the request's channel, outputs on IOPub.
struct RequestScope {
    let core: KernelCore
    let request: JupyterMessage
    let channel: KernelChannel
    let transport: any KernelTransport

    func reply(_ msgType: String, _ content: [String: JSONValue], metadata: [String: JSONValue] = [:]) {
        let frames = core.codec.encode(msgType: msgType, content: content, parent: request, metadata: metadata,
                                       identities: request.identities)
        transport.send(frames, on: channel)
    }

    func publish(_ msgType: String, _ content: [String: JSONValue]) {
        // The PUB topic: subscribers filter on it; Jupyter clients subscribe to everything.
        let frames = core.codec.encode(msgType: msgType, content: content, parent: request,
                                       identities: [Array(msgType.utf8)])
        transport.send(frames, on: .iopub)
    }

    func replyError(_ msgType: String, ename: String, evalue: String, extra: [String: JSONValue] = [:]) {
        var content: [String: JSONValue] = ["status": "error", "ename": .string(ename), "evalue": .string(evalue), "traceback": []]
        content.merge(extra) { _, new in new }
        reply(msgType, content)
    }
}
