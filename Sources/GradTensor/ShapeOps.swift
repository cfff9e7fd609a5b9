import CBLAS

/// Matrices with at least this many elements are transposed by OpenBLAS.
let blasTransposeThreshold = 4096

extension Tensor {
    /// Same elements, new shape; one dimension may be -1 and is then inferred.
    public func reshaped(_ newShape: [Int]) throws(TensorError) -> Tensor {
        guard newShape.count <= Tensor.maxRank else {
            throw TensorError("tensors have at most \(Tensor.maxRank) dimensions, got \(newShape.count)")
        }
        var resolved = newShape
        var inferredAxis: Int?
        var known = 1
        for (axis, dim) in newShape.enumerated() {
            if dim == -1 {
                guard inferredAxis == nil else { throw TensorError("can only specify one unknown dimension (-1) in reshape") }
                inferredAxis = axis
            } else if dim < 0 {
                throw TensorError("negative dimension \(dim) in reshape to \(formatShape(newShape))")
            } else {
                let (next, overflow) = known.multipliedReportingOverflow(by: dim)
                guard !overflow else { throw TensorError("shape \(formatShape(newShape)) is too large") }
                known = next
            }
        }
        if let inferredAxis {
            guard known > 0, count % known == 0 else {
                throw TensorError("cannot reshape tensor of shape \(formatShape(shape)) (\(count) elements) into shape \(formatShape(newShape))")
            }
            resolved[inferredAxis] = count / known
        } else if known != count {
            throw TensorError("cannot reshape tensor of shape \(formatShape(shape)) (\(count) elements) into shape \(formatShape(newShape))")
        }
        _ = try Tensor.elementCount(of: resolved)
        return Tensor(uncheckedShape: resolved, scalars: scalars)
    }

    /// Rank 1 with every element.
    public func flattened() -> Tensor {
        Tensor(uncheckedShape: [count], scalars: scalars)
    }

    /// Swaps the last two axes (NumPy's `.T` for matrices, `swapaxes(-1, -2)` for batches);
    /// rank 0 and 1 are returned unchanged, as NumPy's `.T` does for them.
    public func transposedLastTwo() -> Tensor {
        guard rank >= 2 else { return self }
        let rows = shape[rank - 2], cols = shape[rank - 1]
        let block = rows &* cols
        var outShape = shape
        outShape[rank - 2] = cols
        outShape[rank - 1] = rows
        let total = count
        // Square tiles keep both the rows read and the rows written in cache; a plain
        // double loop writes with a stride of `rows` and is several times slower on
        // matrices of a few hundred rows.
        let tile = 32
        if block >= blasTransposeThreshold, rows <= Int(Int32.max), cols <= Int(Int32.max) {
            // OpenBLAS's out-of-place transpose runs at about twice the speed of the tiled
            // loop below on a 256×784 matrix (a weight matrix read through `.T` every step).
            let out = [Double](unsafeUninitializedCapacity: total) { dst, initialized in
                scalars.withUnsafeBufferPointer { src in
                    guard let source = src.baseAddress, let destination = dst.baseAddress else { return }
                    var base = 0
                    while base < total {
                        cblas_domatcopy(CblasRowMajor, CblasTrans, blasint(rows), blasint(cols), 1,
                                        source + base, blasint(cols), destination + base, blasint(rows))
                        base &+= block
                    }
                }
                initialized = total
            }
            return Tensor(uncheckedShape: outShape, scalars: out)
        }
        let out = [Double](unsafeUninitializedCapacity: total) { dst, initialized in
            scalars.withUnsafeBufferPointer { src in
                var base = 0
                while base < total {
                    var r0 = 0
                    while r0 < rows {
                        let r1 = Swift.min(r0 &+ tile, rows)
                        var c0 = 0
                        while c0 < cols {
                            let c1 = Swift.min(c0 &+ tile, cols)
                            for r in r0..<r1 {
                                for c in c0..<c1 {
                                    dst.initializeElement(at: base &+ c &* rows &+ r, to: src[base &+ r &* cols &+ c])
                                }
                            }
                            c0 = c1
                        }
                        r0 = r1
                    }
                    base &+= block
                }
            }
            initialized = total
        }
        return Tensor(uncheckedShape: outShape, scalars: out)
    }

