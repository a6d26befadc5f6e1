#!/usr/bin/env bash
# Scrape latency of `modelgate serve`: wrk, 2 threads and 100 connections for
# 10 s, against /metrics on an embedded registry of 1,000 approved versions
# with signed records (examples/populate_approved.rs, 10 models of 100).
# A scrape answers from the exporter's cache, so this measures the HTTP side
# and the copy of the cached text, never the registry. Prints wrk's latency
# distribution and the p99, once with the cache idle and once with a
# refresh running all the time (--interval 1). `DEBUG=1` measures debug builds.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "bench/serve_metrics.sh: wrk is missing (apt-get install -y wrk)" >&2; exit 1; }
BUILD="--example populate_approved" source bench/serve_lib.sh
"$TARGET/$PROFILE/examples/populate_approved" "$T/r.db" 10 100 0 >/dev/null
# scrape WHAT: wrk against the running exporter, then stop it.
scrape() {
  local bytes took
  bytes=$(curl -fs "http://$ADDR/metrics" | wc -c)
  took=$(curl -fs "http://$ADDR/metrics" | sed -n 's/^modelgate_refresh_duration_seconds //p')
  echo "== $PROFILE build, $1; /metrics is $bytes bytes; a refresh takes $took s"
  wrk -t2 -c100 -d10s --latency "http://$ADDR/metrics" | tee "$T/wrk.txt"
  echo "p99 ($1): $(awk '$1 == "99%" {print $2}' "$T/wrk.txt")"
  kill -0 "$PID" || { echo "modelgate serve died under load" >&2; exit 1; }
  kill -TERM "$PID"; wait "$PID"; PID=
}
start_serve "$T/r.db" "$T/roster/roster.toml"
scrape "cache idle (--interval 60)"
# Refreshing all the time: a refresh of 1,000 versions runs beside the scrapes.
start_serve "$T/r.db" "$T/roster/roster.toml" --interval 1
scrape "refreshing throughout (--interval 1)"
