import Foundation
import GradSession
import GradStore
import Testing

/// `%explain` in Jupyter: the seed's two tables of lines as before, and tensors as small grids.
@Suite struct ExplainHTMLTests {
    func html(_ source: String, explain name: String) throws -> (plain: String, html: String) {
        let session = try Session(store: RunStore(path: ":memory:"), kind: .kernel, notebook: nil)
        try #require(session.execute(source).status == .ok)
        let result = session.execute("%explain \(name)")
        try #require(result.status == .ok, "\(result.errorText ?? "")")
        for output in result.outputs {
            if case .display(let rich) = output, let html = rich.html { return (rich.plain, html) }
        }
        Issue.record("no HTML in \(result.outputs)")
        return ("", "")
    }

    @Test func theSeedIsTwoTablesOfLines() throws {
        let (_, html) = try html(SessionTests.seed, explain: "J")
        func row(_ line: String) -> String { "<tr><td style=\"text-align:left\"><code>\(line)</code></td></tr>" }
        #expect(html.hasPrefix("<table><thead><tr><th style=\"text-align:left\">Forward pass</th></tr></thead><tbody>" + row("x = -2")))
        #expect(html.contains(row("dJ/dc = dJ/da * da/dc = 2 * 1 = 2")))
        #expect(html.hasSuffix(row("dJ/dx = dJ/dc * dc/dx = 2 * 2 = 4") + "</tbody></table>"))
        #expect(!html.contains("border-collapse"))
    }

    @Test func tensorsAreGridsBesideTheirLabels() throws {
        let (plain, html) = try html("""
            X = [[1, 2], [3, 4], [5, 6]]
            W = param([[0.1, -0.2], [0.3, 0.4]])
            b = param([0.5, -0.5])
            z = X @ W + b
            h = tanh(z)
            L = mean(h^2)
            """, explain: "L")
        #expect(plain.contains("dL/dz = dL/dh ⊙ (1 - h^2)"))
        #expect(html.contains("<code>dL/dz = dL/dh ⊙ (1 - h^2)</code><table style=\"margin-left:2em\">"), "\(html)")
        #expect(html.contains("<code>1 - h^2 =</code>"), "\(html)")
        // X.T is a 2 × 3 grid of its entries.
        let cell = "<td style=\"border:1px solid #d0d0d0;padding:1px 6px;text-align:right;font-family:monospace\">"
        #expect(html.contains("<code>X.T =</code></td><td style=\"text-align:left\"><table style=\"border-collapse:collapse;margin:2px 0\" title=\"shape [2, 3]\"><tr>"
            + [1, 3, 5].map { "\(cell)\($0)</td>" }.joined() + "</tr><tr>" + [2, 4, 6].map { "\(cell)\($0)</td>" }.joined() + "</tr></table>"), "\(html)")
        #expect(html.contains("\(cell)0.2779</td>"), "\(html)")
        #expect(html.contains("Tensors to 4 significant digits"))
    }

    @Test func bigGridsShowTheirCorners() throws {
        let (_, html) = try html("""
            X = randn(50, 12, seed=1)
            w = param(randn(12, seed=2))
            L = mean((X @ w)^2)
            """, explain: "L")
        #expect(html.contains("⋮") && html.contains("⋯") && html.contains("⋱"), "\(html)")
        #expect(html.contains("<small>shape [50, 12]</small>"), "\(html)")
        // Rows of 7 grid cells at most: 3, the gap, 3.
        let rows = html.components(separatedBy: "<tr>").map { $0.components(separatedBy: "</tr>")[0].components(separatedBy: "<td style=\"border").count - 1 }
        #expect(rows.max() == 7, "\(rows)")
    }
}
