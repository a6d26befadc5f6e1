#!/usr/bin/env bash
# `modelgate stats --json` and `modelgate metrics` (whole process, release
# build) on an embedded registry with 10,000 approved versions and 50,000
# signed records (a submit, an approve and three comments each;
# examples/populate_approved.rs). Target: stats under 1 s. Measured with
# nothing remembered (the verification cache removed before each run, so
# every signature is verified) and with the records remembered from an
# earlier command (docs/trust.md, "Verified records"). Uses hyperfine.
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
export HOME="$T" XDG_CONFIG_HOME="$T/config" XDG_STATE_HOME="$T/state" XDG_DATA_HOME="$T/data" XDG_CACHE_HOME="$T/cache"
MODELGATE_BENCH_COMMENTS=3 "$TARGET/$PROFILE/examples/populate_approved" "$T/a.db" 100 100 0 0
R="--roster $T/roster/roster.toml"
FORGET="rm -f $T/cache/modelgate/verified-records"
hyperfine --warmup 1 --runs ${RUNS:-10} -N --prepare "$FORGET" \
  -n "stats --json, nothing remembered" "$MG --db $T/a.db $R stats --json" \
  -n "metrics, nothing remembered" "$MG --db $T/a.db $R metrics"
hyperfine --warmup 1 --runs ${RUNS:-10} -N \
  -n "stats --json, records remembered" "$MG --db $T/a.db $R stats --json" \
  -n "metrics, records remembered" "$MG --db $T/a.db $R metrics"
