"""The paths whose speed matters, exercised for correctness; their figures come from the
benchmark (../shared/bench/peers/kernel_latency.py), not from timed tests."""
import statistics
import time

import pytest

import samples


def test_many_executes_in_a_row_each_get_their_reply_and_idle(kernel):
    timings = []
    for _ in range(120):
        started = time.perf_counter()
        msg_id = kernel.kc.execute(samples.SIX_TIMES_SEVEN)
        reply = kernel.shell_reply(msg_id)
        timings.append(time.perf_counter() - started)
        assert reply["content"]["status"] == "ok"
        kernel.iopub_until_idle(msg_id)
    print(f"execute_request -> execute_reply median {statistics.median(timings[20:]) * 1e3:.2f} ms")


def test_a_client_connecting_while_the_kernel_starts_is_answered(tmp_path):
    """A client that connects right after the spawn, retrying every millisecond, gets its
    kernel_info_reply: the sockets are bound before the database is opened."""
    import subprocess

    import zmq
    from jupyter_client.connect import write_connection_file
    from jupyter_client.session import Session

    import kernel_config

    connection_file, info = write_connection_file(str(tmp_path / "connection.json"), ip="127.0.0.1", key=b"k")
    context = zmq.Context()
    shell = context.socket(zmq.DEALER)
    shell.setsockopt(zmq.RECONNECT_IVL, 1)
    session = Session(key=b"k")
    started = time.perf_counter()
    process = subprocess.Popen([kernel_config.BIN, "kernel", "-f", connection_file], stderr=subprocess.DEVNULL)
    try:
        shell.connect(f"tcp://127.0.0.1:{info['shell_port']}")
        session.send(shell, "kernel_info_request", {})
        assert shell.poll(60_000)
        elapsed = time.perf_counter() - started
        reply = session.deserialize(session.feed_identities(shell.recv_multipart())[1])
        assert reply["msg_type"] == "kernel_info_reply"
        print(f"spawn -> kernel_info_reply {elapsed * 1e3:.1f} ms")
        session.send(shell, "shutdown_request", {"restart": False})
        assert process.wait(timeout=60) == 0
    finally:
        context.destroy(linger=0)
        if process.poll() is None:
            process.kill()


def test_a_kernel_whose_database_cannot_be_opened_exits_with_the_reason(tmp_path):
    import subprocess

    from jupyter_client.connect import write_connection_file

    import kernel_config

    connection_file, _ = write_connection_file(str(tmp_path / "connection.json"), ip="127.0.0.1", key=b"k")
    missing = tmp_path / "no-such-dir" / "history.db"
    result = subprocess.run([kernel_config.BIN, "kernel", "-f", connection_file, "--db", str(missing)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [f"gradbook kernel: cannot start the kernel: cannot open database {missing}: "
                     f"directory {missing.parent} does not exist"], result.stderr


def test_the_cell_is_recorded_by_the_time_the_kernel_is_idle(start_kernel, tmp_path):
    """The kernel commits the cell's outcome after execute_reply (so the reply does not wait for
    it) but before idle: a client that has seen idle reads the finished cell."""
    import sqlite3

    work = tmp_path / "db"
    work.mkdir()
    kernel = start_kernel(cwd=str(work))
    for _ in range(20):
        reply, _ = kernel.execute(samples.SIX_TIMES_SEVEN)
        assert reply["content"]["status"] == "ok"
        db = sqlite3.connect(f"file:{work / 'gradbook.db'}?mode=ro", uri=True)
        try:
            status, outputs = db.execute("SELECT status, outputs FROM cells ORDER BY cell_id DESC LIMIT 1").fetchone()
        finally:
            db.close()
        assert status == "ok"
        assert '"42"' in outputs


def test_libzmq_io_thread_does_not_preempt_the_shell_thread(kernel):
    """libzmq's I/O thread is woken by every message the kernel sends; as a SCHED_BATCH thread it
    does not preempt the thread running the cell (an execute request otherwise paid about three
    context switches before its reply)."""
    import os
    import pathlib

    tasks = pathlib.Path(f"/proc/{kernel.pid}/task")
    if not tasks.is_dir() or not hasattr(os, "SCHED_BATCH"):
        pytest.skip("needs Linux")
    policies = {}
    for task in tasks.iterdir():
        name = (task / "comm").read_text().strip()
        policies.setdefault(name, set()).add(os.sched_getscheduler(int(task.name)))
    io_threads = {name: policy for name, policy in policies.items() if name.startswith("ZMQbg/IO")}
    assert io_threads and all(policy == {os.SCHED_BATCH} for policy in io_threads.values())
    assert os.sched_getscheduler(kernel.pid) == os.SCHED_OTHER, "the shell thread keeps the normal policy"
