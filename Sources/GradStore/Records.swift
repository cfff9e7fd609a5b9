import Foundation

public enum SessionKind: String, Sendable, CaseIterable {
    case repl, batch, kernel
}

public enum CellStatus: String, Sendable, CaseIterable {
    case ok, error
}

public enum RunKind: String, Sendable, CaseIterable {
    case forward, backward, train, replay
    /// Forward-mode differentiation (`jvp`, `grad(..., mode="forward")`).
    case forwardMode = "forward_mode"
    /// `gradcheck`'s finite differences.
    case gradcheck
}

/// What a run stores (the `%record` magic). SPEC §3 defines each; `params` is the default.
public enum RecordPolicy: String, Sendable, CaseIterable {
    case all, params, scalars, none
}

/// One session as stored.
public struct SessionRecord: Sendable, Hashable {
    public var id: Int64
    public var kind: SessionKind
    public var notebook: String?
    public var startedAt: Date
    public var endedAt: Date?
}

/// One definition of a named node. `id` is nil until inserted.
public struct NodeRecord: Sendable, Hashable {
    public var id: Int64?
    public var sessionID: Int64
    public var cellID: Int64?
    public var name: String
    public var op: String
    /// Names of the input nodes, in argument order.
    public var inputs: [String]
    public var shape: [Int]
    public var isParam: Bool
    /// The definition's source text, e.g. `w * x`.
    public var expr: String?
    /// A JSON object of op attributes (`{"axis":1}`), or nil.
    public var attributesJSON: String?
    /// The value of a leaf or param at definition, row-major; nil for op nodes.
    public var leafValue: [Double]?
    public var definedAt: Date

    public init(id: Int64? = nil, sessionID: Int64, cellID: Int64?, name: String, op: String,
                inputs: [String], shape: [Int], isParam: Bool, expr: String? = nil,
                attributesJSON: String? = nil, leafValue: [Double]? = nil, definedAt: Date = Date()) {
        self.id = id
        self.sessionID = sessionID
        self.cellID = cellID
        self.name = name
        self.op = op
        self.inputs = inputs
        self.shape = shape
        self.isParam = isParam
        self.expr = expr
        self.attributesJSON = attributesJSON
        self.leafValue = leafValue
        self.definedAt = definedAt
    }
}

/// One call of `train()`: the settings its step runs share.
public struct TrainRecord: Sendable, Hashable {
    public var id: Int64?
    public var sessionID: Int64
    public var cellID: Int64?
    public var target: String
    /// `{"name":"adam","lr":0.01,"beta1":0.9,...}`
    public var optimizerJSON: String
    /// Steps asked for (the runs say how many were done).
    public var steps: Int
    /// K: the first step, every K-th step and the last finished step are checkpoints; nil when
    /// the call keeps none (`%record scalars`, `none`).
    public var checkpointEvery: Int?
    public var startedAt: Date

    public init(id: Int64? = nil, sessionID: Int64, cellID: Int64?, target: String,
                optimizerJSON: String, steps: Int, checkpointEvery: Int? = nil, startedAt: Date = Date()) {
        self.id = id
        self.sessionID = sessionID
        self.cellID = cellID
        self.target = target
        self.optimizerJSON = optimizerJSON
        self.steps = steps
        self.checkpointEvery = checkpointEvery
        self.startedAt = startedAt
    }
}

/// What a checkpoint adds to its training step's run (whose value rows hold every param in
/// full): the optimizer's state before the step's update, so training continues exactly.
public struct CheckpointRecord: Sendable, Hashable {
    /// Updates the optimizer made before this step.
    public var optimizerSteps: Int
    public var buffers: [OptimizerBufferRecord]

    public init(optimizerSteps: Int, buffers: [OptimizerBufferRecord]) {
        self.optimizerSteps = optimizerSteps
        self.buffers = buffers
    }
}

/// One per-param buffer of an optimizer (`exp_avg` of `W1`), exactly.
public struct OptimizerBufferRecord: Sendable, Hashable {
    public var nodeID: Int64
    /// PyTorch's name: `momentum_buffer`, `exp_avg` or `exp_avg_sq`.
    public var slot: String
    public var shape: [Int]
    /// Row-major elements.
    public var elements: [Double]

    public init(nodeID: Int64, slot: String, shape: [Int], elements: [Double]) {
        self.nodeID = nodeID
        self.slot = slot
        self.shape = shape
        self.elements = elements
    }
}

/// A checkpoint as read back: where it is, and what it holds.
public struct StoredCheckpoint: Sendable, Hashable {
    public var runID: Int64
    public var step: Int
    public var record: CheckpointRecord
}

/// One forward pass, backward pass, train step or replay.
public struct RunRecord: Sendable, Hashable {
    public var id: Int64?
    public var sessionID: Int64
    public var cellID: Int64?
    public var kind: RunKind
    /// Name of the node the run computed (`J`).
    public var target: String?
    public var targetNodeID: Int64?
    /// 0-based step within a train() call.
    public var step: Int?
    public var loss: Double?
    public var startedAt: Date
    public var durationMs: Double?
    public var trainID: Int64?
    /// For a replay: the run it re-ran.
    public var replayOf: Int64?
    public var recordPolicy: RecordPolicy?
    /// Filled on read: the graph (set of node definitions) the run used.
    public var graphID: Int64?
    /// Filled on read for train steps: the optimizer settings of the train() call.
    public var optimizerJSON: String?
    /// Node evaluations the run made (forward, backward, forward-mode and gradcheck runs).
    public var steps: Int?

