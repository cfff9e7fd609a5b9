import Foundation
import Testing
@testable import GradStore

/// The training writers' thread: kept between jobs, one job at a time, captures released
/// before the job counts as done.
@Suite struct WorkerThreadTests {
    final class Box: @unchecked Sendable {
        var value: pthread_t?
    }

    @Test func jobsRunOneAfterAnotherOnTheSameThread() throws {
        let worker = try WorkerThread(name: "test-worker")
        defer { worker.stop() }
        let first = Box()
        let second = Box()
        #expect(worker.start { first.value = pthread_self() })
        worker.waitUntilIdle()
        #expect(worker.start { second.value = pthread_self() })
        worker.waitUntilIdle()
        let one = try #require(first.value)
        let two = try #require(second.value)
        #expect(pthread_equal(one, two) != 0)
        #expect(pthread_equal(one, pthread_self()) == 0)
    }

    @Test func aSecondJobIsRefusedWhileTheFirstRuns() throws {
        let worker = try WorkerThread(name: "test-worker")
        defer { worker.stop() }
        let gate = NSCondition()
        var open = false
        #expect(worker.start {
            gate.lock()
            while !open { gate.wait() }
            gate.unlock()
        })
        #expect(!worker.start {})
        gate.lock()
        open = true
        gate.broadcast()
        gate.unlock()
        worker.waitUntilIdle()
        #expect(worker.start {})
        worker.waitUntilIdle()
    }

    @Test func aJobsCapturesAreReleasedWhenItIsDone() throws {
        final class Captured: Sendable {}
        let worker = try WorkerThread(name: "test-worker")
        defer { worker.stop() }
        weak var weakCaptured: Captured?
        do {
            let captured = Captured()
            weakCaptured = captured
            #expect(worker.start { _ = captured })
        }
        worker.waitUntilIdle()
        #expect(weakCaptured == nil)
    }
}
