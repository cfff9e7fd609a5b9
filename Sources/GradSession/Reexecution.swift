import GradEngine
import GradInterpreter
import GradStore
import GradTensor

/// The first re-executed training step that differs from what the history stored of it.
public struct StepDifference: Sendable, Equatable {
    public var step: Int
    public var runID: Int64
    /// `loss`, or the param's name.
    public var name: String
    /// `loss`, `value` or `gradient`.
    public var quantity: String
    public var difference: String
}

/// How a training step between checkpoints was recovered: the checkpoint before it was
/// restored (params and optimizer state) and the steps from there re-executed, each compared
/// with what the history stored of it (the loss; every param's value and gradient, as a
/// summary or in full).
public struct ReexecutionSummary: Sendable, Equatable {
    public var checkpointRunID: Int64
    public var checkpointStep: Int
    /// The replayed step.
    public var step: Int
    /// Steps re-executed and checked, the replayed one included.
    public var stepsChecked: Int
    public var firstDifference: StepDifference?

    var lines: [String] {
        let from = "re-executed from the checkpoint at step \(checkpointStep) (run \(checkpointRunID))"
        guard let difference = firstDifference else {
            let count = step - checkpointStep
            return ["  \(from): \(count) step\(count == 1 ? "" : "s") before this one, each step's loss and param summaries identical bit for bit"]
        }
        let what = difference.quantity == "loss" ? "the loss" : "\(difference.quantity) of \(difference.name)"
        return ["DIFFERENT: \(from), step \(difference.step) (run \(difference.runID)) differs first: \(what): \(difference.difference)"]
    }
}

/// Keeps a re-executed training between replays, so that replaying the steps of one train()
/// call in order (`gradbook replay --all`) re-executes each step once.
public final class ReplayCache {
    var training: TrainingReexecution?

    public init() {}
}

/// A training run being re-executed from a checkpoint: the rebuilt graph, the optimizer with
/// its restored state, and the backward pass of the step reached (its update not yet applied).
struct TrainingReexecution {
    let trainID: Int64
    let graphID: Int64?
    let checkpoint: StoredCheckpoint
    var interpreter: Interpreter
    var loop: TrainingLoop
    var position: Int
    var current: TrainingLoop.Step
}

extension Replayer {
    /// Recovers step `step` of train() call `trainID` (whose run is `graph`) by re-executing the
    /// training from the latest checkpoint at or before it, and returns its backward pass.
    static func reexecute(_ graph: RunGraph, step: Int, trainID: Int64, summarizedParam: NodeRecord, arithmeticRevision: Int,
                          store: RunStore, cache: ReplayCache?) throws -> (summary: ReexecutionSummary, interpreter: Interpreter, step: TrainingLoop.Step) {
        let runID = graph.run.id ?? 0
        guard let checkpoint = try store.latestCheckpoint(trainID: trainID, atOrBefore: step) else {
            throw ReplayError.noCheckpoint(run: runID, step: step, trainID: trainID, param: summarizedParam.name,
                                           shape: graph.snapshot.values[summarizedParam.id ?? 0]?.shape ?? summarizedParam.shape,
                                           policy: graph.run.recordPolicy?.rawValue)
        }
        var training: TrainingReexecution
        if let cached = cache?.training, cached.trainID == trainID, cached.graphID == graph.run.graphID,
           cached.position >= checkpoint.step, cached.position <= step {
            training = cached
        } else {
            training = try start(from: checkpoint, trainID: trainID, graph: graph, arithmeticRevision: arithmeticRevision, store: store)
        }
        cache?.training = nil
        let stored = try store.trainingSteps(trainID: trainID, steps: training.position...step)
        var storedByStep: [Int: RunRecord] = [:]
        for run in stored { if let number = run.step { storedByStep[number] = run } }
        var difference: StepDifference?
        while true {
            guard let storedRun = storedByStep[training.position], let storedID = storedRun.id else {
                throw ReplayError.checkpointUnusable(run: runID, checkpointRun: checkpoint.runID,
                                                     message: "step \(training.position) of train_id \(trainID) is not in the database")
            }
            difference = try firstDifference(of: training.current, at: training.position, storedRun: storedRun, runID: storedID,
                                             checkValues: training.position < step, graph: graph, store: store)
            if difference != nil || training.position == step { break }
            do {
                try training.loop.update(training.current, in: &training.interpreter)
                training.position += 1
                training.current = try training.loop.backward(in: training.interpreter)
            } catch {
                throw ReplayError.checkpointUnusable(run: runID, checkpointRun: checkpoint.runID,
                                                     message: "re-executing step \(training.position) failed: \(error)")
            }
        }
        if difference == nil { cache?.training = training }
        let summary = ReexecutionSummary(checkpointRunID: checkpoint.runID, checkpointStep: checkpoint.step, step: step,
                                         stepsChecked: training.position - checkpoint.step + 1, firstDifference: difference)
        return (summary, training.interpreter, training.current)
    }

