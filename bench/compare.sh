#!/usr/bin/env bash
# Builds gradbook (release), then runs `gradbook bench --json` and the peers (PyTorch,
# micrograd, optionally JAX) one after the other on this machine, and prints medians and
# ratios per workload (bench/compare_table.py). Raw JSON goes to $OUT (default: a new
# folder under /tmp), so a table can be printed again later.
#
#   bench/compare.sh                 # every workload (micrograd with its GC off, as the fairer peer)
#   bench/compare.sh --quick         # smaller scalar_chain sizes, fewer runs, no micrograd GC-on
#   bench/compare.sh --jax           # also JAX's tensor_mlp (float64)
#   bench/compare.sh --no-build      # use the existing release binary
#
# Environment: PEERS (default ../shared/bench/peers next to the repository, else
# /work/shared/bench/peers), PEERS_VENV (default ~/.cache/gradbook-peers/venv), OUT,
# GRADBOOK (the binary to measure; default .build/release/gradbook, built here).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
peers="${PEERS:-}"
if [[ -z "$peers" ]]; then
    if [[ -d "$repo/../shared/bench/peers" ]]; then peers="$repo/../shared/bench/peers"; else peers=/work/shared/bench/peers; fi
fi
venv="${PEERS_VENV:-$HOME/.cache/gradbook-peers/venv}"
python="$venv/bin/python"
out="${OUT:-$(mktemp -d /tmp/gradbook-compare.XXXXXX)}"
quick=0 jax=0 build=1
for arg in "$@"; do
    case "$arg" in
        --quick) quick=1 ;;
        --jax) jax=1 ;;
        --no-build) build=0 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "compare.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done
[[ -x "$python" ]] || { echo "compare.sh: no peer environment at $venv (see $peers/setup.sh)" >&2; exit 1; }
mkdir -p "$out"

if (( build )); then
    (cd "$repo" && swift build -c release --product gradbook >&2)
fi
gradbook="${GRADBOOK:-$repo/.build/release/gradbook}"

if (( quick )); then
    sizes=(1000 10000 100000)
    torch_args=(--sizes "${sizes[@]}" --moons-runs 1 --tmlp-rounds 2 --bvn-hidden 10 100)
    micrograd_args=(--sizes 1000 10000 --moons-runs 1 --gc off)
    gradbook_sizes=(--sizes "${sizes[@]}" 1000000 --hidden 10 100)
else
    torch_args=()
    micrograd_args=(--moons-runs 1 --gc off)
    gradbook_sizes=()
fi

run() {  # name, command...: one JSON line into $out/name.json
    local name="$1"; shift
    echo "== $name" >&2
    "$@" > "$out/$name.json"
}

# gradbook first, then the peers, so that all of them see the same machine within minutes.
run gradbook "$gradbook" bench scalar_chain moons_mlp tensor_mlp backprop_vs_numeric \
    ${gradbook_sizes[@]+"${gradbook_sizes[@]}"} --data "$repo/bench/data" --json
if "$gradbook" bench record --json > "$out/gradbook_record.json" 2>/dev/null; then :; else rm -f "$out/gradbook_record.json"; fi
run torch "$python" "$peers/torch_bench.py" --json ${torch_args[@]+"${torch_args[@]}"}
run micrograd "$python" "$peers/micrograd_bench.py" --json ${micrograd_args[@]+"${micrograd_args[@]}"}
if (( jax )); then
    run jax_f64 "$python" "$peers/jax_bench.py" --dtype float64 --json
fi

echo "raw results: $out" >&2
python3 "$repo/bench/compare_table.py" "$out"
