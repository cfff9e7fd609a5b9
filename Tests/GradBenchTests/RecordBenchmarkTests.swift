import Foundation
import Testing
import GradBench
import GradStore

/// The `record` workload's counts of what it stored (the numbers behind its values-per-second
/// figures) are the history's, whichever backend holds it. The timings are for release builds
/// (`gradbook bench record`), never asserted here.
@Suite struct RecordBenchmarkTests {
    @Test func aServerCountsTheValuesItStoredAsAFileDoes() throws {
        let file = try RecordBenchmark.run(calls: 1, steps: 4)
        // Two checkpoints (the first and last step) of 354 params, value and gradient each ...
        #expect(file.valuesPerCall == 2 * 2 * 354)
        // ... and under `all` every node's value and gradient at every step.
        #expect(file.valuesPerCallAll > 4 * 2 * 354)
        // Each timed call's wait for the writer, a part of that call's time.
        for (waits, perStep) in [(file.writeWaitRecorded, file.secondsPerStepRecorded), (file.writeWaitUnrecorded, file.secondsPerStepUnrecorded)] {
            #expect(waits.count == 1 && perStep.count == 1)
            for (wait, stepSeconds) in zip(waits, perStep) { #expect(wait >= 0 && wait <= stepSeconds * 4) }
        }
        guard ProcessInfo.processInfo.environment["GRADBOOK_TEST_POSTGRES"] == "1"
                || ProcessInfo.processInfo.environment["GRADBOOK_TEST_REQUIRE_POSTGRES"] == "1" else { return }
        let database = "gb_bench_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        try psql("CREATE DATABASE \(database)")
        defer { _ = try? psql("DROP DATABASE IF EXISTS \(database) WITH (FORCE)") }
        let server = try RecordBenchmark.run(calls: 1, steps: 4, location: .postgresql(conninfo: "dbname=\(database)"))
        #expect(server.valuesPerCall == file.valuesPerCall)
        #expect(server.valuesPerCallAll == file.valuesPerCallAll)
    }

    /// Runs SQL as the server's administrator (the PG* variables scripts/with-postgres.sh sets).
    private func psql(_ sql: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-c", sql]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failure(description: "psql \(sql) failed") }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }
}
