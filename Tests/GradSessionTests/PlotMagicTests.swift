import GradInterpreter
import GradPlot
import GradSession
import GradStore
import Testing

/// `%plot` / `%%plot` through a session, and the loss chart `train` shows.
@Suite struct PlotMagicTests {
    static let training = """
    w = param(2)
    b = param(8)
    J = (w * -2 + b - 2)^2
    train(J, steps=20, lr=0.01)
    """

    func trainedSession() throws -> Session {
        let session = try Session(store: RunStore(path: ":memory:"), kind: .batch, notebook: nil)
        #expect(session.execute(Self.training).status == .ok)
        return session
    }

    func charts(_ result: CellResult) -> [RichOutput] {
        result.outputs.compactMap { if case .display(let rich) = $0, rich.chart != nil { rich } else { nil } }
    }

    func polylinePointCounts(_ svg: String) -> [Int] {
        svg.split(separator: "<polyline").dropFirst().map { element in
            let points = element.split(separator: "points=\"", maxSplits: 1)[1].prefix { $0 != "\"" }
            return points.split(separator: " ").count
        }
    }

    @Test func plotOfTheLossCurveIsAChartWithOnePointPerStep() throws {
        let session = try trainedSession()
        let result = session.execute("%plot SELECT step, loss FROM train_steps WHERE train_id = (SELECT max(train_id) FROM train_steps) ORDER BY step")
        #expect(result.status == .ok, "\(result.errorText ?? "")")
        let plot = try #require(charts(result).first)
        let chart = try #require(plot.chart).chart
        #expect(chart.title == "loss by step" && chart.xLabel == "step" && chart.yLabel == "loss")
        #expect(chart.series.map(\.name) == ["loss"] && chart.series[0].points.count == 20)
        let svg = try #require(plot.svg)
        #expect(svg.hasPrefix("<svg ") && polylinePointCounts(svg) == [20])
        // The text/plain fallback is the 80-column terminal chart.
        #expect(plot.plain == plot.terminalText(width: 80, colors: false))
        #expect(plot.plain.contains("└") && plot.plain.hasSuffix("── loss"))
        #expect(plot.terminalText(width: 50, colors: false).split(separator: "\n").allSatisfy { $0.count <= 50 })
    }

    @Test func cellMagicWithTheLongFormAndALogScale() throws {
        let session = try trainedSession()
        let result = session.execute("""
            %%plot --logy
            SELECT step, name, grad_norm FROM param_history WHERE kind = 'train' ORDER BY step, name
            """)
        #expect(result.status == .ok, "\(result.errorText ?? "")")
        let chart = try #require(charts(result).first?.chart).chart
        #expect(chart.logY && chart.title == "grad_norm by step, per name")
        #expect(chart.series.map(\.name) == ["b", "w"] && chart.series.allSatisfy { $0.points.count == 20 })
        #expect(polylinePointCounts(try #require(charts(result).first?.svg)) == [20, 20])
    }

    @Test func anEmptyResultSaysSoWithoutFailingTheCell() throws {
        let session = try trainedSession()
        let result = session.execute("%plot SELECT step, loss FROM train_steps WHERE step < 0")
        #expect(result.status == .ok)
        #expect(result.outputs == [.display(RichOutput(plain: "nothing to plot: the query returned no rows"))])
    }

    @Test func unusableQueriesAreErrorsThatSayWhy() throws {
        let session = try trainedSession()
        let cases: [(String, String)] = [
            ("%plot SELECT name FROM nodes", "%plot: a plot needs at least two columns, x then y (or x, a series name, y); the query returned only 'name'"),
            ("%plot SELECT name, step FROM param_history ORDER BY name", "%plot: the first column ('name') is the x axis and must hold numbers, but row 1 holds the text 'b'"),
            ("%plot --logx SELECT 1, 2", "%plot: unknown option --logx"),
            ("%plot", "%plot needs a query whose first column is x"),
            ("%plot --logy SELECT step, -loss FROM train_steps", "%plot: nothing to plot on a log scale: no row has a finite x and a y above 0"),
            ("%plot SELECT step, lost FROM train_steps", "SQL error: no such column: lost"),
        ]
        for (source, message) in cases {
            let result = session.execute(source)
            #expect(result.status == .error, "\(source)")
            #expect(result.errorMessage?.hasPrefix(message) == true, "\(source): \(result.errorMessage ?? "")")
            #expect(result.errorText?.contains("1:1") == true, "\(result.errorText ?? "")")
        }
        let write = session.execute("%plot DELETE FROM cells RETURNING cell_id, cell_id")
        #expect(write.status == .error)
        #expect(try session.store.query("SELECT count(*) FROM cells").rows.first?.first != .integer(0))
    }

    @Test func trainShowsItsLossCurveWithAxes() throws {
        let session = try Session(store: RunStore(path: ":memory:"), kind: .batch, notebook: nil)
        let result = session.execute(Self.training)
        let summary = try #require(charts(result).first)
        #expect(summary.plain.hasPrefix("train J: 20 steps\n  loss "))
        let lines = summary.plain.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("└") && $0.contains("┬") }, "an x axis with ticks")
        #expect(lines.contains { $0.contains("┤") }, "a y axis with ticks")
        #expect(lines.last == "── J")
        #expect(polylinePointCounts(try #require(summary.svg)) == [20])
        let chart = try #require(summary.chart).chart
        #expect(chart.xLabel == "step" && chart.yLabel == "loss" && chart.series[0].points.count == 20)
        // A single step draws nothing worth a chart: just the numbers.
        let single = session.execute("train(J, steps=1)")
        #expect(charts(single).isEmpty)
        #expect(single.outputs.contains { if case .display(let rich) = $0 { rich.plain.hasPrefix("train J: 1 step\n") } else { false } })
    }

    @Test func helpListsPlot() throws {
        let session = try Session(store: RunStore(path: ":memory:"), kind: .batch, notebook: nil)
        let help = session.execute("%help")
        #expect(help.outputs.contains { if case .display(let rich) = $0 { rich.plain.contains("%plot QUERY / %%plot") } else { false } })
        #expect(Session.magicNames.contains("plot"))
    }
}
