#!/usr/bin/env bash
# The queue's extra cost of reading renewals (PROTOCOL 15): `modelgate queue
# --json` on an embedded registry with 10,000 pending versions and 10,000
# approved versions, each approved one with a signed submit and approve
# (examples/populate_approved.rs), against the same registry where those
# versions carry no `approved` tag (target: at most +20%). Also measured:
# lifetimes configured never to expire, and the approvals 80 days old
# (under faketime), when the queue's cheap filter can no longer rule a
# renewal out and checks every approved version's records. Uses hyperfine.
# `DEBUG=1` measures debug builds.
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=release; FLAGS=(--release)
[ "${DEBUG:-}" = 1 ] && { PROFILE=debug; FLAGS=(); }
command -v hyperfine >/dev/null || { echo "hyperfine is needed (apt-get install -y hyperfine)"; exit 1; }
cargo build "${FLAGS[@]}" --quiet --bin modelgate --example populate_approved
TARGET=${CARGO_TARGET_DIR:-target}
MG="$TARGET/$PROFILE/modelgate"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
export HOME="$T" XDG_CONFIG_HOME="$T/config" XDG_STATE_HOME="$T/state" XDG_DATA_HOME="$T/data"
"$TARGET/$PROFILE/examples/populate_approved" "$T/a.db" 100 100 100 0
cp "$T/a.db" "$T/none.db"
python3 - "$T/none.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
n = c.execute("UPDATE version_tags SET value = 'not-indexed' WHERE key = 'modelgate.review' AND value = 'approved'").rowcount
c.commit(); print(f"{n} approved tags removed from the copy")
PY
mkdir -p "$T/never"
printf '[approval_valid_days_by_risk]\nlow = 0\nmedium = 0\nhigh = 0\ncritical = 0\n' >"$T/never/config.toml"
R="--roster $T/roster/roster.toml"
hyperfine --warmup 1 --runs 10 -N \
  -n "no approved tag" "$MG --db $T/none.db $R queue --json" \
  -n "10k approved, signed today" "$MG --db $T/a.db $R queue --json" \
  -n "10k approved, lifetimes never expire" "env MODELGATE_CONFIG=$T/never/config.toml $MG --db $T/a.db $R queue --json"
if command -v faketime >/dev/null; then
  hyperfine --warmup 1 --runs 5 -N \
    -n "no approved tag, +80 days" "faketime -f +80d $MG --db $T/none.db $R queue --json" \
    -n "10k approved, 80 days old" "faketime -f +80d $MG --db $T/a.db $R queue --json"
fi
