import GradTensor
import Testing

@Suite struct IndexingTests {
    /// [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]
    let m = try! Tensor.arange(12).reshaped([4, 3])

    @Test func integersAndSlices() throws {
        #expect(try m.indexed([.index(1)]) == Tensor(vector: [3, 4, 5]))
        #expect(try m.indexed([.index(1), .index(2)]) == Tensor(5))
        #expect(try m.indexed([.all, .index(1)]) == Tensor(vector: [1, 4, 7, 10]))
        #expect(try m.indexed([.slice(start: 1, stop: 3, step: nil)]).scalars == [3, 4, 5, 6, 7, 8])
        #expect(try m.indexed([.slice(start: nil, stop: nil, step: 2), .index(0)]).scalars == [0, 6])
        #expect(try m.indexed([.slice(start: nil, stop: nil, step: -1), .index(0)]).scalars == [9, 6, 3, 0])
        #expect(try m.indexed([.slice(start: 10, stop: 20, step: nil)]).shape == [0, 3])
    }

    @Test func negativeIndicesCountFromTheEnd() throws {
        #expect(try m.indexed([.index(-1)]) == Tensor(vector: [9, 10, 11]))
        #expect(try m.indexed([.index(-4), .index(-1)]) == Tensor(2))
        #expect(try m.indexed([.slice(start: -2, stop: nil, step: nil)]).scalars == [6, 7, 8, 9, 10, 11])
    }

    @Test func outOfRangeNamesIndexAndAxis() {
        #expect(throws: TensorError("index 4 is out of bounds for axis 0 with size 4")) { try m.indexed([.index(4)]) }
        #expect(throws: TensorError("index -4 is out of bounds for axis 1 with size 3")) { try m.indexed([.all, .index(-4)]) }
        #expect(throws: TensorError.self) { try m.indexed([.index(0), .index(0), .index(0)]) }
        #expect(throws: TensorError.self) { try m.indexed([.slice(start: nil, stop: nil, step: 0)]) }
        #expect(throws: TensorError.self) { try m.indexed([.index(Int.min)]) }
        #expect(throws: TensorError.self) { try m.indexed([.index(Int.max)]) }
        #expect(throws: Never.self) { try m.indexed([.slice(start: Int.min, stop: Int.max, step: Int.min)]) }
    }

    @Test func scatterIsTheAdjointOfGather() throws {
        let g = Tensor(vector: [1, 2])
        let back = try m.scatterIndexed([.slice(start: 1, stop: 3, step: nil), .index(2)], values: g)
        #expect(back.scalars == [0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 0])
    }

    @Test func notationPrintsLikePython() {
        #expect(formatIndex([.all, .index(-1)]) == "[:, -1]")
        #expect(formatIndex([.slice(start: 1, stop: 3, step: nil), .slice(start: nil, stop: nil, step: 2)]) == "[1:3, ::2]")
    }
}
