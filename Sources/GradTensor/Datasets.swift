#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Toy classification data with scikit-learn's algorithms (not its random numbers: the
/// randomness comes from `SeededGenerator`).
public enum Datasets {
    /// scikit-learn's `make_moons`: `n / 2` points on the upper half circle (label 0) and the
    /// rest on the shifted lower one (label 1), both with `linspace(0, π)` angles; the rows
    /// are shuffled (Fisher–Yates from the last row down, `j = nextInt(below: i + 1)`) and then
    /// `noise · normal` is added to every coordinate in row-major order.
    /// Returns `X` of shape `[n, 2]` and `y` of shape `[n]` holding 0 or 1.
    public static func moons(_ n: Int, noise: Double = 0, seed: UInt64 = 0) throws(TensorError) -> (X: Tensor, y: Tensor) {
        guard n >= 0 else { throw TensorError("moons: number of samples must be non-negative, got \(n)") }
        guard noise >= 0, noise.isFinite else { throw TensorError("moons: noise must be a non-negative number, got \(formatScalar(noise))") }
        _ = try Tensor.elementCount(of: [n, 2])
        let outer = n / 2, inner = n - outer
        let outerAngles = try Tensor.linspace(0, Double.pi, count: outer).scalars
        let innerAngles = try Tensor.linspace(0, Double.pi, count: inner).scalars
        var points: [(Double, Double)] = []
        var labels: [Double] = []
        points.reserveCapacity(n)
        labels.reserveCapacity(n)
        for angle in outerAngles {
            points.append((cos(angle), sin(angle)))
            labels.append(0)
        }
        for angle in innerAngles {
            points.append((1 - cos(angle), 1 - sin(angle) - 0.5))
            labels.append(1)
        }
        var generator = SeededGenerator(seed: seed)
        shuffle(&points, &labels, with: &generator)
        var flat: [Double] = []
        flat.reserveCapacity(2 * n)
        for (x, y) in points {
            flat.append(x)
            flat.append(y)
        }
        if noise > 0 {
            for index in flat.indices { flat[index] += noise * generator.nextNormal() }
        }
        return (Tensor(uncheckedShape: [n, 2], scalars: flat), Tensor(uncheckedShape: [n], scalars: labels))
    }

    /// scikit-learn's `make_blobs` in two dimensions: `centers` centres drawn uniformly in
    /// `[-10, 10)²` (row-major), `n / centers` points around each (the first `n % centers`
    /// centres get one more), each coordinate `centre + clusterStd · normal`, generated centre
    /// by centre, then shuffled as in `moons`. Labels are the centre indices.
    public static func blobs(_ n: Int, centers: Int = 3, clusterStd: Double = 1, seed: UInt64 = 0) throws(TensorError) -> (X: Tensor, y: Tensor) {
        guard n >= 0 else { throw TensorError("blobs: number of samples must be non-negative, got \(n)") }
        guard centers >= 1, centers <= 1 << 20 else { throw TensorError("blobs: centers must be between 1 and \(1 << 20), got \(centers)") }
        guard clusterStd >= 0, clusterStd.isFinite else { throw TensorError("blobs: cluster_std must be a non-negative number") }
        _ = try Tensor.elementCount(of: [n, 2])
        var generator = SeededGenerator(seed: seed)
        var centres: [(Double, Double)] = []
        for _ in 0..<centers {
            let x = -10 + 20 * generator.nextUniform()
            let y = -10 + 20 * generator.nextUniform()
            centres.append((x, y))
        }
        var points: [(Double, Double)] = []
        var labels: [Double] = []
        points.reserveCapacity(n)
        labels.reserveCapacity(n)
        for (label, centre) in centres.enumerated() {
            let size = n / centers + (label < n % centers ? 1 : 0)
            for _ in 0..<size {
                let x = centre.0 + clusterStd * generator.nextNormal()
                let y = centre.1 + clusterStd * generator.nextNormal()
                points.append((x, y))
                labels.append(Double(label))
            }
        }
        shuffle(&points, &labels, with: &generator)
        var flat: [Double] = []
        flat.reserveCapacity(2 * n)
        for (x, y) in points {
            flat.append(x)
            flat.append(y)
        }
        return (Tensor(uncheckedShape: [n, 2], scalars: flat), Tensor(uncheckedShape: [n], scalars: labels))
    }

    private static func shuffle(_ points: inout [(Double, Double)], _ labels: inout [Double], with generator: inout SeededGenerator) {
        var i = points.count - 1
        while i > 0 {
            let j = generator.nextInt(below: i + 1)
            points.swapAt(i, j)
            labels.swapAt(i, j)
            i -= 1
        }
    }
}
