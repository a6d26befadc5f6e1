#!/usr/bin/env bash
# Whole-process time of `modelgate queue --json` on an embedded registry with
# 10,000 pending versions (target: at most 1 s). Prints the median of 10 runs.
# `bench/queue_10k.sh --signed`: each version also carries a signed submit, and
# the queue checks it against the roster (populating takes a few minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin modelgate --example populate
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
TARGET=${CARGO_TARGET_DIR:-target}
"$TARGET/release/examples/populate" "$T/q.db" 100 100 ${1:-}
python3 - "$TARGET/release/modelgate" "$T/q.db" "$T/roster/roster.toml" <<'PY'
import json, os, statistics, subprocess, sys, time
mg, db, roster = sys.argv[1], sys.argv[2], sys.argv[3]
extra = ["--roster", roster] if os.path.exists(roster) else []
times = []
for _ in range(10):
    t = time.perf_counter()
    out = subprocess.run([mg, "--db", db, *extra, "queue", "--json"], check=True, capture_output=True).stdout
    times.append(time.perf_counter() - t)
n = len(json.loads(out))
print(f"queue --json, {n} pending versions{', signed submits' if extra else ''}: median {statistics.median(times)*1000:.0f} ms, "
      f"min {min(times)*1000:.0f} ms, max {max(times)*1000:.0f} ms, {len(out)/1e6:.1f} MB of JSON")
PY
