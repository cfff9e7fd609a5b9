import GradTensor
import Testing

/// Reference product of matrices stored row-major.
private func naive(_ a: [Double], _ b: [Double], m: Int, k: Int, n: Int) -> [Double] {
    var c = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var total = 0.0
            for p in 0..<k { total += a[i * k + p] * b[p * n + j] }
            c[i * n + j] = total
        }
    }
    return c
}

private func close(_ x: [Double], _ y: [Double]) -> Bool {
    x.count == y.count && zip(x, y).allSatisfy { Swift.abs($0 - $1) <= 1e-12 * Swift.max(1, Swift.abs($1)) }
}

@Suite struct MatMulTests {
    @Test(arguments: [(2, 3, 4), (1, 5, 1), (16, 17, 18), (64, 32, 48), (100, 2, 16)])
    func matrixTimesMatrixMatchesLoop(m: Int, k: Int, n: Int) throws {
        let a = try Tensor.randn([m, k], seed: 1), b = try Tensor.randn([k, n], seed: 2)
        let c = try Tensor.matmul(a, b)
        #expect(c.shape == [m, n])
        #expect(close(c.scalars, naive(a.scalars, b.scalars, m: m, k: k, n: n)))
    }

    @Test func vectorCases() throws {
        let v = Tensor(vector: [1, 2, 3])
        #expect(try Tensor.matmul(v, v) == Tensor(14))
        let m = try Tensor(shape: [2, 3], scalars: [1, 0, 2, 0, 1, 1])
        #expect(try Tensor.matmul(m, v) == Tensor(vector: [7, 5]))
        #expect(try Tensor.matmul(Tensor(vector: [1, 1]), m) == Tensor(vector: [1, 1, 3]))
        let big = try Tensor.randn([40, 30], seed: 3), x = try Tensor.randn([30], seed: 4)
        #expect(close(try Tensor.matmul(big, x).scalars, naive(big.scalars, x.scalars, m: 40, k: 30, n: 1)))
        let y = try Tensor.randn([40], seed: 5)
        #expect(close(try Tensor.matmul(y, big).scalars, naive(y.scalars, big.scalars, m: 1, k: 40, n: 30)))
    }

    @Test func batchesBroadcast() throws {
        let a = try Tensor.randn([2, 1, 3, 4], seed: 6), b = try Tensor.randn([5, 4, 2], seed: 7)
        let c = try Tensor.matmul(a, b)
        #expect(c.shape == [2, 5, 3, 2])
        for i in 0..<2 {
            for j in 0..<5 {
                let left = Array(a.scalars[(i * 12)..<(i * 12 + 12)])
                let right = Array(b.scalars[(j * 8)..<(j * 8 + 8)])
                let block = Array(c.scalars[((i * 5 + j) * 6)..<((i * 5 + j) * 6 + 6)])
                #expect(close(block, naive(left, right, m: 3, k: 4, n: 2)))
            }
        }
    }

    @Test func mismatchShowsBothShapes() {
        #expect(throws: TensorError("matmul: inner dimensions differ: [2, 3] @ [4, 5]")) {
            try Tensor.matmul(Tensor.zeros([2, 3]), Tensor.zeros([4, 5]))
        }
        #expect(throws: TensorError.self) { try Tensor.matmul(Tensor(2), Tensor(3)) }
        #expect(throws: TensorError.self) { try Tensor.matmul(Tensor.zeros([2, 2, 3]), Tensor.zeros([3, 3, 1])) }
    }

    @Test func gradientsMatchTransposedProducts() throws {
        let a = try Tensor.randn([3, 4], seed: 8), b = try Tensor.randn([4, 5], seed: 9), g = try Tensor.randn([3, 5], seed: 10)
        let (da, db) = try Tensor.matmulGradients(a, b, resultGradient: g, needLeft: true, needRight: true)
        #expect(close(da?.scalars ?? [], try Tensor.matmul(g, b.transposedLastTwo()).scalars))
        #expect(close(db?.scalars ?? [], try Tensor.matmul(a.transposedLastTwo(), g).scalars))
    }
}

