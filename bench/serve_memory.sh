#!/usr/bin/env bash
# Memory of `modelgate serve` over 1,000 refreshes: the exporter on the demo
# registry (`modelgate demo --no-open`), refreshing every 20 ms (the hidden
# --interval-ms), its RSS read from /proc/PID/status after the first good
# refresh and after the thousandth. Refreshes are counted by the distinct
# values of modelgate_last_refresh_timestamp_seconds, read every 5 ms. A
# leak shows as RSS growing with the count. `DEBUG=1` measures debug builds;
# `REFRESHES=N` changes the count.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${REFRESHES:-1000}
source bench/serve_lib.sh
"$MG" --db "$T/demo.db" demo --no-open >/dev/null 2>&1
start_serve "$T/demo.db" "$T/demo-roster/roster.toml" --interval-ms 20
python3 - "$ADDR" "$PID" "$N" "$PROFILE" <<'PY'
import http.client, sys, time
addr, pid, n, profile = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
host, port = addr.rsplit(":", 1)
conn = http.client.HTTPConnection(host, int(port), timeout=10)
def scrape():
    conn.request("GET", "/metrics")
    body = conn.getresponse().read().decode()
    vals = {}
    for line in body.splitlines():
        if line.startswith("modelgate_") and " " in line and "{" not in line:
            k, v = line.split(" ", 1)
            vals[k] = float(v)
    return vals
def rss():
    with open(f"/proc/{pid}/status") as f:
        kv = dict(l.split(":", 1) for l in f if ":" in l)
    return int(kv["VmRSS"].split()[0]), int(kv["VmHWM"].split()[0])
while scrape().get("modelgate_up") != 1:
    time.sleep(0.05)
seen = {scrape()["modelgate_last_refresh_timestamp_seconds"]}
start_rss, _ = rss()
t0 = time.time()
durations = []
samples = [(0, start_rss)]
while len(seen) < n + 1:
    v = scrape()
    t = v.get("modelgate_last_refresh_timestamp_seconds")
    if t not in seen:
        seen.add(t)
        durations.append(v["modelgate_refresh_duration_seconds"])
        if len(seen) % 250 == 1:
            samples.append((len(seen) - 1, rss()[0]))
    time.sleep(0.005)
end_rss, hwm = rss()
took = time.time() - t0
durations.sort()
print(f"== {profile} build, demo registry, --interval-ms 20")
print(f"{n} refreshes in {took:.1f} s; refresh median {durations[len(durations)//2]*1000:.0f} ms, p99 {durations[int(len(durations)*0.99)-1]*1000:.0f} ms")
print("RSS after N refreshes: " + ", ".join(f"{k}: {r/1024:.1f} MiB" for k, r in samples))
print(f"RSS at start {start_rss/1024:.1f} MiB, at end {end_rss/1024:.1f} MiB ({(end_rss-start_rss)/1024:+.1f} MiB), peak {hwm/1024:.1f} MiB")
PY
