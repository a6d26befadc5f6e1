#!/usr/bin/env bash
# Whole-process time of `modelgate check` against a real MLflow server for a
# version with 50 signed records (target: at most 300 ms). Uses the venv that
# scripts/test creates; prints the median of 15 runs.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/modelgate/venv-mlflow-3.17.2"
[ -x "$VENV/bin/mlflow" ] || { echo "run scripts/test once first (it installs mlflow into $VENV)"; exit 1; }
cargo build --release --quiet --bin modelgate
MG=${CARGO_TARGET_DIR:-target}/release/modelgate
T=$(mktemp -d)
PORT=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$T" && MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false exec setsid "$VENV/bin/mlflow" server --workers 1 --host 127.0.0.1 \
  --port "$PORT" --backend-store-uri "sqlite:///$T/mlflow.db" --artifacts-destination "$T/artifacts" >"$T/server.log" 2>&1) &
SERVER=$!
trap 'kill -TERM -- "-$SERVER" 2>/dev/null || true; sleep 1; kill -KILL -- "-$SERVER" 2>/dev/null || true; rm -rf "$T"' EXIT
URI="http://127.0.0.1:$PORT"
for _ in $(seq 120); do curl -sf "$URI/health" >/dev/null && break; sleep 1; done
export XDG_DATA_HOME="$T/data" XDG_STATE_HOME="$T/state" XDG_CONFIG_HOME="$T/config"
"$MG" demo --mlflow "$URI" --no-open >/dev/null
RD="$T/data/modelgate/demo-mlflow-roster"
G=(--uri "$URI" --roster "$RD/roster.toml")
as() { echo --identity "$1@demo.modelgate" --key-file "$RD/$1@demo.modelgate.key"; }
M=product-recommender V=7
"$MG" "${G[@]}" submit "$M" "$V" $(as ana.owner) >/dev/null 2>&1
for i in $(seq 48); do "$MG" "${G[@]}" comment "$M" "$V" --reason "note $i" $(as dev.domain) >/dev/null 2>&1; done
"$MG" "${G[@]}" approve "$M" "$V" $(as ben.validator) >/dev/null 2>&1
python3 - "$MG" "${G[@]}" check "$M" "$V" <<'PY'
import statistics, subprocess, sys, time
cmd = sys.argv[1:]
times = []
for _ in range(15):
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True)
    times.append(time.perf_counter() - t)
print(f"check against MLflow, 50 records: exit {r.returncode}, median {statistics.median(times)*1000:.0f} ms, "
      f"min {min(times)*1000:.0f} ms, max {max(times)*1000:.0f} ms")
PY
