"""Interrupt, control while busy, stop-on-error, shutdown, restart and the parent's death."""
import os
import signal
import subprocess
import sys
import time

import pytest

import kernel_config
import samples


def interrupt_long_cell(kernel, interrupt):
    msg_id = kernel.kc.execute(samples.LONG_RUNNING)
    # The training's progress display appears after its first step: the cell is training.
    kernel.wait_for_iopub(msg_id, "display_data", timeout=60)
    interrupt()
    # How fast is a benchmark's question (kernel_latency.py); here: it stops, and says so.
    reply = kernel.shell_reply(msg_id, timeout=60)
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == samples.INTERRUPTED_ENAME
    # The session survives: the next cell runs.
    reply, outputs = kernel.execute(samples.SIX_TIMES_SEVEN)
    assert reply["content"]["status"] == "ok"
    assert [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"] == ["42"]


def test_interrupt_request_on_control_stops_a_running_cell(start_kernel):
    kernel = start_kernel(interrupt_mode="message")
    interrupt_long_cell(kernel, kernel.km.interrupt_kernel)


def test_sigint_stops_a_running_cell(start_kernel):
    kernel = start_kernel(interrupt_mode="signal")
    interrupt_long_cell(kernel, kernel.km.interrupt_kernel)


def test_sigint_while_idle_leaves_the_kernel_running(kernel):
    os.kill(kernel.pid, signal.SIGINT)
    # The kernel handles the signal on a thread of its own, which on a busy machine may run
    # after the next request has started a cell (and interrupt it, rightly): wait until it
    # says the signal arrived while nothing ran.
    deadline = time.monotonic() + 60
    while "SIGINT while no cell runs: nothing to interrupt" not in kernel.stderr():
        assert time.monotonic() < deadline, kernel.stderr()
        time.sleep(0.05)
    reply, _ = kernel.execute(samples.SIX_TIMES_SEVEN)
    assert reply["content"]["status"] == "ok"
    assert kernel.process.poll() is None


def test_control_channel_answers_while_the_shell_is_busy(kernel):
    msg_id = kernel.kc.execute(samples.LONG_RUNNING)
    kernel.wait_for_iopub(msg_id, "display_data", timeout=60)
    request = kernel.kc.session.msg("kernel_info_request")
    kernel.kc.control_channel.send(request)
    reply = kernel.kc.control_channel.get_msg(timeout=60)
    assert reply["parent_header"]["msg_id"] == request["header"]["msg_id"]
    assert reply["content"]["status"] == "ok"
    # The control reply came while the cell was still training: the shell has not replied yet.
    assert kernel.kc.shell_channel.msg_ready() is False
    kernel.km.interrupt_kernel()
    assert kernel.shell_reply(msg_id, timeout=60)["content"]["status"] == "error"


def test_a_failing_cell_aborts_the_cells_queued_behind_it(kernel):
    failing = kernel.kc.execute(samples.SLOW_THEN_FAIL)
    queued = [kernel.kc.execute(samples.SIX_TIMES_SEVEN) for _ in range(2)]
    assert kernel.shell_reply(failing)["content"]["status"] == "error"
    for msg_id in queued:
        assert kernel.shell_reply(msg_id)["content"]["status"] == "aborted"
    reply, _ = kernel.execute(samples.SIX_TIMES_SEVEN)
    assert reply["content"]["status"] == "ok"


def test_stop_on_error_false_runs_the_queued_cells(kernel):
    failing = kernel.kc.execute(samples.SLOW_THEN_FAIL, stop_on_error=False)
    queued = kernel.kc.execute(samples.SIX_TIMES_SEVEN)
    assert kernel.shell_reply(failing)["content"]["status"] == "error"
    assert kernel.shell_reply(queued)["content"]["status"] == "ok"


def test_shutdown_request_ends_the_process_promptly(kernel):
    process = kernel.process
    kernel.kc.shutdown()
    reply = kernel.kc.control_channel.get_msg(timeout=60)
    assert reply["msg_type"] == "shutdown_reply"
    assert reply["content"] == {"status": "ok", "restart": False}
    assert process.wait(timeout=60) == 0


def test_shutdown_during_a_running_cell_interrupts_it_and_exits(kernel):
    process = kernel.process
    msg_id = kernel.kc.execute(samples.LONG_RUNNING)
    kernel.wait_for_iopub(msg_id, "display_data", timeout=60)
    kernel.kc.shutdown()
    # The cell would train for hours: ending at all means the shutdown interrupted it.
    assert process.wait(timeout=60) == 0


def test_restart_gives_a_fresh_working_kernel(kernel):
    reply, _ = kernel.execute(samples.DEFINE_X)
    assert reply["content"]["status"] == "ok"
    old_pid = kernel.pid
    kernel.km.restart_kernel(now=False)
    kernel.kc.wait_for_ready(timeout=30)
    assert kernel.pid != old_pid
    reply, outputs = kernel.execute(samples.SIX_TIMES_SEVEN)
    assert reply["content"]["status"] == "ok"
    assert reply["content"]["execution_count"] == 1, "the restarted kernel counts from 1"


SPAWNER = """
import os, subprocess, sys
# A stand-in for a notebook server: starts the kernel, reports its pid, then dies.
environment = dict(os.environ, JPY_PARENT_PID=str(os.getpid()))
kernel = subprocess.Popen(sys.argv[1:], env=environment, stderr=subprocess.DEVNULL)
print(kernel.pid, flush=True)
sys.stdin.readline()
os._exit(0)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_kernel_exits_when_the_process_that_started_it_dies(tmp_path):
    from jupyter_client.connect import write_connection_file

    connection_file, _ = write_connection_file(str(tmp_path / "connection.json"), ip="127.0.0.1", key=b"k")
    spawner = subprocess.Popen([sys.executable, "-c", SPAWNER, kernel_config.BIN, "kernel", "-f", connection_file],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    kernel_pid = int(spawner.stdout.readline())
    try:
        time.sleep(0.5)
        assert os.path.exists(f"/proc/{kernel_pid}"), "the kernel died while its parent lived"
        spawner.stdin.write("\n")
        spawner.stdin.flush()
        spawner.wait(timeout=60)
        deadline = time.monotonic() + 60
        while os.path.exists(f"/proc/{kernel_pid}") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not os.path.exists(f"/proc/{kernel_pid}"), "the orphaned kernel is still running"
    finally:
        if os.path.exists(f"/proc/{kernel_pid}"):
            os.kill(kernel_pid, signal.SIGKILL)
