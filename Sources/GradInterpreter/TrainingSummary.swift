import GradPlot
import GradTensor

/// How a finished (or interrupted) training call reports itself: the losses at both ends and
/// the loss curve, drawn with axes (terminal text, or SVG in Jupyter).
enum TrainingSummary {
    static func output(target: String, losses: [Double], steps: Int, interrupted: Bool, seconds: Double) -> RichOutput {
        let heading = text(target: target, losses: losses, steps: steps, interrupted: interrupted, seconds: seconds)
        // One loss says nothing a chart would add; none cannot be drawn.
        guard losses.count >= 2 else { return RichOutput(plain: heading) }
        return RichOutput(chart: TerminalChart(heading: heading, chart: lossCurve(target: target, losses: losses), plotRows: 8))
    }

    static func text(target: String, losses: [Double], steps: Int, interrupted: Bool, seconds: Double) -> String {
        guard let first = losses.first, let last = losses.last else {
            return "train \(target): interrupted before the first step"
        }
        let rate = seconds > 0 ? Double(losses.count) / seconds : 0
        let head = interrupted
            ? "train \(target): interrupted after \(losses.count) of \(steps) steps (every finished step is recorded)"
            : "train \(target): \(steps) step\(steps == 1 ? "" : "s")"
        return head + "\n  loss \(formatScalar(first)) → \(formatScalar(last))  (\(formatRate(rate)) steps/s)"
    }

    /// The same chart `%plot SELECT step, loss FROM train_steps WHERE train_id = …` draws.
    static func lossCurve(target: String, losses: [Double]) -> Chart {
        Chart(title: "loss by step", xLabel: "step", yLabel: "loss",
              series: [Series(name: target, points: losses.enumerated().map { ChartPoint(x: Double($0.offset), y: $0.element) })])
    }

    static func formatRate(_ rate: Double) -> String {
        rate >= 100 ? String(Int(rate.rounded())) : formatScalar((rate * 10).rounded() / 10)
    }
}
