/// One component of an index expression `x[...]`, as the user wrote it: an integer
/// (which removes the axis) or a Python slice `start:stop:step` (nil parts take their
/// defaults). Negative numbers count from the end, as in Python.
public enum IndexComponent: Sendable, Hashable, CustomStringConvertible {
    case index(Int)
    case slice(start: Int?, stop: Int?, step: Int?)

    /// `:` — the whole axis.
    public static let all = IndexComponent.slice(start: nil, stop: nil, step: nil)

    /// Python notation: `2`, `-1`, `:`, `1:3`, `::2`.
    public var description: String {
        switch self {
        case .index(let value):
            return String(value)
        case .slice(let start, let stop, let step):
            let head = (start.map(String.init) ?? "") + ":" + (stop.map(String.init) ?? "")
            return step.map { head + ":" + String($0) } ?? head
        }
    }
}

/// `[1, :, ::2]` — an index expression in Python notation.
public func formatIndex(_ components: [IndexComponent]) -> String {
    "[" + components.map(\.description).joined(separator: ", ") + "]"
}

/// An index expression resolved against a concrete shape: for every axis of the input,
/// the first position, the step and how many positions are taken, and whether the axis
/// survives in the result.
public struct ResolvedIndex: Sendable, Equatable {
    public var starts: [Int]
    public var steps: [Int]
    public var counts: [Int]
    public var keepsAxis: [Bool]
    public var resultShape: [Int]

    public init(_ components: [IndexComponent], shape: [Int]) throws(TensorError) {
        guard components.count <= shape.count else {
            throw TensorError("too many indices for tensor: tensor is \(shape.count)-dimensional, but \(components.count) were indexed")
        }
        starts = []
        steps = []
        counts = []
        keepsAxis = []
        resultShape = []
        for axis in 0..<shape.count {
            let size = shape[axis]
            let component = axis < components.count ? components[axis] : .all
            switch component {
            case .index(let raw):
                let position = raw < 0 ? raw &+ size : raw
                guard position >= 0, position < size else {
                    throw TensorError("index \(raw) is out of bounds for axis \(axis) with size \(size)")
                }
                starts.append(position)
                steps.append(1)
                counts.append(1)
                keepsAxis.append(false)
            case .slice(let start, let stop, let step):
                let (first, stride, taken) = try Self.resolveSlice(start: start, stop: stop, step: step, size: size)
                starts.append(first)
                steps.append(stride)
                counts.append(taken)
                keepsAxis.append(true)
                resultShape.append(taken)
            }
        }
    }

    /// Python's `slice.indices(size)` and the number of positions it selects.
    static func resolveSlice(start: Int?, stop: Int?, step: Int?, size: Int) throws(TensorError) -> (Int, Int, Int) {
        let stride = step ?? 1
        guard stride != 0 else { throw TensorError("slice step cannot be zero") }
        let lower = stride > 0 ? 0 : -1
        let upper = stride > 0 ? size : size - 1
        func clamp(_ value: Int?, default fallback: Int) -> Int {
            guard let value else { return fallback }
            if value < 0 {
                let shifted = value < Int.min / 2 ? lower : value + size
                return Swift.max(shifted, lower)
            }
            return Swift.min(value, upper)
        }
        let first = clamp(start, default: stride > 0 ? lower : upper)
        let end = clamp(stop, default: stride > 0 ? upper : lower)
        let taken: Int
        if stride > 0 {
            taken = end > first ? (end - first - 1) / stride + 1 : 0
        } else {
            let magnitude = stride == Int.min ? Int.max : -stride
            taken = first > end ? (first - end - 1) / magnitude + 1 : 0
        }
        return (first, stride, taken)
    }
}

extension Tensor {
    /// Row-major walk parameters over the selected positions: base offset into this
    /// tensor and the stride of each input axis.
    private func selection(_ resolved: ResolvedIndex) -> (base: Int, strides: [Int]) {
        let own = contiguousStrides(shape)
        var base = 0
        var strides = [Int](repeating: 0, count: rank)
        for axis in 0..<rank {
            base &+= resolved.starts[axis] &* own[axis]
            strides[axis] = resolved.steps[axis] &* own[axis]
        }
        return (base, strides)
    }

    /// `x[components]` (a copy).
    public func indexed(_ components: [IndexComponent]) throws(TensorError) -> Tensor {
        let resolved = try ResolvedIndex(components, shape: shape)
        let (base, strides) = selection(resolved)
        let total = try Tensor.elementCount(of: resolved.counts)
        let zero = [Int](repeating: 0, count: rank)
        let out = [Double](unsafeUninitializedCapacity: total) { dst, initialized in
            scalars.withUnsafeBufferPointer { src in
                walkStrided(shape: resolved.counts, stridesA: strides, stridesB: zero) { index, offset, _ in
                    dst.initializeElement(at: index, to: src[base &+ offset])
                }
            }
            initialized = total
        }
        return Tensor(uncheckedShape: resolved.resultShape, scalars: out)
    }

    /// The gradient of `x[components]`: `values` (shaped like the selection) added into a
    /// zero tensor of this tensor's shape at the selected positions.
    public func scatterIndexed(_ components: [IndexComponent], values: Tensor) throws(TensorError) -> Tensor {
        let resolved = try ResolvedIndex(components, shape: shape)
        guard values.shape == resolved.resultShape else {
            throw TensorError("index gradient of shape \(formatShape(values.shape)) does not match selection shape \(formatShape(resolved.resultShape))")
        }
        let (base, strides) = selection(resolved)
        let zero = [Int](repeating: 0, count: rank)
        var out = [Double](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { dst in
            values.scalars.withUnsafeBufferPointer { src in
                walkStrided(shape: resolved.counts, stridesA: strides, stridesB: zero) { index, offset, _ in
                    dst[base &+ offset] += src[index]
                }
            }
        }
        return Tensor(uncheckedShape: shape, scalars: out)
    }
}
