import CZMQ

public struct ZMQError: Error, CustomStringConvertible {
    public let code: Int32
    public let operation: String

    /// `ETERM` from zmq.h, which Swift does not import (it is defined by arithmetic on another macro).
    static let terminated: Int32 = ZMQ_HAUSNUMERO + 53

    static func last(_ operation: String) -> ZMQError {
        ZMQError(code: zmq_errno(), operation: operation)
    }

    /// The context was shut down: the owning thread should close its sockets and stop.
    public var isTerminated: Bool { code == Self.terminated }

    public var description: String {
        "\(operation): \(String(cString: zmq_strerror(code)))"
    }
}
