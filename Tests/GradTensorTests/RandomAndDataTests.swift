import Foundation
import GradTensor
import Testing

@Suite struct RandomAndDataTests {
    /// Expected values computed by an independent Python transcription of the documented
    /// algorithm (SplitMix64, 53-bit uniforms, Marsaglia polar with math.log).
    @Test func randnSeedOneIsFixed() throws {
        let values = try Tensor.randn([6], seed: 1).scalars
        #expect(values == [0.42945220538400686, 1.5857725335739927, 0.4564552075888475,
                           -0.05392224341748633, -0.3268385200683801, 1.541644438276406])
        #expect(try Tensor.rand([4], seed: 1).scalars == [0.5665615751722809, 0.7457817572627011,
                                                           0.9710027535867962, 0.4443592170557721])
        var generator = SeededGenerator(seed: 0)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
        #expect(try Tensor.randn([2, 3], seed: 7) == Tensor.randn([2, 3], seed: 7))
        #expect(try Tensor.randn([3], seed: 7) != Tensor.randn([3], seed: 8))
    }

    @Test func portableLogAgreesWithLibm() {
        var generator = SeededGenerator(seed: 3)
        for _ in 0..<10_000 {
            let x = generator.nextUniform() * 10 + 1e-300
            let difference = Swift.abs(portableLog(x) - log(x))
            #expect(difference <= 2 * log(x).ulp)
        }
        #expect(portableLog(1) == 0)
        #expect(portableLog(0) == -.infinity)
        #expect(portableLog(-1).isNaN)
        #expect(Swift.abs(portableLog(Double.leastNonzeroMagnitude) - log(Double.leastNonzeroMagnitude)) < 1e-12)
    }

    @Test func moonsLikeScikitLearn() throws {
        let (X, y) = try Datasets.moons(7, noise: 0, seed: 1)
        #expect(X.shape == [7, 2])
        #expect(y.shape == [7])
        #expect(y.scalars.filter { $0 == 0 }.count == 3)
        #expect(y.scalars.filter { $0 == 1 }.count == 4)
        // Without noise every point lies on its half circle.
        for row in 0..<7 {
            let px = X.scalars[2 * row], py = X.scalars[2 * row + 1]
            let radius = y.scalars[row] == 0 ? hypot(px, py) : hypot(px - 1, py - 0.5)
            #expect(Swift.abs(radius - 1) < 1e-12)
        }
        let noisy = try Datasets.moons(100, noise: 0.1, seed: 42)
        #expect(try noisy.X == Datasets.moons(100, noise: 0.1, seed: 42).X)
        #expect(throws: TensorError.self) { try Datasets.moons(-1) }
    }

    @Test func blobsAroundCentres() throws {
        let (X, y) = try Datasets.blobs(10, centers: 3, seed: 5)
        #expect(X.shape == [10, 2])
        #expect(Set(y.scalars) == [0, 1, 2])
        #expect(y.scalars.filter { $0 == 0 }.count == 4)
        #expect(throws: TensorError.self) { try Datasets.blobs(10, centers: 0) }
    }

    @Test func constructors() throws {
        #expect(try Tensor.eye(2).scalars == [1, 0, 0, 1])
        #expect(try Tensor.arange(4).scalars == [0, 1, 2, 3])
        #expect(try Tensor.arange(start: 1, stop: 2, step: 0.25).scalars == [1, 1.25, 1.5, 1.75])
        #expect(try Tensor.linspace(0, 1, count: 5).scalars == [0, 0.25, 0.5, 0.75, 1])
        #expect(try Tensor.linspace(0, Double.pi, count: 3).scalars.last == Double.pi)
        #expect(try Tensor.full([2], value: 7).scalars == [7, 7])
        #expect(throws: TensorError.self) { try Tensor.arange(start: 0, stop: 1e300, step: 1) }
        #expect(try Tensor.arange(start: 0, stop: -1e300, step: 1).count == 0)
        #expect(try Tensor.arange(start: 5, stop: 0, step: 1).count == 0)
    }
}
