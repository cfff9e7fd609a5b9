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
