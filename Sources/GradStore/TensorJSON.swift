import GradJSON

/// Tensors as JSON text nested by shape (`[[1,2],[3,4]]`; a scalar is a bare number), with
/// shortest round-trip numbers so that decoding gives back every bit (except NaN payloads:
/// NaN is `null`; infinities are `9e999` / `-9e999`, see `NumberText.json`).
public enum TensorJSON {
    public struct Error: Swift.Error, CustomStringConvertible, Sendable, Equatable {
        public var description: String
    }

    /// The element count of a shape, or nil if a dimension is negative or the product overflows.
    public static func elementCount(of shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    /// Writes row-major `elements` nested by `shape`.
    public static func encode(shape: [Int], elements: [Double]) throws -> String {
        guard let count = elementCount(of: shape) else {
            throw Error(description: "invalid shape \(shape)")
        }
        guard count == elements.count else {
            throw Error(description: "shape \(shape) needs \(count) elements, got \(elements.count)")
        }
        if shape.isEmpty {
            return NumberText.json(elements[0])
        }
        if count == 0 {
            // Nothing to nest below the first zero dimension: `[2,0,3]` is `[[],[]]`.
            let prefix = Array(shape.prefix { $0 != 0 })
            return emptyBlocks(shape: prefix)
        }
        // Every number, its separator, and two brackets per block of every dimension.
        var blocks = 0
        var running = 1
        for dimension in shape {
            running = running &* dimension
            blocks = blocks &+ running / dimension
        }
        let capacity = count &* (NumberText.maximumJSONLength &+ 1) &+ 2 &* blocks
        return elements.withUnsafeBufferPointer { numbers in
            String(unsafeUninitializedCapacity: capacity) { output in
                guard let out = output.baseAddress else { return 0 }
                return writeNested(numbers, shape: shape, to: out)
            }
        }
    }

    /// Writes `numbers` (one or more, row-major, as many as `shape` holds, no dimension 0)
    /// nested by `shape` and returns the bytes written. After each number, one bracket closes
    /// per dimension whose block ends there, and as many open again before the next number.
    private static func writeNested(_ numbers: UnsafeBufferPointer<Double>, shape: [Int],
                                    to out: UnsafeMutablePointer<UInt8>) -> Int {
        let rank = shape.count
        var position = [Int](repeating: 0, count: rank)
        var length = 0
        for _ in 0..<rank {
            out[length] = UInt8(ascii: "[")
            length &+= 1
        }
        let innermost = rank &- 1
        let last = numbers.count &- 1
        for (index, number) in numbers.enumerated() {
            length &+= NumberText.writeJSON(number, to: out + length)
            if index == last { break }
            var closes = 0
            var dimension = innermost
            position[dimension] &+= 1
            while dimension > 0 && position[dimension] == shape[dimension] {
                position[dimension] = 0
                closes &+= 1
                dimension &-= 1
                position[dimension] &+= 1
            }
            for _ in 0..<closes {
                out[length] = UInt8(ascii: "]")
                length &+= 1
            }
            out[length] = UInt8(ascii: ",")
            length &+= 1
            for _ in 0..<closes {
                out[length] = UInt8(ascii: "[")
                length &+= 1
            }
        }
        for _ in 0..<rank {
            out[length] = UInt8(ascii: "]")
            length &+= 1
        }
        return length
    }

    /// `[]` nested by `shape` (no zero dimensions): the JSON of a tensor with no elements.
    private static func emptyBlocks(shape: [Int]) -> String {
        guard let outer = shape.first else { return "[]" }
        let inner = emptyBlocks(shape: Array(shape.dropFirst()))
        return "[" + Array(repeating: inner, count: outer).joined(separator: ",") + "]"
    }

    /// Reads nested arrays of numbers (or `null` = NaN) back into shape and row-major elements.
    /// Ragged arrays, other JSON values and more than 64 dimensions are errors.
    public static func decode(_ text: String) throws -> (shape: [Int], elements: [Double]) {
        var parser = Parser(bytes: Array(text.utf8))
        return try parser.parseTensor()
    }

    private struct Parser {
        let bytes: [UInt8]
        var position = 0
        static let maximumRank = 64

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func parseTensor() throws -> (shape: [Int], elements: [Double]) {
            skipWhitespace()
            var elements: [Double] = []
            // shape[d] is learned when the first array at depth d closes (-1 until then) and
            // every other array at that depth must match it.
            var shape: [Int] = []
            var leafDepth: Int?
            var counts: [Int] = []   // elements seen so far in each open array
            var sawZeroSizedLeaf = false
            var started = false
            // After an element inside an array, only `,` or `]` may follow.
            var needsSeparator = false
            while true {
                skipWhitespace()
                guard position < bytes.count else {
                    if started && counts.isEmpty { break }
                    throw fail("unexpected end of tensor JSON")
                }
                let byte = bytes[position]
                if byte == UInt8(ascii: "[") {
                    if needsSeparator { throw fail("expected , or ]") }
                    if !counts.isEmpty { try countElement(&counts, shape: &shape) }
                    guard counts.count < Parser.maximumRank else { throw fail("more than \(Parser.maximumRank) dimensions") }
                    if let leafDepth, counts.count >= leafDepth { throw fail("ragged tensor: an array where a number belongs") }
                    if started && counts.isEmpty { throw fail("text after the tensor") }
                    started = true
                    position += 1
                    counts.append(0)
                    if shape.count < counts.count { shape.append(-1) }
                    skipWhitespace()
                    if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                        // An empty array: this depth has size 0 and nothing is below it.
                        try closeArray(&counts, shape: &shape)
                        let depth = counts.count + 1
                        if let leafDepth, leafDepth != depth { throw fail("ragged tensor: empty array at the wrong depth") }
                        leafDepth = depth
                        sawZeroSizedLeaf = true
                        needsSeparator = true
                    }
                    continue
                }
                if byte == UInt8(ascii: "]") {
                    guard !counts.isEmpty else { throw fail("unbalanced ]") }
                    try closeArray(&counts, shape: &shape)
                    needsSeparator = true
                    continue
                }
                if byte == UInt8(ascii: ",") {
                    guard !counts.isEmpty, needsSeparator else { throw fail("unexpected ,") }
                    needsSeparator = false
                    position += 1
                    skipWhitespace()
                    if position < bytes.count, bytes[position] == UInt8(ascii: "]") { throw fail("trailing ,") }
                    continue
                }
                // A number or null.
                if started && counts.isEmpty { throw fail("text after the tensor") }
                if needsSeparator { throw fail("expected , or ]") }
                if !counts.isEmpty {
                    if let leafDepth, leafDepth != counts.count { throw fail("ragged tensor: a number where an array belongs") }
                    leafDepth = counts.count
                    try countElement(&counts, shape: &shape)
                }
                started = true
                elements.append(try parseNumber())
                needsSeparator = true
                if counts.isEmpty {
                    skipWhitespace()
                    guard position == bytes.count else { throw fail("text after the number") }
                    return (shape: [], elements: elements)
                }
            }
            if sawZeroSizedLeaf {
                // `[[],[]]` has shape [2, 0].
                return (shape: shape, elements: [])
            }
            return (shape: shape, elements: elements)
        }

        /// Counts one more element in the innermost open array, checking it against the shape
        /// learned at that depth.
        private mutating func countElement(_ counts: inout [Int], shape: inout [Int]) throws {
            let depth = counts.count - 1
            counts[depth] += 1
            if shape[depth] >= 0, counts[depth] > shape[depth] {
                throw fail("ragged tensor: rows of different lengths")
            }
        }

        private mutating func closeArray(_ counts: inout [Int], shape: inout [Int]) throws {
            let depth = counts.count - 1
            let count = counts[depth]
            if shape[depth] < 0 {
                shape[depth] = count
            } else if shape[depth] != count {
                throw fail("ragged tensor: rows of different lengths")
            }
            counts.removeLast()
            position += 1
        }

        private mutating func parseNumber() throws -> Double {
            let start = position
            if bytes[position...].starts(with: "null".utf8) {
                position += 4
                return .nan
            }
            while position < bytes.count {
                let byte = bytes[position]
                let isNumberByte = (byte >= 48 && byte <= 57) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
                guard isNumberByte else { break }
                position += 1
            }
            let text = String(decoding: bytes[start..<position], as: UTF8.self)
            guard !text.isEmpty, let value = Double(text), !(text.first == "+") else {
                throw fail("not a number: \(text.isEmpty ? "unexpected character" : text)")
            }
            return value
        }

        private mutating func skipWhitespace() {
            while position < bytes.count,
                  bytes[position] == 0x20 || bytes[position] == 0x0A || bytes[position] == 0x0D || bytes[position] == 0x09 {
                position += 1
            }
        }

        private func fail(_ message: String) -> Error {
            Error(description: "\(message) at offset \(position)")
        }
    }
}

