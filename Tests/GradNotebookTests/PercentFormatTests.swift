import Foundation
import Testing
@testable import GradNotebook

@Suite struct PercentFormatTests {
    static let lesson = """
        # A preamble before any marker
        x = -2

        # %% [markdown]
        # # The seed
        #
        # A one-unit network, *by hand*.

        # %% tags=["parameters"]
        lr = 0.1
        steps = 10

        # %%
        w = param(2)
        # a comment, not a marker: # %% inside a line
        J = (w * x)^2

        # %% [markdown] tags=["explain", "notes"]
        # Gradients follow.

        # %% Loss curve [raw] note="kept"
        raw text

        """

    @Test func parsesCellsKindsTagsAndLines() throws {
        let notebook = Notebook(percentText: PercentFormatTests.lesson)
        #expect(notebook.cells.map(\.kind) == [.code, .markdown, .code, .code, .markdown, .raw])
        #expect(notebook.cells.map(\.sourceLine) == [1, 5, 10, 14, 19, 22])
        #expect(notebook.cells[0].source == "# A preamble before any marker\nx = -2")
        #expect(notebook.cells[0].hasMarker == false)
        #expect(notebook.cells[1].source == "# The seed\n\nA one-unit network, *by hand*.")
        #expect(notebook.cells[2].tags == ["parameters"])
        #expect(notebook.cells[2].source == "lr = 0.1\nsteps = 10")
        #expect(notebook.cells[3].source == "w = param(2)\n# a comment, not a marker: # %% inside a line\nJ = (w * x)^2")
        #expect(notebook.cells[4].tags == ["explain", "notes"])
        #expect(notebook.cells[5].metadata == ["title": .string("Loss curve"), "note": .string("kept")])
        #expect(notebook.cells[5].source == "raw text")
    }

    @Test func writesBackTheSameText() {
        let notebook = Notebook(percentText: PercentFormatTests.lesson)
        let written = notebook.percentText()
        #expect(written == PercentFormatTests.lesson.replacingOccurrences(
            of: "# %% [markdown] tags=[\"explain\", \"notes\"]", with: "# %% [markdown] tags=[\"explain\", \"notes\"]"))
        #expect(Notebook(percentText: written) == notebook)
    }

    @Test func roundTripsBuiltNotebooks() {
        let notebook = Notebook(cells: [
            NotebookCell(kind: .markdown, source: "# Title\n\nText with `code`."),
            NotebookCell(kind: .code, source: "lr = 0.05", tags: ["parameters"]),
            NotebookCell(kind: .code, source: "backward J\ngrad(J, w)"),
        ])
        let text = notebook.percentText()
        #expect(text == """
            # %% [markdown]
            # # Title
            #
            # Text with `code`.

            # %% tags=["parameters"]
            lr = 0.05

            # %%
            backward J
            grad(J, w)

            """)
        var reread = Notebook(percentText: text)
        #expect(reread.cells.map(\.sourceLine) == [2, 7, 10])
        for index in reread.cells.indices { reread.cells[index].sourceLine = 1 }
        #expect(reread == notebook)
    }

    @Test func edgeCases() {
        #expect(Notebook(percentText: "").cells.isEmpty)
        #expect(Notebook(percentText: "\n\n  \n").cells.isEmpty)
        // CRLF files read like LF files; %%%, %%x and indented markers are not markers.
        let crlf = Notebook(percentText: "# %%\r\na = 1\r\n# %%%\r\n  # %%\r\n# %%x\r\n")
        #expect(crlf.cells.count == 1)
        #expect(crlf.cells[0].source == "a = 1\n# %%%\n  # %%\n# %%x")
        // An empty cell keeps its place and points at its marker's next line.
        let empty = Notebook(percentText: "# %%\n# %%\nb = 2\n")
        #expect(empty.cells.map(\.source) == ["", "b = 2"])
        #expect(empty.cells.map(\.sourceLine) == [2, 3])
        // Malformed metadata is a title, never a failure.
        let odd = Notebook(percentText: "# %% tags=[\"unclosed\n1\n")
        #expect(odd.cells.count == 1 && odd.cells[0].tags.isEmpty)
    }
}
