#!/usr/bin/env bash
# The whole test suite: Swift unit tests, end-to-end tests of the real binary, the Jupyter
# kernel with real Jupyter clients, the REPL in a pseudo-terminal, and JupyterLab in headless
# Chromium (Python clients in .venv); the PostgreSQL backend against a throwaway server that
# scripts/with-postgres.sh starts for the run (PG* variables point libpq at it) and removes.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" != "--inside-server" ]]; then
  scripts/install-deps.sh --test
  exec scripts/with-postgres.sh env GRADBOOK_TEST_POSTGRES=1 GRADBOOK_TEST_REQUIRE_POSTGRES=1 "$0" --inside-server
fi
swift build --build-tests
swift test --skip-build
python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r tests/jupyter/requirements.txt -r tests/repl/requirements.txt \
  -r tests/jupyterlab/requirements.txt
export GRADBOOK_BIN="$PWD/.build/debug/gradbook"
.venv/bin/python -m pytest -q tests/jupyter
.venv/bin/python -m pytest -q tests/repl
.venv/bin/python -m pytest -q tests/jupyterlab
