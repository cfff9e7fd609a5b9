"""Which kernel the real-client tests run, and an isolated Jupyter environment for them.

GRADBOOK_BIN          the kernel binary (default: <repo>/.build/debug/gradbook). It must accept
                      `kernel -f CONNECTION_FILE` and `kernel install --prefix P [--interrupt-mode M]`.
GRADBOOK_KERNEL_NAME  the kernelspec name that `kernel install` writes (default: gradbook).
"""
import os
import pathlib
import shutil
import subprocess
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("GRADBOOK_BIN", str(REPO / ".build" / "debug" / "gradbook"))
KERNEL_NAME = os.environ.get("GRADBOOK_KERNEL_NAME", "gradbook")

_root = None


def setup_environment():
    """Installs the kernelspec into a fresh prefix and points every Jupyter path there, so the
    tests neither see nor touch the user's kernels, config, runtime files or history."""
    global _root
    if not (os.path.isfile(BIN) and os.access(BIN, os.X_OK)):
        raise RuntimeError(f"GRADBOOK_BIN={BIN} is not an executable; build it or set GRADBOOK_BIN")
    _root = pathlib.Path(tempfile.mkdtemp(prefix="gradbook-jupyter-tests-"))
    prefix = _root / "prefix"
    subprocess.run([BIN, "kernel", "install", "--prefix", str(prefix)], check=True, capture_output=True)
    os.environ["JUPYTER_PATH"] = str(prefix / "share" / "jupyter")
    for name, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                      ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")]:
        (_root / sub).mkdir()
        os.environ[name] = str(_root / sub)
    # Kernels write their database (and anything else) into the working directory.
    work = _root / "work"
    work.mkdir()
    os.chdir(work)
    return _root


def teardown_environment():
    if _root is not None:
        shutil.rmtree(_root, ignore_errors=True)


def kernelspec_dir():
    return pathlib.Path(os.environ["JUPYTER_PATH"]) / "kernels" / KERNEL_NAME
