#!/usr/bin/env bash
# The whole test suite: Swift unit tests, end-to-end tests of the real binary, and the Jupyter
# kernel tests with real Jupyter clients (in a virtual environment under .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --build-tests
swift test --skip-build
if [[ -d tests/jupyter ]]; then
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r tests/jupyter/requirements.txt
  GRADBOOK_BIN="$PWD/.build/debug/gradbook" .venv/bin/python -m pytest -q tests/jupyter
fi
