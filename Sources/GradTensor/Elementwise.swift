#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Tensor {
    /// Applies `transform` to every element, keeping the shape.
    @inlinable
    public func map(_ transform: (Double) -> Double) -> Tensor {
        let count = scalars.count
        let out = [Double](unsafeUninitializedCapacity: count) { dst, initialized in
            scalars.withUnsafeBufferPointer { src in
                for index in 0..<count {
                    dst.initializeElement(at: index, to: transform(src[index]))
                }
            }
            initialized = count
        }
        return Tensor(uncheckedShape: shape, scalars: out)
    }

    /// Combines two tensors elementwise with NumPy broadcasting. Equal shapes and a
    /// one-element operand take loops without index arithmetic.
    @inlinable
    public func zipWith(_ other: Tensor, _ combine: (Double, Double) -> Double) throws(TensorError) -> Tensor {
        if shape == other.shape {
            let count = scalars.count
            let out = [Double](unsafeUninitializedCapacity: count) { dst, initialized in
                scalars.withUnsafeBufferPointer { a in
                    other.scalars.withUnsafeBufferPointer { b in
                        for index in 0..<count {
                            dst.initializeElement(at: index, to: combine(a[index], b[index]))
                        }
                    }
                }
                initialized = count
            }
            return Tensor(uncheckedShape: shape, scalars: out)
        }
        if other.scalars.count == 1, other.shape.count <= shape.count {
            let b = other.scalars[0]
            return map { combine($0, b) }
        }
        if scalars.count == 1, shape.count <= other.shape.count {
            let a = scalars[0]
            return other.map { combine(a, $0) }
        }
        let outShape = try broadcastShape(shape, other.shape)
        let count = try Tensor.elementCount(of: outShape)
        let stridesA = broadcastStrides(shape, to: outShape)
        let stridesB = broadcastStrides(other.shape, to: outShape)
        let out = [Double](unsafeUninitializedCapacity: count) { dst, initialized in
            scalars.withUnsafeBufferPointer { a in
                other.scalars.withUnsafeBufferPointer { b in
                    walkStrided(shape: outShape, stridesA: stridesA, stridesB: stridesB) { index, offsetA, offsetB in
                        dst.initializeElement(at: index, to: combine(a[offsetA], b[offsetB]))
                    }
                }
            }
            initialized = count
        }
        return Tensor(uncheckedShape: outShape, scalars: out)
    }

    public static func + (a: Tensor, b: Tensor) throws(TensorError) -> Tensor { try a.zipWith(b, +) }
    public static func - (a: Tensor, b: Tensor) throws(TensorError) -> Tensor { try a.zipWith(b, -) }
    public static func * (a: Tensor, b: Tensor) throws(TensorError) -> Tensor { try a.zipWith(b, *) }
    public static func / (a: Tensor, b: Tensor) throws(TensorError) -> Tensor { try a.zipWith(b, /) }

    public static func + (a: Tensor, b: Double) -> Tensor { a.map { $0 + b } }
    public static func - (a: Tensor, b: Double) -> Tensor { a.map { $0 - b } }
    public static func * (a: Tensor, b: Double) -> Tensor { a.map { $0 * b } }
    public static func / (a: Tensor, b: Double) -> Tensor { a.map { $0 / b } }
    public static func * (a: Double, b: Tensor) -> Tensor { b.map { a * $0 } }
    public static func - (a: Double, b: Tensor) -> Tensor { b.map { a - $0 } }
    public static prefix func - (a: Tensor) -> Tensor { a.map { -$0 } }

    /// `self += other` where `other` has exactly this shape (gradient accumulation).
    public mutating func addInPlace(_ other: Tensor) throws(TensorError) {
        guard other.shape == shape else {
            throw TensorError("cannot add shape \(formatShape(other.shape)) into shape \(formatShape(shape))")
        }
        let count = scalars.count
        scalars.withUnsafeMutableBufferPointer { dst in
            other.scalars.withUnsafeBufferPointer { src in
                for index in 0..<count { dst[index] += src[index] }
            }
        }
    }
}

/// Elementwise functions shared by tensors and the engine's scalar fast path, so both
/// paths compute bit-identical values.
public enum Scalar {
    @inlinable public static func relu(_ x: Double) -> Double { x > 0 ? x : 0 }
    @inlinable public static func sigmoid(_ x: Double) -> Double {
        // Both branches keep exp's argument ≤ 0, so no overflow for large |x|.
        if x >= 0 {
            return 1 / (1 + exp(-x))
        }
        let e = exp(x)
        return e / (1 + e)
    }
    /// PyTorch's derivative of |x|: sign(x), 0 at 0.
    @inlinable public static func sign(_ x: Double) -> Double { x > 0 ? 1 : (x < 0 ? -1 : (x.isNaN ? x : 0)) }
    /// Elementwise maximum; NaN in either argument gives NaN (as NumPy's `maximum`).
    @inlinable public static func maximum(_ a: Double, _ b: Double) -> Double { a >= b ? a : (a < b ? b : .nan) }
    @inlinable public static func minimum(_ a: Double, _ b: Double) -> Double { a <= b ? a : (a > b ? b : .nan) }
}

extension Tensor {
    /// `combine(a[i], b[i], c[i])` for three tensors of one shape (the VJPs of elementwise
    /// ops: input, output, gradient).
    @inlinable
    public static func elementwise(_ a: Tensor, _ b: Tensor, _ c: Tensor,
                                   _ combine: (Double, Double, Double) -> Double) throws(TensorError) -> Tensor {
        guard a.shape == b.shape, b.shape == c.shape else {
            throw TensorError("elementwise: shapes \(formatShape(a.shape)), \(formatShape(b.shape)) and \(formatShape(c.shape)) differ")
        }
        let count = a.scalars.count
        let out = [Double](unsafeUninitializedCapacity: count) { dst, initialized in
            a.scalars.withUnsafeBufferPointer { pa in
                b.scalars.withUnsafeBufferPointer { pb in
                    c.scalars.withUnsafeBufferPointer { pc in
                        for index in 0..<count {
                            dst.initializeElement(at: index, to: combine(pa[index], pb[index], pc[index]))
                        }
                    }
                }
            }
            initialized = count
        }
        return Tensor(uncheckedShape: a.shape, scalars: out)
    }
}
