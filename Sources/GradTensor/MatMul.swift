import CBLAS

/// Products below this many multiply-adds run as a plain loop: a BLAS call costs more
/// than the arithmetic for them.
let blasThreshold = 512

/// One operand of a batched product: a stack of row-major matrices of `rows × cols`
/// (as stored), read transposed when `transposed`.
struct MatrixOperand {
    var scalars: [Double]
    var batch: [Int]
    var rows: Int
    var cols: Int
    var transposed: Bool

    /// Rows and columns of the operand as it enters the product.
    var effectiveRows: Int { transposed ? cols : rows }
    var effectiveCols: Int { transposed ? rows : cols }
}

/// C = op(A) · op(B) for one matrix pair: `c` is `m × n`, overwritten.
private func gemm(_ a: UnsafePointer<Double>, transA: Bool, _ b: UnsafePointer<Double>, transB: Bool,
                  _ c: UnsafeMutablePointer<Double>, m: Int, n: Int, k: Int) {
    if m &* n &* k >= blasThreshold {
        if n == 1 {
            // Matrix · vector: op(B) is a k-vector, contiguous whether transposed or not.
            cblas_dgemv(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
                        blasint(transA ? k : m), blasint(transA ? m : k),
                        1, a, blasint(transA ? m : k), b, 1, 0, c, 1)
        } else {
            cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                        blasint(m), blasint(n), blasint(k), 1, a, blasint(transA ? m : k),
                        b, blasint(transB ? k : n), 0, c, blasint(n))
        }
        return
    }
    for index in 0..<(m &* n) { c[index] = 0 }
    for i in 0..<m {
        for p in 0..<k {
            let left = transA ? a[p &* m &+ i] : a[i &* k &+ p]
            let row = c + i &* n
            if transB {
                for j in 0..<n { row[j] += left * b[j &* k &+ p] }
            } else {
                let source = b + p &* n
                for j in 0..<n { row[j] += left * source[j] }
            }
        }
    }
}

/// op(A) · op(B) over broadcast batch dimensions; returns the scalars of shape
/// `outBatch + [m, n]`. The caller has checked inner dimensions and batch compatibility.
func batchedProduct(_ a: MatrixOperand, _ b: MatrixOperand, outBatch: [Int]) -> [Double] {
    let m = a.effectiveRows, k = a.effectiveCols, n = b.effectiveCols
    var batchCount = 1
    for dim in outBatch { batchCount &*= dim }
    let blockA = a.rows &* a.cols, blockB = b.rows &* b.cols, blockC = m &* n
    let total = batchCount &* blockC
    if total == 0 || k == 0 { return [Double](repeating: 0, count: total) }
    // Every product overwrites its block (BLAS with beta = 0, the loop zeroes first), so
    // the output needs no zero fill.
    var out = [Double](unsafeUninitializedCapacity: total) { _, initialized in initialized = total }
    let stridesA = broadcastStrides(a.batch, to: outBatch).map { $0 &* blockA }
    let stridesB = broadcastStrides(b.batch, to: outBatch).map { $0 &* blockB }
    out.withUnsafeMutableBufferPointer { dst in
        a.scalars.withUnsafeBufferPointer { srcA in
            b.scalars.withUnsafeBufferPointer { srcB in
                guard let baseA = srcA.baseAddress, let baseB = srcB.baseAddress, let baseC = dst.baseAddress else { return }
                walkStrided(shape: outBatch, stridesA: stridesA, stridesB: stridesB) { index, offsetA, offsetB in
                    gemm(baseA + offsetA, transA: a.transposed, baseB + offsetB, transB: b.transposed,
                         baseC + index &* blockC, m: m, n: n, k: k)
                }
            }
        }
    }
    return out
}

/// How `matmul` sees its operands after NumPy's promotion of vectors to matrices. An operand
/// flagged as transposed is read as its transpose (last two axes swapped) straight from its
/// storage, the way BLAS takes `transa`/`transb`, so `x @ w.T` never copies `w`.
private struct MatmulPlan {
    var a: MatrixOperand
    var b: MatrixOperand
    var batch: [Int]
    var aIsVector: Bool
    var bIsVector: Bool

