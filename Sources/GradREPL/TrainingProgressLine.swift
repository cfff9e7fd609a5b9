import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress report of a running `train`, redrawn in place on standard error at most
/// ten times a second and erased when training ends (the summary follows it).
final class TrainingProgressLine: Sendable {
    private struct State {
        var lastDrawn = -1.0
        var visible = false
    }

    private let state = Mutex(State())
    /// Short trainings finish before this and never flash a line.
    private let firstDrawAfter = 0.3
    private let redrawInterval = 0.1

    func update(target: String, step: Int, totalSteps: Int, loss: Double, elapsedSeconds: Double, finished: Bool) {
        let text: String? = state.withLock { state in
            if finished {
                defer { state = State() }
                return state.visible ? "\r\u{1B}[K" : nil
            }
            guard elapsedSeconds >= firstDrawAfter, elapsedSeconds - state.lastDrawn >= redrawInterval else { return nil }
            state.lastDrawn = elapsedSeconds
            state.visible = true
            return "\r" + Self.describe(target: target, step: step, totalSteps: totalSteps, loss: loss, elapsedSeconds: elapsedSeconds) + "\u{1B}[K"
        }
        if let text { writeAll(Array(text.utf8), to: 2) }
    }

    static func describe(target: String, step: Int, totalSteps: Int, loss: Double, elapsedSeconds: Double) -> String {
        let perSecond = elapsedSeconds > 0 ? Double(step) / elapsedSeconds : 0
        let rate = perSecond.isFinite && perSecond < 1e15 ? Int(perSecond.rounded()) : 0
        return "train \(target): step \(step) of \(totalSteps)  loss \(significant(loss))  \(rate) steps/s  (Ctrl-C stops)"
    }

    /// Six significant digits (C's `%.6g`): enough to watch a loss fall, short enough for one line.
    static func significant(_ value: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBufferPointer { pointer in
            withVaList([value]) { vsnprintf(pointer.baseAddress, pointer.count, "%.6g", $0) }
        }
        guard count > 0 else { return "\(value)" }
        return String(decoding: buffer.prefix(min(Int(count), buffer.count - 1)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
