import Dispatch
import Foundation
import GradInterpreter

/// Ctrl-C during `gradbook run`: the first SIGINT stops the running statement the way an
/// interrupt does in the REPL and in Jupyter (a `train` after its current step, keeping every
/// finished step), so the notebook ends at that cell with an error and the session closes
/// normally; a second one ends the process at once, as Python does for a script that ignores
/// its KeyboardInterrupt. Either way the history keeps every finished statement.
final class BatchInterrupt {
    private let source: any DispatchSourceSignal

    init(raising flag: InterruptFlag) {
        // The default action would kill the process before the handler's queue sees the signal.
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: DispatchQueue(label: "gradbook.sigint"))
        source.setEventHandler {
            if flag.isRaised {
                FileHandle.standardError.write(Data("\ngradbook: interrupted twice; exiting (the history keeps every finished statement)\n".utf8))
                _exit(130)
            }
            flag.raise()
        }
        source.resume()
        self.source = source
    }

    deinit {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
