/// The kernel's logo, a tiny computation graph (two inputs feeding one output node), drawn as
/// SVG for JupyterLab's launcher and rasterized into the PNG sizes the kernelspec format names.
enum KernelLogo {
    private struct Colour {
        var red: Double, green: Double, blue: Double

        init(_ hex: UInt32) {
            red = Double((hex >> 16) & 0xFF)
            green = Double((hex >> 8) & 0xFF)
            blue = Double(hex & 0xFF)
        }
    }

    private enum Shape {
        case roundedSquare(radius: Double)
        case segment(x1: Double, y1: Double, x2: Double, y2: Double, halfWidth: Double)
        case circle(x: Double, y: Double, radius: Double)

        func contains(_ x: Double, _ y: Double) -> Bool {
            switch self {
            case .roundedSquare(let radius):
                let dx = max(radius - x, x - (1 - radius), 0)
                let dy = max(radius - y, y - (1 - radius), 0)
                return x >= 0 && x <= 1 && y >= 0 && y <= 1 && dx * dx + dy * dy <= radius * radius
            case .segment(let x1, let y1, let x2, let y2, let halfWidth):
                let (vx, vy) = (x2 - x1, y2 - y1)
                let t = min(1, max(0, ((x - x1) * vx + (y - y1) * vy) / (vx * vx + vy * vy)))
                let (px, py) = (x1 + t * vx - x, y1 + t * vy - y)
                return px * px + py * py <= halfWidth * halfWidth
            case .circle(let cx, let cy, let radius):
                return (x - cx) * (x - cx) + (y - cy) * (y - cy) <= radius * radius
            }
        }
    }

    private static let background = Colour(0x1F2937)
    private static let edge = Colour(0xCBD5E1)
    private static let input = Colour(0x38BDF8)
    private static let output = Colour(0xF97316)

    /// Back to front.
    private static let layers: [(Shape, Colour)] = [
        (.roundedSquare(radius: 0.18), background),
        (.segment(x1: 0.28, y1: 0.30, x2: 0.72, y2: 0.50, halfWidth: 0.035), edge),
        (.segment(x1: 0.28, y1: 0.70, x2: 0.72, y2: 0.50, halfWidth: 0.035), edge),
        (.circle(x: 0.28, y: 0.30, radius: 0.12), input),
        (.circle(x: 0.28, y: 0.70, radius: 0.12), input),
        (.circle(x: 0.72, y: 0.50, radius: 0.15), output),
    ]

    static let svg = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="64" height="64">
        <rect width="100" height="100" rx="18" fill="#1f2937"/>
        <g stroke="#cbd5e1" stroke-width="7" stroke-linecap="round"><line x1="28" y1="30" x2="72" y2="50"/><line x1="28" y1="70" x2="72" y2="50"/></g>
        <circle cx="28" cy="30" r="12" fill="#38bdf8"/><circle cx="28" cy="70" r="12" fill="#38bdf8"/><circle cx="72" cy="50" r="15" fill="#f97316"/>
        </svg>

        """

    /// A `size`×`size` PNG, each pixel averaged over 4×4 samples for smooth edges.
    static func png(size: Int) -> [UInt8] {
        let samples = 4
        var rgba: [UInt8] = []
        rgba.reserveCapacity(size * size * 4)
        for row in 0..<size {
            for column in 0..<size {
                var (red, green, blue, covered) = (0.0, 0.0, 0.0, 0)
                for sy in 0..<samples {
                    for sx in 0..<samples {
                        let x = (Double(column) + (Double(sx) + 0.5) / Double(samples)) / Double(size)
                        let y = (Double(row) + (Double(sy) + 0.5) / Double(samples)) / Double(size)
                        guard let colour = layers.last(where: { $0.0.contains(x, y) })?.1 else { continue }
                        red += colour.red
                        green += colour.green
                        blue += colour.blue
                        covered += 1
                    }
                }
                if covered == 0 {
                    rgba.append(contentsOf: [0, 0, 0, 0])
                } else {
                    let count = Double(covered)
                    rgba.append(UInt8((red / count).rounded()))
                    rgba.append(UInt8((green / count).rounded()))
                    rgba.append(UInt8((blue / count).rounded()))
                    rgba.append(UInt8((255 * count / Double(samples * samples)).rounded()))
                }
            }
        }
        return PNGEncoder.encode(width: size, height: size, rgba: rgba)
    }
}
