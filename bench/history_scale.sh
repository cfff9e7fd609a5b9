#!/usr/bin/env bash
# The training history at scale (issue 11): notebook 3's model (moons, 2-16-16-2 MLP, Adam)
# trained for STEPS steps under the default %record params, then the database's bytes per step,
# PRAGMA integrity_check, and REPLAYS random training steps replayed from the database alone
# (`gradbook replay --run N --no-record`, one process each, timed end to end). Exits 1 if the
# integrity check fails or a replay is not identical bit for bit.
#
#   bench/history_scale.sh [STEPS] [REPLAYS]     defaults: 10000 20
#   GRADBOOK=path/to/gradbook bench/history_scale.sh 100000
#
# Build first: swift build -c release --scratch-path .build-release
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-10000}
replays=${2:-20}
gradbook=${GRADBOOK:-.build-release/release/gradbook}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
db="$dir/history.db"

now() { date +%s%N; }
started=$(now)
"$gradbook" run notebooks/03-larger-neural-network.grad -p steps "$steps" --db "$db" > "$dir/run.txt"
trained=$(now)
# The session empties the write-ahead log into the file when it closes: the file is the history.
bytes=$(stat -c %s "$db")
recorded=$(sqlite3 "$db" "SELECT count(*) FROM train_steps WHERE train_id = (SELECT max(train_id) FROM train_steps);")
checkpoints=$(sqlite3 "$db" "SELECT count(*) FROM checkpoints;")
integrity=$(sqlite3 "$db" "PRAGMA integrity_check;")
printf 'trained %s steps in %.1f s (%s checkpoints)\n' "$recorded" "$(echo "($trained - $started) / 1000000000" | bc -l)" "$checkpoints"
printf 'database: %s bytes, %.0f bytes per step\n' "$bytes" "$(echo "$bytes / $recorded" | bc -l)"
echo "PRAGMA integrity_check: $integrity"

failures=0
slowest=0
while IFS='|' read -r run step; do
    t0=$(now)
    if "$gradbook" replay --run "$run" --no-record --db "$db" > "$dir/replay.txt" 2>&1; then verdict=identical; else verdict=DIFFERENT; failures=$((failures + 1)); fi
    ms=$(( ($(now) - t0) / 1000000 ))
    (( ms > slowest )) && slowest=$ms
    how=$(grep -o 're-executed from the checkpoint at step [0-9]*' "$dir/replay.txt" || echo 'a checkpoint')
    echo "step $step (run $run): $verdict, $ms ms ($how)"
    [[ $verdict == identical ]] || cat "$dir/replay.txt"
done < <(sqlite3 "$db" "SELECT run_id, step FROM train_steps WHERE train_id = (SELECT max(train_id) FROM train_steps) ORDER BY random() LIMIT $replays;")
echo "$replays replays: $((replays - failures)) identical bit for bit; slowest $slowest ms"
[[ $integrity == ok && $failures == 0 ]]
