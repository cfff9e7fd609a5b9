"""The lesson notebooks (notebooks/*.ipynb) executed by real Jupyter clients through the
gradbook kernel: nbclient runs each one, papermill overrides notebook 3's parameters."""
import pathlib
import re

import nbformat
import pytest
from nbclient import NotebookClient

import kernel_config

NOTEBOOKS = sorted((kernel_config.REPO / "notebooks").glob("*.ipynb"))


def outputs_text(cell):
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(output.data.get("text/plain", ""))
    return "".join(parts)


def test_every_grad_notebook_has_an_ipynb_twin():
    grads = sorted(p.stem for p in (kernel_config.REPO / "notebooks").glob("*.grad"))
    assert grads and grads == [p.stem for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_nbclient_runs_the_notebook(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    NotebookClient(nb, timeout=120, kernel_name=kernel_config.KERNEL_NAME).execute()
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(not any(o.output_type == "error" for o in cell.outputs) for cell in code)
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    text = "".join(outputs_text(cell) for cell in code)
    if path.stem.startswith("01"):
        for expected in ["c = -4", "J = 2", "c = w * x = -4", "dJ/dc = dJ/da * da/dc = 2 * 1 = 2"]:
            assert expected in text
        graph = [o for cell in code for o in cell.outputs if o.output_type == "display_data" and "image/svg+xml" in o.data]
        tables = [o for cell in code for o in cell.outputs if o.output_type == "display_data" and "text/html" in o.data]
        assert graph, "%graph shows an SVG in Jupyter"
        assert tables, "%sql shows an HTML table in Jupyter"
    if path.stem.startswith("02"):
        # Forward mode beside backprop: the seed worked left to right, gradcheck of f_h100's own
        # params, and the table of steps (reverse n + p, forward mode and finite differences ~ n·p).
        for expected in ["dc/dw = x = -2", "da/dw = dc/dw = -2", "dd/dw = da/dw = -2", "dJ/dw = d * dd/dw = 2 * (-2) = -4",
                         "gradcheck f_h100: 4 params (1,001 elements), 2,002 forward passes",
                         "| 1001 | reverse mode       |      1 |  1009 |", "| 1001 | forward mode       |   1001 |  7604 |",
                         "| 1001 | finite differences |   2002 | 15208 |"]:
            assert expected in text, expected
        check = [cell for cell in code if "gradcheck(f_h100)" in cell.source][0]
        assert not re.search(r"_h(10|30)\b", outputs_text(check)), "only f_h100's params are checked"
        forward = [o for cell in code if "--forward" in cell.source for o in cell.outputs if o.output_type == "display_data"]
        assert forward and "<code>dJ/dw = d * dd/dw = 2 * (-2) = -4</code>" in forward[0].data["text/html"]
    if path.stem.startswith("03"):
        accuracy = [cell for cell in code if "train(loss" in cell.source][0]
        assert accuracy.outputs[-1].data["text/plain"] == "1"
        # The loss curve after train() and the two %plot cells are charts: SVG with a text fallback.
        charts = [o for cell in code for o in cell.outputs
                  if o.output_type == "display_data" and 'class="gradbook-chart"' in o.data.get("image/svg+xml", "")]
        assert len(charts) == 3
        assert all("└┬" in o.data["text/plain"] for o in charts)
        plots = [cell for cell in code if cell.source.lstrip("%").startswith("plot")]
        assert len(plots) == 2 and all(len(cell.outputs) == 1 for cell in plots)
        assert plots[1].outputs[0].data["image/svg+xml"].count("<polyline") == 6, "one line per param"


def test_papermill_overrides_the_training_parameters(tmp_path):
    import papermill
    from papermill.translators import PythonTranslator, papermill_translators

    papermill_translators.register("gradbook", PythonTranslator)
    source = kernel_config.REPO / "notebooks" / "03-larger-neural-network.ipynb"
    output = tmp_path / "out.ipynb"
    papermill.execute_notebook(str(source), str(output), parameters={"steps": 5, "lr": 0.01},
                               kernel_name=kernel_config.KERNEL_NAME, progress_bar=False)
    nb = nbformat.read(output, as_version=4)
    injected = [cell for cell in nb.cells if "injected-parameters" in (cell.metadata.get("tags") or [])]
    assert len(injected) == 1 and "steps = 5" in injected[0].source
    train = [cell for cell in nb.cells if cell.cell_type == "code" and "train(loss" in cell.source][0]
    assert "5 steps" in outputs_text(train)
