import Testing
import GradPlot

@Suite struct PlotTableTests {
    typealias Cell = PlotTable.Cell

    @Test func wideFormMakesOneSeriesPerNumericColumn() throws {
        let table = PlotTable(columns: ["step", "loss", "accuracy"],
                              rows: [[.number(0), .number(0.7), .number(0.5)], [.number(1), .number(0.4), .number(0.8)]])
        let chart = try Chart(table: table)
        #expect(chart.series.map(\.name) == ["loss", "accuracy"])
        #expect(chart.series[0].points == [ChartPoint(x: 0, y: 0.7), ChartPoint(x: 1, y: 0.4)])
        #expect(chart.title == "loss, accuracy by step")
        #expect(chart.xLabel == "step" && chart.yLabel == "loss, accuracy")
        #expect(chart.integralX && chart.notes.isEmpty)
    }

    @Test func longFormMakesOneSeriesPerName() throws {
        var rows: [[Cell]] = []
        for step in 0..<3 {
            for name in ["W1", "b1"] { rows.append([.number(Double(step)), .text(name), .number(Double(step) + (name == "W1" ? 1 : 10))]) }
        }
        let chart = try Chart(table: PlotTable(columns: ["step", "name", "grad_norm"], rows: rows))
        #expect(chart.series.map(\.name) == ["W1", "b1"])
        #expect(chart.series[1].points.map(\.y) == [10, 11, 12])
        #expect(chart.title == "grad_norm by step, per name")
        #expect(chart.yLabel == "grad_norm")
        // Several value columns in the long form: one series per name and column.
        let two = try Chart(table: PlotTable(columns: ["step", "name", "grad_norm", "value_norm"],
                                             rows: [[.number(0), .text("w"), .number(1), .number(2)]]))
        #expect(two.series.map(\.name) == ["w grad_norm", "w value_norm"])
    }

    @Test func nullsAndTextInAYColumnAreGapsWithANote() throws {
        let chart = try Chart(table: PlotTable(columns: ["x", "y", "label"], rows: [
            [.number(0), .number(1), .text("a")], [.number(1), .null, .text("b")], [.number(2), .text("oops"), .text("c")], [.number(3), .number(4), .null],
        ]))
        #expect(chart.series.map(\.name) == ["y"])
        #expect(chart.series[0].points.count == 4)
        #expect(chart.series[0].points[1].y.isNaN && chart.series[0].points[2].y.isNaN)
        #expect(chart.notes == ["'y': 1 value that is not a number, not drawn", "'label' holds no numbers, so it is not drawn"])
    }

    @Test func unusableTablesSayWhy() {
        func message(_ table: PlotTable, logY: Bool = false) -> String? {
            do { _ = try Chart(table: table, logY: logY); return nil } catch { return error.description }
        }
        #expect(message(PlotTable(columns: ["loss"], rows: [[.number(1)]]))
                == "a plot needs at least two columns, x then y (or x, a series name, y); the query returned only 'loss'")
        #expect(message(PlotTable(columns: ["step", "loss"], rows: [])) == "nothing to plot: the query returned no rows")
        #expect((try? Chart(table: PlotTable(columns: ["a", "b"], rows: []))) == nil)
        #expect(message(PlotTable(columns: ["name", "grad"], rows: [[.text("w"), .number(1)]]))
                == "the first column ('name') is the x axis and must hold numbers, but row 1 holds the text 'w'")
        #expect(message(PlotTable(columns: ["x", "y"], rows: [[.null, .number(1)]]))
                == "the first column ('x') is the x axis, but every row holds NULL there")
        #expect(message(PlotTable(columns: ["x", "name", "label"], rows: [[.number(1), .text("w"), .text("a")]]))
                == "no column after the series names ('name') holds numbers to plot as y")
        #expect(message(PlotTable(columns: ["x", "blob"], rows: [[.number(1), .other("a BLOB")]]))
                == "no column after x ('x') holds numbers to plot as y")
        #expect(message(PlotTable(columns: ["x", "y"], rows: [[.number(1), .number(.nan)], [.number(.infinity), .number(2)]]))
                == "nothing to plot: no row has both a finite x and a finite y")
        #expect(message(PlotTable(columns: ["x", "y"], rows: [[.number(1), .number(-1)], [.number(2), .number(0)]]), logY: true)
                == "nothing to plot on a log scale: no row has a finite x and a y above 0")
    }

    @Test func fractionalXIsNotIntegral() throws {
        let chart = try Chart(table: PlotTable(columns: ["t", "v"], rows: [[.number(0.5), .number(1)], [.number(1), .number(2)]]))
        #expect(!chart.integralX)
    }
}
