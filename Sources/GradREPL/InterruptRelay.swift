import CEditLine
import Foundation
import Synchronization

/// Turns Ctrl-C while a cell runs into the session's interrupt flag. The SIGINT handler (in C)
/// only writes a byte to a pipe; this thread reads it and raises the flag, which a running
/// `train` checks after every step. At the prompt Ctrl-C never becomes a signal (libedit reads
/// it as a key), so a stray SIGINT there is ignored rather than left to stop the next cell.
final class InterruptRelay: Sendable {
    private struct State {
        var cellRunning = false
        var interruptsThisCell = 0
    }

    /// A cell that ignores this many interrupts (a long computation between checks) is not
    /// waited for: the process exits, and the database keeps every finished statement.
    static let interruptsBeforeExit = 3

    private let raise: @Sendable () -> Void
    private let state = Mutex(State())

    /// Nil when the handler cannot be installed (no pipe); Ctrl-C then ends the process as usual.
    init?(raise: @escaping @Sendable () -> Void) {
        let descriptor = cedit_interrupt_install()
        guard descriptor >= 0 else { return nil }
        self.raise = raise
        Thread.detachNewThread { [self] in
            while cedit_interrupt_wait(descriptor) == 1 {
                deliver()
            }
        }
    }

    func cellWillRun() {
        state.withLock { $0 = State(cellRunning: true, interruptsThisCell: 0) }
    }

    func cellDidFinish() {
        state.withLock { $0 = State() }
    }

    private func deliver() {
        let count: Int? = state.withLock { state in
            guard state.cellRunning else { return nil }
            state.interruptsThisCell += 1
            return state.interruptsThisCell
        }
        guard let count else { return }
        raise()
        if count >= Self.interruptsBeforeExit {
            let message = "\ngradbook: the cell did not stop after \(count) interrupts; exiting (the history keeps every finished statement)\n"
            writeAll(Array(message.utf8), to: STDERR_FILENO)
            _exit(130)
        }
    }
}
