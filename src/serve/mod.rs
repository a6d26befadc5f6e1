//! `modelgate serve`: the figures of `modelgate metrics` over HTTP for
//! Prometheus to scrape. A background task refreshes a cache every interval;
//! `/metrics` and `/healthz` answer from that cache only, so a scrape never
//! waits on the registry, and a slow or failing registry shows as
//! `modelgate_up 0` next to the last good figures instead of as a scrape
//! timeout. docs/stats.md lists the families, docs/runbooks.md the alerts.
//!
//! [`run`] takes a bound listener and a refresh function, so that tests drive
//! the real server with any listener and any source of figures.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::registry::mlflow::client::{Kind, command};
use crate::service::ReviewService;
use crate::stats::{StatsFilter, exposition};

/// The Prometheus text format, version 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// After the stop signal, how long open connections get to finish.
const DRAIN: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// From the start of one refresh to the start of the next.
    pub interval: Duration,
    /// A refresh still running after this counts as failed.
    pub timeout: Duration,
}

/// What the last refreshes left for the scrapes.
#[derive(Debug, Default)]
struct Snapshot {
    /// The families of the last good refresh, kept through failed ones.
    families: Option<String>,
    /// Unix time of the last good refresh.
    last_good: Option<f64>,
    /// How long the last refresh took, good or failed.
    duration: Option<f64>,
    /// Whether the last refresh failed; `None` before the first ends.
    failed: Option<bool>,
}

impl Snapshot {
    fn up(&self) -> bool {
        self.failed == Some(false)
    }

    fn metrics(&self) -> String {
        let status = exposition::status(self.up(), self.last_good, self.duration);
        match &self.families {
            Some(f) => format!("{status}{f}"),
            None => status,
        }
    }

    fn health(&self) -> &'static str {
        match self.failed {
            None => "ok\nlast refresh: none yet\n",
            Some(false) => "ok\nlast refresh: good\n",
            Some(true) => "ok\nlast refresh: failed (serving the last good figures)\n",
        }
    }
}

type Shared = watch::Receiver<Arc<Snapshot>>;

/// Serves `/metrics` and `/healthz` on `listener` until `shutdown` ends,
/// then lets open requests finish (for a few seconds at most). `refresh`
/// returns the figure families in the text format, or why it could not; it
/// is called at once, then every `options.interval`.
pub async fn run<R, F, S>(
    listener: TcpListener,
    options: Options,
    refresh: R,
    shutdown: S,
) -> std::io::Result<()>
where
    R: FnMut() -> F + Send + 'static,
    F: Future<Output = Result<String, String>> + Send + 'static,
    S: Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = watch::channel(Arc::new(Snapshot::default()));
    let refresher = tokio::spawn(refresh_loop(tx, options, refresh));
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/", get(index))
        .with_state(rx);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        let _ = stop_tx.send(());
    };
    let server = axum::serve(listener, app).with_graceful_shutdown(signal);
    // A client that keeps its connection busy must not hold the stop for long.
    let drained = async move {
        if stop_rx.await.is_ok() {
            tokio::time::sleep(DRAIN).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    let result = tokio::select! {
        r = server => r,
        () = drained => Ok(()),
    };
    refresher.abort();
    result
}

async fn refresh_loop<R, F>(tx: watch::Sender<Arc<Snapshot>>, options: Options, mut refresh: R)
where
    R: FnMut() -> F,
    F: Future<Output = Result<String, String>> + Send + 'static,
{
    let mut ticks = tokio::time::interval(options.interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The error last written to stderr: each new one once, not every interval.
    let mut logged: Option<String> = None;
    loop {
        ticks.tick().await;
        let started = Instant::now();
        // On a task of its own: a refresh that panics fails like any other
        // instead of freezing the cache with its last `up`.
        let task = tokio::spawn(refresh());
        let abort = task.abort_handle();
        let outcome = match tokio::time::timeout(options.timeout, task).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => Err(format!("the refresh stopped: {e}")),
            Err(_) => {
                abort.abort();
                Err(format!(
                    "the refresh took longer than {} s",
                    options.timeout.as_secs_f64()
                ))
            }
        };
        let duration = started.elapsed().as_secs_f64();
        let previous = tx.borrow().clone();
        let next = match outcome {
            Ok(families) => {
                if logged.take().is_some() {
                    eprintln!("modelgate serve: refresh succeeded again");
                }
                Snapshot {
                    families: Some(families),
                    last_good: Some(unix_now()),
                    duration: Some(duration),
                    failed: Some(false),
                }
            }
            Err(e) => {
                let e = crate::text::sanitize(&e).into_owned();
                if logged.as_deref() != Some(&e) {
                    eprintln!(
                        "modelgate serve: refresh failed (modelgate_up 0, the last good figures stay): {e}"
                    );
                    logged = Some(e);
                }
                Snapshot {
                    families: previous.families.clone(),
                    last_good: previous.last_good,
                    duration: Some(duration),
                    failed: Some(true),
                }
            }
        };
        drop(previous);
        if tx.send(Arc::new(next)).is_err() {
            // No server left to read it.
            return;
        }
    }
}

fn unix_now() -> f64 {
    chrono::Utc::now().timestamp_millis() as f64 / 1000.0
}

async fn metrics(State(rx): State<Shared>) -> impl IntoResponse {
    let snapshot = rx.borrow().clone();
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], snapshot.metrics())
}

async fn healthz(State(rx): State<Shared>) -> impl IntoResponse {
    let snapshot = rx.borrow().clone();
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        snapshot.health(),
    )
}

async fn index() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "modelgate exporter: /metrics (Prometheus text format), /healthz\n",
    )
}

/// One refresh from the registry: the figure families of
/// `modelgate metrics` (without the status ones, which the scrape adds),
/// under the command deadline of a read.
pub async fn families(service: &ReviewService, deadline: Duration) -> Result<String, String> {
    let now_ms = chrono::Utc::now().timestamp_millis();
    command(
        Kind::Read,
        deadline,
        service.stats(&StatsFilter::default(), now_ms),
    )
    .await
    .map(|s| exposition::render(&s))
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests;
