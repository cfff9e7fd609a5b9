extension Tensor {
    public static func full(_ shape: [Int], value: Double) throws(TensorError) -> Tensor {
        let count = try elementCount(of: shape)
        return Tensor(uncheckedShape: shape, scalars: [Double](repeating: value, count: count))
    }

    public static func zeros(_ shape: [Int]) throws(TensorError) -> Tensor { try full(shape, value: 0) }
    public static func ones(_ shape: [Int]) throws(TensorError) -> Tensor { try full(shape, value: 1) }

    /// Zeros shaped like `other` (cannot fail: `other` exists).
    public static func zeros(like other: Tensor) -> Tensor {
        Tensor(uncheckedShape: other.shape, scalars: [Double](repeating: 0, count: other.count))
    }

    /// The n × n identity matrix.
    public static func eye(_ n: Int) throws(TensorError) -> Tensor {
        var result = try zeros([n, n])
        result.scalars.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<n { buffer[i &* n &+ i] = 1 }
        }
        return result
    }

    /// `[0, 1, …, n-1]`.
    public static func arange(_ n: Int) throws(TensorError) -> Tensor {
        try arange(start: 0, stop: Double(n), step: 1)
    }

    /// NumPy's `arange(start, stop, step)`: `ceil((stop - start) / step)` values
    /// `start + i * step`.
    public static func arange(start: Double, stop: Double, step: Double = 1) throws(TensorError) -> Tensor {
        guard step != 0, step.isFinite, start.isFinite, stop.isFinite else {
            throw TensorError("arange needs finite bounds and a non-zero step")
        }
        let length = ((stop - start) / step).rounded(.up)
        guard length < Double(maxElementCount) else {
            throw TensorError("arange(\(formatScalar(start)), \(formatScalar(stop)), \(formatScalar(step))) is too large (limit \(maxElementCount) elements)")
        }
        let count = length > 0 ? Int(length) : 0
        return Tensor(uncheckedShape: [count], scalars: (0..<count).map { start + Double($0) * step })
    }

    /// NumPy's `linspace(start, stop, n)` with the same arithmetic (`i * step + start`,
    /// the last value set to `stop` exactly), so generators built on it match NumPy's bits.
    public static func linspace(_ start: Double, _ stop: Double, count: Int) throws(TensorError) -> Tensor {
        guard count >= 0 else { throw TensorError("linspace: number of samples, \(count), must be non-negative") }
        _ = try elementCount(of: [count])
        let divisions = count - 1
        var values = [Double](repeating: 0, count: count)
        let delta = stop - start
        if divisions > 0 {
            let step = delta / Double(divisions)
            for i in 0..<count {
                values[i] = (step == 0 ? Double(i) / Double(divisions) * delta : Double(i) * step) + start
            }
            values[count - 1] = stop
        } else if count == 1 {
            values[0] = start
        }
        return Tensor(uncheckedShape: [count], scalars: values)
    }
}
