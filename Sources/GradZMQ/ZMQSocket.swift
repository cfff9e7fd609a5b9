import CZMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One libzmq socket, used only by the thread that created it.
final class ZMQSocket {
    /// A client cannot make the kernel hold more than this per message, nor more frames than
    /// `maximumFrames` (the rest are received and dropped).
    static let maximumMessageBytes: Int64 = 256 << 20
    static let maximumFrames = 4_096

    private var handle: UnsafeMutableRawPointer?

    init(_ context: ZMQContext, type: Int32) throws {
        guard let handle = zmq_socket(context.handle, type) else { throw ZMQError.last("zmq_socket") }
        self.handle = handle
        try setOption(ZMQ_LINGER, 1_000)
        try setOption(ZMQ_MAXMSGSIZE, int64: Self.maximumMessageBytes)
    }

    deinit {
        close()
    }

    /// Closing is explicit too, because the context cannot terminate while a socket is open.
    func close() {
        if let handle {
            zmq_close(handle)
            self.handle = nil
        }
    }

    private func live(_ operation: String) throws -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError(code: ENOTSOCK, operation: operation) }
        return handle
    }

    func setOption(_ option: Int32, _ value: Int32) throws {
        var value = value
        guard zmq_setsockopt(try live("zmq_setsockopt"), option, &value, MemoryLayout<Int32>.size) == 0 else {
            throw ZMQError.last("zmq_setsockopt(\(option))")
        }
    }

    func setOption(_ option: Int32, int64 value: Int64) throws {
        var value = value
        guard zmq_setsockopt(try live("zmq_setsockopt"), option, &value, MemoryLayout<Int64>.size) == 0 else {
            throw ZMQError.last("zmq_setsockopt(\(option))")
        }
    }

    func bind(_ endpoint: String) throws {
        guard zmq_bind(try live("zmq_bind"), endpoint) == 0 else { throw ZMQError.last("bind \(endpoint)") }
    }

    func connect(_ endpoint: String) throws {
        guard zmq_connect(try live("zmq_connect"), endpoint) == 0 else { throw ZMQError.last("connect \(endpoint)") }
    }

    /// Sends a multipart message; false if `dontWait` and it would block.
    @discardableResult
    func send(_ frames: [[UInt8]], dontWait: Bool = false) throws -> Bool {
        let socket = try live("zmq_send")
        for (index, frame) in frames.enumerated() {
            var flags: Int32 = index + 1 < frames.count ? ZMQ_SNDMORE : 0
            if dontWait { flags |= ZMQ_DONTWAIT }
            while true {
                let sent = frame.withUnsafeBytes { zmq_send(socket, $0.baseAddress, $0.count, flags) }
                if sent >= 0 { break }
                let error = zmq_errno()
                if error == EINTR { continue }
                if error == EAGAIN && index == 0 { return false }
                throw ZMQError(code: error, operation: "zmq_send")
            }
        }
        return true
    }

    /// Receives a whole multipart message; nil if `dontWait` and none is waiting.
    func receive(dontWait: Bool = false) throws -> [[UInt8]]? {
        let socket = try live("zmq_msg_recv")
        var frames: [[UInt8]] = []
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        while true {
            let flags: Int32 = dontWait && frames.isEmpty ? ZMQ_DONTWAIT : 0
            if zmq_msg_recv(&message, socket, flags) < 0 {
                let error = zmq_errno()
                if error == EINTR { continue }
                if error == EAGAIN && frames.isEmpty { return nil }
                throw ZMQError(code: error, operation: "zmq_msg_recv")
            }
            if frames.count < Self.maximumFrames {
                let size = zmq_msg_size(&message)
                if let data = zmq_msg_data(&message), size > 0 {
                    frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
                } else {
                    frames.append([])
                }
            }
            if zmq_msg_more(&message) == 0 { return frames }
        }
    }

    /// The descriptor libzmq signals when the socket's state may have changed (ZMQ_FD).
    func fileDescriptor() throws -> Int32 {
        var descriptor: Int32 = -1
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(try live("zmq_getsockopt"), ZMQ_FD, &descriptor, &size) == 0 else {
            throw ZMQError.last("zmq_getsockopt(ZMQ_FD)")
        }
        return descriptor
    }

    /// Whether a message can be received now (ZMQ_EVENTS), processing libzmq's pending commands.
    func hasMessageWaiting() throws -> Bool {
        var events: Int32 = 0
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(try live("zmq_getsockopt"), ZMQ_EVENTS, &events, &size) == 0 else {
            throw ZMQError.last("zmq_getsockopt(ZMQ_EVENTS)")
        }
        return events & Int32(ZMQ_POLLIN) != 0
    }

    /// Waits until one of `sockets` or `fileDescriptors` is readable (or `timeoutMilliseconds` pass;
    /// -1 waits for ever); returns which are, sockets first.
    static func poll(_ sockets: [ZMQSocket], fileDescriptors: [Int32] = [], timeoutMilliseconds: Int = -1) throws -> [Bool] {
        var items = try sockets.map { socket in
            zmq_pollitem_t(socket: try socket.live("zmq_poll"), fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        }
        items += fileDescriptors.map { zmq_pollitem_t(socket: nil, fd: $0, events: Int16(ZMQ_POLLIN), revents: 0) }
        while zmq_poll(&items, Int32(items.count), timeoutMilliseconds) < 0 {
            let error = zmq_errno()
            if error != EINTR { throw ZMQError(code: error, operation: "zmq_poll") }
        }
        return items.map { $0.revents & Int16(ZMQ_POLLIN) != 0 }
    }
}
