/// Answers the control channel on its own thread, so that `interrupt_request` and
/// `shutdown_request` never wait behind a running cell.
public struct ControlDispatcher {
    private let core: KernelCore
    private let transport: any KernelTransport

    public init(core: KernelCore, transport: any KernelTransport) {
        self.core = core
        self.transport = transport
    }

    public func receive(_ frames: [[UInt8]]) {
        core.serve(frames, on: .control, transport: transport) { scope in
            if !core.handleCommonRequest(scope) {
                core.log("ignored unknown control message type \"\(scope.request.msgType)\"")
            }
        }
    }
}
