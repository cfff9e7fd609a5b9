import GradTensor

/// The non-tensor arguments of an op node, resolved to plain values.
public struct OpAttributes: Sendable, Hashable {
    /// `axis=`: the axes of a reduction (nil: all), or the single axis of `softmax`,
    /// `log_softmax`, `concat`, `stack` (nil: the op's default).
    public var axes: [Int]?
    /// `keepdims=` of a reduction.
    public var keepdims: Bool
    /// Target shape of `reshape` (one entry may be -1).
    public var shape: [Int]?
    /// The index expression of `x[...]`.
    public var index: [IndexComponent]?
    /// Number of classes of `one_hot`.
    public var classes: Int?
    /// `matmul` reads its left / right operand transposed (last two axes swapped): what
    /// `a.T @ b` and `a @ b.T` build, so BLAS reads the operand in place instead of a copy.
    public var transposeLeft: Bool
    public var transposeRight: Bool

    public init(axes: [Int]? = nil, keepdims: Bool = false, shape: [Int]? = nil,
                index: [IndexComponent]? = nil, classes: Int? = nil,
                transposeLeft: Bool = false, transposeRight: Bool = false) {
        self.axes = axes
        self.keepdims = keepdims
        self.shape = shape
        self.index = index
        self.classes = classes
        self.transposeLeft = transposeLeft
        self.transposeRight = transposeRight
    }

    /// A single axis attribute (`axis=1`).
    public init(axis: Int, keepdims: Bool = false) {
        self.init(axes: [axis], keepdims: keepdims)
    }

    public var isEmpty: Bool { self == OpAttributes() }

    /// The single axis of `softmax`/`concat`/`stack`, or `fallback` when none was given.
    func singleAxis(default fallback: Int, op: String) throws(TensorError) -> Int {
        guard let axes else { return fallback }
        guard axes.count == 1 else { throw TensorError("\(op) takes a single axis, got \(formatShape(axes))") }
        return axes[0]
    }

    /// A JSON object with the attributes that differ from their defaults, keys as the user
    /// writes them: `{"axis":1,"keepdims":true}`, `{"shape":[2,-1]}`, `{"index":"[:, -1]"}`,
    /// `{"n":3}`; `{}` when there are none.
    public var json: String {
        var fields: [String] = []
        if let axes {
            fields.append("\"axis\":" + (axes.count == 1 ? String(axes[0]) : "[" + axes.map(String.init).joined(separator: ",") + "]"))
        }
        if keepdims { fields.append("\"keepdims\":true") }
        if let shape { fields.append("\"shape\":[" + shape.map(String.init).joined(separator: ",") + "]") }
        if let index { fields.append("\"index\":\"" + formatIndex(index) + "\"") }
        if let classes { fields.append("\"n\":\(classes)") }
        if transposeLeft { fields.append("\"transpose_a\":true") }
        if transposeRight { fields.append("\"transpose_b\":true") }
        return "{" + fields.joined(separator: ",") + "}"
    }
}
