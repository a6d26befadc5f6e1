#!/usr/bin/env bash
# Whole-process time of `modelgate queue --json` on an embedded registry with
# 10,000 pending versions (target: at most 1 s). Prints the median of 10 runs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin modelgate --example populate
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
TARGET=${CARGO_TARGET_DIR:-target}
"$TARGET/release/examples/populate" "$T/q.db" 100 100
python3 - "$TARGET/release/modelgate" "$T/q.db" <<'PY'
import json, statistics, subprocess, sys, time
mg, db = sys.argv[1], sys.argv[2]
times = []
for _ in range(10):
    t = time.perf_counter()
    out = subprocess.run([mg, "--db", db, "queue", "--json"], check=True, capture_output=True).stdout
    times.append(time.perf_counter() - t)
n = len(json.loads(out))
print(f"queue --json, {n} pending versions: median {statistics.median(times)*1000:.0f} ms, "
      f"min {min(times)*1000:.0f} ms, max {max(times)*1000:.0f} ms, {len(out)/1e6:.1f} MB of JSON")
PY
