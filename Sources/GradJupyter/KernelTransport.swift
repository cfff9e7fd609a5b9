public enum KernelChannel: String, Sendable, CaseIterable {
    case shell
    case control
    case stdin
    case iopub
}

/// Where a dispatcher's messages go. ZeroMQ sockets in the kernel, an array in the tests.
///
/// One transport serves one thread: the shell thread's sends replies on `.shell` and outputs on
/// `.iopub`; the control thread's replies on `.control` and publishes on `.iopub`.
public protocol KernelTransport {
    func send(_ frames: [[UInt8]], on channel: KernelChannel)
}
