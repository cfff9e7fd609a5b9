import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import GradPlot

/// The SVG is parsed as XML (so it is well-formed) and its parts are found by class.
@Suite struct SVGChartTests {
    static func parse(_ svg: String) throws -> XMLDocument {
        try XMLDocument(xmlString: svg, options: [])
    }

    static func elements(_ document: XMLDocument, _ name: String, class className: String? = nil) throws -> [XMLElement] {
        let predicate = className.map { " and contains(concat(' ', @class, ' '), ' \($0) ')" } ?? ""
        return try document.nodes(forXPath: "//*[local-name()='\(name)'\(predicate)]").compactMap { $0 as? XMLElement }
    }

    /// An attribute's value (FoundationXML's `attribute(forName:)` finds nothing in an element
    /// under a default namespace on Linux, so the attributes are searched by name).
    static func attribute(_ element: XMLElement?, _ name: String) -> String? {
        element?.attributes?.first { $0.name == name }?.stringValue
    }

    static func pointCount(_ polyline: XMLElement) -> Int {
        (attribute(polyline, "points") ?? "").split(separator: " ").count
    }

    static func tickLabels(_ document: XMLDocument, axis: String) throws -> [String] {
        try elements(document, "text", class: "tick-label").filter { attribute($0.parent as? XMLElement, "class") == "axis \(axis)" }.compactMap(\.stringValue)
    }

    static let lossChart = Chart(title: "loss by step", xLabel: "step", yLabel: "loss",
                                 series: [Series(name: "loss", points: (0..<300).map { ChartPoint(x: Double($0), y: 1 / Double($0 + 1)) })])

    @Test func aLossCurveHasAxesTicksLabelsLegendAndOnePolyline() throws {
        let document = try Self.parse(SVGChart.render(Self.lossChart))
        let root = try #require(document.rootElement())
        #expect(root.name == "svg")
        #expect(Self.attribute(root, "class") == "gradbook-chart")
        let polylines = try Self.elements(document, "polyline")
        #expect(polylines.count == 1)
        #expect(Self.pointCount(polylines[0]) == 300)
        let xTicks = try Self.tickLabels(document, axis: "x-axis")
        #expect(xTicks == ["0", "50", "100", "150", "200", "250", "300"])
        let yTicks = try Self.tickLabels(document, axis: "y-axis")
        #expect(yTicks.count >= 3)
        #expect(try Self.elements(document, "line", class: "tick").count == xTicks.count + yTicks.count)
        #expect(try Self.elements(document, "text", class: "axis-label").compactMap(\.stringValue) == ["loss", "step"])
        #expect(try Self.elements(document, "text", class: "title").first?.stringValue == "loss by step")
        let legend = try Self.elements(document, "g", class: "legend-entry")
        #expect(legend.compactMap(\.stringValue) == ["loss"])
        #expect(try Self.elements(document, "text", class: "note").isEmpty)
    }

    @Test func pointsStayInsideThePlotArea() throws {
        let document = try Self.parse(SVGChart.render(Self.lossChart, width: 500, height: 300))
        let points = Self.attribute(try Self.elements(document, "polyline").first, "points") ?? ""
        for pair in points.split(separator: " ") {
            let coordinates = pair.split(separator: ",").compactMap { Double($0) }
            #expect(coordinates.count == 2)
            #expect(coordinates[0] >= 0 && coordinates[0] <= 500 && coordinates[1] >= 0 && coordinates[1] <= 300, "\(pair)")
        }
    }

    @Test func gapsSplitTheLineAndALonePointIsACircle() throws {
        let points = [1, 2, .nan, 4, 5, .infinity, 7].enumerated().map { ChartPoint(x: Double($0.offset), y: $0.element) }
        let chart = Chart(title: "t", xLabel: "x", yLabel: "y", series: [Series(name: "y", points: points)])
        let document = try Self.parse(SVGChart.render(chart))
        #expect(try Self.elements(document, "polyline").map(Self.pointCount) == [2, 2])
        #expect(try Self.elements(document, "circle", class: "point").count == 1)
        #expect(try Self.elements(document, "text", class: "note").compactMap(\.stringValue) == ["note: 2 points not drawn: NULL, NaN or infinite"])
    }

    @Test func severalSeriesHaveDistinctColoursAndLegendEntries() throws {
        let series = (0..<3).map { index in Series(name: "p\(index) <&>", points: (0..<5).map { ChartPoint(x: Double($0), y: Double($0 * index)) }) }
        let document = try Self.parse(SVGChart.render(Chart(title: "a < b & c", xLabel: "step", yLabel: "grad_norm", series: series)))
        let polylines = try Self.elements(document, "polyline")
        #expect(polylines.count == 3)
        #expect(Set(polylines.compactMap { Self.attribute($0, "stroke") }).count == 3)
        #expect(try Self.elements(document, "g", class: "legend-entry").compactMap(\.stringValue) == ["p0 <&>", "p1 <&>", "p2 <&>"])
        #expect(try Self.elements(document, "text", class: "title").first?.stringValue == "a < b & c")
    }

    @Test func logScaleLeavesOutValuesAtOrBelowZeroAndSaysSo() throws {
        let points = [-1, 0, 0.01, 0.1, 1, 10].enumerated().map { ChartPoint(x: Double($0.offset), y: $0.element) }
        let chart = Chart(title: "t", xLabel: "x", yLabel: "y", series: [Series(name: "y", points: points)], logY: true)
        let document = try Self.parse(SVGChart.render(chart))
        #expect(try Self.elements(document, "polyline").map(Self.pointCount) == [4])
        #expect(try Self.elements(document, "text", class: "note").compactMap(\.stringValue) == ["note: 2 points not drawn: y ≤ 0 has no place on a log scale"])
        #expect(try Self.tickLabels(document, axis: "y-axis") == ["0.01", "0.1", "1", "10"])
        #expect(try Self.elements(document, "text", class: "axis-label").first?.stringValue == "y (log scale)")
    }

    @Test func controlCharactersAndHugeSeriesStillMakeValidXML() throws {
        let many = (0..<40).map { Series(name: "s\($0)\u{1B}[31m\u{7}", points: [ChartPoint(x: 0, y: Double($0)), ChartPoint(x: 1, y: 1)]) }
        let document = try Self.parse(SVGChart.render(Chart(title: "t\u{0}", xLabel: "x", yLabel: "y", series: many)))
        #expect(try Self.elements(document, "polyline").count == 40)
        #expect(try Self.elements(document, "text", class: "legend-more").count == 1)
        let dense = Chart(title: "t", xLabel: "x", yLabel: "y", series: [Series(name: "y", points: (0..<100_000).map { ChartPoint(x: Double($0), y: sin(Double($0) / 100)) })])
        let polyline = try #require(try Self.elements(try Self.parse(SVGChart.render(dense)), "polyline").first)
        #expect(Self.pointCount(polyline) < 4 * 640, "a dense series is reduced to a few points per pixel")
    }

    @Test func anEmptyChartStillRenders() throws {
        let document = try Self.parse(SVGChart.render(Chart(title: "nothing", xLabel: "x", yLabel: "y", series: [])))
        #expect(try Self.elements(document, "polyline").isEmpty)
        #expect(try Self.elements(document, "text", class: "note").compactMap(\.stringValue) == ["note: no points to draw"])
    }

    @Test func standaloneFilesStartWithAnXMLDeclaration() {
        #expect(SVGChart.render(Self.lossChart, xmlDeclaration: true).hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "))
        #expect(SVGChart.render(Self.lossChart).hasPrefix("<svg "))
    }
}
