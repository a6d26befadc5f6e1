#!/usr/bin/env bash
# Whole-process time from start to the console's first drawn frame on the demo
# registry (target: at most 150 ms): `modelgate demo --exit-after-first-frame`
# in a pseudo-terminal of 120x36, run 20 times; prints median, min and max.
# The first frame is drawn before any data: the queue fills in as it loads.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin modelgate
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
TARGET=${CARGO_TARGET_DIR:-target}
MG="$TARGET/release/modelgate"
"$MG" --db "$T/demo.db" demo --no-open >/dev/null
python3 - "$MG" "$T/demo.db" <<'PY'
import fcntl, os, pty, select, statistics, struct, subprocess, sys, termios, time
mg, db = sys.argv[1], sys.argv[2]

def once():
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    env = dict(os.environ, TERM="xterm-256color")
    t = time.perf_counter()
    p = subprocess.Popen([mg, "--db", db, "demo", "--exit-after-first-frame"],
                         stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    out = b""
    while True:
        r, _, _ = select.select([master], [], [], 0.05)
        chunk = b""
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed its side
                chunk = b""
            out += chunk
        if not chunk and p.poll() is not None:
            break
    p.wait()
    elapsed = time.perf_counter() - t
    os.close(master)
    if p.returncode != 0 or "modelgate".encode() not in out:
        sys.exit(f"the console did not draw a frame (exit {p.returncode}): {out[-400:]!r}")
    return elapsed

once()  # warm the page cache
times = [once() for _ in range(20)]
print(f"start to first frame (demo registry, 120x36 pty): median {statistics.median(times)*1000:.1f} ms, "
      f"min {min(times)*1000:.1f} ms, max {max(times)*1000:.1f} ms")
PY
