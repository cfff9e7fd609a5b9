/// A grid of terminal cells drawn at sub-cell resolution: braille characters give each cell
/// 2 × 4 dots. Each cell remembers the last series drawn in it, for its colour or its glyph.
struct DotCanvas {
    let columns: Int
    let rows: Int
    private(set) var dots: [UInt8]
    private(set) var owner: [Int?]

    var dotWidth: Int { columns * 2 }
    var dotHeight: Int { rows * 4 }

    init(columns: Int, rows: Int) {
        self.columns = max(1, columns)
        self.rows = max(1, rows)
        dots = Array(repeating: 0, count: self.columns * self.rows)
        owner = Array(repeating: nil, count: self.columns * self.rows)
    }

    /// Sets the dot at (x, y), counted from the top left; dots outside the grid are ignored.
    mutating func set(_ x: Int, _ y: Int, series: Int) {
        guard x >= 0, y >= 0, x < dotWidth, y < dotHeight else { return }
        let cell = (y / 4) * columns + x / 2
        dots[cell] |= Self.bit(column: x % 2, row: y % 4)
        owner[cell] = series
    }

    /// A straight line of dots between two dots (Bresenham), both ends included.
    mutating func line(from start: (x: Int, y: Int), to end: (x: Int, y: Int), series: Int) {
        var (x, y) = start
        let dx = abs(end.x - x), dy = -abs(end.y - y)
        let stepX = x < end.x ? 1 : -1, stepY = y < end.y ? 1 : -1
        var error = dx + dy
        while true {
            set(x, y, series: series)
            if x == end.x && y == end.y { return }
            let doubled = 2 * error
            if doubled >= dy { error += dy; x += stepX }
            if doubled <= dx { error += dx; y += stepY }
        }
    }

    /// The braille character of a cell (U+2800 plus its dot bits), or nil when it is empty.
    func braille(column: Int, row: Int) -> Character? {
        let bits = dots[row * columns + column]
        guard bits != 0, let scalar = Unicode.Scalar(0x2800 + UInt32(bits)) else { return nil }
        return Character(scalar)
    }

    func series(column: Int, row: Int) -> Int? {
        owner[row * columns + column]
    }

    /// Braille dot numbering: dots 1-3 and 7 down the left column, 4-6 and 8 down the right.
    private static func bit(column: Int, row: Int) -> UInt8 {
        let left: [UInt8] = [0x01, 0x02, 0x04, 0x40], right: [UInt8] = [0x08, 0x10, 0x20, 0x80]
        return column == 0 ? left[row] : right[row]
    }
}
