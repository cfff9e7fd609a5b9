/// A float64 tensor: a shape and its elements in contiguous row-major order.
///
/// Storage is a Swift `Array`, so copies are cheap until one side is mutated
/// (copy-on-write). The invariant `scalars.count == product(shape)` always holds:
/// both properties are read-only from outside and every initializer checks it.
public struct Tensor: Sendable, Equatable {
    public internal(set) var shape: [Int]
    public internal(set) var scalars: [Double]

    /// The largest element count any constructor or op may produce (2^28 ≈ 268 M elements,
    /// 2 GiB of float64). User input such as `zeros(1e6, 1e6)` gets an error instead of an
    /// allocation failure that would end the process.
    public static let maxElementCount = 1 << 28
    /// The largest rank (NumPy's limit too); it bounds the depth of anything that walks axes.
    public static let maxRank = 64

    /// A rank-0 tensor.
    public init(_ scalar: Double) {
        shape = []
        scalars = [scalar]
    }

    /// A rank-1 tensor holding `values`.
    public init(vector values: [Double]) {
        shape = [values.count]
        scalars = values
    }

    public init(shape: [Int], scalars: [Double]) throws(TensorError) {
        let count = try Tensor.elementCount(of: shape)
        guard count == scalars.count else {
            throw TensorError("shape \(formatShape(shape)) needs \(count) elements, got \(scalars.count)")
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// For callers inside the module that have already established the invariant.
    @usableFromInline
    init(uncheckedShape shape: [Int], scalars: [Double]) {
        self.shape = shape
        self.scalars = scalars
    }

    public var rank: Int { shape.count }
    public var count: Int { scalars.count }
    /// True for rank 0 (shape `[]`).
    public var isScalar: Bool { shape.isEmpty }

    /// The single element of a one-element tensor of any rank (NumPy's `float(x)` accepts
    /// every size-1 array, so `[5]` and `[[5]]` qualify too); nil otherwise.
    public var scalarValue: Double? { scalars.count == 1 ? scalars[0] : nil }

    /// Number of elements of `shape`, with negative dimensions, overflow and sizes above
    /// `maxElementCount` reported as errors.
    public static func elementCount(of shape: [Int]) throws(TensorError) -> Int {
        guard shape.count <= maxRank else {
            throw TensorError("tensors have at most \(maxRank) dimensions, got \(shape.count)")
        }
        var product = 1
        for dim in shape {
            guard dim >= 0 else {
                throw TensorError("negative dimension \(dim) in shape \(formatShape(shape))")
            }
            // Each dimension is bounded too, so a zero elsewhere cannot smuggle in a
            // dimension whose stride arithmetic would overflow.
            let (next, overflow) = product.multipliedReportingOverflow(by: dim)
            guard !overflow, next <= maxElementCount, dim <= maxElementCount else {
                throw TensorError("shape \(formatShape(shape)) is too large (limit \(maxElementCount) elements)")
            }
            product = next
        }
        return product
    }

    /// Replaces every element, keeping the shape.
    public mutating func setScalars(_ newScalars: [Double]) throws(TensorError) {
        guard newScalars.count == scalars.count else {
            throw TensorError("shape \(formatShape(shape)) needs \(scalars.count) elements, got \(newScalars.count)")
        }
        scalars = newScalars
    }

    /// In-place access to the elements (the shape cannot change), used by optimizers and
    /// finite differences so that an update does not allocate.
    public mutating func withUnsafeMutableScalars<R>(_ body: (inout UnsafeMutableBufferPointer<Double>) throws -> R) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer { try body(&$0) }
    }

    /// True when every element is finite (no NaN, no ±Inf). Tests the exponent bits of
    /// every element without an early exit, so the loop vectorises.
    public var allFinite: Bool {
        scalars.withUnsafeBufferPointer { buffer in
            let exponent: UInt64 = 0x7FF0_0000_0000_0000
            var special: UInt64 = 0
            for value in buffer {
                special |= (value.bitPattern & exponent) == exponent ? 1 : 0
            }
            return special == 0
        }
    }
}

/// An error from a tensor operation; the message is complete (it names both shapes of a
/// mismatch) and carries no source location: the caller adds one.
public struct TensorError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// `[2, 3]`, `[]` — the shape notation used in every message.
public func formatShape(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
