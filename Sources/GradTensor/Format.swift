/// A scalar as its shortest round-trip decimal, spelled like Python's `repr` but without
/// a trailing `.0` on integral values: `-4`, `0.5`, `2.0000000000000004`, `1e-05`, `1e+20`,
/// `nan`, `inf`, `-inf`.
public func formatScalar(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    // Swift's description is already the shortest round-trip form with Python's switch to
    // exponent notation (below 1e-4 and from 1e16 up).
    let text = value.description
    if text.hasSuffix(".0") { return String(text.dropLast(2)) }
    return text
}

extension Tensor: CustomStringConvertible {
    /// Tensors print like NumPy's `repr` without the `array(...)` wrapper: nested brackets
    /// with commas, rows on their own lines, one blank line between matrices of a stack,
    /// every element in `formatScalar`'s spelling right-aligned to a common width, lines of
    /// a long row wrapped at 75 columns:
    ///
    ///     [[ 1, -2.5],
    ///      [ 3,  4  ]]
    ///
    /// We chose commas and integral values without `.` (NumPy's `str` shows `[1. 2.]`)
    /// because that is the language's own literal syntax: what a cell prints can be pasted
    /// back into a cell. Scalars print as `formatScalar`. Above 1000 elements only the first
    /// and last 3 entries of each long axis are shown, with `...` between, as NumPy does.
    public var description: String {
        if shape.isEmpty { return formatScalar(scalars.first ?? .nan) }
        if count == 0 { return shape == [0] ? "[]" : "[] (shape \(formatShape(shape)))" }
        let summarize = count > TensorFormatter.summaryThreshold
        let formatter = TensorFormatter(tensor: self, summarize: summarize)
        return formatter.render()
    }
}

extension Tensor {
    /// `description` with only the first and last 3 entries of each long axis once the tensor
    /// has more than `threshold` elements (a display narrower than NumPy's 1000).
    public func description(summarizingAbove threshold: Int) -> String {
        if shape.isEmpty || count == 0 { return description }
        return TensorFormatter(tensor: self, summarize: count > threshold).render()
    }
}

private struct TensorFormatter {
    static let summaryThreshold = 1000
    static let edgeItems = 3
    static let lineWidth = 75

    let tensor: Tensor
    let strides: [Int]
    /// Per axis, the positions shown; nil marks the `...` gap.
    let shown: [[Int?]]
    let width: Int

    init(tensor: Tensor, summarize: Bool) {
        self.tensor = tensor
        strides = contiguousStrides(tensor.shape)
        shown = tensor.shape.map { size in
            if summarize && size > 2 * TensorFormatter.edgeItems {
                let edge = TensorFormatter.edgeItems
                return Array(0..<edge).map { Optional($0) } + [nil] + Array((size - edge)..<size).map { Optional($0) }
            }
            return Array(0..<size).map { Optional($0) }
        }
        width = TensorFormatter.maxWidth(tensor: tensor, shown: shown, strides: strides)
    }

    /// Widest element among those displayed (visited with an odometer over `shown`).
    private static func maxWidth(tensor: Tensor, shown: [[Int?]], strides: [Int]) -> Int {
        let positions = shown.map { $0.compactMap { $0 } }
        var counter = [Int](repeating: 0, count: positions.count)
        var widest = 0
        while true {
            var offset = 0
            for axis in 0..<positions.count { offset &+= positions[axis][counter[axis]] &* strides[axis] }
            widest = Swift.max(widest, formatScalar(tensor.scalars[offset]).count)
            var axis = positions.count - 1
            while axis >= 0 {
                counter[axis] += 1
                if counter[axis] < positions[axis].count { break }
                counter[axis] = 0
                axis -= 1
            }
            if axis < 0 { return widest }
        }
    }

    func render() -> String { block(axis: 0, offset: 0) }

    /// One bracketed block; recursion depth is the rank, which `Tensor.maxRank` bounds.
    private func block(axis: Int, offset: Int) -> String {
        let rank = tensor.rank
        if axis == rank - 1 {
            var text = "["
            var lineLength = axis + 1
            for (position, index) in shown[axis].enumerated() {
                let item: String
                if let index {
                    let raw = formatScalar(tensor.scalars[offset &+ index &* strides[axis]])
                    item = String(repeating: " ", count: Swift.max(0, width - raw.count)) + raw
                } else {
                    item = String(repeating: " ", count: Swift.max(0, width - 3)) + "..."
                }
                if position > 0 {
                    if lineLength + 2 + item.count + 1 > TensorFormatter.lineWidth {
                        text += ",\n" + String(repeating: " ", count: axis + 1)
                        lineLength = axis + 1
                    } else {
                        text += ", "
                        lineLength += 2
                    }
                }
                text += item
                lineLength += item.count
            }
            return text + "]"
        }
        let separator = "," + String(repeating: "\n", count: rank - axis - 1) + String(repeating: " ", count: axis + 1)
        let rows = shown[axis].map { index -> String in
            guard let index else { return "..." }
            return block(axis: axis + 1, offset: offset &+ index &* strides[axis])
        }
        return "[" + rows.joined(separator: separator) + "]"
    }
}
