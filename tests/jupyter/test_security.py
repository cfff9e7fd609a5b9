"""Signatures and sockets, checked from outside with raw ZeroMQ."""
import time

import psutil
import zmq
from jupyter_client.session import Session

import samples


def execute_content(code):
    return {"code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True}


class RawClient:
    def __init__(self, kernel):
        info = kernel.km.get_connection_info()
        self.key = info["key"]
        self.context = zmq.Context()
        self.shell = self.context.socket(zmq.DEALER)
        self.shell.connect(f"{info['transport']}://{info['ip']}:{info['shell_port']}")
        self.iopub = self.context.socket(zmq.SUB)
        self.iopub.setsockopt(zmq.SUBSCRIBE, b"")
        self.iopub.connect(f"{info['transport']}://{info['ip']}:{info['iopub_port']}")
        self.good = Session(key=self.key)
        # The kernel greets each subscription: once the greeting is here, nothing published is missed.
        assert self.iopub.poll(60_000), "no iopub_welcome"
        assert self.good.deserialize(self.good.feed_identities(self.iopub.recv_multipart())[1])["msg_type"] == "iopub_welcome"

    def parents_seen_until_answered(self, sentinel, timeout=60):
        """msg_ids of the requests the kernel answered (shell) or published for (IOPub), until it
        has both replied to and gone idle for the signed request `sentinel`. The kernel handles
        shell messages in order and publishes on one socket, so everything sent before the
        sentinel has been dealt with by then: waiting for that event, not for a time."""
        seen = set()
        replied = idle = False
        deadline = time.monotonic() + timeout
        poller = zmq.Poller()
        poller.register(self.shell, zmq.POLLIN)
        poller.register(self.iopub, zmq.POLLIN)
        while not (replied and idle):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no reply to {sentinel} in {timeout} s (seen: {seen})"
            for socket, _ in poller.poll(remaining * 1000):
                _, frames = self.good.feed_identities(socket.recv_multipart())
                message = self.good.deserialize(frames)
                parent = message["parent_header"].get("msg_id")
                seen.add(parent)
                if parent == sentinel:
                    replied = replied or socket is self.shell
                    idle = idle or (message["msg_type"] == "status" and message["content"]["execution_state"] == "idle")
        return seen

    def close(self):
        self.context.destroy(linger=0)


def test_mis_signed_unsigned_tampered_and_replayed_messages_are_dropped_and_logged(kernel):
    client = RawClient(kernel)
    try:
        dropped = []
        wrong_key = Session(key=b"not the key")
        message = wrong_key.msg("execute_request", execute_content(samples.SIX_TIMES_SEVEN))
        wrong_key.send(client.shell, message)
        dropped.append(message["header"]["msg_id"])

        unsigned = Session(key=b"")
        message = unsigned.msg("execute_request", execute_content(samples.SIX_TIMES_SEVEN))
        unsigned.send(client.shell, message)
        dropped.append(message["header"]["msg_id"])

        message = client.good.msg("execute_request", execute_content(samples.SIX_TIMES_SEVEN))
        frames = client.good.serialize(message)
        frames[-1] = frames[-1].replace(samples.SIX_TIMES_SEVEN.encode(), b"1 + 1")  # content changed after signing
        client.shell.send_multipart(frames)
        dropped.append(message["header"]["msg_id"])

        kernel_info = client.good.msg("kernel_info_request", {})
        frames = client.good.serialize(kernel_info)
        client.shell.send_multipart(frames)
        first = kernel_info["header"]["msg_id"]
        assert client.parents_seen_until_answered(first) == {first}, "only the signed request is answered"

        client.shell.send_multipart(frames)  # the same signed frames again
        sentinel = client.good.msg("kernel_info_request", {})
        client.good.send(client.shell, sentinel)
        second = sentinel["header"]["msg_id"]
        assert client.parents_seen_until_answered(second) == {second}, "a replayed message is not answered"

        log = kernel.stderr()
        assert log.count("wrong or missing signature") == 3, log
        assert "replayed" in log, log
        # The kernel still serves the real client.
        reply, _ = kernel.execute(samples.SIX_TIMES_SEVEN)
        assert reply["content"]["status"] == "ok"
    finally:
        client.close()


def test_sockets_listen_only_on_the_connection_files_address(kernel):
    info = kernel.km.get_connection_info()
    ports = {info[name] for name in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")}
    process = psutil.Process(kernel.pid)
    connections = process.net_connections(kind="inet") if hasattr(process, "net_connections") else process.connections(kind="inet")
    listening = {(c.laddr.ip, c.laddr.port) for c in connections if c.status == psutil.CONN_LISTEN}
    assert listening == {(info["ip"], port) for port in ports}


def test_heartbeat_answers_while_a_cell_runs(kernel):
    msg_id = kernel.kc.execute(samples.LONG_RUNNING)
    kernel.wait_for_iopub(msg_id, "display_data", timeout=60)
    context = zmq.Context()
    try:
        info = kernel.km.get_connection_info()
        hb = context.socket(zmq.REQ)
        hb.connect(f"tcp://{info['ip']}:{info['hb_port']}")
        hb.send(b"ping")
        assert hb.poll(60_000), "no heartbeat while busy"
        assert hb.recv() == b"ping"
    finally:
        context.destroy(linger=0)
        kernel.km.interrupt_kernel()
        kernel.shell_reply(msg_id)


def test_a_cell_that_is_not_utf8_is_refused_at_its_first_bad_byte(kernel):
    # jupyter_client encodes strings with surrogateescape: a cell read from a Latin-1 file with
    # errors="surrogateescape" reaches the kernel as bytes that are not UTF-8.
    code = b"x = 2\ny = caf\xe9 + 1\n".decode("utf-8", "surrogateescape")
    reply, iopub = kernel.execute(code)
    content = reply["content"]
    assert content["status"] == "error"
    assert content["ename"] == "UnicodeDecodeError"
    assert content["traceback"][:3] == [
        "2:8: error: not UTF-8: byte 0xE9 here is not part of a valid UTF-8 character",
        "y = caf\ufffd + 1",
        "       ^",
    ]
    assert [m["content"]["ename"] for m in iopub if m["msg_type"] == "error"] == ["UnicodeDecodeError"]
    # Nothing of it ran: x is not defined, and the next cell is the session's first.
    reply, _ = kernel.execute("x = 3")
    assert reply["content"]["status"] == "ok"
    assert reply["content"]["execution_count"] == 1
