"""Guards against latency regressions (a poll timeout on the hot path, a reconnect wait); the
figures for the record come from bench/peers/kernel_latency.py."""
import statistics
import time

import samples


def test_execute_round_trip_stays_in_the_millisecond_range(kernel):
    timings = []
    for _ in range(120):
        started = time.perf_counter()
        msg_id = kernel.kc.execute(samples.SIX_TIMES_SEVEN)
        reply = kernel.shell_reply(msg_id)
        timings.append(time.perf_counter() - started)
        assert reply["content"]["status"] == "ok"
        kernel.iopub_until_idle(msg_id)
    median = statistics.median(timings[20:])
    print(f"execute_request -> execute_reply median {median * 1e3:.2f} ms")
    assert median < 0.005


def test_kernel_is_ready_soon_after_it_starts(tmp_path):
    """Spawn to first kernel_info_reply, with a client that retries connecting every millisecond
    (jupyter_client's default retry interval, 100 ms, would be measured instead of the kernel)."""
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
        assert shell.poll(5000)
        elapsed = time.perf_counter() - started
        reply = session.deserialize(session.feed_identities(shell.recv_multipart())[1])
        assert reply["msg_type"] == "kernel_info_reply"
        print(f"spawn -> kernel_info_reply {elapsed * 1e3:.1f} ms")
        assert elapsed < 0.5
        session.send(shell, "shutdown_request", {"restart": False})
        assert process.wait(timeout=5) == 0
    finally:
        context.destroy(linger=0)
        if process.poll() is None:
            process.kill()
