import GradJSON

import GradInterpreter
import GradStore

/// A cell's outputs as an nbformat 4 `outputs` array, the form the `cells.outputs` column keeps,
/// so a notebook can be rebuilt from the history with the outputs it showed.
enum OutputsJSON {
    static func encode(_ outputs: [SessionOutput], result: RichOutput?, executionCount: Int, errorName: String?, errorMessage: String?, errorText: String?) -> String {
        var items: [String] = []
        for output in outputs {
            switch output {
            case .stdout(let text): items.append(#"{"output_type":"stream","name":"stdout","text":\#(quote(text))}"#)
            case .stderr(let text): items.append(#"{"output_type":"stream","name":"stderr","text":\#(quote(text))}"#)
            case .display(let rich): items.append(#"{"output_type":"display_data","data":\#(bundle(rich)),"metadata":{}}"#)
            case .page(let text): items.append(#"{"output_type":"display_data","data":{"text/plain":\#(quote(text))},"metadata":{}}"#)
            case .clearOutput: items.removeAll()
            }
        }
        if let result {
            items.append(#"{"output_type":"execute_result","execution_count":\#(executionCount),"data":\#(bundle(result)),"metadata":{}}"#)
        }
        if let errorName {
            let traceback = (errorText ?? "").split(separator: "\n", omittingEmptySubsequences: false).map { quote(String($0)) }.joined(separator: ",")
            items.append(#"{"output_type":"error","ename":\#(quote(errorName)),"evalue":\#(quote(errorMessage ?? "")),"traceback":[\#(traceback)]}"#)
        }
        return "[" + items.joined(separator: ",") + "]"
    }

    static func bundle(_ rich: RichOutput) -> String {
        var fields = [#""text/plain":\#(quote(rich.plain))"#]
        if let html = rich.html { fields.append(#""text/html":\#(quote(html))"#) }
        if let svg = rich.svg { fields.append(#""image/svg+xml":\#(quote(svg))"#) }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func quote(_ text: String) -> String { JSONWriter.quoted(text) }
}
