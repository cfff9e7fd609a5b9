import GradInterpreter
import GradLang
import GradPlot
import GradStore

/// Charts from SQL: what `%plot` / `%%plot` and `gradbook plot` share.
public enum PlotQuery {
    public static let usage = "e.g. %plot SELECT step, loss FROM train_steps WHERE train_id = (SELECT max(train_id) FROM train_steps)"

    /// A query result as GradPlot's table (which knows nothing of SQLite).
    public static func table(_ result: QueryResult) -> PlotTable {
        PlotTable(columns: result.columns, rows: result.rows.map { row in
            row.map { value -> PlotTable.Cell in
                switch value {
                case .null: return .null
                case .integer(let number): return .number(Double(number))
                case .real(let number): return .number(number)
                case .text(let text): return .text(text)
                case .blob(let bytes): return .other("a BLOB of \(bytes.count) bytes")
                }
            }
        })
    }

    /// Runs `sql` read-only and makes the chart its rows describe.
    public static func chart(_ sql: String, store: RunStore, logY: Bool) throws -> Chart {
        try Chart(table: table(store.query(sql, allowWrites: false)), logY: logY)
    }
}

extension Session {
    /// `%plot [--logy] QUERY`, or `%%plot [--logy]` with the query below.
    func plotMagic(argument: String, body: String?, span: SourceSpan, cell: inout CellRun) throws {
        var words = argument.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        var logY = false
        while let option = words.first, option.hasPrefix("--"), option.count > 2 {
            guard option == "--logy" else {
                throw RuntimeError.session("%plot: unknown option \(option)", at: span, fixIt: "%plot takes --logy (a logarithmic y axis)")
            }
            logY = true
            words.removeFirst()
        }
        let sql = body ?? words.joined(separator: " ")
        guard !sql.trimmed.isEmpty else {
            throw RuntimeError.session("%plot needs a query whose first column is x", at: span, fixIt: PlotQuery.usage)
        }
        let chart: Chart
        do {
            chart = try PlotQuery.chart(withThisSession(sql), store: store, logY: logY)
        } catch PlotError.noRows {
            // Like an empty %sql result: nothing is wrong, there is just nothing to show.
            emit(.display(RichOutput(plain: PlotError.noRows.description)), into: &cell)
            return
        } catch let error as PlotError {
            throw RuntimeError.session("%plot: \(error)", at: span, fixIt: PlotQuery.usage)
        } catch {
            throw RuntimeError.session("SQL error: \(error)", at: span)
        }
        emit(.display(RichOutput(chart: TerminalChart(chart: chart))), into: &cell)
    }
}
