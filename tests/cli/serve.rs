//! `modelgate serve`, the Prometheus exporter, as it runs: the real binary on
//! loopback, scraped by raw HTTP clients and by the real Prometheus server,
//! checked by promtool; the alert rules and the Grafana dashboard against
//! what the exporter really exports; a registry that is down at start behind
//! the fault-injecting proxy; a busy address; many scrapes at once; SIGTERM
//! and SIGINT.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::signing::{Backend, demo};
use crate::support::proxy::{Fault, Proxy};

fn assets(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join(rel)
}

/// A running `modelgate serve`: its address, its stderr so far; killed when
/// dropped if still running.
struct Serving {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl Serving {
    /// Starts `cmd serve --listen 127.0.0.1:0 <extra>` and waits for the
    /// address it says it listens on.
    fn start(mut cmd: Command, extra: &[&str]) -> Serving {
        let mut child = cmd
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let shared = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                shared.lock().unwrap().push_str(&format!("{line}\n"));
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.split("listening on http://").nth(1) {
                        break rest.split('/').next().unwrap().parse().unwrap();
                    }
                }
                Err(_) => panic!(
                    "modelgate serve did not say where it listens; stderr:\n{}",
                    log.lock().unwrap()
                ),
            }
        };
        Serving { child, addr, log }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    fn metrics(&self) -> String {
        let (status, body) = get(self.addr, "/metrics");
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Scrapes until `want` holds of the body (at most `secs` seconds).
    fn until(&self, secs: u64, what: &str, want: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let body = self.metrics();
            if want(&body) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not within {secs} s; last scrape:\n{body}\nstderr:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends `signal` (TERM, INT) and waits for the exit: its code and how long it took.
    fn stop(&mut self, signal: &str) -> (Option<i32>, Duration) {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
        assert!(killed.success(), "kill -{signal} {pid}");
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status.code(), started.elapsed());
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "still running 20 s after SIG{signal}; stderr:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 GET on a fresh connection: the status code and the body.
fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let (status, _, body) = request(addr, path);
    (status, body)
}

/// The status code, the headers (lower case) and the body.
fn request(addr: SocketAddr, path: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_ascii_lowercase(), body.to_owned())
}

/// A sample's value: `name value` with no labels.
fn value(body: &str, name: &str) -> Option<f64> {
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// Family name to type, from the `# TYPE` lines.
fn families(body: &str) -> BTreeMap<String, String> {
    body.lines()
        .filter_map(|l| {
            let mut w = l.strip_prefix("# TYPE ")?.split(' ');
            Some((w.next()?.to_owned(), w.next()?.to_owned()))
        })
        .collect()
}

/// Every `modelgate_...` identifier in a PromQL expression.
fn names_in(expr: &str) -> Vec<String> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let mut out = Vec::new();
    let mut rest = expr;
    while let Some(i) = rest.find("modelgate_") {
        let before = rest[..i].chars().next_back();
        let tail = &rest[i..];
        let end = tail.find(|c: char| !ident(c)).unwrap_or(tail.len());
        if !before.is_some_and(ident) {
            out.push(tail[..end].to_owned());
        }
        rest = &tail[end..];
    }
    out
}

/// Whether `name` is a family of `exported` or a series of one of its histograms.
fn exported(name: &str, exported: &BTreeMap<String, String>) -> bool {
    if exported.contains_key(name) {
        return true;
    }
    ["_bucket", "_sum", "_count"].iter().any(|suffix| {
        name.strip_suffix(suffix)
            .and_then(|base| exported.get(base))
            .is_some_and(|t| t == "histogram")
    })
}

/// The alert rules' expressions, by alert name.
fn alert_exprs() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(assets("prometheus/alerts.yml")).unwrap();
    let doc: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    let mut out = Vec::new();
    for group in doc["groups"].as_sequence().unwrap() {
        for rule in group["rules"].as_sequence().unwrap() {
            out.push((
                rule["alert"].as_str().unwrap().to_owned(),
                rule["expr"].as_str().unwrap().to_owned(),
            ));
        }
    }
    out
}

/// The dashboard's expressions, with the panel titles they belong to.
fn dashboard_exprs() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(assets("grafana/modelgate.json")).unwrap();
    let dash: Value = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    for panel in dash["panels"].as_array().unwrap() {
        for t in panel["targets"].as_array().into_iter().flatten() {
            out.push((
                panel["title"].as_str().unwrap().to_owned(),
                t["expr"].as_str().unwrap().to_owned(),
            ));
        }
    }
    out
}

