"""Start-up to the first prompt: spawn `gradbook repl` on a pseudo-terminal and time until `In [1]: `.

    python3 tests/repl/startup.py [BINARY] [RUNS]

Prints the median, the fastest and the slowest run, and the same for a shell script that prints a
prompt at once, which is what pexpect and the pseudo-terminal cost by themselves. The issue's
budget is 50 ms (measure a release build: `swift build -c release`).
"""

import os
import statistics
import sys
import tempfile
import time

import pexpect

DEFAULT = os.environ.get("GRADBOOK_BIN", os.path.join(os.path.dirname(__file__), "..", "..", ".build", "release", "gradbook"))


def measure(command, arguments, runs, environment):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        child = pexpect.spawn(command, arguments, env=environment, encoding="utf-8", timeout=10)
        child.expect(r"In \[1\]: ")
        times.append((time.perf_counter() - started) * 1000)
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
        child.close()
    return "median %.1f ms (fastest %.1f, slowest %.1f, %d runs)" % (statistics.median(times), min(times), max(times), runs)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else DEFAULT
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    environment = dict(os.environ, TERM="xterm-256color", NO_COLOR="1")
    with tempfile.TemporaryDirectory() as directory:
        database = os.path.join(directory, "startup.db")
        print("gradbook repl: ", measure(binary, ["repl", "--db", database], runs, environment))
        baseline = os.path.join(directory, "prompt.sh")
        with open(baseline, "w") as script:
            script.write("#!/bin/sh\nprintf 'In [1]: '\ncat\n")
        os.chmod(baseline, 0o755)
        print("shell baseline:", measure(baseline, [], runs, environment))


if __name__ == "__main__":
    main()
