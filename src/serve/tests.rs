#![allow(clippy::unwrap_used)] // a test that meets the unexpected should stop there

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{CONTENT_TYPE, Options, run};

const FAMILIES: &str =
    "# HELP modelgate_records Records read.\n# TYPE modelgate_records gauge\nmodelgate_records 7\n";

/// One HTTP/1.1 GET on a fresh connection: the status line, the headers and
/// the body.
async fn get(addr: std::net::SocketAddr, path: &str) -> (String, String, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let (status, headers) = head.split_once("\r\n").unwrap();
    (
        status.to_owned(),
        headers.to_ascii_lowercase(),
        body.to_owned(),
    )
}

/// The server on a loopback port with `refresh`; stopped by notifying the
/// returned `Notify`.
async fn spawn<R, F>(
    refresh: R,
    options: Options,
) -> (
    std::net::SocketAddr,
    Arc<tokio::sync::Notify>,
    tokio::task::JoinHandle<std::io::Result<()>>,
)
where
    R: FnMut() -> F + Send + 'static,
    F: std::future::Future<Output = Result<String, String>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = Arc::new(tokio::sync::Notify::new());
    let s = stop.clone();
    let task = tokio::spawn(run(listener, options, refresh, async move {
        s.notified().await
    }));
    (addr, stop, task)
}

/// The server on a loopback port with a refresh that fails while `failing`
/// is set; it stops when `stop` is notified.
struct Running {
    addr: std::net::SocketAddr,
    failing: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
    stop: Arc<tokio::sync::Notify>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start(failing: bool, interval: Duration) -> Running {
    let failing = Arc::new(AtomicBool::new(failing));
    let calls = Arc::new(AtomicUsize::new(0));
    let (f, c) = (failing.clone(), calls.clone());
    let refresh = move || {
        let (f, c) = (f.clone(), c.clone());
        async move {
            c.fetch_add(1, Ordering::SeqCst);
            if f.load(Ordering::SeqCst) {
                Err("the registry at http://127.0.0.1:9 is unreachable".to_owned())
            } else {
                Ok(FAMILIES.to_owned())
            }
        }
    };
    let options = Options {
        interval,
        timeout: Duration::from_secs(5),
    };
    let (addr, stop, task) = spawn(refresh, options).await;
    Running {
        addr,
        failing,
        calls,
        stop,
        task,
    }
}

impl Running {
    /// Waits until the refresh has been called `n` times more than now and
    /// the cache holds its result.
    async fn refreshes(&self, n: usize) {
        let target = self.calls.load(Ordering::SeqCst) + n;
        while self.calls.load(Ordering::SeqCst) <= target {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    async fn metrics(&self) -> String {
        let (status, headers, body) = get(self.addr, "/metrics").await;
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert!(
            headers.contains(&format!("content-type: {CONTENT_TYPE}")),
            "{headers}"
        );
        body
    }
}

fn value(body: &str, name: &str) -> Option<f64> {
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn before_a_good_refresh_only_the_status_families_with_up_0() {
    let r = start(true, Duration::from_millis(20)).await;
    r.refreshes(1).await;
    let body = r.metrics().await;
    assert_eq!(value(&body, "modelgate_up"), Some(0.0), "{body}");
    assert!(!body.contains("modelgate_last_refresh_timestamp_seconds"));
    assert!(!body.contains("modelgate_records"), "{body}");
    assert!(
        body.contains("modelgate_refresh_duration_seconds"),
        "{body}"
    );
    let (status, _, health) = get(r.addr, "/healthz").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(
        health.starts_with("ok\n") && health.contains("failed"),
        "{health}"
    );
    r.stop.notify_one();
    r.task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_refresh_keeps_the_last_good_figures_and_their_time() {
    let r = start(false, Duration::from_millis(20)).await;
    r.refreshes(1).await;
    let good = r.metrics().await;
    assert_eq!(value(&good, "modelgate_up"), Some(1.0), "{good}");
    assert_eq!(value(&good, "modelgate_records"), Some(7.0), "{good}");
    let t = value(&good, "modelgate_last_refresh_timestamp_seconds").unwrap();
    let (_, _, health) = get(r.addr, "/healthz").await;
    assert!(health.contains("good"), "{health}");

    r.failing.store(true, Ordering::SeqCst);
    r.refreshes(2).await;
    let bad = r.metrics().await;
    assert_eq!(value(&bad, "modelgate_up"), Some(0.0), "{bad}");
    assert_eq!(value(&bad, "modelgate_records"), Some(7.0), "{bad}");
    assert_eq!(
        value(&bad, "modelgate_last_refresh_timestamp_seconds"),
        Some(t)
    );

    r.failing.store(false, Ordering::SeqCst);
    r.refreshes(2).await;
    let back = r.metrics().await;
    assert_eq!(value(&back, "modelgate_up"), Some(1.0), "{back}");
    assert!(value(&back, "modelgate_last_refresh_timestamp_seconds").unwrap() >= t);
    r.stop.notify_one();
    r.task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scrape_does_not_wait_for_a_slow_refresh() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    // The first refresh answers at once, every later one hangs.
    let refresh = move || {
        let n = c.fetch_add(1, Ordering::SeqCst);
        async move {
            if n > 0 {
                std::future::pending::<()>().await;
            }
            Ok(FAMILIES.to_owned())
        }
    };
    let options = Options {
        interval: Duration::from_millis(10),
        timeout: Duration::from_secs(600),
    };
    let (addr, stop, task) = spawn(refresh, options).await;
    while calls.load(Ordering::SeqCst) < 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let started = std::time::Instant::now();
    let (_, _, body) = get(addr, "/metrics").await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(value(&body, "modelgate_records"), Some(7.0), "{body}");
    stop.notify_one();
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_past_its_timeout_counts_as_failed() {
    let refresh = || async {
        std::future::pending::<()>().await;
        Ok(String::new())
    };
    let options = Options {
        interval: Duration::from_millis(10),
        timeout: Duration::from_millis(20),
    };
    let (addr, stop, task) = spawn(refresh, options).await;
    let mut body = String::new();
    for _ in 0..200 {
        body = get(addr, "/metrics").await.2;
        if body.contains("modelgate_refresh_duration_seconds") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(value(&body, "modelgate_up"), Some(0.0), "{body}");
    assert!(value(&body, "modelgate_refresh_duration_seconds").unwrap() >= 0.02);
    let (status, _, _) = get(addr, "/nothing").await;
    assert_eq!(status, "HTTP/1.1 404 Not Found");
    stop.notify_one();
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_that_panics_counts_as_failed_and_the_next_one_runs() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    // Good, then a panic, then good again.
    let refresh = move || {
        let n = c.fetch_add(1, Ordering::SeqCst);
        async move {
            if n == 1 {
                panic!("a bug in the refresh");
            }
            Ok(FAMILIES.to_owned())
        }
    };
    let options = Options {
        interval: Duration::from_millis(10),
        timeout: Duration::from_secs(5),
    };
    let (addr, stop, task) = spawn(refresh, options).await;
    while calls.load(Ordering::SeqCst) < 4 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (_, _, body) = get(addr, "/metrics").await;
    assert_eq!(value(&body, "modelgate_up"), Some(1.0), "{body}");
    stop.notify_one();
    task.await.unwrap().unwrap();
}
