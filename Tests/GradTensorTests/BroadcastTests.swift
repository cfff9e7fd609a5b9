import GradTensor
import Testing

@Suite struct BroadcastTests {
    @Test func shapesFollowNumPyRules() throws {
        #expect(try broadcastShape([2, 3], [3]) == [2, 3])
        #expect(try broadcastShape([2, 1], [1, 3]) == [2, 3])
        #expect(try broadcastShape([], [4]) == [4])
        #expect(try broadcastShape([5, 1, 4], [3, 1]) == [5, 3, 4])
    }

    @Test func mismatchNamesBothShapes() {
        #expect(throws: TensorError("operands could not be broadcast together with shapes [2, 3] and [4]")) {
            try broadcastShape([2, 3], [4])
        }
    }

    @Test func elementwiseBroadcastsRowsAndColumns() throws {
        let m = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let row = Tensor(vector: [10, 20, 30])
        let column = try Tensor(shape: [2, 1], scalars: [100, 200])
        #expect(try (m + row).scalars == [11, 22, 33, 14, 25, 36])
        #expect(try (m * column).scalars == [100, 200, 300, 800, 1000, 1200])
        #expect(try (row - column).shape == [2, 3])
        #expect(try (row - column).scalars == [-90, -80, -70, -190, -180, -170])
        #expect(try (Tensor(2) * m).scalars == [2, 4, 6, 8, 10, 12])
    }

    @Test func sumToReducesBroadcastAxes() throws {
        let g = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(try g.sumTo([3]).scalars == [5, 7, 9])
        #expect(try g.sumTo([2, 1]) == Tensor(shape: [2, 1], scalars: [6, 15]))
        #expect(try g.sumTo([]) == Tensor(21))
        #expect(try g.sumTo([1, 3]).scalars == [5, 7, 9])
        #expect(try g.sumTo([2, 3]) == g)
        #expect(throws: TensorError.self) { try g.sumTo([2]) }
        let cube = try Tensor(shape: [2, 2, 2], scalars: [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(try cube.sumTo([2, 1]).scalars == [1 + 2 + 5 + 6, 3 + 4 + 7 + 8])
    }

    @Test func broadcastCopiesOut() throws {
        let column = try Tensor(shape: [2, 1], scalars: [1, 2])
        #expect(try column.broadcast(to: [2, 3]).scalars == [1, 1, 1, 2, 2, 2])
        #expect(throws: TensorError.self) { try column.broadcast(to: [3, 3]) }
    }

    @Test func hugeShapesAreErrorsNotAllocations() {
        #expect(throws: TensorError.self) { try Tensor.zeros([1_000_000, 1_000_000]) }
        #expect(throws: TensorError.self) { try broadcastShape([100_000, 1], [1, 100_000]) }
        #expect(throws: TensorError.self) { try Tensor.zeros([Int.max, 2]) }
        #expect(throws: TensorError.self) { try Tensor.zeros([-1]) }
        #expect(throws: TensorError.self) { try Tensor(shape: [2, 2], scalars: [1, 2, 3]) }
    }
}