fn promtool(args: &[&str], stdin: Option<&str>) -> (bool, String) {
    let mut child = Command::new("promtool")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("promtool (Debian package prometheus; scripts/test installs it): {e}")
        });
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn the_demo_exports_what_promtool_accepts_and_every_name_the_alerts_and_dashboard_use() {
    let d = demo(Backend::Local);
    let printed = d.stdout(None, &["metrics"]);
    let (ok, says) = promtool(&["check", "metrics"], Some(&printed));
    assert!(ok, "promtool check metrics on `modelgate metrics`:\n{says}");

    let s = Serving::start(d.std_cmd(None), &[]);
    let (status, headers, body) = request(s.addr, "/metrics");
    assert_eq!(status, 200);
    assert!(
        headers.contains("content-type: text/plain; version=0.0.4; charset=utf-8"),
        "{headers}"
    );
    let body = if value(&body, "modelgate_up") == Some(1.0) {
        body
    } else {
        s.until(60, "the first refresh", |b| {
            value(b, "modelgate_up") == Some(1.0)
        })
    };
    let (ok, says) = promtool(&["check", "metrics"], Some(&body));
    assert!(ok, "promtool check metrics on /metrics:\n{says}");
    // The same figures as the command, the status families aside.
    let figures = |t: &str| -> BTreeSet<String> {
        t.lines()
            .filter(|l| !l.contains("refresh_"))
            .map(str::to_owned)
            .collect()
    };
    let (served, printed_lines) = (figures(&body), figures(&printed));
    assert_eq!(
        served
            .symmetric_difference(&printed_lines)
            .collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "/metrics and `modelgate metrics` differ"
    );

    let have = families(&body);
    for family in [
        "modelgate_up",
        "modelgate_last_refresh_timestamp_seconds",
        "modelgate_refresh_duration_seconds",
    ] {
        assert!(have.contains_key(family), "{family} missing:\n{body}");
    }
    let mut used = BTreeSet::new();
    for (whose, expr) in alert_exprs().into_iter().chain(dashboard_exprs()) {
        for name in names_in(&expr) {
            assert!(
                exported(&name, &have),
                "{whose}: {name} (in `{expr}`) is not exported; the exporter has {:?}",
                have.keys().collect::<Vec<_>>()
            );
            used.insert(name);
        }
    }
    // The parsing found the names, histogram series included.
    assert!(
        used.contains("modelgate_approval_latency_seconds_bucket"),
        "{used:?}"
    );
    assert!(
        used.contains("modelgate_rollbacks_unratified_overdue"),
        "{used:?}"
    );
    assert!(used.len() >= 20, "{used:?}");
}

#[test]
fn the_alert_rules_and_their_unit_tests_pass_promtool() {
    let rules = assets("prometheus/alerts.yml");
    let (ok, says) = promtool(&["check", "rules", rules.to_str().unwrap()], None);
    assert!(ok, "{says}");
    let tests = assets("prometheus/alerts_test.yml");
    let (ok, says) = promtool(&["test", "rules", tests.to_str().unwrap()], None);
    assert!(ok, "{says}");
    let config = assets("prometheus/prometheus.yml");
    let (ok, says) = promtool(&["check", "config", config.to_str().unwrap()], None);
    assert!(ok, "{says}");
    // Every rule has a severity and a runbook section, and a unit test.
    let text = std::fs::read_to_string(&rules).unwrap();
    let doc: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    let runbooks =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/runbooks.md"))
            .unwrap();
    let unit = std::fs::read_to_string(&tests).unwrap();
    for group in doc["groups"].as_sequence().unwrap() {
        for rule in group["rules"].as_sequence().unwrap() {
            let name = rule["alert"].as_str().unwrap();
            let severity = rule["labels"]["severity"].as_str().unwrap();
            assert!(["page", "ticket"].contains(&severity), "{name}: {severity}");
            let runbook = rule["annotations"]["runbook"].as_str().unwrap();
            let anchor = runbook.strip_prefix("docs/runbooks.md#").unwrap();
            let heading = runbooks
                .lines()
                .filter_map(|l| l.strip_prefix("### "))
                .any(|h| github_anchor(h) == anchor);
            assert!(
                heading,
                "{name}: no heading in docs/runbooks.md for #{anchor}"
            );
            assert!(
                unit.contains(&format!("alertname: {name}\n")),
                "{name} has no unit test"
            );
        }
    }
}

/// The anchor GitHub makes of a heading.
fn github_anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// A loopback port nobody listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Characters outside the unreserved set, percent-encoded.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

