"""Tests of the Jupyter kernel with real Jupyter clients (jupyter_client, jupyter_kernel_test,
nbclient, papermill, jupyter console, raw pyzmq).

    GRADBOOK_BIN=/path/to/gradbook python -m pytest tests/jupyter

See kernel_config.py for the environment variables and samples.py for the code the tests run.
"""
import os
import time

import pytest

import kernel_config


def pytest_configure(config):
    kernel_config.setup_environment()


def pytest_unconfigure(config):
    kernel_config.teardown_environment()


class RunningKernel:
    """A kernel started by jupyter_client's KernelManager, with its stderr kept in a file."""

    def __init__(self, tmp_path, interrupt_mode=None, **launch):
        from jupyter_client.manager import KernelManager

        self.stderr_path = tmp_path / "kernel-stderr.log"
        self._stderr = open(self.stderr_path, "w")
        self.km = KernelManager(kernel_name=kernel_config.KERNEL_NAME)
        if interrupt_mode is not None:
            self.km.kernel_spec.interrupt_mode = interrupt_mode
        self.km.start_kernel(stderr=self._stderr, **launch)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=30)

    @property
    def pid(self):
        return self.km.provisioner.process.pid

    @property
    def process(self):
        return self.km.provisioner.process

    def stderr(self):
        self._stderr.flush()
        return self.stderr_path.read_text()

    def execute(self, code, timeout=10, **options):
        """Runs `code`; returns the execute_reply and the IOPub messages parented to it (up to idle)."""
        msg_id = self.kc.execute(code, **options)
        reply = self.shell_reply(msg_id, timeout)
        return reply, self.iopub_until_idle(msg_id, timeout)

    def shell_reply(self, msg_id, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            reply = self.kc.get_shell_msg(timeout=max(0.01, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply

    def iopub_until_idle(self, msg_id, timeout=60):
        messages = []
        deadline = time.monotonic() + timeout
        while True:
            msg = self.kc.get_iopub_msg(timeout=max(0.01, deadline - time.monotonic()))
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            messages.append(msg)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return messages

    def wait_for_iopub(self, msg_id, msg_type, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            msg = self.kc.get_iopub_msg(timeout=max(0.01, deadline - time.monotonic()))
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == msg_type:
                return msg

    def stop(self):
        try:
            self.kc.stop_channels()
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=False)
        finally:
            self._stderr.close()


@pytest.fixture
def kernel(tmp_path):
    running = RunningKernel(tmp_path)
    yield running
    running.stop()


@pytest.fixture
def start_kernel(tmp_path):
    """A factory for kernels with options (interrupt mode, launch arguments); all are stopped."""
    started = []

    def start(**options):
        directory = tmp_path / f"kernel-{len(started)}"
        directory.mkdir()
        running = RunningKernel(directory, **options)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
