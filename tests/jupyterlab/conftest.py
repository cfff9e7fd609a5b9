"""JupyterLab in a real browser: a `jupyter lab` server of its own and headless Chromium driven
by Selenium, both always torn down.

The server runs on a free loopback port (port 0: the OS picks it; the server's runtime file says
which) with a random token, in a temporary directory holding copies of the lesson notebooks with
their outputs cleared, and sees only the gradbook kernelspec installed into a temporary prefix
(`gradbook kernel install --prefix`). Every Jupyter path points into that directory, so neither
the user's kernels, settings and workspaces nor an earlier run matter.

Every wait is for an event (a file, an HTTP answer, an element, the kernel going idle) with a
generous bound, never a fixed sleep. Screenshots go to tests/jupyterlab/output/ (git-ignored;
GRADBOOK_LAB_OUTPUT overrides it), with the server's and chromedriver's logs.
"""
import ctypes
import json
import os
import pathlib
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import nbformat
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("GRADBOOK_BIN", str(REPO / ".build" / "debug" / "gradbook"))
OUTPUT = pathlib.Path(os.environ.get("GRADBOOK_LAB_OUTPUT", str(REPO / "tests" / "jupyterlab" / "output")))
NOTEBOOKS = ["01-computation-graph.ipynb", "03-larger-neural-network.ipynb"]

# Bounds, not delays: on an idle machine each wait ends within seconds.
SERVER_START_SECONDS = 300
SHUTDOWN_SECONDS = 60

# Settings a fresh JupyterLab would otherwise default to: every cell attached to the page (the
# default windowing leaves cells outside the viewport out of the DOM), and no news or update
# checks (network requests, and toasts over the page).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "checkForUpdates": False, "doNotDisturbMode": True, "fetchNews": "false"},
}


def die_with_parent():
    """Runs in the child before exec: on Linux the child gets SIGTERM when pytest itself dies
    (killed, not just failing), so neither the server nor chromedriver outlives a killed run."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def wait_until(condition, seconds, what):
    """Polls `condition` until it returns something truthy; fails after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds} s waiting for {what}")
        time.sleep(0.2)


class Lab:
    def __init__(self, root, process, token):
        self.root = root
        self.process = process
        self.token = token
        self.url = None

    @property
    def kernelspec(self):
        return self.root / "prefix" / "share" / "jupyter" / "kernels" / "gradbook"

    def page(self, path):
        return f"{self.url}{path}{'&' if '?' in path else '?'}token={self.token}"

    def api(self, path, method="GET"):
        request = urllib.request.Request(self.url + path, method=method, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read()
            return json.loads(body) if body and response.headers.get_content_type() == "application/json" else body

    def fetch(self, url):
        """A file the page refers to (an image), with the token."""
        request = urllib.request.Request(url, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.read()

    def log(self):
        path = OUTPUT / "jupyter-server.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def started(self):
        """The server's URL once it answers, from the runtime file it writes when listening."""
        if self.process.poll() is not None:
            raise AssertionError(f"jupyter lab exited with status {self.process.returncode}:\n{self.log()}")
        info = self.root / "runtime" / f"jpserver-{self.process.pid}.json"
        if not info.exists():
            return None
        try:
            url = json.loads(info.read_text())["url"]
        except (ValueError, KeyError):
            return None  # being written
        self.url = url if url.endswith("/") else url + "/"
        try:
            return self.url if self.api("api/status") else None
        except (urllib.error.URLError, ConnectionError):
            return None

    def stop(self):
        if self.url is not None and self.process.poll() is None:
            try:
                for session in self.api("api/sessions"):
                    self.api(f"api/sessions/{session['id']}", method="DELETE")
            except (urllib.error.URLError, ConnectionError, ValueError):
                pass  # the server goes anyway, and its kernels follow it (they watch their parent)
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=SHUTDOWN_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def prepare(root):
    """The kernelspec, isolated Jupyter paths, settings, and output-free copies of the notebooks."""
    subprocess.run([BIN, "kernel", "install", "--prefix", str(root / "prefix")], check=True, capture_output=True)
    for name in ["config", "data", "runtime", "workspaces", "work"]:
        (root / name).mkdir()
    for relative, values in LAB_SETTINGS.items():
        path = root / "settings" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    for name in NOTEBOOKS:
        notebook = nbformat.read(REPO / "notebooks" / name, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        nbformat.write(notebook, root / "work" / name)
    environment = dict(os.environ)
    environment.update(
        JUPYTER_PATH=str(root / "prefix" / "share" / "jupyter"), JUPYTER_CONFIG_DIR=str(root / "config"),
        JUPYTER_DATA_DIR=str(root / "data"), JUPYTER_RUNTIME_DIR=str(root / "runtime"),
        GRADBOOK_DB=str(root / "work" / "gradbook.db"))
    return environment


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    if not (os.path.isfile(BIN) and os.access(BIN, os.X_OK)):
        raise RuntimeError(f"GRADBOOK_BIN={BIN} is not an executable; build it or set GRADBOOK_BIN")
    shutil.rmtree(OUTPUT, ignore_errors=True)
    OUTPUT.mkdir(parents=True)
    root = tmp_path_factory.mktemp("jupyterlab")
    environment = prepare(root)
    token = secrets.token_hex(24)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", "--ServerApp.port=0",
               f"--IdentityProvider.token={token}", "--ServerApp.password=", f"--ServerApp.root_dir={root / 'work'}",
               f"--LabApp.user_settings_dir={root / 'settings'}", f"--LabApp.workspaces_dir={root / 'workspaces'}",
               "--LabApp.expose_app_in_browser=True"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    with open(OUTPUT / "jupyter-server.log", "w") as log:
        # A session of its own, so that teardown can signal the server and everything it started.
        process = subprocess.Popen(command, cwd=root / "work", env=environment, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True, preexec_fn=die_with_parent)
        server = Lab(root, process, token)
        try:
            wait_until(server.started, SERVER_START_SECONDS, "jupyter lab to answer on its port")
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="session")
def browser(lab, tmp_path_factory):
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not chromedriver:
        raise RuntimeError("chromium and chromium-driver are needed (Debian packages; scripts/install-deps.sh --test installs them)")
    options = Options()
    for argument in ["--headless=new", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1600,1200",
                     "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-breakpad",
                     f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(argument)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium will not sandbox itself as root
    options.binary_location = chromium
    setpriv = shutil.which("setpriv")
    if setpriv:
        # Chromium started through `setpriv --pdeathsig` ends with chromedriver, which ends with
        # pytest (die_with_parent): a killed run leaves no browser behind.
        wrapper = tmp_path_factory.mktemp("chromium-wrapper") / "chromium"
        wrapper.write_text(f'#!/bin/sh\nexec {setpriv} --pdeathsig TERM {chromium} "$@"\n')
        wrapper.chmod(0o755)
        options.binary_location = str(wrapper)
    service = Service(executable_path=chromedriver, log_output=str(OUTPUT / "chromedriver.log"),
                      popen_kw={"preexec_fn": die_with_parent})
    driver = webdriver.Chrome(service=service, options=options)
    try:
        driver.set_page_load_timeout(SERVER_START_SECONDS)
        driver.set_script_timeout(SERVER_START_SECONDS)
        yield driver
    finally:
        driver.quit()


def pytest_terminal_summary(terminalreporter):
    if OUTPUT.exists() and any(OUTPUT.glob("*.png")):
        terminalreporter.write_line(f"JupyterLab screenshots: {OUTPUT}")
