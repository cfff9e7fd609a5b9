import Foundation
import Testing
@testable import GradNotebook

@Suite struct ParameterInjectionTests {
    @Test func commandLineValuesAreTypedLikePapermill() throws {
        #expect(ParameterValue(commandLine: "0.05") == .number("0.05"))
        #expect(ParameterValue(commandLine: "-2") == .number("-2"))
        #expect(ParameterValue(commandLine: ".5") == .number(".5"))
        #expect(ParameterValue(commandLine: "2.5E+4") == .number("2.5E+4"))
        #expect(ParameterValue(commandLine: "true") == .bool(true))
        #expect(ParameterValue(commandLine: "False") == .bool(false))
        for text in ["0x10", "inf", "nan", "1e", "-", ".", "1.2.3", " 1", "data.csv"] {
            #expect(ParameterValue(commandLine: text) == .string(text))
        }
        #expect(try ParameterValue.string(#"C:\data "x".csv"#).source() == #""C:\\data \"x\".csv""#)
        #expect(throws: NotebookError.self) { try ParameterValue.string("two\nlines").source() }
    }

    @Test func injectsAfterTheParametersCellOfAGradFile() throws {
        let notebook = Notebook(percentText: """
            # %% [markdown]
            # Settings

            # %% tags=["parameters"]
            lr = 0.1
            name = "moons"

            # %%
            train(J, steps=10, lr=lr)

            """)
        let injected = try notebook.injectingParameters([("lr", .number("0.05")), ("name", .string("blobs")),
                                                          ("verbose", .bool(true))])
        #expect(injected.cells.map(\.tags) == [[], ["parameters"], ["injected-parameters"], []])
        #expect(injected.cells[2].source == "# Parameters\nlr = 0.05\nname = \"blobs\"\nverbose = true")
        #expect(injected.percentText().contains("""
            # %% tags=["injected-parameters"]
            # Parameters
            lr = 0.05
            """))
        // Injecting again replaces the earlier injection (papermill re-running its output).
        let again = try injected.injectingParameters([("lr", .number("1"))])
        #expect(again.cells.count == 4)
        #expect(again.cells[2].source == "# Parameters\nlr = 1")
    }

    @Test func injectsAtTheTopWithoutAParametersCell() throws {
        let notebook = try Notebook(ipynb: Data(IPYNBFormatTests.executed.utf8))
        var untagged = notebook
        untagged.cells[1].tags = []
        let injected = try untagged.injectingParameters([("lr", .number("0.05"))])
        #expect(injected.cells.first?.tags == ["injected-parameters"])
        #expect(injected.cells.count == notebook.cells.count + 1)
        // In .ipynb the tag goes to metadata.tags, where papermill looks.
        let text = injected.ipynbText()
        let reread = try Notebook(ipynb: Data(text.utf8))
        #expect(reread.cells.first?.tags == ["injected-parameters"])
        #expect(text.contains(#""tags": [\#n     "injected-parameters"\#n    ]"#))
        // With the parameters cell, it goes right after it.
        let afterParameters = try notebook.injectingParameters([("lr", .number("0.05"))])
        #expect(afterParameters.cells.map(\.tags) == [[], ["parameters"], ["injected-parameters"], [], []])
    }

    @Test func badNamesAreRefusedAndNothingChangesWithoutParameters() throws {
        let notebook = Notebook(percentText: "x = 1\n")
        #expect(try notebook.injectingParameters([]) == notebook)
        for name in ["1x", "a-b", "", "x y", "é"] {
            #expect(throws: NotebookError.self) { try notebook.injectingParameters([(name, .number("1"))]) }
        }
        #expect(try notebook.injectingParameters([("_private2", .number("1"))]).cells.count == 2)
    }
}
