/// NumPy broadcasting: shapes are aligned at their last axis; two dimensions are
/// compatible when equal or when one of them is 1.
public func broadcastShape(_ a: [Int], _ b: [Int]) throws(TensorError) -> [Int] {
    if a == b { return a }
    let rank = max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for axis in 0..<rank {
        let da = axis - (rank - a.count) >= 0 ? a[axis - (rank - a.count)] : 1
        let db = axis - (rank - b.count) >= 0 ? b[axis - (rank - b.count)] : 1
        if da == db || db == 1 {
            result[axis] = da
        } else if da == 1 {
            result[axis] = db
        } else {
            throw TensorError("operands could not be broadcast together with shapes \(formatShape(a)) and \(formatShape(b))")
        }
    }
    _ = try Tensor.elementCount(of: result)
    return result
}

/// Row-major strides of a contiguous tensor of `shape`.
@usableFromInline
func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 0, count: shape.count)
    var running = 1
    var axis = shape.count - 1
    while axis >= 0 {
        strides[axis] = running
        running &*= shape[axis]
        axis -= 1
    }
    return strides
}

/// Strides that read a contiguous tensor of `shape` as if it had `target` (a shape it
/// broadcasts to): broadcast axes get stride 0.
@usableFromInline
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    let own = contiguousStrides(shape)
    var strides = [Int](repeating: 0, count: target.count)
    let offset = target.count - shape.count
    for axis in 0..<target.count {
        let sourceAxis = axis - offset
        if sourceAxis >= 0, shape[sourceAxis] != 1 {
            strides[axis] = own[sourceAxis]
        }
    }
    return strides
}

/// Visits every position of `shape` in row-major order, handing the body the flat
/// output index and an offset into each of two strided operands. The innermost axis runs
/// as a plain loop; outer axes advance an odometer, so the cost per element is an add.
@inlinable @inline(__always)
func walkStrided(
    shape: [Int], stridesA: [Int], stridesB: [Int],
    _ body: (_ index: Int, _ offsetA: Int, _ offsetB: Int) -> Void
) {
    let rank = shape.count
    if rank == 0 {
        body(0, 0, 0)
        return
    }
    let inner = shape[rank - 1]
    var total = 1
    for dim in shape { total &*= dim }
    if total == 0 { return }
    let innerA = stridesA[rank - 1], innerB = stridesB[rank - 1]
    let outer = total / inner
    var counter = [Int](repeating: 0, count: rank)
    var offsetA = 0, offsetB = 0, index = 0
    for _ in 0..<outer {
        var a = offsetA, b = offsetB
        for _ in 0..<inner {
            body(index, a, b)
            index &+= 1
            a &+= innerA
            b &+= innerB
        }
        var axis = rank - 2
        while axis >= 0 {
            counter[axis] &+= 1
            offsetA &+= stridesA[axis]
            offsetB &+= stridesB[axis]
            if counter[axis] < shape[axis] { break }
            offsetA &-= stridesA[axis] &* shape[axis]
            offsetB &-= stridesB[axis] &* shape[axis]
            counter[axis] = 0
            axis -= 1
        }
    }
}

extension Tensor {
    /// True when a tensor of `shape` broadcasts to this tensor's shape unchanged.
    public func canReduce(to shape: [Int]) -> Bool {
        guard shape.count <= self.shape.count else { return false }
        let offset = self.shape.count - shape.count
        for axis in 0..<shape.count where shape[axis] != 1 && shape[axis] != self.shape[axis + offset] {
            return false
        }
        return true
    }

    /// Sums a broadcast result back to `shape` (the shape of an operand that was broadcast
    /// to produce it): leading axes are summed away, axes where `shape` has 1 are summed
    /// with the 1 kept. This is the gradient of broadcasting.
    public func sumTo(_ shape: [Int]) throws(TensorError) -> Tensor {
        if shape == self.shape { return self }
        guard canReduce(to: shape) else {
            throw TensorError("cannot reduce shape \(formatShape(self.shape)) to shape \(formatShape(shape)) by summing broadcast axes")
        }
        let outCount = try Tensor.elementCount(of: shape)
        var out = [Double](repeating: 0, count: outCount)
        let outStrides = broadcastStrides(shape, to: self.shape)
        let inStrides = contiguousStrides(self.shape)
        out.withUnsafeMutableBufferPointer { dst in
            scalars.withUnsafeBufferPointer { src in
                walkStrided(shape: self.shape, stridesA: inStrides, stridesB: outStrides) { _, a, b in
                    dst[b] += src[a]
                }
            }
        }
        return Tensor(uncheckedShape: shape, scalars: out)
    }

    /// Copies this tensor out to `shape` (which it must broadcast to).
    public func broadcast(to shape: [Int]) throws(TensorError) -> Tensor {
        if shape == self.shape { return self }
        let joined = try broadcastShape(self.shape, shape)
        guard joined == shape else {
            throw TensorError("cannot broadcast shape \(formatShape(self.shape)) to shape \(formatShape(shape))")
        }
        let count = try Tensor.elementCount(of: shape)
        let strides = broadcastStrides(self.shape, to: shape)
        let zeroStrides = [Int](repeating: 0, count: shape.count)
        let out = [Double](unsafeUninitializedCapacity: count) { dst, initialized in
            scalars.withUnsafeBufferPointer { src in
                walkStrided(shape: shape, stridesA: strides, stridesB: zeroStrides) { index, a, _ in
                    dst.initializeElement(at: index, to: src[a])
                }
            }
            initialized = count
        }
        return Tensor(uncheckedShape: shape, scalars: out)
    }
}