    /// Joins tensors along an existing axis (NumPy's `concatenate`).
    public static func concat(_ parts: [Tensor], axis: Int) throws(TensorError) -> Tensor {
        guard let first = parts.first else { throw TensorError("concat needs at least one tensor") }
        guard first.rank > 0 else { throw TensorError("zero-dimensional tensors cannot be concatenated") }
        let resolved = try normalizeAxis(axis, rank: first.rank)
        var outShape = first.shape
        outShape[resolved] = 0
        for part in parts {
            var probe = part.shape
            guard probe.count == first.rank else {
                throw TensorError("concat: all inputs must have the same rank, got shapes \(formatShape(first.shape)) and \(formatShape(part.shape))")
            }
            probe[resolved] = first.shape[resolved]
            guard probe == first.shape else {
                throw TensorError("concat: shapes \(formatShape(first.shape)) and \(formatShape(part.shape)) differ outside axis \(axis)")
            }
            let (next, overflow) = outShape[resolved].addingReportingOverflow(part.shape[resolved])
            guard !overflow else { throw TensorError("concat: result is too large") }
            outShape[resolved] = next
        }
        let total = try elementCount(of: outShape)
        var outer = 1
        for dim in first.shape[..<resolved] { outer &*= dim }
        var out: [Double] = []
        out.reserveCapacity(total)
        for row in 0..<outer {
            for part in parts {
                let chunk = outer == 0 ? 0 : part.count / outer
                let start = row &* chunk
                out.append(contentsOf: part.scalars[start..<(start &+ chunk)])
            }
        }
        return Tensor(uncheckedShape: outShape, scalars: out)
    }

    /// Cuts this tensor along `axis` into consecutive pieces of the given sizes (the
    /// inverse of `concat`, used for its gradient).
    public func split(sizes: [Int], axis: Int) throws(TensorError) -> [Tensor] {
        let resolved = try normalizeAxis(axis, rank: rank)
        var total = 0
        for size in sizes { total &+= size }
        guard total == shape[resolved], sizes.allSatisfy({ $0 >= 0 }) else {
            throw TensorError("cannot split axis \(axis) of size \(shape[resolved]) into sizes \(formatShape(sizes))")
        }
        var outer = 1
        for dim in shape[..<resolved] { outer &*= dim }
        var inner = 1
        for dim in shape[(resolved + 1)...] { inner &*= dim }
        let rowLength = shape[resolved] &* inner
        var pieces: [Tensor] = []
        var offset = 0
        for size in sizes {
            var pieceShape = shape
            pieceShape[resolved] = size
            var values: [Double] = []
            values.reserveCapacity(outer &* size &* inner)
            for row in 0..<outer {
                let start = row &* rowLength &+ offset &* inner
                values.append(contentsOf: scalars[start..<(start &+ size &* inner)])
            }
            pieces.append(Tensor(uncheckedShape: pieceShape, scalars: values))
            offset &+= size
        }
        return pieces
    }

    /// Joins equally shaped tensors along a new axis (NumPy's `stack`).
    public static func stack(_ parts: [Tensor], axis: Int = 0) throws(TensorError) -> Tensor {
        guard let first = parts.first else { throw TensorError("stack needs at least one tensor") }
        for part in parts where part.shape != first.shape {
            throw TensorError("stack: all inputs must have the same shape, got \(formatShape(first.shape)) and \(formatShape(part.shape))")
        }
        let resolved = try normalizeAxis(axis, rank: first.rank + 1)
        var expandedShape = first.shape
        expandedShape.insert(1, at: resolved)
        let expanded = parts.map { Tensor(uncheckedShape: expandedShape, scalars: $0.scalars) }
        return try concat(expanded, axis: resolved)
    }

    /// The inverse of `stack`: the slices along `axis`, each without that axis.
    public func unstack(axis: Int) throws(TensorError) -> [Tensor] {
        let resolved = try normalizeAxis(axis, rank: rank)
        var pieceShape = shape
        pieceShape.remove(at: resolved)
        let pieces = try split(sizes: [Int](repeating: 1, count: shape[resolved]), axis: resolved)
        return pieces.map { Tensor(uncheckedShape: pieceShape, scalars: $0.scalars) }
    }
}
