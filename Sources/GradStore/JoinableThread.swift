import Foundation

/// A thread its starter can wait for, body and captures released, which Foundation's `Thread`
/// cannot do.
///
/// Why it matters here: a thread's closure holds what it captured until the thread has ended;
/// if that is the store, and the process exits first, the store is never closed and its
/// write-ahead log is left for the next process to copy.
final class JoinableThread {
    private final class Body {
        let run: () -> Void
        init(run: @escaping () -> Void) {
            self.run = run
        }
    }

    private var thread = pthread_t()
    private var joined = false

    /// Starts `body` on a new thread; `name` says which thread in an error.
    init(name: String, body: @escaping () -> Void) throws {
        let context = Unmanaged.passRetained(Body(run: body)).toOpaque()
        let code = pthread_create(&thread, nil, { context in
            guard let context else { return nil }
            // Released before the thread ends, so `join()` returns with it gone.
            let body = Unmanaged<Body>.fromOpaque(context).takeRetainedValue()
            body.run()
            return nil
        }, context)
        guard code == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw StoreError.thread("cannot start the \(name) thread: \(String(cString: strerror(code)))")
        }
    }

    /// Whether the calling thread is this one.
    var isCurrent: Bool { pthread_equal(pthread_self(), thread) != 0 }

    /// Waits until the body has returned and its captures are released. Idempotent.
    func join() {
        guard !joined else { return }
        joined = true
        pthread_join(thread, nil)
    }
}
