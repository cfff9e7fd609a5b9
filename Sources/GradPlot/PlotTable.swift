/// A query result as the chart builder sees it (GradPlot knows nothing of SQLite).
public struct PlotTable: Sendable, Equatable {
    public enum Cell: Sendable, Equatable {
        case null
        case number(Double)
        case text(String)
        /// Something that is neither a number nor text (a BLOB), described for messages.
        case other(String)
    }

    public var columns: [String]
    public var rows: [[Cell]]

    public init(columns: [String], rows: [[Cell]]) {
        self.columns = columns
        self.rows = rows
    }
}

public enum PlotError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The query returned no rows: nothing is wrong with it, there is just nothing to draw.
    case noRows
    case unusable(String)

    public var description: String {
        switch self {
        case .noRows: return "nothing to plot: the query returned no rows"
        case .unusable(let message): return message
        }
    }
}

extension Chart {
    /// The chart a query result describes: the first column is x; each further numeric column a
    /// series (wide form), or, when the second column holds text, one series per distinct text
    /// with the numeric columns after it as y (long form: `step, name, grad_norm`).
    public init(table: PlotTable, logY: Bool = false) throws(PlotError) {
        let columns = table.columns
        guard columns.count >= 2 else {
            throw .unusable("a plot needs at least two columns, x then y (or x, a series name, y); the query returned \(columns.first.map { "only '\($0)'" } ?? "no columns")")
        }
        guard !table.rows.isEmpty else { throw .noRows }
        let kinds = columns.indices.map { column in ColumnKind(table.rows.map { $0.indices.contains(column) ? $0[column] : .null }) }
        if let (row, cell) = kinds[0].firstNonNumber {
            throw .unusable("the first column ('\(columns[0])') is the x axis and must hold numbers, but row \(row + 1) holds \(cell)")
        }
        guard kinds[0].numbers > 0 else {
            throw .unusable("the first column ('\(columns[0])') is the x axis, but every row holds NULL there")
        }
        var notes: [String] = []
        let longForm = columns.count >= 3 && kinds[1].numbers == 0 && kinds[1].texts > 0
        var yColumns: [Int] = []
        for column in (longForm ? 2 : 1)..<columns.count {
            if kinds[column].numbers > 0 || kinds[column].isAllNull {
                yColumns.append(column)
                if kinds[column].texts + kinds[column].others > 0 {
                    notes.append("'\(columns[column])': \(PlotData.count(kinds[column].texts + kinds[column].others, "value")) that \(kinds[column].texts + kinds[column].others == 1 ? "is" : "are") not a number, not drawn")
                }
            } else {
                notes.append("'\(columns[column])' holds no numbers, so it is not drawn")
            }
        }
        guard !yColumns.isEmpty else {
            let after = longForm ? "after the series names ('\(columns[1])')" : "after x ('\(columns[0])')"
            throw .unusable("no column \(after) holds numbers to plot as y")
        }
        let yNames = yColumns.map { columns[$0] }
        var series: [Series] = []
        if longForm {
            var indexOfKey: [String: Int] = [:]
            for row in table.rows {
                let x = Self.number(row, 0)
                let key = Self.label(row.indices.contains(1) ? row[1] : .null)
                for column in yColumns {
                    let name = yColumns.count == 1 ? key : "\(key) \(columns[column])"
                    let index: Int
                    if let known = indexOfKey[name] {
                        index = known
                    } else {
                        index = series.count
                        indexOfKey[name] = index
                        series.append(Series(name: name, points: []))
                    }
                    series[index].points.append(ChartPoint(x: x, y: Self.number(row, column)))
                }
            }
        } else {
            series = yColumns.map { column in
                Series(name: columns[column], points: table.rows.map { ChartPoint(x: Self.number($0, 0), y: Self.number($0, column)) })
            }
        }
        let title = yNames.joined(separator: ", ") + " by " + columns[0] + (longForm ? ", per \(columns[1])" : "")
        self.init(title: title, xLabel: columns[0], yLabel: yNames.joined(separator: ", "), series: series, logY: logY, notes: notes)
        if !PlotData(self, maxXTicks: 2, maxYTicks: 2).hasPoints {
            throw .unusable(logY ? "nothing to plot on a log scale: no row has a finite x and a y above 0"
                                 : "nothing to plot: no row has both a finite x and a finite y")
        }
    }

    /// A cell as a coordinate: NULL, text and BLOBs are NaN, which breaks the line there.
    private static func number(_ row: [PlotTable.Cell], _ column: Int) -> Double {
        guard row.indices.contains(column), case .number(let value) = row[column] else { return .nan }
        return value
    }

    private static func label(_ cell: PlotTable.Cell) -> String {
        switch cell {
        case .null: return "NULL"
        case .number(let value): return TickLabel.format(value)
        case .text(let text): return text
        case .other(let description): return description
        }
    }
}

/// What one column holds, counted.
private struct ColumnKind {
    var numbers = 0, texts = 0, others = 0, nulls = 0
    var firstNonNumber: (row: Int, description: String)?

    init(_ cells: [PlotTable.Cell]) {
        for (row, cell) in cells.enumerated() {
            switch cell {
            case .null: nulls += 1
            case .number: numbers += 1
            case .text(let text):
                texts += 1
                if firstNonNumber == nil { firstNonNumber = (row, "the text '\(text.count > 40 ? text.prefix(40) + "…" : text)'") }
            case .other(let description):
                others += 1
                if firstNonNumber == nil { firstNonNumber = (row, description) }
            }
        }
    }

    var isAllNull: Bool { numbers + texts + others == 0 }
}