    init(_ left: Tensor, _ right: Tensor, transposeLeft: Bool = false, transposeRight: Bool = false) throws(TensorError) {
        guard left.rank >= 1, right.rank >= 1 else {
            throw TensorError("matmul: operands must have at least one dimension, got shapes \(formatShape(left.shape)) @ \(formatShape(right.shape)) (use * for scalars)")
        }
        aIsVector = left.rank == 1
        bIsVector = right.rank == 1
        // A vector is its own transpose.
        let transA = transposeLeft && !aIsVector, transB = transposeRight && !bIsVector
        let aShape = aIsVector ? [1, left.shape[0]] : left.shape
        let bShape = bIsVector ? [right.shape[0], 1] : right.shape
        let aBatch = Array(aShape.dropLast(2)), bBatch = Array(bShape.dropLast(2))
        a = MatrixOperand(scalars: left.scalars, batch: aBatch, rows: aShape[aShape.count - 2], cols: aShape[aShape.count - 1], transposed: transA)
        b = MatrixOperand(scalars: right.scalars, batch: bBatch, rows: bShape[bShape.count - 2], cols: bShape[bShape.count - 1], transposed: transB)
        guard a.effectiveCols == b.effectiveRows else {
            throw TensorError("matmul: inner dimensions differ: \(Self.describe(left, transA)) @ \(Self.describe(right, transB))")
        }
        do {
            batch = try broadcastShape(aBatch, bBatch)
        } catch {
            throw TensorError("matmul: batch dimensions could not be broadcast together: \(Self.describe(left, transA)) @ \(Self.describe(right, transB))")
        }
        _ = try Tensor.elementCount(of: batch + [a.effectiveRows, b.effectiveCols])
    }

    /// `[2, 3]`, or `[3, 2].T` for an operand read transposed.
    private static func describe(_ tensor: Tensor, _ transposed: Bool) -> String {
        formatShape(tensor.shape) + (transposed ? ".T" : "")
    }

    var resultShape: [Int] {
        var shape = batch
        if !aIsVector { shape.append(a.effectiveRows) }
        if !bIsVector { shape.append(b.effectiveCols) }
        return shape
    }
}

extension Tensor {
    /// NumPy's `matmul`: vector·vector gives a scalar, a vector operand is promoted to a
    /// matrix and the promoted axis removed from the result, leading (batch) axes
    /// broadcast. Products go through OpenBLAS except for tiny sizes. `transposeLeft` /
    /// `transposeRight` multiply by the operand's transpose (`transpose(a) @ b`) without
    /// making it.
    public static func matmul(_ left: Tensor, _ right: Tensor, transposeLeft: Bool = false, transposeRight: Bool = false) throws(TensorError) -> Tensor {
        let plan = try MatmulPlan(left, right, transposeLeft: transposeLeft, transposeRight: transposeRight)
        let out = batchedProduct(plan.a, plan.b, outBatch: plan.batch)
        return Tensor(uncheckedShape: plan.resultShape, scalars: out)
    }

    /// Gradients of `matmul(left, right, ...)` given the gradient of its result. Each has the
    /// operand's own trailing shape (as stored, also when it was read transposed) with the
    /// broadcast batch axes in front; summing those away (`sumTo`) is the caller's single
    /// broadcast reduction. For C = op(A) · op(B) and G = dC: d op(A) = G · op(B)ᵀ and
    /// d op(B) = op(A)ᵀ · G; a transposed operand takes the transpose of those, which is
    /// again one product with flags: dA = op(B) · Gᵀ, dB = Gᵀ · op(A).
    public static func matmulGradients(_ left: Tensor, _ right: Tensor, resultGradient: Tensor,
                                       needLeft: Bool, needRight: Bool,
                                       transposeLeft: Bool = false, transposeRight: Bool = false) throws(TensorError) -> (Tensor?, Tensor?) {
        let plan = try MatmulPlan(left, right, transposeLeft: transposeLeft, transposeRight: transposeRight)
        let m = plan.a.effectiveRows, n = plan.b.effectiveCols
        let gradShape = plan.batch + [m, n]
        guard resultGradient.count == (try Tensor.elementCount(of: gradShape)) else {
            throw TensorError("matmul: gradient of shape \(formatShape(resultGradient.shape)) does not match result shape \(formatShape(plan.resultShape))")
        }
        let g = MatrixOperand(scalars: resultGradient.scalars, batch: plan.batch, rows: m, cols: n, transposed: false)
        var leftGradient: Tensor?
        var rightGradient: Tensor?
        if needLeft {
            let values: [Double]
            if plan.a.transposed {
                var gT = g
                gT.transposed = true
                values = batchedProduct(plan.b, gT, outBatch: plan.batch)
            } else {
                var bT = plan.b
                bT.transposed.toggle()
                values = batchedProduct(g, bT, outBatch: plan.batch)
            }
            leftGradient = Tensor(uncheckedShape: plan.batch + (plan.aIsVector ? [plan.a.cols] : [plan.a.rows, plan.a.cols]), scalars: values)
        }
        if needRight {
            let values: [Double]
            if plan.b.transposed {
                var gT = g
                gT.transposed = true
                values = batchedProduct(gT, plan.a, outBatch: plan.batch)
            } else {
                var aT = plan.a
                aT.transposed.toggle()
                values = batchedProduct(aT, g, outBatch: plan.batch)
            }
            rightGradient = Tensor(uncheckedShape: plan.batch + (plan.bIsVector ? [plan.b.rows] : [plan.b.rows, plan.b.cols]), scalars: values)
        }
        return (leftGradient, rightGradient)
    }
}
