#!/usr/bin/env bash
# modelgate against a script on the official MlflowClient, side by side on one
# real `mlflow server`: 50 models of 20 versions, 250 pending. Each builds the
# review queue with metric diffs against the production alias; this prints the
# median wall time and peak RSS of each (whole process) and their ratio.
# Target: modelgate at least 5x faster and at most 1/4 of the memory.
#
# Usage: bench/queue_vs_mlflow_client.sh [RUNS]   (default 7 runs of each, interleaved)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-7}
MLFLOW_VERSION=3.17.2
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/modelgate/venv-mlflow-$MLFLOW_VERSION"
PY="$VENV/bin/python"
if ! "$PY" -c "import mlflow, sys; sys.exit(mlflow.__version__ != '$MLFLOW_VERSION')" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --disable-pip-version-check --quiet "mlflow[auth]==$MLFLOW_VERSION"
fi

cargo build --release --quiet --bin modelgate
MG="${CARGO_TARGET_DIR:-target}/release/modelgate"

T=$(mktemp -d)
SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then
    kill -TERM -- "-$SERVER" 2>/dev/null || true
    for _ in $(seq 30); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$SERVER" 2>/dev/null || true
  fi
  rm -rf "$T"
}
trap cleanup EXIT
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# No GenAI job runner (a dozen extra processes): the registry does not use it.
(cd "$T" && MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false exec setsid "$VENV/bin/mlflow" server --workers 1 --host 127.0.0.1 --port "$PORT" \
   --backend-store-uri "sqlite:///$T/mlflow.db" --artifacts-destination "$T/artifacts" >"$T/server.log" 2>&1) &
SERVER=$!
disown "$SERVER"
URI="http://127.0.0.1:$PORT"
for _ in $(seq 240); do
  "$PY" -c "import urllib.request; urllib.request.urlopen('$URI/health', timeout=2)" 2>/dev/null && break
  sleep 0.5
done
"$PY" -c "import urllib.request; urllib.request.urlopen('$URI/health', timeout=2)" \
  || { tail -n 20 "$T/server.log"; echo "mlflow server did not start" >&2; exit 1; }

echo "populating $URI: 50 models x 20 versions, 250 pending ..."
start=$(date +%s)
"$PY" bench/queue_vs_mlflow_client.py populate "$URI" 2>/dev/null
echo "populated in $(( $(date +%s) - start )) s"
printf 'registry_id = "bench"\n' >"$T/config.toml"

"$PY" - "$RUNS" "$MG" "$URI" "$PY" "$T/config.toml" <<'PY'
import json, os, statistics, subprocess, sys, time
runs, mg, uri, py, config = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
env = dict(os.environ, MODELGATE_CONFIG=config)
for k in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
    env.pop(k, None)
cmds = {
    "modelgate queue --json": [mg, "--uri", uri, "queue", "--json"],
    "MlflowClient script": [py, "bench/queue_vs_mlflow_client.py", "queue", uri],
}

def once(cmd):
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = p.communicate()
    wall = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"{cmd[0]} failed: {err.decode()}")
    return wall, out, err

def measured(cmd):
    # fork + os.wait4: this child's own peak RSS (RUSAGE_CHILDREN would be the max of all).
    t = time.perf_counter()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.dup2(w, 1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.execvpe(cmd[0], cmd, env)
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 1 << 20)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - t
    if status != 0:
        sys.exit(f"{cmd} failed with status {status}")
    return wall, usage.ru_maxrss / 1024.0, b"".join(chunks)

# Warm up both (server caches, page cache), then interleave the timed runs.
outs = {}
for name, cmd in cmds.items():
    outs[name] = json.loads(measured(cmd)[2])
n_mg, n_py = len(outs["modelgate queue --json"]), len(outs["MlflowClient script"])
assert n_mg == n_py == 250, (n_mg, n_py)
assert all(i["metrics"] for i in outs["modelgate queue --json"]), "modelgate items carry metric diffs"
results = {name: ([], []) for name in cmds}
for _ in range(runs):
    for name, cmd in cmds.items():
        wall, rss, _ = measured(cmd)
        results[name][0].append(wall)
        results[name][1].append(rss)
print(f"{runs} runs each, 250 pending versions, load average {os.getloadavg()[0]:.2f}")
summary = {}
for name, (walls, rsss) in results.items():
    summary[name] = (statistics.median(walls), max(rsss))
    print(f"  {name:26s} median {statistics.median(walls) * 1000:7.0f} ms "
          f"(min {min(walls) * 1000:.0f}, max {max(walls) * 1000:.0f})   peak RSS {max(rsss):6.1f} MiB")
(mg_t, mg_m), (py_t, py_m) = summary["modelgate queue --json"], summary["MlflowClient script"]
print(f"  ratio: modelgate is {py_t / mg_t:.1f}x faster and uses {mg_m / py_m:.2f} of the memory "
      f"(target: >= 5x faster, <= 0.25 of the memory)")
_, _, err = once(cmds["MlflowClient script"])
print(f"  MlflowClient script, its own split: {err.decode().strip()}")
PY
