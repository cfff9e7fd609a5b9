import Foundation
import GradJSON
import Testing
@testable import GradNotebook

@Suite struct IPYNBFormatTests {
    /// Written by hand the way nbformat 5.x / nbclient save an executed notebook.
    static let executed = #"""
        {
         "cells": [
          {
           "cell_type": "markdown",
           "id": "a1b2c3d4",
           "metadata": {},
           "source": [
            "# The seed\n",
            "\n",
            "A one-unit network."
           ]
          },
          {
           "cell_type": "code",
           "execution_count": 1,
           "id": "params-1",
           "metadata": {
            "editable": false,
            "tags": [
             "parameters"
            ]
           },
           "outputs": [],
           "source": [
            "lr = 0.1"
           ]
          },
          {
           "cell_type": "code",
           "execution_count": 2,
           "id": "e5f6a7b8",
           "metadata": {
            "execution": {
             "iopub.execute_input": "2026-11-27T04:31:12.345Z",
             "iopub.status.busy": "2026-11-27T04:31:12.340Z"
            }
           },
           "outputs": [
            {
             "name": "stdout",
             "output_type": "stream",
             "text": [
              "c = -4\n",
              "a = 4\n"
             ]
            },
            {
             "data": {
              "text/html": [
               "<table>\n",
               "</table>"
              ],
              "text/plain": [
               "-4"
              ]
             },
             "execution_count": 2,
             "metadata": {},
             "output_type": "execute_result"
            },
            {
             "data": {
              "application/json": {
               "grad": -4,
               "ok": true
              },
              "image/svg+xml": [
               "<svg/>"
              ]
             },
             "metadata": {
              "isolated": true
             },
             "output_type": "display_data"
            },
            {
             "ename": "NameError",
             "evalue": "1:5: unknown name q",
             "output_type": "error",
             "traceback": [
              "1:5: unknown name q",
              "J = q",
              "    ^"
             ]
            }
           ],
           "source": [
            "c = w * x\n",
            "grad(J, w)"
           ]
          },
          {
           "attachments": {},
           "cell_type": "raw",
           "id": "rawcell",
           "metadata": {},
           "source": [
            "raw text"
           ]
          }
         ],
         "metadata": {
          "kernelspec": {
           "display_name": "gradbook",
           "language": "gradbook",
           "name": "gradbook"
          },
          "language_info": {
           "name": "gradbook"
          },
          "papermill": {
           "duration": 1.25,
           "parameters": {
            "lr": 0.05
           }
          }
         },
         "nbformat": 4,
         "nbformat_minor": 5
        }

        """#

    @Test func readsAnExecutedNotebook() throws {
        let notebook = try Notebook(ipynb: Data(IPYNBFormatTests.executed.utf8))
        #expect(notebook.cells.map(\.kind) == [.markdown, .code, .code, .raw])
        #expect(notebook.cells[0].source == "# The seed\n\nA one-unit network.")
        #expect(notebook.cells[1].tags == ["parameters"])
        #expect(notebook.cells[1].metadata == ["editable": .bool(false)])
        let code = notebook.cells[2]
        #expect(code.executionCount == 2)
        #expect(code.source == "c = w * x\ngrad(J, w)")
        #expect(code.outputs == [
            .stream(name: "stdout", text: "c = -4\na = 4\n"),
            .executeResult(executionCount: 2, data: ["text/plain": .string("-4"), "text/html": .string("<table>\n</table>")],
                           metadata: [:]),
            .displayData(data: ["application/json": .object(["grad": .int(-4), "ok": .bool(true)]),
                                "image/svg+xml": .string("<svg/>")],
                         metadata: ["isolated": .bool(true)]),
            .error(name: "NameError", value: "1:5: unknown name q", traceback: ["1:5: unknown name q", "J = q", "    ^"]),
        ])
        #expect(notebook.cells[3].extra == ["attachments": .object([:])])
        #expect(notebook.metadata["papermill"]?["duration"] == .double(1.25))
    }

    @Test func writesItBackByteForByte() throws {
        let notebook = try Notebook(ipynb: Data(IPYNBFormatTests.executed.utf8))
        #expect(notebook.ipynbText() == IPYNBFormatTests.executed)
    }

    @Test func readsNbformat44WithStringSourcesAndWritesCellIDs() throws {
        let old = #"""
            {"nbformat": 4, "nbformat_minor": 4, "metadata": {"custom": {"nested": [1, 2.5, null, "x"]}},
             "cells": [{"cell_type": "code", "metadata": {}, "execution_count": null, "outputs": [], "source": "x = 1\ny = 2"},
                       {"cell_type": "code", "metadata": {}, "execution_count": null, "outputs": [], "source": "x = 1\ny = 2"}]}
            """#
        var notebook = try Notebook(ipynb: Data(old.utf8))
        #expect(notebook.cells[0].source == "x = 1\ny = 2")
        notebook.setGradbookKernel()
        let text = notebook.ipynbText()
        let reread = try Notebook(ipynb: Data(text.utf8))
        #expect(reread.nbformatMinor == 5)
        let ids = reread.cells.compactMap(\.id)
        #expect(ids.count == 2 && Set(ids).count == 2 && ids.allSatisfy { $0.count == 8 })
        #expect(reread.metadata["custom"] == .object(["nested": .array([.int(1), .double(2.5), .null, .string("x")])]))
        #expect(reread.metadata["kernelspec"] == Notebook.kernelspec)
        #expect(text.contains(#""source": [\#n    "x = 1\n",\#n    "y = 2"\#n   ]"#))
        // Foundation agrees it is JSON.
        #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) is [String: Any])
    }

    @Test(arguments: [
        "not json", "[]", #"{"nbformat": 3, "cells": []}"#, #"{"nbformat": 4}"#,
        #"{"nbformat": 4, "cells": [{"source": "x"}]}"#,
        #"{"nbformat": 4, "cells": [{"cell_type": "code", "source": 5}]}"#,
        #"{"nbformat": 4, "cells": [{"cell_type": "code", "source": "", "outputs": [{"output_type": "weird"}]}]}"#,
    ])
    func malformedNotebooksAreErrors(text: String) {
        #expect(throws: (any Error).self) { try Notebook(ipynb: Data(text.utf8)) }
    }

    @Test func deeplyNestedMetadataDoesNotRecurse() throws {
        let depth = 2000
        let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let text = #"{"nbformat": 4, "nbformat_minor": 5, "cells": [], "metadata": {"deep": \#(nested)}}"#
        guard let notebook = try? Notebook(ipynb: Data(text.utf8)) else { return }  // Foundation may refuse the depth
        #expect(notebook.ipynbText().contains("[]"))
    }

    @Test func filesAreReadAndWrittenByExtension() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gradnotebook-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let notebook = try Notebook(ipynb: Data(IPYNBFormatTests.executed.utf8))
        let ipynb = directory.appendingPathComponent("lesson.ipynb").path
        try notebook.write(to: ipynb)
        #expect(try Notebook.read(path: ipynb) == notebook)
        let grad = directory.appendingPathComponent("lesson.grad").path
        try notebook.write(to: grad)
        #expect(try Notebook.read(path: grad).cells.map(\.source) == notebook.cells.map(\.source))
        #expect(throws: NotebookError.unknownFormat(path: "x.txt")) { try Notebook.read(path: "x.txt") }
        let missing = directory.appendingPathComponent("missing.grad").path
        let error = try #require(throws: NotebookError.self) { try Notebook.read(path: missing) }
        #expect(error.description.hasPrefix("cannot read \(missing): "))
    }
}