    /// Rebuilds the checkpoint's graph with its params, restores the optimizer it was taken
    /// from, and runs the checkpoint step's backward pass.
    private static func start(from checkpoint: StoredCheckpoint, trainID: Int64, graph: RunGraph, arithmeticRevision: Int,
                              store: RunStore) throws -> TrainingReexecution {
        let runID = graph.run.id ?? 0
        func unusable(_ message: String) -> ReplayError {
            .checkpointUnusable(run: runID, checkpointRun: checkpoint.runID, message: message)
        }
        let saved: RunGraph
        do { saved = try RunGraph.load(checkpoint.runID, from: store) } catch let error as RunHistoryError { throw ReplayError.history(error) }
        guard saved.run.graphID == graph.run.graphID else {
            throw unusable("the checkpoint used other node definitions than the step (graph \(saved.run.graphID ?? 0), not \(graph.run.graphID ?? 0))")
        }
        guard let target = graph.run.target else { throw unusable("the run does not say which node it trained") }
        let optimizer: Optimizer
        do { optimizer = try OptimizerSettings.optimizer(fromJSON: saved.run.optimizerJSON ?? "") } catch { throw unusable("\(error)") }
        var names: [Int64: String] = [:]
        for (name, node) in saved.definitions { if let id = node.id { names[id] = name } }
        var buffers: [String: [Optimizer.State.Slot: [Double]]] = [:]
        for buffer in checkpoint.record.buffers {
            guard let name = names[buffer.nodeID], let slot = Optimizer.State.Slot(rawValue: buffer.slot) else {
                throw unusable("its optimizer state holds \(buffer.slot) of node \(buffer.nodeID), which the run's graph does not define")
            }
            buffers[name, default: [:]][slot] = buffer.elements
        }
        let state = NamedOptimizerState(stepCount: checkpoint.record.optimizerSteps, buffers: buffers)
        let interpreter = try rebuild(saved, runID: checkpoint.runID, arithmeticRevision: arithmeticRevision)
        do {
            let loop = try interpreter.trainingLoop(of: target, optimizer: optimizer, state: state)
            return TrainingReexecution(trainID: trainID, graphID: graph.run.graphID, checkpoint: checkpoint, interpreter: interpreter,
                                       loop: loop, position: checkpoint.step, current: try loop.backward(in: interpreter))
        } catch let error as RuntimeError {
            throw unusable(error.diagnostic.message)
        } catch {
            throw unusable("its backward pass failed: \(error)")
        }
    }

    /// The first way a re-executed step differs from its stored run: the loss, then (for the
    /// steps before the replayed one, whose values the report compares anyway) each stored
    /// value and gradient, in the graph's order.
    private static func firstDifference(of replayed: TrainingLoop.Step, at step: Int, storedRun: RunRecord, runID: Int64,
                                        checkValues: Bool, graph: RunGraph, store: RunStore) throws -> StepDifference? {
        if !sameNumber(storedRun.loss, replayed.loss) {
            return StepDifference(step: step, runID: runID, name: "loss", quantity: "loss",
                                  difference: "stored \(storedRun.loss.map(BitComparison.exact) ?? "nan"), replayed \(BitComparison.exact(replayed.loss))")
        }
        guard checkValues else { return nil }
        let stored = Dictionary(try store.values(ofRun: runID).map { ($0.nodeID, $0) }, uniquingKeysWith: { first, _ in first })
        for snapshot in replayed.nodes {
            guard let id = graph.definitions[snapshot.name]?.id, let record = stored[id] else { continue }
            if let grad = record.grad {
                let comparison = comparison(of: snapshot.name, .gradient, stored: grad, replayed: snapshot.gradient)
                if let difference = comparison.difference {
                    return StepDifference(step: step, runID: runID, name: snapshot.name, quantity: "gradient", difference: difference)
                }
            }
            if let value = record.value {
                let comparison = comparison(of: snapshot.name, .value, stored: value, replayed: snapshot.value)
                if let difference = comparison.difference {
                    return StepDifference(step: step, runID: runID, name: snapshot.name, quantity: "value", difference: difference)
                }
            }
        }
        return nil
    }

    /// A stored REAL against a computed number: SQLite keeps NaN as NULL.
    private static func sameNumber(_ stored: Double?, _ replayed: Double) -> Bool {
        guard let stored else { return replayed.isNaN }
        return BitComparison.same(stored, replayed) || stored == replayed
    }
}
