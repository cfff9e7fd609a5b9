import ArgumentParser
import Foundation
import GradPlot
import GradREPL
import GradSession

struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw a query's rows as a line chart: an SVG file with --output, else text on the terminal.",
        discussion: """
            The first column is x; each further numeric column is a series (SELECT step, loss FROM train_steps), \
            or, when the second column holds text, one series per name (SELECT step, name, grad_norm FROM param_history). \
            NULL, NaN and infinite values leave gaps. Exits 1 when the query fails or returns nothing to draw.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "The SQL query (read-only).")
    var query: String

    @Option(help: ArgumentHelp("Write the chart to this SVG file instead of drawing it on the terminal.", valueName: "file.svg"))
    var output: String?

    @Flag(name: .customLong("logy"), help: "A logarithmic y axis (y ≤ 0 is left out).")
    var logY = false

    func validate() throws {
        if let output, !output.lowercased().hasSuffix(".svg") {
            throw ValidationError("--output writes SVG: give a file name ending in .svg (not '\(output)')")
        }
    }

    func run() throws {
        let store = try database.open(.readOnly)
        let chart: Chart
        do {
            chart = try PlotQuery.chart(query, store: store, logY: logY)
        } catch {
            throw CommandFailure(message: "gradbook plot: \(error)")
        }
        guard let output else {
            print(TextChart.render(chart, width: TerminalWidth.current(), colors: TerminalOutput.style.colorsOnStandardOutput))
            return
        }
        do {
            // Written whole or not at all: a reader never sees half a chart.
            try Data((SVGChart.render(chart, xmlDeclaration: true) + "\n").utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
        } catch {
            throw CommandFailure(message: "gradbook plot: cannot write \(output): \(error.localizedDescription)")
        }
    }
}
