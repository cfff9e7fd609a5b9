#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum StandardStream: Sendable, Equatable {
    case output, error
}

/// Where the REPL writes: the process's standard output and error, or memory in tests.
public protocol REPLOutput: AnyObject {
    func write(_ text: String, to stream: StandardStream)
}

/// Writes straight to file descriptors 1 and 2, unbuffered, so text reaches the terminal in
/// the order it was produced, between libedit's own (flushed) output.
public final class StandardOutput: REPLOutput {
    public init() {}

    public func write(_ text: String, to stream: StandardStream) {
        writeAll(Array(text.utf8), to: stream == .output ? STDOUT_FILENO : STDERR_FILENO)
    }
}

/// Writes every byte, retrying after signals and partial writes; gives up on other errors
/// (a closed pipe), as there is nowhere left to report them.
func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
    bytes.withUnsafeBytes { buffer in
        guard let base = buffer.baseAddress else { return }
        var start = 0
        while start < buffer.count {
            let written = write(descriptor, base + start, buffer.count - start)
            if written > 0 {
                start += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }
}
