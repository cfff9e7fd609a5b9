import GradTensor
import Testing

@Suite struct FormatTests {
    @Test(arguments: [
        (-4.0, "-4"), (0.5, "0.5"), (2.0000000000000004, "2.0000000000000004"), (1e-05, "1e-05"),
        (1e+20, "1e+20"), (1e16, "1e+16"), (123456789012345.0, "123456789012345"), (0.0001, "0.0001"),
        (Double.nan, "nan"), (Double.infinity, "inf"), (-Double.infinity, "-inf"), (0.1 + 0.2, "0.30000000000000004"),
        (-0.0, "-0"), (1.5e-7, "1.5e-07"),
    ])
    func scalarsPrintShortest(value: Double, text: String) {
        #expect(formatScalar(value) == text)
    }

    @Test func tensorsPrintLikeNumPyRepr() throws {
        #expect(Tensor(3).description == "3")
        #expect(Tensor(vector: [1, 2, 3]).description == "[1, 2, 3]")
        #expect(try Tensor(shape: [2, 2], scalars: [1, -2.5, 3, 4]).description == "[[   1, -2.5],\n [   3,    4]]")
        let cube = try Tensor.arange(8).reshaped([2, 2, 2])
        #expect(cube.description == "[[[0, 1],\n  [2, 3]],\n\n [[4, 5],\n  [6, 7]]]")
        #expect(try Tensor.zeros([0]).description == "[]")
    }

    @Test func largeTensorsAreElided() throws {
        let big = try Tensor.arange(2000)
        #expect(big.description == "[   0,    1,    2,  ..., 1997, 1998, 1999]")
        let matrix = try Tensor.arange(1200).reshaped([40, 30])
        let lines = matrix.description.split(separator: "\n")
        #expect(lines.count == 7)
        #expect(lines[3] == " ...,")
    }

    @Test func longRowsWrap() throws {
        let row = try Tensor.arange(30)
        #expect(row.description.split(separator: "\n").allSatisfy { $0.count <= 75 })
    }
}
