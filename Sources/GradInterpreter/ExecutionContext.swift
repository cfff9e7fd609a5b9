import GradTensor

/// What a statement may need from the world outside the interpreter, which does no I/O itself.
public struct ExecutionContext {
    /// The session's execution count: which cell is running.
    public var cellNumber: Int
    public var interrupt: InterruptFlag
    /// Reads a text file for `load_csv`; the session decides how (and reports I/O errors).
    public var readTextFile: (String) throws -> String
    /// Receives each training step as it finishes, so it is recorded in its own transaction
    /// and kept even if a later step fails or is interrupted. Throwing stops the training.
    public var recordTrainingStep: (RunEvent) throws -> Void
    /// Training progress for the front end (a progress bar, a Jupyter display update).
    public var reportProgress: (TrainingProgress) -> Void
    /// Monotonic clock in seconds, injected so the interpreter stays free of platform calls.
    public var now: () -> Double

    public init(
        cellNumber: Int,
        interrupt: InterruptFlag = InterruptFlag(),
        readTextFile: @escaping (String) throws -> String = { path in throw FileAccessUnavailable(path: path) },
        recordTrainingStep: @escaping (RunEvent) throws -> Void = { _ in },
        reportProgress: @escaping (TrainingProgress) -> Void = { _ in },
        now: @escaping () -> Double = { 0 }
    ) {
        self.cellNumber = cellNumber
        self.interrupt = interrupt
        self.readTextFile = readTextFile
        self.recordTrainingStep = recordTrainingStep
        self.reportProgress = reportProgress
        self.now = now
    }
}

public struct FileAccessUnavailable: Error, CustomStringConvertible {
    public var path: String
    public init(path: String) { self.path = path }
    public var description: String { "cannot read \(path): this front end gives no file access" }
}

public struct TrainingProgress: Sendable {
    public var target: String
    public var step: Int
    public var totalSteps: Int
    public var loss: Double
    public var elapsedSeconds: Double
    public var finished: Bool
}
