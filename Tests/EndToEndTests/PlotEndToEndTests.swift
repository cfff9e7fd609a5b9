import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// `gradbook plot` through the binary, on a history a batch run wrote (on each backend): an SVG
/// file parsed back as XML, the terminal chart at a given width, and what bad queries do.
@Suite struct PlotEndToEndTests {
    static let steps = 25

    /// A history with one `train` of `steps` steps over four params; the caller drops it.
    func trainedHistory(_ backend: Backend) throws -> TestHistory {
        let history = try TestHistory(backend, fileName: "plot.db")
        do {
            let notebook = try TrainingNotebook.write(steps: Self.steps, in: history.directory)
            let ran = try Binary.run(["run", notebook, "--db", history.location])
            try #require(ran.status == 0, "\(ran.stderr)")
            return history
        } catch {
            history.drop()
            throw error
        }
    }

    static func attribute(_ element: XMLElement, _ name: String) -> String? {
        element.attributes?.first { $0.name == name }?.stringValue
    }

    static func elements(_ document: XMLDocument, _ name: String, class className: String? = nil) throws -> [XMLElement] {
        let predicate = className.map { " and contains(concat(' ', @class, ' '), ' \($0) ')" } ?? ""
        return try document.nodes(forXPath: "//*[local-name()='\(name)'\(predicate)]").compactMap { $0 as? XMLElement }
    }

    @Test(arguments: Backend.all)
    func outputWritesAValidSVGOfTheLossCurve(_ backend: Backend) throws {
        let history = try trainedHistory(backend)
        defer { history.drop() }
        let (directory, db) = (history.directory, history.location)
        let file = directory.appendingPathComponent("loss.svg")
        let plot = try Binary.run(["plot", "SELECT step, loss FROM train_steps ORDER BY step", "--output", file.path, "--db", db])
        #expect(plot.status == 0, "\(plot.stderr)")
        #expect(plot.stdout.isEmpty && plot.stderr.isEmpty)
        let document = try XMLDocument(contentsOf: file, options: [])
        #expect(try document.nodes(forXPath: "/*[local-name()='svg' and namespace-uri()='http://www.w3.org/2000/svg']").count == 1,
                 "an <svg> root in the SVG namespace")
        let polylines = try Self.elements(document, "polyline")
        #expect(polylines.count == 1)
        #expect((polylines.first.flatMap { Self.attribute($0, "points") } ?? "").split(separator: " ").count == Self.steps)
        #expect(try Self.elements(document, "text", class: "axis-label").compactMap(\.stringValue) == ["loss", "step"])
        #expect(try Self.elements(document, "text", class: "tick-label").count >= 6)
        #expect(try Self.elements(document, "g", class: "legend-entry").compactMap(\.stringValue) == ["loss"])
        #expect(try Self.elements(document, "text", class: "title").first?.stringValue == "loss by step")
    }

    @Test(arguments: Backend.all)
    func theLongFormOnALogScaleHasOneLinePerParam(_ backend: Backend) throws {
        let history = try trainedHistory(backend)
        defer { history.drop() }
        let (directory, db) = (history.directory, history.location)
        let file = directory.appendingPathComponent("norms.svg")
        let plot = try Binary.run(["plot", "SELECT step, name, grad_norm FROM param_history WHERE kind = 'train' ORDER BY step, name",
                                   "--logy", "--output", file.path, "--db", db])
        #expect(plot.status == 0, "\(plot.stderr)")
        let document = try XMLDocument(contentsOf: file, options: [])
        #expect(try Self.elements(document, "g", class: "legend-entry").compactMap(\.stringValue) == ["W1", "W2", "b1", "b2"])
        let counts = try Self.elements(document, "polyline").map { (Self.attribute($0, "points") ?? "").split(separator: " ").count }
        #expect(counts == [Self.steps, Self.steps, Self.steps, Self.steps])
        #expect(try Self.elements(document, "text", class: "axis-label").first?.stringValue == "grad_norm (log scale)")
    }

    @Test(arguments: Backend.all)
    func withoutOutputTheChartIsTextAsWideAsTheTerminal(_ backend: Backend) throws {
        let history = try trainedHistory(backend)
        defer { history.drop() }
        let db = history.location
        for width in [50, 100] {
            let plot = try Binary.run(["plot", "SELECT step, loss FROM train_steps ORDER BY step", "--db", db], environment: ["COLUMNS": "\(width)"])
            #expect(plot.status == 0, "\(plot.stderr)")
            let lines = plot.stdout.split(separator: "\n")
            #expect(lines.allSatisfy { $0.count <= width } && lines.contains { $0.count == width }, "\(plot.stdout)")
            #expect(lines.contains { $0.contains("└┬") } && lines.last == "── loss")
            #expect(!plot.stdout.contains("\u{1B}"), "no colour when stdout is not a terminal")
        }
    }

    @Test(arguments: Backend.all)
    func badQueriesFailWithAMessageAndWriteNothing(_ backend: Backend) throws {
        let history = try trainedHistory(backend)
        defer { history.drop() }
        let (directory, db) = (history.directory, history.location)
        let file = directory.appendingPathComponent("none.svg")
        let cases: [([String], Int32, String)] = [
            (["SELECT step, loss FROM train_steps WHERE step < 0"], 1, "gradbook plot: nothing to plot: the query returned no rows\n"),
            (["SELECT loss FROM train_steps"], 1, "gradbook plot: a plot needs at least two columns, x then y (or x, a series name, y); the query returned only 'loss'\n"),
            // Each backend's own words for a column that is not there.
            (["SELECT step, nope FROM train_steps"], 1,
             backend == .sqlite ? "gradbook plot: no such column: nope" : "gradbook plot: ERROR 42703: column \"nope\" does not exist"),
            (["DELETE FROM cells"], 1, "gradbook plot: "),
            (["SELECT 1, 2", "--output", directory.appendingPathComponent("chart.png").path], 2, "Error: --output writes SVG: give a file name ending in .svg"),
        ]
        for (arguments, status, message) in cases {
            let plot = try Binary.run(["plot"] + arguments + (arguments.contains("--output") ? [] : ["--output", file.path]) + ["--db", db])
            #expect(plot.status == status, "\(arguments): \(plot.stderr)")
            #expect(plot.stderr.hasPrefix(message), "\(arguments): \(plot.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: file.path))
        #expect(try history.query("SELECT count(*) FROM cells;") != "0", "plot never writes to the database")
    }

    @Test func aBatchRunDrawsPlotsAndTheLossCurveAtTheTerminalWidth() throws {
        let directory = try Binary.temporaryDirectory()
        let notebook = directory.appendingPathComponent("plots.grad")
        try """
        # %%
        w = param(3)
        J = (w - 1)^2
        train(J, steps=30, lr=0.1)
        # %%
        %plot SELECT step, loss FROM train_steps
        """.write(to: notebook, atomically: true, encoding: .utf8)
        let ran = try Binary.run(["run", notebook.path, "--db", ":memory:"], environment: ["COLUMNS": "64"])
        #expect(ran.status == 0, "\(ran.stderr)")
        let lines = ran.stdout.split(separator: "\n")
        #expect(lines.allSatisfy { $0.count <= 64 }, "\(ran.stdout)")
        #expect(lines.filter { $0.hasPrefix("    └┬") || $0.contains("└┬") }.count == 2, "the training summary and %plot each draw an x axis\n\(ran.stdout)")
        #expect(lines.contains("── J") && lines.contains("── loss"))
    }
}
