import CZMQ
import GradJupyter

/// The control channel on its own thread: interrupt and shutdown are answered while a cell runs.
/// Once a second it also checks that the process that started the kernel is alive, and shuts the
/// kernel down when it is not.
enum ControlLoop {
    /// The shell thread listens here to wake up when shutdown is requested on control.
    static let wakeEndpoint = "inproc://gradbook-wake"

    static func run(context: ZMQContext, endpoint: String, isIPv6: Bool, iopub: IOPubSocket, core: KernelCore, parentWatch: ParentWatch?,
                    ready: (String?) -> Void) {
        let control: ZMQSocket
        let wake: ZMQSocket
        do {
            control = try ZMQSocket(context, type: ZMQ_ROUTER)
            // A client that reconnects with the same identity takes over its route (as ipykernel does).
            try control.setOption(ZMQ_ROUTER_HANDOVER, 1)
            if isIPv6 { try control.setOption(ZMQ_IPV6, 1) }
            try control.bind(endpoint)
            wake = try ZMQSocket(context, type: ZMQ_PAIR)
            try wake.connect(wakeEndpoint)
        } catch {
            ready("\(error)")
            return
        }
        defer {
            wake.close()
            control.close()
        }
        ready(nil)
        let dispatcher = ControlDispatcher(
            core: core, transport: ZMQTransport(replyChannel: .control, replySocket: control, iopub: iopub, log: core.log))
        var shellWoken = false
        do {
            while true {
                let readable = try ZMQSocket.poll([control], timeoutMilliseconds: parentWatch == nil ? -1 : 1_000)
                if readable[0] {
                    while let frames = try control.receive(dontWait: true) {
                        dispatcher.receive(frames)
                    }
                    iopub.welcomeAfterSends()
                }
                if let parentWatch, parentWatch.parentIsGone, core.lifecycle.shutdownRequest == nil {
                    core.log("the process that started the kernel is gone; shutting down")
                    core.lifecycle.requestShutdown(restart: false)
                }
                if !shellWoken, core.lifecycle.shutdownRequest != nil {
                    try wake.send([[1]])
                    shellWoken = true
                }
            }
        } catch let error as ZMQError where error.isTerminated {
            return
        } catch {
            core.log("control channel stopped: \(error)")
            core.lifecycle.requestShutdown(restart: false)
            _ = try? wake.send([[1]], dontWait: true)
        }
    }
}