    public init(id: Int64? = nil, sessionID: Int64, cellID: Int64?, kind: RunKind, target: String?,
                targetNodeID: Int64? = nil, step: Int? = nil, loss: Double? = nil,
                startedAt: Date = Date(), durationMs: Double? = nil, trainID: Int64? = nil,
                replayOf: Int64? = nil, recordPolicy: RecordPolicy? = nil, graphID: Int64? = nil,
                optimizerJSON: String? = nil, steps: Int? = nil) {
        self.id = id
        self.sessionID = sessionID
        self.cellID = cellID
        self.kind = kind
        self.target = target
        self.targetNodeID = targetNodeID
        self.step = step
        self.loss = loss
        self.startedAt = startedAt
        self.durationMs = durationMs
        self.trainID = trainID
        self.replayOf = replayOf
        self.recordPolicy = recordPolicy
        self.graphID = graphID
        self.optimizerJSON = optimizerJSON
        self.steps = steps
    }
}

/// The statistics kept for a tensor that is not stored in full.
public struct TensorSummary: Sendable, Hashable {
    public var numel: Int
    /// nil for an empty tensor.
    public var min: Double?
    public var max: Double?
    public var mean: Double?
    /// The L2 norm, sqrt(sum of squares); 0 for an empty tensor.
    public var l2: Double

    public init(numel: Int, min: Double?, max: Double?, mean: Double?, l2: Double) {
        self.numel = numel
        self.min = min
        self.max = max
        self.mean = mean
        self.l2 = l2
    }

    /// Summarizes row-major elements. NaN propagates into every statistic, so a tensor that
    /// went NaN never looks healthy in its summary.
    public init(summarizing elements: [Double]) {
        self = elements.withUnsafeBufferPointer { TensorSummary(summarizing: $0) }
    }

    public init(summarizing elements: UnsafeBufferPointer<Double>) {
        numel = elements.count
        guard let first = elements.first else {
            min = nil; max = nil; mean = nil; l2 = 0
            return
        }
        // One pass for the common case; NaN propagates through the sums, and min/max are
        // made NaN explicitly so a tensor that went NaN never looks healthy.
        var low = first, high = first, sum = 0.0, sumOfSquares = 0.0
        for element in elements {
            low = Swift.min(low, element)
            high = Swift.max(high, element)
            sum += element
            sumOfSquares += element * element
        }
        let meanValue = sum / Double(elements.count)
        // Squares are never negative, so their sum is NaN exactly when an element is.
        if sumOfSquares.isNaN {
            min = .nan; max = .nan; mean = .nan; l2 = .nan
            return
        }
        min = low
        max = high
        mean = meanValue
        let largest = Swift.max(Swift.abs(low), Swift.abs(high))
        if largest.isFinite && (sumOfSquares.isInfinite || (sumOfSquares < Double.leastNormalMagnitude && largest > 0)) {
            // The squares overflowed or underflowed although the norm is representable: rescale.
            var scaled = 0.0
            for element in elements {
                let ratio = element / largest
                scaled += ratio * ratio
            }
            l2 = largest * scaled.squareRoot()
        } else {
            l2 = sumOfSquares.squareRoot()
        }
    }
}

/// A tensor as a run records it.
public enum TensorData: Sendable, Hashable {
    /// Every element, row-major (one element for a scalar).
    case full([Double])
    /// Only statistics.
    case summary(TensorSummary)

    /// The elements when stored in full.
    public var elements: [Double]? {
        if case .full(let elements) = self { return elements }
        return nil
    }
}

/// What a run recorded for one node.
public struct ValueRecord: Sendable, Hashable {
    public var nodeID: Int64
    /// The shape in this run (a node's shape can change when an input is redefined).
    public var shape: [Int]
    /// nil: not recorded.
    public var value: TensorData?
    public var grad: TensorData?
    /// Filled on read: the node's name.
    public var name: String?

    public init(nodeID: Int64, shape: [Int], value: TensorData?, grad: TensorData?, name: String? = nil) {
        self.nodeID = nodeID
        self.shape = shape
        self.value = value
        self.grad = grad
        self.name = name
    }
}

/// One executed cell, for history (`%history`, REPL Up/Down, Jupyter history requests).
public struct HistoryEntry: Sendable, Hashable {
    public var cellID: Int64
    public var sessionID: Int64
    public var executionCount: Int?
    public var source: String
    public var status: CellStatus?
}

/// Which cells a history request wants.
public enum HistoryQuery: Sendable, Hashable {
    /// The last `count` cells over all sessions, oldest first.
    case tail(count: Int, unique: Bool = false)
    /// Cells of one session with `start <= execution_count < stop` (stop nil: to the end).
    case range(sessionID: Int64, start: Int, stop: Int?)
    /// The last `count` cells whose source matches a glob pattern (`*` `?` `[...]`, as
    /// IPython and SQLite's GLOB do), oldest first.
    case search(pattern: String, count: Int, unique: Bool = false)
}
