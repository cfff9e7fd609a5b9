#!/usr/bin/env bash
# The main job: build gradbook and run the seed notebook into the default database (./gradbook.db).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product gradbook
.build/release/gradbook run notebooks/01-computation-graph.grad "$@"
