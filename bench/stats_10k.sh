#!/usr/bin/env bash
# `modelgate stats --json` and `modelgate metrics` (whole process, release
# build) on an embedded registry with 10,000 approved versions and 50,000
# signed records (a submit, an approve and three comments each;
# examples/populate_approved.rs). Target: stats under 1 s. Uses hyperfine.
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
MODELGATE_BENCH_COMMENTS=3 "$TARGET/$PROFILE/examples/populate_approved" "$T/a.db" 100 100 0 0
R="--roster $T/roster/roster.toml"
hyperfine --warmup 1 --runs ${RUNS:-10} -N \
  -n "stats --json, 10k versions, 50k records" "$MG --db $T/a.db $R stats --json" \
  -n "metrics, 10k versions, 50k records" "$MG --db $T/a.db $R metrics"
