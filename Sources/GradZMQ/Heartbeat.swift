import CZMQ
import GradJupyter

/// Echoes every heartbeat ping on its own thread, so the kernel looks alive while a cell runs.
/// The same thread greets new IOPub subscribers, since it is otherwise idle.
enum Heartbeat {
    static func run(context: ZMQContext, endpoint: String, isIPv6: Bool, iopub: IOPubSocket, log: KernelLog,
                    ready: (String?) -> Void) {
        let socket: ZMQSocket
        do {
            socket = try ZMQSocket(context, type: ZMQ_REP)
            if isIPv6 { try socket.setOption(ZMQ_IPV6, 1) }
            try socket.bind(endpoint)
        } catch {
            ready("\(error)")
            return
        }
        defer { socket.close() }
        ready(nil)
        do {
            while true {
                let readable = try ZMQSocket.poll([socket], fileDescriptors: [iopub.fileDescriptor])
                if readable[0], let ping = try socket.receive(dontWait: true) {
                    try socket.send(ping)
                }
                if readable[1] {
                    try iopub.serviceSubscriptions()
                }
            }
        } catch let error as ZMQError where error.isTerminated {
            return
        } catch {
            log("heartbeat stopped: \(error)")
        }
    }
}