/// Tensors as float64 little-endian bytes: the exact storage format of the database.
public enum Float64Bytes {
    static let hostIsLittleEndian = 1.littleEndian == 1

    public static func encode(_ elements: [Double]) -> [UInt8] {
        elements.withUnsafeBufferPointer { encode($0) }
    }

    public static func encode(_ elements: UnsafeBufferPointer<Double>) -> [UInt8] {
        if hostIsLittleEndian {
            return Array(UnsafeRawBufferPointer(elements))
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(elements.count * 8)
        for element in elements {
            withUnsafeBytes(of: element.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// Calls `body` with the elements as little-endian bytes, without a copy on little-endian hosts.
    public static func withLittleEndianBytes<R>(of elements: [Double],
                                                _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if hostIsLittleEndian {
            return try elements.withUnsafeBytes(body)
        }
        return try encode(elements).withUnsafeBytes(body)
    }

    /// nil when the byte count is not a multiple of 8.
    public static func decode(_ bytes: [UInt8]) -> [Double]? {
        bytes.withUnsafeBytes { decode($0) }
    }

    public static func decode(_ bytes: UnsafeRawBufferPointer) -> [Double]? {
        guard bytes.count % 8 == 0 else { return nil }
        let count = bytes.count / 8
        return [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count {
                let pattern = bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)
                buffer[index] = Double(bitPattern: UInt64(littleEndian: pattern))
            }
            initialized = count
        }
    }
}

/// Small JSON writers for the store's own columns (shapes, name lists).
enum JSONText {
    static func integers(_ values: [Int]) -> String {
        "[" + values.map(String.init).joined(separator: ",") + "]"
    }

    static func strings(_ values: [String]) -> String {
        "[" + values.map(JSONWriter.quoted).joined(separator: ",") + "]"
    }
}
