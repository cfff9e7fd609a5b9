import CZMQ
import Foundation
import GradJupyter

/// The IOPub socket, shared by the shell and control threads so that outputs leave without a
/// hop through another thread. `@unchecked Sendable` is justified by `lock`: every use of the
/// socket happens under it, and libzmq allows a socket to move between threads across the full
/// memory barrier a lock provides.
///
/// It is an XPUB socket: each new subscription is greeted with `iopub_welcome` (JEP 65), so a
/// client knows its subscription is live and misses no `status`. Subscriptions are read after
/// every send (libzmq may take them in during a send) and whenever `fileDescriptor` becomes
/// readable (the heartbeat thread watches it).
final class IOPubSocket: @unchecked Sendable {
    private let lock = NSLock()
    private let socket: ZMQSocket
    private let codec: MessageCodec
    private let log: KernelLog
    /// Signals that the socket's state may have changed (ZMQ_FD); it does not say how.
    let fileDescriptor: Int32

    init(context: ZMQContext, endpoint: String, isIPv6: Bool, codec: MessageCodec, log: KernelLog) throws {
        socket = try ZMQSocket(context, type: ZMQ_XPUB)
        try socket.setOption(ZMQ_XPUB_VERBOSE, 1)
        if isIPv6 { try socket.setOption(ZMQ_IPV6, 1) }
        try socket.bind(endpoint)
        fileDescriptor = try socket.fileDescriptor()
        self.codec = codec
        self.log = log
    }

    func publish(_ frames: [[UInt8]]) {
        lock.withLock {
            do {
                try socket.send(frames)
                try welcomeNewSubscribers()
            } catch let error as ZMQError where error.isTerminated {
                return
            } catch {
                log("publishing on IOPub failed: \(error)")
            }
        }
    }

    /// Answers subscriptions that arrived; called when `fileDescriptor` is readable.
    func serviceSubscriptions() throws {
        try lock.withLock { try welcomeNewSubscribers() }
    }

    func close() {
        lock.withLock { socket.close() }
    }

    private func welcomeNewSubscribers() throws {
        while try socket.hasMessageWaiting(), let subscription = try socket.receive(dontWait: true) {
            guard let frame = subscription.first, frame.first == 1 else { continue }
            let topic = Array(frame.dropFirst())
            let welcome = codec.encode(msgType: "iopub_welcome",
                                       content: ["subscription": .string(String(decoding: topic, as: UTF8.self))],
                                       parent: nil, identities: topic.isEmpty ? [] : [topic])
            try socket.send(welcome)
        }
    }
}
