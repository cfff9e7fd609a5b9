import CZMQ
import Foundation
import GradJupyter

public struct KernelStartError: Error, CustomStringConvertible {
    public let description: String
}

/// Runs a Jupyter kernel for `interpreter` on the connection file's sockets until a
/// `shutdown_request` (or the death of the process that started it); then returns.
///
/// The interpreter is used only on the calling thread, which serves the shell channel.
/// Control and heartbeat have their own threads; IOPub is shared under a lock; SIGINT interrupts
/// the running cell.
public func runKernel(connectionFile: String, interpreter: some JupyterInterpreter,
                      log: KernelLog = .standardError) throws {
    try runKernel(connection: ConnectionInfo(contentsOfFile: connectionFile), interpreter: interpreter, log: log)
}

public func runKernel(connection: ConnectionInfo, interpreter: some JupyterInterpreter,
                      log: KernelLog = .standardError) throws {
    try runKernel(connection: connection, kernelInfo: interpreter.kernelInfo, log: log) { interpreter }
}

/// Like `runKernel(connectionFile:interpreter:log:)`, but makes the interpreter only once every
/// socket is bound. A client connects as soon as it has started the process; if a port is not
/// bound yet, ZeroMQ retries only after its reconnect interval (100 ms), so an interpreter that
/// opens a database first would make every start that much slower.
public func runKernel<Interpreter: JupyterInterpreter>(connectionFile: String, kernelInfo: KernelInfo, log: KernelLog = .standardError,
                                                       makeInterpreter: () throws -> Interpreter) throws {
    try runKernel(connection: ConnectionInfo(contentsOfFile: connectionFile), kernelInfo: kernelInfo, log: log,
                  makeInterpreter: makeInterpreter)
}

public func runKernel<Interpreter: JupyterInterpreter>(connection: ConnectionInfo, kernelInfo: KernelInfo, log: KernelLog = .standardError,
                                                       makeInterpreter: () throws -> Interpreter) throws {
    let signer = try MessageSigner(key: connection.key, schemeName: connection.signatureScheme)
    let core = KernelCore(codec: MessageCodec(signer: signer), kernelInfo: kernelInfo,
                          lifecycle: KernelLifecycle(), log: log)
    let context = try ZMQContext()
    let isIPv6 = connection.transport == .tcp && connection.ip.contains(":")
    let parentWatch = ParentWatch(environmentValue: ProcessInfo.processInfo.environment["JPY_PARENT_PID"])

    let iopub: IOPubSocket
    do {
        iopub = try IOPubSocket(context: context, endpoint: connection.endpoint(port: connection.iopubPort), isIPv6: isIPv6,
                                codec: core.codec, log: log)
    } catch {
        context.terminate()
        throw KernelStartError(description: "cannot start the kernel: iopub: \(error)")
    }
    let threads = KernelThreads()
    let heartbeatThread = threads.spawn("heartbeat") { ready in
        Heartbeat.run(context: context, endpoint: connection.endpoint(port: connection.hbPort), isIPv6: isIPv6, iopub: iopub,
                      log: log, ready: ready)
    }
    let controlThread = threads.spawn("control") { ready in
        ControlLoop.run(context: context, endpoint: connection.endpoint(port: connection.controlPort), isIPv6: isIPv6,
                        iopub: iopub, core: core, parentWatch: parentWatch, ready: ready)
    }

    var shellSockets: ShellSockets?
    var startupErrors: [String] = []
    do {
        shellSockets = try ShellSockets(context: context, connection: connection, isIPv6: isIPv6)
    } catch {
        startupErrors.append("shell: \(error)")
    }
    startupErrors += threads.waitUntilReady()

    var interpreter: Interpreter?
    if startupErrors.isEmpty {
        do {
            let made = try makeInterpreter()
            core.lifecycle.setInterruptHandler(made.interruptHandler)
            interpreter = made
        } catch {
            startupErrors.append("\(error)")
        }
    }

    var loopError: (any Error)?
    if let sockets = shellSockets, let interpreter, startupErrors.isEmpty {
        let signals = InterruptSignalWatcher {
            // Said, so that whoever sent it can tell it arrived and interrupted nothing.
            if !core.lifecycle.interrupt() { core.log("SIGINT while no cell runs: nothing to interrupt") }
        }
        do {
            try serveShell(sockets: sockets, iopub: iopub, core: core, interpreter: interpreter)
        } catch {
            loopError = error
        }
        signals.cancel()
    }
    // Blocking calls in the other threads fail with ETERM; they close their sockets and end.
    // Messages already queued (the last `idle`, the shutdown reply) are still flushed, within
    // each socket's linger time, by `terminate`.
    context.shutdown()
    shellSockets?.close()
    heartbeatThread.waitUntilFinished()
    controlThread.waitUntilFinished()
    iopub.close()
    context.terminate()

    if !startupErrors.isEmpty {
        throw KernelStartError(description: "cannot start the kernel: " + startupErrors.joined(separator: "; "))
    }
    if let loopError { throw loopError }
}

