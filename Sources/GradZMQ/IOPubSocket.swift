import CZMQ
import Foundation
import GradJupyter

/// The IOPub socket, shared by the shell and control threads so that outputs leave without a
/// hop through another thread. `@unchecked Sendable` is justified by `lock`: every use of the
/// socket happens under it, and libzmq allows a socket to move between threads across the full
/// memory barrier a lock provides.
///
/// It is an XPUB socket: each new subscription is greeted with `iopub_welcome` (JEP 65), so a
/// client knows its subscription is live and misses no `status`. Subscriptions are read whenever
/// `fileDescriptor` becomes readable (the heartbeat thread watches it), and after sends, because
/// libzmq may take a subscription in during a send and then the descriptor never signals it.
/// Checking costs two system calls, so a burst of sends (one request's busy, input, result and
/// idle) checks once at its end (`welcomeAfterSends`, called by the threads that send) and in
/// between at most every `sendCheckInterval`, which bounds the wait during a long cell that
/// publishes progress.
final class IOPubSocket: @unchecked Sendable {
    private let lock = NSLock()
    private let socket: ZMQSocket
    private let codec: MessageCodec
    private let log: KernelLog
    static let sendCheckInterval = 0.02
    /// Monotonic seconds of the last subscription check (under `lock`).
    private var lastCheck = 0.0
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
                if Self.monotonicSeconds() - lastCheck >= Self.sendCheckInterval {
                    try welcomeNewSubscribers()
                }
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

    /// Answers subscriptions a send may have taken in; called when a thread has answered a
    /// request and is about to wait for the next one.
    func welcomeAfterSends() {
        do {
            try serviceSubscriptions()
        } catch let error as ZMQError where error.isTerminated {
            return
        } catch {
            log("reading IOPub subscriptions failed: \(error)")
        }
    }

    func close() {
        lock.withLock { socket.close() }
    }

    private func welcomeNewSubscribers() throws {
        lastCheck = Self.monotonicSeconds()
        while try socket.hasMessageWaiting(), let subscription = try socket.receive(dontWait: true) {
            guard let frame = subscription.first, frame.first == 1 else { continue }
            let topic = Array(frame.dropFirst())
            let welcome = codec.encode(msgType: "iopub_welcome",
                                       content: ["subscription": .string(String(decoding: topic, as: UTF8.self))],
                                       parent: nil, identities: topic.isEmpty ? [] : [topic])
            try socket.send(welcome)
        }
    }

    private static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }
}
