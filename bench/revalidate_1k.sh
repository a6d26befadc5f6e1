#!/usr/bin/env bash
# Whole-process time of `modelgate revalidate --json` over 1,000 approved
# versions on the embedded registry (10 models of 100, each with a signed
# submit and approve on its real evidence; examples/populate_approved.rs):
# every version gets its full review (evidence hashed, policy evaluated,
# records checked). Then, with approvals lasting 30 days and the clock 31
# days on (faketime), one `--apply` run that signs a reopen on every version
# (as fay.sre, who may reopen) and the run after it, which writes nothing,
# each timed once. Uses hyperfine when installed. `DEBUG=1` measures debug
# builds.
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=release; FLAGS=(--release)
[ "${DEBUG:-}" = 1 ] && { PROFILE=debug; FLAGS=(); }
cargo build "${FLAGS[@]}" --quiet --bin modelgate --example populate_approved
TARGET=${CARGO_TARGET_DIR:-target}
MG="$TARGET/$PROFILE/modelgate"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
export HOME="$T" XDG_CONFIG_HOME="$T/config" XDG_STATE_HOME="$T/state" XDG_DATA_HOME="$T/data"
"$TARGET/$PROFILE/examples/populate_approved" "$T/r.db" 10 100 0
CMD="$MG --db $T/r.db --roster $T/roster/roster.toml revalidate --json"
# The first run fills the local checkpoint; the measured ones read it.
$CMD >"$T/out.json" || true
python3 -c "import json,sys; v=json.load(open(sys.argv[1])); print(f'{len(v)} versions re-examined, {sum(1 for e in v if e[\"findings\"][0][\"kind\"]==\"ok\")} ok')" "$T/out.json"
if command -v hyperfine >/dev/null; then
  hyperfine --warmup 1 --runs 5 -i -N "$CMD"
else
  python3 - "$CMD" <<'PY'
import statistics, subprocess, sys, time
times = []
for _ in range(5):
    t = time.perf_counter(); subprocess.run(sys.argv[1].split(), capture_output=True); times.append(time.perf_counter() - t)
print(f"revalidate --json, 1,000 approved versions: median {statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s")
PY
fi
if command -v faketime >/dev/null; then
  printf 'renewal_window_days = 7\n[approval_valid_days_by_risk]\nlow = 30\n' >"$T/short.toml"
  FAY=fay.sre@demo.modelgate
  APPLY="faketime -f +31d env MODELGATE_CONFIG=$T/short.toml $MG --db $T/r.db --roster $T/roster/roster.toml --identity $FAY --key-file $T/roster/$FAY.key revalidate --apply --json"
  for run in "first --apply (signs a reopen per version)" "second --apply (writes nothing)"; do
    python3 - "$APPLY" "$run" <<'PY'
import json, subprocess, sys, time
t = time.perf_counter()
out = subprocess.run(sys.argv[1].split(), capture_output=True).stdout
dt = time.perf_counter() - t
v = json.loads(out)
print(f"{sys.argv[2]}: {dt:.2f} s, {sum(len(e['written']) for e in v)} reopens written over {len(v)} versions")
PY
  done
fi