struct Prometheus {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// The real server, scraping `target` every second and evaluating the
    /// alert rules every second.
    fn start(target: SocketAddr) -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {}\nscrape_configs:\n  - job_name: modelgate\n    static_configs:\n      - targets: [\"{target}\"]\n",
                assets("prometheus/alerts.yml").display()
            ),
        )
        .unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let child = Command::new("/usr/bin/prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(dir.path().join("prometheus.log")).unwrap(),
            ))
            .spawn()
            .unwrap_or_else(|e| panic!("prometheus (Debian package prometheus): {e}"));
        Prometheus {
            child,
            addr,
            _dir: dir,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("prometheus.log")).unwrap_or_default()
    }

    /// An instant query's samples: labels and value.
    fn query(&self, q: &str) -> Option<Vec<(Value, f64)>> {
        let addr = self.addr;
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        write!(
            s,
            "GET /api/v1/query?query={} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n",
            encode(q)
        )
        .ok()?;
        let mut raw = String::new();
        s.read_to_string(&mut raw).ok()?;
        let body = raw.split_once("\r\n\r\n")?.1;
        let v: Value = serde_json::from_str(body).ok()?;
        let samples = v["data"]["result"].as_array()?;
        Some(
            samples
                .iter()
                .filter_map(|r| {
                    let x = r["value"][1].as_str()?.parse().ok()?;
                    Some((r["metric"].clone(), x))
                })
                .collect(),
        )
    }

    /// The single value of `q` once it has one (at most 90 s).
    fn value(&self, q: &str) -> f64 {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Some(v) = self.query(q)
                && let [(_, x)] = v.as_slice()
            {
                return *x;
            }
            assert!(
                Instant::now() < deadline,
                "Prometheus has no value for `{q}`; its log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn prometheus_scrapes_the_exporter_and_reads_the_queue_s_figures() {
    let d = demo(Backend::Local);
    let s = Serving::start(d.std_cmd(None), &["--interval", "1"]);
    let p = Prometheus::start(s.addr);
    assert_eq!(p.value("modelgate_up"), 1.0);
    let queue = d.json(None, &["queue"]);
    let items = queue.as_array().unwrap();
    let in_state = |sla: &str| items.iter().filter(|i| i["sla_state"] == sla).count() as f64;
    let stats = d.json(None, &["stats"]);
    let open: u64 = stats["sla"]["open"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|by_sla| by_sla.as_object().unwrap().values())
        .map(|n| n.as_u64().unwrap())
        .sum();
    let scraped = |q: &str| p.value(&format!("sum({q}{{job=\"modelgate\"}})"));
    assert!(
        in_state("breached") > 0.0,
        "the demo has breached reviews: {queue}"
    );
    assert_eq!(
        p.value("sum(modelgate_open_reviews{sla=\"breached\"})"),
        in_state("breached")
    );
    assert_eq!(
        p.value("sum(modelgate_open_reviews{sla=\"at_risk\"})"),
        in_state("at_risk")
    );
    assert_eq!(scraped("modelgate_open_reviews"), open as f64);
    assert_eq!(
        scraped("modelgate_records"),
        stats["records"].as_u64().unwrap() as f64
    );
    assert_eq!(
        scraped("modelgate_approved_versions"),
        stats["approved_versions"].as_u64().unwrap() as f64
    );
    assert_eq!(p.value("up{job=\"modelgate\"}"), 1.0);
    // The rules load, and the breached reviews make their alert pending (for: 5m).
    let alert = p.value("count(ALERTS{alertname=\"ModelgateSlaBreached\"})");
    assert_eq!(alert, 1.0);
    // Refreshes every second: the time of the last good one moves on.
    let t0 = p.value("modelgate_last_refresh_timestamp_seconds");
    let deadline = Instant::now() + Duration::from_secs(60);
    while p.value("modelgate_last_refresh_timestamp_seconds") <= t0 {
        assert!(Instant::now() < deadline, "no newer refresh; {}", s.log());
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn a_registry_down_at_start_reports_up_0_then_recovers() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let proxy = rt.block_on(Proxy::start(&crate::support::mlflow_uri()));
    proxy.fail(None, "/", Fault::Status(503), usize::MAX);
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config/modelgate/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(
        &config,
        format!(
            "registry = \"mlflow\"\nuri = \"{}\"\nregistry_id = \"mlflow-test\"\n[mlflow]\nattempts = 1\n",
            proxy.uri
        ),
    )
    .unwrap();
    let s = Serving::start(
        crate::hermetic::modelgate(home.path()),
        &["--interval", "1"],
    );
    let down = s.until(60, "a failed refresh", |b| {
        b.contains("modelgate_refresh_duration_seconds")
    });
    assert_eq!(value(&down, "modelgate_up"), Some(0.0), "{down}");
    assert!(
        !down.contains("modelgate_last_refresh_timestamp_seconds"),
        "{down}"
    );
    assert!(!down.contains("modelgate_records"), "{down}");
    let (status, health) = get(s.addr, "/healthz");
    assert_eq!(status, 200);
    assert!(
        health.starts_with("ok\n") && health.contains("failed"),
        "{health}"
    );
    // Said once, however many refreshes fail the same way.
    std::thread::sleep(Duration::from_secs(3));
    let log = s.log();
    assert_eq!(log.matches("refresh failed").count(), 1, "{log}");
    assert!(log.contains("503"), "{log}");

    proxy.clear();
    let up = s.until(120, "recovery", |b| value(b, "modelgate_up") == Some(1.0));
    assert!(value(&up, "modelgate_last_refresh_timestamp_seconds").is_some());
    assert!(up.contains("# TYPE modelgate_records gauge"), "{up}");
    assert!(s.log().contains("refresh succeeded again"), "{}", s.log());
    let (_, health) = get(s.addr, "/healthz");
    assert!(health.contains("good"), "{health}");
    drop(s);
    drop(rt);
}

/// An empty embedded registry and the binary on it.
fn empty_registry(home: &Path) -> Command {
    let db = home.join("empty.db");
    if !db.exists() {
        modelgate::registry::local::LocalRegistry::create(&db).unwrap();
    }
    let mut c = crate::hermetic::modelgate(home);
    c.arg("--db").arg(&db);
    c
}

#[test]
fn a_busy_address_and_a_bad_interval_are_refused_with_exit_2() {
    let home = tempfile::tempdir().unwrap();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = empty_registry(home.path())
        .args(["serve", "--listen", &addr])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("cannot listen on {addr}")), "{err}");
    assert!(err.contains("in use") && err.contains("--listen"), "{err}");

    let out = empty_registry(home.path())
        .args(["serve", "--listen", "256.0.0.1:80"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot listen on 256.0.0.1:80"), "{err}");

    for bad in [
        "--interval=0",
        "--interval=-5",
        "--interval=abc",
        "--interval=1.5",
    ] {
        let out = empty_registry(home.path())
            .args(["serve", bad])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert!(err.contains("--interval"), "{bad}: {err}");
    }
}

#[test]
fn a_hundred_concurrent_scrapes_answer_the_same_quickly() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Serving::start(empty_registry(home.path()), &[]);
    s.until(60, "the first refresh", |b| {
        value(b, "modelgate_up") == Some(1.0)
    });
    let addr = s.addr;
    let barrier = Arc::new(std::sync::Barrier::new(100));
    let started = Instant::now();
    let scrapes: Vec<_> = (0..100)
        .map(|_| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                get(addr, "/metrics")
            })
        })
        .collect();
    let answers: Vec<(u16, String)> = scrapes.into_iter().map(|t| t.join().unwrap()).collect();
    let took = started.elapsed();
    assert!(answers.iter().all(|(status, _)| *status == 200));
    let first = &answers[0].1;
    assert!(answers.iter().all(|(_, body)| body == first));
    assert!(first.contains("modelgate_up 1\n"), "{first}");
    assert!(took < Duration::from_secs(10), "100 scrapes took {took:?}");
    assert!(s.child.try_wait().unwrap().is_none(), "{}", s.log());
    assert_eq!(get(addr, "/healthz").0, 200);
    let (code, _) = s.stop("TERM");
    assert_eq!(code, Some(0));
}

#[test]
fn sigterm_and_sigint_stop_it_cleanly_with_exit_0() {
    let home = tempfile::tempdir().unwrap();
    for signal in ["TERM", "INT"] {
        let mut s = Serving::start(empty_registry(home.path()), &[]);
        s.until(60, "the first refresh", |b| {
            value(b, "modelgate_up") == Some(1.0)
        });
        // A scraper's idle keep-alive connection must not hold the stop.
        let mut idle = TcpStream::connect(s.addr).unwrap();
        write!(idle, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut first = [0u8; 12];
        idle.read_exact(&mut first).unwrap();
        assert_eq!(&first, b"HTTP/1.1 200");
        let (code, took) = s.stop(signal);
        assert_eq!(code, Some(0), "SIG{signal}; stderr:\n{}", s.log());
        assert!(took < Duration::from_secs(3), "SIG{signal} took {took:?}");
        assert!(s.log().contains("modelgate serve: stopped"), "{}", s.log());
    }
}
