# Shared by bench/serve_*.sh (sourced, from the repository's root): the build
# (release, or debug with DEBUG=1; extra cargo targets in BUILD), a temporary
# HOME in $T removed at exit with the exporter stopped, and start_serve.
PROFILE=release; FLAGS=(--release)
[ "${DEBUG:-}" = 1 ] && { PROFILE=debug; FLAGS=(); }
cargo build "${FLAGS[@]}" --quiet --bin modelgate ${BUILD:-}
TARGET=${CARGO_TARGET_DIR:-target}
MG="$TARGET/$PROFILE/modelgate"
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
export HOME="$T" XDG_CONFIG_HOME="$T/config" XDG_STATE_HOME="$T/state" XDG_DATA_HOME="$T/data"

# start_serve DB ROSTER ARGS...: `modelgate serve` on a free loopback port;
# sets ADDR and PID once a scrape shows a good refresh.
start_serve() {
  local db=$1 roster=$2; shift 2
  "$MG" --db "$db" --roster "$roster" serve --listen 127.0.0.1:0 "$@" 2>"$T/serve.log" &
  PID=$!
  ADDR=
  for _ in $(seq 600); do
    ADDR=$(grep -o 'listening on http://[^/]*' "$T/serve.log" | sed 's|.*http://||' || true)
    [ -n "$ADDR" ] && curl -fs "http://$ADDR/metrics" | grep -q '^modelgate_up 1$' && return 0
    sleep 0.1
  done
  cat "$T/serve.log" >&2; echo "modelgate serve: no good refresh in 60 s" >&2; exit 1
}
