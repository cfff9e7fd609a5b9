"""gradbook in JupyterLab, in headless Chromium, as a new user meets it: the launcher shows the
kernel with its logo, and notebooks 01 and 03 run every cell with no error; the seed's numbers,
the %explain tables, the %graph SVG and the %plot charts are on the page. Screenshots of each go
to the output folder (see conftest.py)."""
import urllib.parse

from conftest import OUTPUT, wait_until

PAGE_SECONDS = 300
RUN_SECONDS = 600

# The open notebook as JupyterLab holds it (window.jupyterapp, from --LabApp.expose_app_in_browser):
# its kernel and, per code cell, source, execution count and state, outputs, and what the page shows.
NOTEBOOK_STATE = """
const app = window.jupyterapp;
const panel = app && app.shell && app.shell.currentWidget;
if (!panel || !panel.context || panel.context.path !== arguments[0] || !panel.context.isReady || !panel.content) return null;
const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
return {
  kernel: kernel ? kernel.name : null,
  status: kernel ? kernel.status : null,
  cells: panel.content.widgets.filter(cell => cell.model.type === 'code').map(cell => ({
    source: cell.model.sharedModel.getSource(),
    count: cell.model.executionCount,
    state: cell.model.executionState,
    outputs: cell.model.outputs.toJSON(),
    text: cell.outputArea ? cell.outputArea.node.innerText : '',
    tables: cell.node.querySelectorAll('.jp-OutputArea .jp-RenderedHTMLCommon table').length,
    stderr: cell.node.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').length,
    svgs: Array.from(cell.node.querySelectorAll('.jp-OutputArea .jp-RenderedSVG img')).map(img => ({
      src: img.getAttribute('src'), complete: img.complete, width: img.naturalWidth})),
  })),
};
"""

SCROLL_TO_CELL = """
const panel = window.jupyterapp.shell.currentWidget;
const cells = panel.content.widgets.filter(cell => cell.model.type === 'code');
cells[arguments[0]].node.scrollIntoView({block: arguments[1]});
"""


def svg_source(image):
    """The SVG text JupyterLab put in an <img> (a data: URL of the URI-encoded document)."""
    header, _, data = image["src"].partition(",")
    assert header == "data:image/svg+xml", header
    return urllib.parse.unquote(data)


def screenshot(browser, name, cell=None, block="start"):
    if cell is not None:
        browser.execute_script(SCROLL_TO_CELL, cell, block)
    path = OUTPUT / f"{name}.png"
    assert browser.save_screenshot(str(path)), path
    return path


def run_notebook(browser, lab, name):
    """Opens `name`, waits for its gradbook kernel, runs all cells, and returns the cells once
    every one has run (or one failed) and every SVG image on the page has loaded."""
    browser.get(lab.page(f"lab/tree/{name}"))
    ready = wait_until(lambda: (lambda s: s if s and s["status"] == "idle" else None)(browser.execute_script(NOTEBOOK_STATE, name)),
                       PAGE_SECONDS, f"{name} to open with an idle kernel")
    assert ready["kernel"] == "gradbook"
    assert all(cell["count"] is None and not cell["outputs"] for cell in ready["cells"]), "the copy starts without outputs"
    # The file browser takes room the screenshots need for the outputs.
    browser.execute_script("window.jupyterapp.shell.collapseLeft()")
    browser.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells')")

    def finished():
        state = browser.execute_script(NOTEBOOK_STATE, name)
        if any(output["output_type"] == "error" for cell in state["cells"] for output in cell["outputs"]):
            return state  # a failing cell stops the run: report it rather than wait
        done = state["status"] == "idle" and all(cell["count"] is not None and cell["state"] != "running" for cell in state["cells"])
        images = all(image["complete"] for cell in state["cells"] for image in cell["svgs"])
        return state if done and images else None

    state = wait_until(finished, RUN_SECONDS, f"every cell of {name} to run")
    cells = state["cells"]
    errors = [(cell["source"], output) for cell in cells for output in cell["outputs"] if output["output_type"] == "error"]
    assert not errors, errors
    assert [cell["count"] for cell in cells] == list(range(1, len(cells) + 1))
    assert not any(cell["stderr"] for cell in cells), [cell["text"] for cell in cells if cell["stderr"]]
    return cells


def cell_index(cells, start):
    matches = [index for index, cell in enumerate(cells) if cell["source"].startswith(start)]
    assert len(matches) == 1, f"one cell starting {start!r}"
    return matches[0]


