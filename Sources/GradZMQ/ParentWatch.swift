#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Notices when the process that started the kernel is gone, so that no kernel outlives its
/// notebook server. jupyter_client passes its pid in JPY_PARENT_PID; as in ipykernel, if that is
/// our parent we watch for the parent to change, and otherwise (started through a wrapper) for
/// being re-parented to init.
struct ParentWatch: Sendable {
    private enum Rule: Sendable {
        case parentIs(pid_t)
        case notOrphaned
    }

    private let rule: Rule

    /// nil when there is nothing to watch (no JPY_PARENT_PID, or it names init).
    init?(environmentValue: String?) {
        guard let value = environmentValue, let pid = pid_t(value), pid > 1 else { return nil }
        rule = getppid() == pid ? .parentIs(pid) : .notOrphaned
    }

    var parentIsGone: Bool {
        switch rule {
        case .parentIs(let pid): return getppid() != pid
        case .notOrphaned: return getppid() == 1
        }
    }
}
