/// The language side of a Jupyter kernel, as in xeus: a handful of methods, no protocol.
///
/// Every method except `interruptHandler`'s closure is called on one thread, the shell thread
/// (the thread that called `runKernel`), one request at a time; the protocol bookkeeping
/// (execution counts, execute_input, busy/idle, replies, errors on IOPub, aborting after errors)
/// is done by the dispatcher around them. The kernel never sends `input_request`s: code that
/// runs has no stdin.
public protocol JupyterInterpreter {
    /// Read once when the kernel starts.
    var kernelInfo: KernelInfo { get }

    /// Runs one cell. Outputs go through `publisher`, from this thread, while the cell runs
    /// (streams, displays, the result); an error is returned, and the dispatcher publishes it
    /// and replies with it.
    /// `executionCount` is this cell's number (the counter only advances when `storeHistory`).
    func execute(code: String, silent: Bool, storeHistory: Bool, executionCount: Int,
                 publisher: OutputPublisher) -> ExecuteOutcome

    /// Called after the execute_reply has gone out and before `idle`, for work the reply need
    /// not wait for; what it publishes still reaches the client under the same request.
    func executeReplied(publisher: OutputPublisher)

    /// Completions at `cursorPos`, an index into `code` (the dispatcher converts the protocol's
    /// code-point offsets both ways).
    func complete(code: String, cursorPos: String.Index) -> CompletionResult

    /// What the object at `cursorPos` is; nil when there is nothing to show. `detailLevel` is 0 or 1.
    func inspect(code: String, cursorPos: String.Index, detailLevel: Int) -> InspectionResult?

    func isComplete(code: String) -> CodeCompleteness

    func history(_ request: HistoryRequest) -> [HistoryEntry]

    /// Evaluates one of an execute request's `user_expressions` after the cell ran successfully.
    func evaluateUserExpression(_ expression: String) -> UserExpressionResult

    /// Called from another thread (the control channel, or the SIGINT watcher) while `execute`
    /// runs, to make it stop soon and return an error (IPython's ename is "KeyboardInterrupt").
    /// It is only called while a cell runs, but it can land just after the cell finished: clear
    /// your flag when `execute` starts. Read once when the kernel starts.
    var interruptHandler: @Sendable () -> Void { get }

    /// The kernel is about to exit (or restart, when `restart`): close what must be closed.
    func shutdown(restart: Bool)
}

extension JupyterInterpreter {
    public func executeReplied(publisher: OutputPublisher) {}

    public func evaluateUserExpression(_ expression: String) -> UserExpressionResult {
        .error(ExecutionError(ename: "NotImplementedError", evalue: "user_expressions are not supported", traceback: []))
    }
}