def test_the_launcher_shows_the_gradbook_kernel_with_its_logo(lab, browser):
    browser.get(lab.page("lab?reset"))
    cards_script = """
    return Array.from(document.querySelectorAll('.jp-LauncherCard')).map(card => {
      const img = card.querySelector('img.jp-Launcher-kernelIcon');
      return {label: card.innerText.trim(), category: card.dataset.category || '',
              icon: img ? {src: img.src, complete: img.complete, width: img.naturalWidth} : null};
    });
    """

    def gradbook_cards():
        cards = [card for card in browser.execute_script(cards_script) if card["label"] == "gradbook"]
        return cards if cards and all(card["icon"] is None or card["icon"]["complete"] for card in cards) else None

    cards = wait_until(gradbook_cards, PAGE_SECONDS, "the launcher's gradbook cards")
    screenshot(browser, "launcher")
    assert {card["category"] for card in cards} >= {"Notebook", "Console"}
    for card in cards:
        icon = card["icon"]
        assert icon is not None, "the card shows a logo, not the kernel's initial"
        assert icon["width"] > 0, f"the logo {icon['src']} did not load"
        assert "/kernelspecs/gradbook/logo-" in icon["src"]
        logo = (lab.kernelspec / icon["src"].rsplit("/", 1)[1]).read_bytes()
        assert lab.fetch(icon["src"]) == logo, "the launcher shows gradbook's own logo"


def test_notebook_01_runs_and_shows_numbers_tables_and_the_graph(lab, browser):
    cells = run_notebook(browser, lab, "01-computation-graph.ipynb")
    screenshot(browser, "01-top", 0)
    text = "\n".join(cell["text"] for cell in cells)
    for number in ["c = -4", "a = 4", "d = 2", "J = 2"]:
        assert number in text, number
    # The last line of an output area is the cell's value (`[4]:` prompt above it).
    assert cells[cell_index(cells, "backward J")]["text"].strip().splitlines()[-1] == "-4", "dJ/dw = -4"
    assert cells[cell_index(cells, "grad(J, b)")]["text"].strip().splitlines()[-1] == "2", "dJ/db = 2"

    explain = cells[cell_index(cells, "%explain J")]
    assert explain["tables"] >= 2, "the forward and backward passes as HTML tables"
    assert "dJ/dw" in explain["text"] and "dJ/db" in explain["text"]
    screenshot(browser, "01-explain", cell_index(cells, "%explain J"))

    sql = cells[cell_index(cells, "%%sql")]
    assert sql["tables"] == 1 and "grad" in sql["text"]

    graph_index = cell_index(cells, "%graph J")
    graph = cells[graph_index]
    assert len(graph["svgs"]) == 1, "%graph shows one SVG"
    assert graph["svgs"][0]["width"] > 0, "the browser drew the graph's SVG"
    source = svg_source(graph["svgs"][0])
    assert source.lstrip().startswith("<svg") and 'class="graph"' in source and ">J<" in source
    # The graph after `x = 3`: current values beside current gradients (dJ/dw = 36, not the -4 of x = -2).
    assert "value 72" in source and "grad 36" in source and "grad -4" not in source, "the graph shows current gradients"
    screenshot(browser, "01-graph", graph_index)


def test_notebook_03_runs_and_plots_its_loss_curve_and_gradient_norms(lab, browser):
    cells = run_notebook(browser, lab, "03-larger-neural-network.ipynb")
    train_index = cell_index(cells, "train(loss")
    train = cells[train_index]
    assert train["outputs"][-1]["data"]["text/plain"] == "1", "accuracy 1 after training"
    summary = [output for output in train["outputs"] if "image/svg+xml" in output.get("data", {})]
    assert len(summary) == 1 and summary[0]["data"]["text/plain"].startswith("train loss: 300 steps")
    assert "step 300/300" in train["text"], "the progress display, updated in place, ends at the last step"
    assert len(train["svgs"]) == 1 and train["svgs"][0]["width"] > 0, "the loss curve is drawn"
    assert 'class="gradbook-chart"' in svg_source(train["svgs"][0])
    screenshot(browser, "03-train", train_index)

    plots = [index for index, cell in enumerate(cells) if cell["source"].lstrip("%").startswith("plot")]
    assert len(plots) == 2
    lines_per_plot = []
    for index in plots:
        images = cells[index]["svgs"]
        assert len(images) == 1 and images[0]["width"] > 0, cells[index]["source"]
        source = svg_source(images[0])
        assert 'class="gradbook-chart"' in source and "(log scale)" in source
        polylines = [part.split('points="', 1)[1].split('"', 1)[0] for part in source.split("<polyline")[1:]]
        lines_per_plot.append([len(points.split()) for points in polylines])
    assert lines_per_plot == [[300], [300] * 6], "one loss curve, one gradient-norm line per param, a point per step"
    screenshot(browser, "03-plot-loss", plots[0])
    screenshot(browser, "03-plot-grad-norms", plots[1])
    assert sum(cell["tables"] for cell in cells) == 2, "the two %%sql tables"
