import Foundation

/// Where the kernel reports what it drops or cannot do: Jupyter shows a kernel's stderr in the
/// server's log, so that is the default; tests capture the lines instead.
public struct KernelLog: Sendable {
    private let sink: @Sendable (String) -> Void

    public init(_ sink: @escaping @Sendable (String) -> Void) {
        self.sink = sink
    }

    public func callAsFunction(_ line: String) {
        sink(line)
    }

    public static let standardError = KernelLog { line in
        FileHandle.standardError.write(Data("[gradbook kernel] \(line)\n".utf8))
    }

    public static let silent = KernelLog { _ in }
}