/// The sockets the shell thread owns.
private struct ShellSockets {
    let shell: ZMQSocket
    let stdin: ZMQSocket
    let wake: ZMQSocket

    init(context: ZMQContext, connection: ConnectionInfo, isIPv6: Bool) throws {
        shell = try ZMQSocket(context, type: ZMQ_ROUTER)
        try shell.setOption(ZMQ_ROUTER_HANDOVER, 1)
        if isIPv6 { try shell.setOption(ZMQ_IPV6, 1) }
        try shell.bind(connection.endpoint(port: connection.shellPort))
        // Bound so clients can connect; this kernel never asks for input, so it is never read.
        stdin = try ZMQSocket(context, type: ZMQ_ROUTER)
        try stdin.setOption(ZMQ_ROUTER_HANDOVER, 1)
        if isIPv6 { try stdin.setOption(ZMQ_IPV6, 1) }
        try stdin.bind(connection.endpoint(port: connection.stdinPort))
        wake = try ZMQSocket(context, type: ZMQ_PAIR)
        try wake.bind(ControlLoop.wakeEndpoint)
    }

    func close() {
        for socket in [shell, stdin, wake] { socket.close() }
    }
}

/// The shell loop on the calling thread. After a failed cell with stop_on_error it drains the
/// queued requests (their executes are aborted) before running cells again.
private func serveShell(sockets: ShellSockets, iopub: IOPubSocket, core: KernelCore, interpreter: some JupyterInterpreter) throws {
    let dispatcher = ShellDispatcher(
        core: core, interpreter: interpreter,
        transport: ZMQTransport(replyChannel: .shell, replySocket: sockets.shell, iopub: iopub, log: core.log))
    defer { dispatcher.finishShutdown() }
    dispatcher.readQueuedRequests = {
        var queued: [[[UInt8]]] = []
        while let frames = try? sockets.shell.receive(dontWait: true) { queued.append(frames) }
        return queued
    }
    do {
        while core.lifecycle.shutdownRequest == nil {
            iopub.welcomeAfterSends()
            let readable = try ZMQSocket.poll([sockets.shell, sockets.wake])
            if readable[1] {
                _ = try sockets.wake.receive(dontWait: true)
            }
            guard readable[0], let frames = try sockets.shell.receive(dontWait: true) else { continue }
            dispatcher.receive(frames)
            if dispatcher.isAborting {
                for queued in dispatcher.takeQueuedAtFailure() where core.lifecycle.shutdownRequest == nil {
                    dispatcher.receive(queued)
                }
                dispatcher.queueDrained()
            }
        }
    } catch {
        core.log("shell channel stopped: \(error)")
        core.lifecycle.requestShutdown(restart: false)
        throw error
    }
}
