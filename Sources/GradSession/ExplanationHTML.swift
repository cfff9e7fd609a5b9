import GradInterpreter
import GradStore
import GradTensor

/// `%explain` as Jupyter HTML: the two tables of lines, with each tensor of a step drawn as a
/// small grid (rounded, corners only when large) beside its label.
enum ExplanationHTML {
    static func render(_ explanation: Explanation) -> String {
        table("Forward pass", explanation.forwardSteps, inline: true) + table("Backward pass (chain rule)", explanation.backwardSteps, inline: false)
            + (explanation.showsTensors ? "<p><small>Tensors to \(ExplanationStep.significantDigits) significant digits; long axes by their first and last entries.</small></p>" : "")
    }

    private static func table(_ title: String, _ steps: [ExplanationStep], inline: Bool) -> String {
        let rows = steps.map { step -> String in
            let rule = "<code>\(HTMLText.escaped(step.rule))</code>"
            guard !step.workings.isEmpty else { return "<tr><td style=\"text-align:left\">\(rule)</td></tr>" }
            if inline, step.workings.count == 1, let only = step.workings.first {
                return "<tr><td style=\"text-align:left\">\(rule) <code>=</code> \(grid(only.value))</td></tr>"
            }
            let workings = step.workings.map { working in
                "<tr><td style=\"text-align:right;vertical-align:middle\"><code>\(HTMLText.escaped(working.label)) =</code></td>"
                    + "<td style=\"text-align:left\">\(grid(working.value))</td></tr>"
            }.joined()
            return "<tr><td style=\"text-align:left\">\(rule)<table style=\"margin-left:2em\">\(workings)</table></td></tr>"
        }.joined()
        return "<table><thead><tr><th style=\"text-align:left\">\(title)</th></tr></thead><tbody>\(rows)</tbody></table>"
    }

    static let edge = 3
    static let largestSide = 8

    /// A scalar as text; a vector as one row and a matrix as rows of cells, long axes cut to
    /// their first and last entries around `⋯` / `⋮`; higher ranks as preformatted text.
    static func grid(_ value: Tensor) -> String {
        guard value.rank > 0 else { return "<code>\(HTMLText.escaped(ExplanationStep.display(value)))</code>" }
        guard value.rank <= 2, value.count > 0 else {
            return "<pre style=\"margin:0\">\(HTMLText.escaped(ExplanationStep.display(value)))</pre>"
        }
        let rounded = ExplanationStep.rounded(value)
        let rows = value.rank == 1 ? 1 : value.shape[0]
        let columns = value.shape[value.rank - 1]
        let cell = "border:1px solid #d0d0d0;padding:1px 6px;text-align:right;font-family:monospace"
        var html = "<table style=\"border-collapse:collapse;margin:2px 0\" title=\"shape \(formatShape(value.shape))\">"
        for row in shown(rows) {
            html += "<tr>"
            for column in shown(columns) {
                switch (row, column) {
                case (let r?, let c?): html += "<td style=\"\(cell)\">\(formatScalar(rounded.scalars[r * columns + c]))</td>"
                case (nil, _?): html += "<td style=\"\(cell);text-align:center\">⋮</td>"
                case (_?, nil): html += "<td style=\"\(cell);text-align:center\">⋯</td>"
                case (nil, nil): html += "<td style=\"\(cell);text-align:center\">⋱</td>"
                }
            }
            html += "</tr>"
        }
        return html + "</table>" + (rows > largestSide || columns > largestSide ? "<small>shape \(formatShape(value.shape))</small>" : "")
    }

    /// Positions along an axis, nil for the gap of a long one.
    private static func shown(_ size: Int) -> [Int?] {
        guard size > largestSide else { return Array(0..<size) }
        return Array(0..<edge) + [nil] + Array((size - edge)..<size)
    }
}