/// `a @ b.T` is built as one product that reads `b` transposed. It equals the product with the
/// explicit transpose up to rounding: BLAS may sum in another order for the other layout (which
/// is why a session records its engine revision, and a replay uses the one that recorded it).
/// Below the BLAS threshold the loop sums in the same order, so there it is bit for bit.
@Suite struct TransposedOperandTests {
    private func bits(_ tensor: Tensor?) -> [UInt64] { tensor?.scalars.map(\.bitPattern) ?? [] }

    private func agree(_ x: Tensor?, _ y: Tensor?, exactly: Bool) -> Bool {
        guard let x, let y, x.shape == y.shape else { return false }
        return exactly ? bits(x) == bits(y) : close(x.scalars, y.scalars)
    }

    @Test(arguments: [([2, 3], [4, 3]), ([256, 784], [256, 784]), ([64, 256], [10, 256]), ([3, 5, 4], [6, 4]), ([7], [5, 7])])
    func rightOperandReadTransposedEqualsTheExplicitTranspose(left: [Int], right: [Int]) throws {
        let a = try Tensor.randn(left, seed: 11), b = try Tensor.randn(right, seed: 12)
        let bT = b.transposedLastTwo()
        let fused = try Tensor.matmul(a, b, transposeRight: true)
        let explicit = try Tensor.matmul(a, bT)
        let small = left.reduce(1, *) * right[right.count - 2] < 512
        #expect(agree(fused, explicit, exactly: small))
        let g = try Tensor.randn(fused.shape, seed: 13)
        let (da, db) = try Tensor.matmulGradients(a, b, resultGradient: g, needLeft: true, needRight: true, transposeRight: true)
        let (daExplicit, dbTExplicit) = try Tensor.matmulGradients(a, bT, resultGradient: g, needLeft: true, needRight: true)
        #expect(agree(da, daExplicit, exactly: small))
        // The explicit graph's transpose node hands dbT back through a transpose.
        #expect(agree(db, dbTExplicit?.transposedLastTwo(), exactly: small))
    }

    @Test(arguments: [([3, 2], [3, 4]), ([300, 40], [300, 50]), ([2, 4, 3], [4, 5])])
    func leftOperandReadTransposedEqualsTheExplicitTranspose(left: [Int], right: [Int]) throws {
        let a = try Tensor.randn(left, seed: 21), b = try Tensor.randn(right, seed: 22)
        let aT = a.transposedLastTwo()
        let fused = try Tensor.matmul(a, b, transposeLeft: true)
        let small = left.reduce(1, *) * right[right.count - 1] < 512
        #expect(agree(fused, try Tensor.matmul(aT, b), exactly: small))
        let g = try Tensor.randn(fused.shape, seed: 23)
        let (da, db) = try Tensor.matmulGradients(a, b, resultGradient: g, needLeft: true, needRight: true, transposeLeft: true)
        let (daTExplicit, dbExplicit) = try Tensor.matmulGradients(aT, b, resultGradient: g, needLeft: true, needRight: true)
        #expect(da?.shape == a.shape)
        #expect(agree(da, daTExplicit?.transposedLastTwo(), exactly: small))
        #expect(agree(db, dbExplicit, exactly: small))
    }

    @Test func bothOperandsTransposed() throws {
        let a = try Tensor.randn([40, 30], seed: 31), b = try Tensor.randn([20, 40], seed: 32)
        let fused = try Tensor.matmul(a, b, transposeLeft: true, transposeRight: true)
        #expect(agree(fused, try Tensor.matmul(a.transposedLastTwo(), b.transposedLastTwo()), exactly: false))
    }

    @Test func aMismatchNamesTheTransposedOperand() throws {
        let a = try Tensor.zeros([2, 3]), b = try Tensor.zeros([3, 4])
        let error = try #require(throws: TensorError.self) { try Tensor.matmul(a, b, transposeRight: true) }
        #expect(error.message == "matmul: inner dimensions differ: [2, 3] @ [3, 4].T")
    }
}
