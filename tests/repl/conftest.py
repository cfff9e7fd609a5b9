"""Drives the real `gradbook repl` in a pseudo-terminal with pexpect, as a user at a terminal would.

The binary is $GRADBOOK_BIN (default: the debug build of the repository). Each test gets its own
database in a temporary directory.
"""

import os
import re
import sqlite3
from pathlib import Path

import pexpect
import pytest

BINARY = os.environ.get("GRADBOOK_BIN", str(Path(__file__).resolve().parents[2] / ".build" / "debug" / "gradbook"))

PROMPT = r"In \[(\d+)\]: "
CONTINUATION = r"\.\.\.: "
COLOUR = re.compile(r"\x1b\[[0-9;]*m")
KEY_UP = "\x1b[A"


class Repl:
    """One REPL process on a pseudo-terminal, with helpers that wait for its prompts."""

    def __init__(self, database, colour=False, timeout=60):
        environment = dict(os.environ, TERM="xterm-256color")
        environment.pop("NO_COLOR", None)
        if not colour:
            environment["NO_COLOR"] = "1"
        self.database = database
        self.child = pexpect.spawn(BINARY, ["repl", "--db", str(database)], env=environment, encoding="utf-8",
                                   dimensions=(40, 120), timeout=timeout)
        self.transcript = []
        self.child.logfile_read = _Recorder(self.transcript)

    def prompt(self, number=None, timeout=-1):
        """Waits for `In [n]: ` and returns n."""
        pattern = PROMPT if number is None else r"In \[%d\]: " % number
        self.child.expect(pattern, timeout=timeout)
        return int(self.child.match.group(1)) if number is None else number

    def run(self, line, number=None):
        """Types a line, presses Enter and returns what the cell printed before the next prompt."""
        self.child.sendline(line)
        self.prompt(number)
        return self.child.before

    def exit(self):
        self.child.sendcontrol("d")
        self.child.expect(pexpect.EOF)
        self.child.close()
        return self.child.exitstatus

    @property
    def text(self):
        return "".join(self.transcript)


class _Recorder:
    def __init__(self, chunks):
        self.chunks = chunks

    def write(self, data):
        self.chunks.append(data)

    def flush(self):
        pass


@pytest.fixture
def database(tmp_path):
    return tmp_path / "history.db"


@pytest.fixture
def repl(database):
    session = Repl(database)
    session.prompt(1)
    yield session
    if session.child.isalive():
        session.child.terminate(force=True)


def query(database, sql):
    connection = sqlite3.connect(str(database))
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()
