import Foundation

/// A pipe that wakes a thread waiting in `poll` on other descriptors (the training writer,
/// waiting for the server's answer, when the train() call ends): the waiting thread calls
/// `wait(untilReadable:)` with its own descriptor, any thread calls `wake()`. Both ends are
/// non-blocking, so a wake never blocks and draining never waits.
final class WakePipe: @unchecked Sendable {
    // @unchecked: two descriptors, fixed at init; the kernel serializes reads and writes.
    private let readDescriptor: Int32
    private let writeDescriptor: Int32

    init() throws {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            throw StoreError.thread("cannot create the training writer's wake-up pipe: \(String(cString: strerror(errno)))")
        }
        readDescriptor = ends[0]
        writeDescriptor = ends[1]
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
    }

    deinit {
        close(readDescriptor)
        close(writeDescriptor)
    }

    /// Ends the current or next `wait(untilReadable:)`. A full pipe is readable already.
    func wake() {
        var byte: UInt8 = 1
        _ = write(writeDescriptor, &byte, 1)
    }

    /// Reads every wake-up so far.
    private func drain() {
        var bytes = [UInt8](repeating: 0, count: 64)
        while read(readDescriptor, &bytes, bytes.count) > 0 {}
    }

    /// Waits until `descriptor` is readable or the pipe is woken (then drained). Returns early
    /// on a signal too: the caller checks its conditions and waits again.
    func wait(untilReadable descriptor: Int32) {
        var descriptors = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: readDescriptor, events: Int16(POLLIN), revents: 0)]
        guard poll(&descriptors, 2, -1) > 0 else { return }
        if descriptors[1].revents != 0 { drain() }
    }
}
