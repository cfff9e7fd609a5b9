"""The clients people use: nbclient, papermill, jupyter console, jupyter kernelspec."""
import json
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

import kernel_config
import samples


def notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": kernel_config.KERNEL_NAME, "display_name": "gradbook",
                                 "language": samples.LANGUAGE_NAME}
    nb.cells = list(cells)
    return nb


def code(source, tags=()):
    cell = nbformat.v4.new_code_cell(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def test_nbclient_runs_a_notebook_and_records_outputs_like_jupyter():
    nb = notebook(nbformat.v4.new_markdown_cell("# demo"), code(samples.DEFINE_X), code(samples.USE_X),
                  code(samples.HELLO_WORLD), code(samples.DISPLAY_DATA[1]["code"]), code(samples.IN_PLACE_UPDATE))
    NotebookClient(nb, timeout=30, kernel_name=kernel_config.KERNEL_NAME).execute()
    nbformat.validate(nb)
    cells = nb.cells
    assert [c.get("execution_count") for c in cells[1:]] == [1, 2, 3, 4, 5]
    # A definition shows its value, as gradbook does everywhere.
    assert [(o.output_type, o.name, o.text) for o in cells[1].outputs] == [("stream", "stdout", "x = 6\n")]
    assert cells[2].outputs[0].output_type == "execute_result"
    assert cells[2].outputs[0].data["text/plain"] == "42"
    assert cells[2].outputs[0].execution_count == 2
    assert cells[3].outputs[0].output_type == "stream" and "hello, world" in cells[3].outputs[0].text
    assert cells[4].outputs[0].output_type == "display_data" and "text/html" in cells[4].outputs[0].data
    # update_display_data replaced the progress display in place: one output, in its final state.
    progress = [o for o in cells[5].outputs
                if o.output_type == "display_data" and o.data["text/plain"].startswith("train L_p: step")]
    assert len(progress) == 1
    assert progress[0].data["text/plain"].startswith("train L_p: step 3/3")
    assert nb.metadata["language_info"]["name"] == samples.LANGUAGE_NAME


def test_nbclient_stops_at_an_error_unless_errors_are_allowed():
    nb = notebook(code(samples.GENERATE_ERROR), code(samples.SIX_TIMES_SEVEN))
    with pytest.raises(CellExecutionError):
        NotebookClient(nb, timeout=30, kernel_name=kernel_config.KERNEL_NAME).execute()
    nb = notebook(code(samples.GENERATE_ERROR), code(samples.SIX_TIMES_SEVEN))
    NotebookClient(nb, timeout=30, kernel_name=kernel_config.KERNEL_NAME, allow_errors=True).execute()
    assert nb.cells[0].outputs[0].output_type == "error"
    assert nb.cells[1].outputs[0].data["text/plain"] == "42"


def test_papermill_injects_parameters(tmp_path):
    import papermill
    from papermill.translators import PythonTranslator, papermill_translators

    class GradbookTranslator(PythonTranslator):
        """`name = value` lines: valid gradbook for numbers (and for the demo kernel)."""

        @classmethod
        def translate_dict(cls, parameters):
            raise NotImplementedError("gradbook has no dictionaries")

    papermill_translators.register(samples.LANGUAGE_NAME, GradbookTranslator)
    source, output = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    nbformat.write(notebook(code(samples.PARAMETER_CELL, tags=["parameters"]), code(samples.USE_PARAMETER)), source)
    papermill.execute_notebook(str(source), str(output), parameters={"a": 6}, kernel_name=kernel_config.KERNEL_NAME,
                               progress_bar=False)
    nb = nbformat.read(output, as_version=4)
    assert [c.metadata.get("tags") or [] for c in nb.cells] == [["parameters"], ["injected-parameters"], []]
    assert nb.cells[2].outputs[0].data["text/plain"] == "42"


def test_jupyter_console_answers_a_cell():
    completed = subprocess.run(
        [sys.executable, "-m", "jupyter_console", "--kernel", kernel_config.KERNEL_NAME, "--simple-prompt", "-y"],
        input=samples.SIX_TIMES_SEVEN + "\n", capture_output=True, text=True, timeout=60)
    assert "Out[1]: 42" in completed.stdout, completed.stdout + completed.stderr


def test_jupyter_lists_the_kernelspec_with_logos():
    completed = subprocess.run([sys.executable, "-m", "jupyter_client.kernelspecapp", "list", "--json"],
                               capture_output=True, text=True, check=True)
    specs = json.loads(completed.stdout)["kernelspecs"]
    spec = specs[kernel_config.KERNEL_NAME]["spec"]
    assert spec["display_name"] == "gradbook"
    assert spec["language"] == "gradbook"
    assert spec["argv"][1:] == ["kernel", "-f", "{connection_file}"]
    assert spec["argv"][0].startswith("/")
    assert spec["interrupt_mode"] in ("signal", "message")
    resources = kernel_config.kernelspec_dir()
    for logo in ("logo-32x32.png", "logo-64x64.png", "logo-svg.svg"):
        assert (resources / logo).stat().st_size > 0
