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

/// How `matmul` sees its operands after NumPy's promotion of vectors to matrices.
private struct MatmulPlan {
    var a: MatrixOperand
    var b: MatrixOperand
    var batch: [Int]
    var aIsVector: Bool
    var bIsVector: Bool

    init(_ left: Tensor, _ right: Tensor) throws(TensorError) {
        guard left.rank >= 1, right.rank >= 1 else {
            throw TensorError("matmul: operands must have at least one dimension, got shapes \(formatShape(left.shape)) @ \(formatShape(right.shape)) (use * for scalars)")
        }
        aIsVector = left.rank == 1
        bIsVector = right.rank == 1
        let aShape = aIsVector ? [1, left.shape[0]] : left.shape
        let bShape = bIsVector ? [right.shape[0], 1] : right.shape
        let aBatch = Array(aShape.dropLast(2)), bBatch = Array(bShape.dropLast(2))
        let m = aShape[aShape.count - 2], k = aShape[aShape.count - 1]
        let k2 = bShape[bShape.count - 2], n = bShape[bShape.count - 1]
        guard k == k2 else {
            throw TensorError("matmul: inner dimensions differ: \(formatShape(left.shape)) @ \(formatShape(right.shape))")
        }
        do {
            batch = try broadcastShape(aBatch, bBatch)
        } catch {
            throw TensorError("matmul: batch dimensions could not be broadcast together: \(formatShape(left.shape)) @ \(formatShape(right.shape))")
        }
        _ = try Tensor.elementCount(of: batch + [m, n])
        a = MatrixOperand(scalars: left.scalars, batch: aBatch, rows: m, cols: k, transposed: false)
        b = MatrixOperand(scalars: right.scalars, batch: bBatch, rows: k, cols: n, transposed: false)
    }

    var resultShape: [Int] {
        var shape = batch
        if !aIsVector { shape.append(a.rows) }
        if !bIsVector { shape.append(b.cols) }
        return shape
    }
}

extension Tensor {
    /// NumPy's `matmul`: vector·vector gives a scalar, a vector operand is promoted to a
    /// matrix and the promoted axis removed from the result, leading (batch) axes
    /// broadcast. Products go through OpenBLAS except for tiny sizes.
    public static func matmul(_ left: Tensor, _ right: Tensor) throws(TensorError) -> Tensor {
        let plan = try MatmulPlan(left, right)
        let out = batchedProduct(plan.a, plan.b, outBatch: plan.batch)
        return Tensor(uncheckedShape: plan.resultShape, scalars: out)
    }

    /// Gradients of `matmul(left, right)` given the gradient of its result. Each has the
    /// operand's own trailing shape with the broadcast batch axes in front; summing those
    /// away (`sumTo`) is the caller's single broadcast reduction.
    public static func matmulGradients(_ left: Tensor, _ right: Tensor, resultGradient: Tensor,
                                       needLeft: Bool, needRight: Bool) throws(TensorError) -> (Tensor?, Tensor?) {
        let plan = try MatmulPlan(left, right)
        let m = plan.a.rows, k = plan.a.cols, n = plan.b.cols
        let gradShape = plan.batch + [m, n]
        guard resultGradient.count == (try Tensor.elementCount(of: gradShape)) else {
            throw TensorError("matmul: gradient of shape \(formatShape(resultGradient.shape)) does not match result shape \(formatShape(plan.resultShape))")
        }
        let g = MatrixOperand(scalars: resultGradient.scalars, batch: plan.batch, rows: m, cols: n, transposed: false)
        var leftGradient: Tensor?
        var rightGradient: Tensor?
        if needLeft {
            var bT = plan.b
            bT.transposed = true
            let values = batchedProduct(g, bT, outBatch: plan.batch)
            leftGradient = Tensor(uncheckedShape: plan.batch + (plan.aIsVector ? [k] : [m, k]), scalars: values)
        }
        if needRight {
            var aT = plan.a
            aT.transposed = true
            let values = batchedProduct(aT, g, outBatch: plan.batch)
            rightGradient = Tensor(uncheckedShape: plan.batch + (plan.bIsVector ? [k] : [k, n]), scalars: values)
        }
        return (leftGradient, rightGradient)
    }
}
