import GradTensor
import Testing

@Suite struct ReduceAndShapeTests {
    let m = try! Tensor(shape: [2, 3], scalars: [1, 5, 3, 4, 2, 6])

    @Test func reductionsAlongAxes() throws {
        #expect(try m.sum() == Tensor(21))
        #expect(try m.sum(axes: [0]) == Tensor(vector: [5, 7, 9]))
        #expect(try m.sum(axes: [1], keepdims: true) == Tensor(shape: [2, 1], scalars: [9, 12]))
        #expect(try m.sum(axes: [-1]) == Tensor(vector: [9, 12]))
        #expect(try m.mean(axes: [0]) == Tensor(vector: [2.5, 3.5, 4.5]))
        #expect(try m.max() == Tensor(6))
        #expect(try m.max(axes: [1]) == Tensor(vector: [5, 6]))
        #expect(try m.min(axes: [0], keepdims: true) == Tensor(shape: [1, 3], scalars: [1, 2, 3]))
        #expect(try m.sum(axes: [0, 1]) == Tensor(21))
        #expect(throws: TensorError.self) { try m.sum(axes: [2]) }
        #expect(throws: TensorError.self) { try m.sum(axes: [0, -2]) }
    }

    @Test func logsumexpIsStable() throws {
        let big = Tensor(vector: [1000, 1000])
        let value = try big.logsumexp()
        #expect(Swift.abs(value.scalars[0] - (1000 + 0.6931471805599453)) < 1e-12)
        let softmax = try Tensor(vector: [1000, 1000, 1000]).softmax(axis: -1)
        #expect(softmax.scalars.allSatisfy { Swift.abs($0 - 1.0 / 3) < 1e-15 })
    }

    @Test func largeTransposesMatchTheDefinition() throws {
        // 2 × 70 × 90: above the size where OpenBLAS transposes, batched, with a NaN and -0.
        let rows = 70, cols = 90
        var scalars = (0..<(2 * rows * cols)).map { Double($0) * 0.5 - 100 }
        scalars[7] = .nan
        scalars[rows * cols + 3] = -0.0
        let t = try Tensor(shape: [2, rows, cols], scalars: scalars).transposedLastTwo()
        #expect(t.shape == [2, cols, rows])
        var mismatches = 0
        for b in 0..<2 {
            for r in 0..<rows {
                for c in 0..<cols {
                    let expected = scalars[b * rows * cols + r * cols + c]
                    let actual = t.scalars[b * rows * cols + c * rows + r]
                    if expected.bitPattern != actual.bitPattern && !(expected.isNaN && actual.isNaN) { mismatches += 1 }
                }
            }
        }
        #expect(mismatches == 0)
    }

    @Test func reshapeInfersOneDimension() throws {
        #expect(try m.reshaped([3, -1]).shape == [3, 2])
        #expect(try m.reshaped([6]).scalars == m.scalars)
        #expect(throws: TensorError.self) { try m.reshaped([4, -1]) }
        #expect(throws: TensorError.self) { try m.reshaped([-1, -1]) }
        #expect(throws: TensorError.self) { try m.reshaped([5]) }
        #expect(throws: TensorError.self) { try Tensor.zeros([0]).reshaped([0, 1 << 40]) }
    }

    @Test func transposeSwapsLastTwoAxes() throws {
        #expect(m.transposedLastTwo() == (try Tensor(shape: [3, 2], scalars: [1, 4, 5, 2, 3, 6])))
        let batch = try Tensor(shape: [2, 1, 2], scalars: [1, 2, 3, 4])
        #expect(batch.transposedLastTwo() == (try Tensor(shape: [2, 2, 1], scalars: [1, 2, 3, 4])))
        #expect(Tensor(vector: [1, 2]).transposedLastTwo() == Tensor(vector: [1, 2]))
    }

    @Test func concatStackAndTheirInverses() throws {
        let a = try Tensor(shape: [1, 3], scalars: [7, 8, 9])
        let joined = try Tensor.concat([m, a], axis: 0)
        #expect(joined.shape == [3, 3])
        #expect(joined.scalars == [1, 5, 3, 4, 2, 6, 7, 8, 9])
        let side = try Tensor.concat([m, try Tensor(shape: [2, 1], scalars: [0, -1])], axis: 1)
        #expect(side.scalars == [1, 5, 3, 0, 4, 2, 6, -1])
        #expect(try side.split(sizes: [3, 1], axis: 1)[1].scalars == [0, -1])
        let stacked = try Tensor.stack([Tensor(vector: [1, 2]), Tensor(vector: [3, 4])], axis: 1)
        #expect(stacked == (try Tensor(shape: [2, 2], scalars: [1, 3, 2, 4])))
        #expect(try stacked.unstack(axis: 1) == [Tensor(vector: [1, 2]), Tensor(vector: [3, 4])])
        #expect(throws: TensorError.self) { try Tensor.concat([m, Tensor(vector: [1])], axis: 0) }
        #expect(throws: TensorError.self) { try Tensor.concat([Tensor(1), Tensor(2)], axis: 0) }
    }

    @Test func rankIsBounded() {
        #expect(throws: TensorError.self) { try Tensor(1).reshaped([Int](repeating: 1, count: 65)) }
    }
}
