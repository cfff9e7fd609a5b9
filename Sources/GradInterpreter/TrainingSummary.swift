import GradTensor

/// How a finished (or interrupted) training call reports itself: losses and a loss curve,
/// as a text sparkline for terminals and an SVG polyline for Jupyter.
enum TrainingSummary {
    static func text(target: String, losses: [Double], steps: Int, interrupted: Bool, seconds: Double) -> String {
        guard let first = losses.first, let last = losses.last else {
            return "train \(target): interrupted before the first step"
        }
        let rate = seconds > 0 ? Double(losses.count) / seconds : 0
        let head = interrupted
            ? "train \(target): interrupted after \(losses.count) of \(steps) steps (every finished step is recorded)"
            : "train \(target): \(steps) steps"
        return head + "\n  loss \(formatScalar(first)) → \(formatScalar(last))  (\(formatRate(rate)) steps/s)\n  " + sparkline(losses)
    }

    static func formatRate(_ rate: Double) -> String {
        rate >= 100 ? String(Int(rate.rounded())) : formatScalar((rate * 10).rounded() / 10)
    }

    /// One block character per bucket of steps, scaled between the smallest and largest loss.
    static func sparkline(_ values: [Double], width: Int = 60) -> String {
        let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        let finite = values.filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max(), !values.isEmpty else { return "" }
        let buckets = min(width, values.count)
        var line = ""
        for bucket in 0..<buckets {
            let start = bucket * values.count / buckets
            let end = max(start + 1, (bucket + 1) * values.count / buckets)
            let slice = values[start..<end].filter(\.isFinite)
            guard !slice.isEmpty else { line.append("?"); continue }
            let mean = slice.reduce(0, +) / Double(slice.count)
            let level = high > low ? Int(((mean - low) / (high - low) * 7).rounded()) : 0
            line.append(blocks[min(7, max(0, level))])
        }
        return line
    }

    static func lossCurveSVG(_ losses: [Double]) -> String? {
        let finite = losses.filter(\.isFinite)
        guard losses.count >= 2, let low = finite.min(), let high = finite.max() else { return nil }
        let width = 480.0, height = 160.0, margin = 8.0
        let span = high > low ? high - low : 1
        var points: [String] = []
        for (index, loss) in losses.enumerated() where loss.isFinite {
            let x = margin + (width - 2 * margin) * Double(index) / Double(losses.count - 1)
            let y = margin + (height - 2 * margin) * (1 - (loss - low) / span)
            points.append("\(formatScalar((x * 10).rounded() / 10)),\(formatScalar((y * 10).rounded() / 10))")
        }
        return """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))">\
        <rect width="100%" height="100%" fill="white"/>\
        <polyline fill="none" stroke="#2563eb" stroke-width="1.5" points="\(points.joined(separator: " "))"/>\
        <text x="\(Int(margin))" y="14" font-size="11" font-family="sans-serif">loss \(formatScalar(high)) … \(formatScalar(low))</text>\
        </svg>
        """
    }
}
