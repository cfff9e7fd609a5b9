import GradJupyter
#if canImport(Glibc)
import Glibc
#endif

/// One thread's way out: its own reply socket (shell or control ROUTER) and the shared IOPub socket.
final class ZMQTransport: KernelTransport {
    private let replyChannel: KernelChannel
    private let replySocket: ZMQSocket
    private let iopub: IOPubSocket
    private let log: KernelLog

    init(replyChannel: KernelChannel, replySocket: ZMQSocket, iopub: IOPubSocket, log: KernelLog) {
        self.replyChannel = replyChannel
        self.replySocket = replySocket
        self.iopub = iopub
        self.log = log
    }

    func send(_ frames: [[UInt8]], on channel: KernelChannel) {
        let socket: ZMQSocket
        switch channel {
        case replyChannel: socket = replySocket
        case .iopub:
            iopub.publish(frames)
            return
        default:
            log("cannot send on \(channel.rawValue) from the \(replyChannel.rawValue) thread")
            return
        }
        do {
            try socket.send(frames)
            // The reply is queued: let libzmq's I/O thread, waiting on this CPU without
            // preempting us (see ZMQContext), send it and the outputs before it now, rather than
            // after the work that follows a reply (recording the cell, publishing idle).
            sched_yield()
        } catch let error as ZMQError where error.isTerminated {
            return
        } catch {
            log("sending on \(channel.rawValue) failed: \(error)")
        }
    }
}
