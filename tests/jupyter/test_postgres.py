"""A class's shared history on PostgreSQL with real Jupyter clients (issue 12): twenty sessions,
batch runs and kernels mixed, train notebook 3 into one server at once; a kernel whose server
restarts keeps its committed steps and reconnects; a kernel whose server is not there ends with
one line.

The server is the one scripts/with-postgres.sh runs beside the suite (PG* variables, and
GRADBOOK_TEST_PGCTL to kill and restart it)."""
import os
import random
import subprocess
import time

import nbformat
import pytest

import kernel_config

CONFIGURED = os.environ.get("GRADBOOK_TEST_POSTGRES") == "1" or os.environ.get("GRADBOOK_TEST_REQUIRE_POSTGRES") == "1"
pytestmark = pytest.mark.skipif(not CONFIGURED, reason="needs a PostgreSQL server: run under scripts/with-postgres.sh")

NOTEBOOK_GRAD = kernel_config.REPO / "notebooks" / "03-larger-neural-network.grad"
NOTEBOOK_IPYNB = kernel_config.REPO / "notebooks" / "03-larger-neural-network.ipynb"
PARAMS = 6  # W1, b1, W2, b2, W3, b3


def psql(sql, database="postgres"):
    completed = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql],
                               capture_output=True, text=True, check=True)
    return completed.stdout.strip()


def control(action):
    subprocess.run([os.environ["GRADBOOK_TEST_PGCTL"], action], check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture
def database():
    name = f"gb_py_{os.getpid()}_{random.randrange(1 << 30)}"
    psql(f"CREATE DATABASE {name}")
    yield name
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def code_cells():
    nb = nbformat.read(NOTEBOOK_IPYNB, as_version=4)
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def test_twenty_sessions_train_notebook_3_into_one_server_at_once(database, start_kernel, tmp_path):
    location = f"dbname={database}"
    environment = {**os.environ, "GRADBOOK_DB": location}
    # The kernels first: each is idle once it answers kernel_info, so their start-up does not
    # compete with ten trainings for the two cores.
    kernels = [start_kernel(env=environment) for _ in range(10)]
    batch = []
    for index in range(10):
        log = open(tmp_path / f"batch-{index}.log", "w")
        batch.append((subprocess.Popen([kernel_config.BIN, "run", str(NOTEBOOK_GRAD), "--db", location],
                                       stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL), log, index))
    # Every kernel gets all of the notebook's cells at once (it runs them in order), so the
    # ten kernels and the ten batch runs train side by side.
    cells = code_cells()
    requests = [(kernel, [kernel.kc.execute(source) for source in cells]) for kernel in kernels]
    for kernel, msg_ids in requests:
        for msg_id, source in zip(msg_ids, cells):
            reply = kernel.shell_reply(msg_id, timeout=600)
            assert reply["content"]["status"] == "ok", (source, reply["content"], kernel.stderr())
    for process, log, index in batch:
        assert process.wait(timeout=600) == 0, (tmp_path / f"batch-{index}.log").read_text()
        log.close()
    for kernel in kernels:
        kernel.stop()

    assert psql("SELECT kind || ':' || count(*) FROM sessions GROUP BY kind ORDER BY kind", database) == "batch:10\nkernel:10"
    # Every step of every session is there, numbered 0..299 without a gap, and whole.
    steps = psql("SELECT count(*), min(step), max(step) FROM train_steps GROUP BY session_id", database).split("\n")
    assert steps == ["300|0|299"] * 20, steps
    assert psql(f"""SELECT count(*) FROM runs AS r WHERE r.kind = 'train'
                    AND (SELECT count(*) FROM run_values AS v WHERE v.run_id = r.run_id) <> {PARAMS}""", database) == "0"
    assert psql("SELECT count(*) FROM cells WHERE status IS DISTINCT FROM 'ok'", database) == "0"
    # Twenty random steps, from any session, replay bit for bit from the server alone.
    runs = psql("SELECT run_id FROM train_steps ORDER BY random() LIMIT 20", database).split("\n")
    for run in runs:
        replay = subprocess.run([kernel_config.BIN, "replay", "--run", run, "--no-record", "--db", location],
                                capture_output=True, text=True)
        assert replay.returncode == 0 and "identical" in replay.stdout, (run, replay.stdout, replay.stderr)


def test_a_kernel_whose_server_restarts_fails_the_running_cell_then_reconnects(database, start_kernel):
    location = f"dbname={database}"
    kernel = start_kernel(env={**os.environ, "GRADBOOK_DB": location})
    reply, _ = kernel.execute("w = param(randn(8, 8, seed=1))\nloss = sum(w * w)", timeout=60)
    assert reply["content"]["status"] == "ok"
    msg_id = kernel.kc.execute("train(loss, steps=10000000, lr=0.001)")
    # The server goes down once training has committed steps (an event, however slow the machine).
    while int(psql("SELECT count(*) FROM run WHERE kind = 'train'", database) or 0) < 5:
        time.sleep(0.02)
    control("stop-now")
    try:
        reply = kernel.shell_reply(msg_id, timeout=300)
    finally:
        control("start")
    assert reply["content"]["status"] == "error"
    assert "train stopped at step" in "\n".join(reply["content"]["traceback"]), reply["content"]
    assert "PostgreSQL" in "\n".join(reply["content"]["traceback"])
    committed = int(psql("SELECT count(*) FROM run WHERE kind = 'train'", database))
    assert committed >= 5
    assert psql("SELECT max(step) + 1 = count(*) FROM run WHERE kind = 'train'", database) == "t"

    # The next cell reconnects, says so, and records as before.
    reply, messages = kernel.execute("x = 42\nx", timeout=60)
    assert reply["content"]["status"] == "ok", reply["content"]
    streams = "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream" and m["content"]["name"] == "stderr")
    assert "reconnected to PostgreSQL" in streams, streams
    assert psql("SELECT count(*) FROM nodes WHERE name = 'x'", database) == "1"
    assert int(psql("SELECT count(*) FROM run WHERE kind = 'train'", database)) == committed
    last = psql("SELECT max(run_id) FROM train_steps", database)
    replay = subprocess.run([kernel_config.BIN, "replay", "--run", last, "--no-record", "--db", location],
                            capture_output=True, text=True)
    assert replay.returncode == 0 and "identical" in replay.stdout, (replay.stdout, replay.stderr)


def test_a_kernel_whose_server_is_not_there_ends_with_one_line(tmp_path):
    from jupyter_client.connect import write_connection_file

    connection_file, _ = write_connection_file(str(tmp_path / "kernel.json"))
    location = "host=/nonexistent-gradbook-socket-dir port=5999 dbname=class"
    completed = subprocess.run([kernel_config.BIN, "kernel", "-f", connection_file],
                               env={**os.environ, "GRADBOOK_DB": location}, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 1
    lines = completed.stderr.strip().split("\n")
    assert len(lines) == 1, completed.stderr
    assert "host=/nonexistent-gradbook-socket-dir port=5999" in lines[0], completed.stderr
