#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Resolves an axis that may count from the end (`-1` is the last axis).
public func normalizeAxis(_ axis: Int, rank: Int) throws(TensorError) -> Int {
    let resolved = axis < 0 ? axis &+ rank : axis
    guard resolved >= 0, resolved < rank else {
        throw TensorError("axis \(axis) is out of bounds for a tensor of rank \(rank)")
    }
    return resolved
}

/// Which axes of a rank-`rank` tensor a reduction over `axes` removes (nil: all of them).
public func reductionMask(_ axes: [Int]?, rank: Int) throws(TensorError) -> [Bool] {
    guard let axes else { return [Bool](repeating: true, count: rank) }
    var mask = [Bool](repeating: false, count: rank)
    for axis in axes {
        let resolved = try normalizeAxis(axis, rank: rank)
        guard !mask[resolved] else { throw TensorError("duplicate axis \(axis) in reduction") }
        mask[resolved] = true
    }
    return mask
}

extension Tensor {
    /// The shape a reduction over `axes` leaves, with or without the reduced axes kept as 1.
    public func reducedShape(axes: [Int]?, keepdims: Bool) throws(TensorError) -> [Int] {
        let mask = try reductionMask(axes, rank: rank)
        var out: [Int] = []
        for axis in 0..<rank {
            if !mask[axis] {
                out.append(shape[axis])
            } else if keepdims {
                out.append(1)
            }
        }
        return out
    }

    @usableFromInline
    func reduce(axes: [Int]?, keepdims: Bool, initial: Double, name: String,
                _ combine: (Double, Double) -> Double) throws(TensorError) -> Tensor {
        let mask = try reductionMask(axes, rank: rank)
        var keptShape = shape
        var reducedCount = 1
        for axis in 0..<rank where mask[axis] {
            keptShape[axis] = 1
            reducedCount &*= shape[axis]
        }
        if reducedCount == 0 && initial.isInfinite {
            throw TensorError("\(name) of an empty tensor has no value")
        }
        let finalShape = keepdims ? keptShape : try reducedShape(axes: axes, keepdims: false)
        let outCount = try Tensor.elementCount(of: keptShape)
        if outCount == 1 {
            let value = scalars.withUnsafeBufferPointer { src in
                var accumulator = initial
                for element in src { accumulator = combine(accumulator, element) }
                return accumulator
            }
            return Tensor(uncheckedShape: finalShape, scalars: [value])
        }
        var out = [Double](repeating: initial, count: outCount)
        let outStrides = broadcastStrides(keptShape, to: shape)
        let inStrides = contiguousStrides(shape)
        out.withUnsafeMutableBufferPointer { dst in
            scalars.withUnsafeBufferPointer { src in
                walkStrided(shape: shape, stridesA: inStrides, stridesB: outStrides) { _, a, b in
                    dst[b] = combine(dst[b], src[a])
                }
            }
        }
        return Tensor(uncheckedShape: finalShape, scalars: out)
    }

    public func sum(axes: [Int]? = nil, keepdims: Bool = false) throws(TensorError) -> Tensor {
        try reduce(axes: axes, keepdims: keepdims, initial: 0, name: "sum", +)
    }

    public func mean(axes: [Int]? = nil, keepdims: Bool = false) throws(TensorError) -> Tensor {
        let total = try sum(axes: axes, keepdims: keepdims)
        let mask = try reductionMask(axes, rank: rank)
        var reducedCount = 1
        for axis in 0..<rank where mask[axis] { reducedCount &*= shape[axis] }
        return total / Double(reducedCount)
    }

    /// Maximum along `axes`; NaN anywhere in a slice makes that slice's result NaN.
    public func max(axes: [Int]? = nil, keepdims: Bool = false) throws(TensorError) -> Tensor {
        try reduce(axes: axes, keepdims: keepdims, initial: -.infinity, name: "max") { acc, x in
            x > acc || x.isNaN ? x : acc
        }
    }

    public func min(axes: [Int]? = nil, keepdims: Bool = false) throws(TensorError) -> Tensor {
        try reduce(axes: axes, keepdims: keepdims, initial: .infinity, name: "min") { acc, x in
            x < acc || x.isNaN ? x : acc
        }
    }

    /// log(Σ exp(x)) along `axes`, shifted by the maximum so large inputs do not overflow
    /// (an infinite maximum is not subtracted, as in PyTorch).
    public func logsumexp(axes: [Int]? = nil, keepdims: Bool = false) throws(TensorError) -> Tensor {
        if count == 0 {
            let shape = try reducedShape(axes: axes, keepdims: keepdims)
            return try Tensor.full(shape, value: -.infinity)
        }
        let peak = try max(axes: axes, keepdims: true).map { $0.isFinite ? $0 : 0 }
        let shifted = try self.zipWith(peak) { exp($0 - $1) }
        let total = try shifted.sum(axes: axes, keepdims: true)
        let result = try total.zipWith(peak) { log($0) + $1 }
        if keepdims { return result }
        return Tensor(uncheckedShape: try reducedShape(axes: axes, keepdims: false), scalars: result.scalars)
    }

    public func softmax(axis: Int) throws(TensorError) -> Tensor {
        let peak = try max(axes: [axis], keepdims: true).map { $0.isFinite ? $0 : 0 }
        let shifted = try self.zipWith(peak) { exp($0 - $1) }
        let total = try shifted.sum(axes: [axis], keepdims: true)
        return try shifted / total
    }

    public func logSoftmax(axis: Int) throws(TensorError) -> Tensor {
        let normalizer = try logsumexp(axes: [axis], keepdims: true)
        return try self - normalizer
    }

    /// Spreads `reduced` (the result, or the gradient of the result, of a reduction of
    /// this tensor over `axes`) back over this tensor's shape.
    public func expandReduced(_ reduced: Tensor, axes: [Int]?, keepdims: Bool) throws(TensorError) -> Tensor {
        let kept = try reducedShape(axes: axes, keepdims: true)
        let reshaped = try Tensor(shape: kept, scalars: reduced.scalars)
        return try reshaped.broadcast(to: shape)
    }
}
