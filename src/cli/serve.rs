//! `modelgate serve`: the Prometheus exporter (src/serve) on the configured
//! registry, until SIGTERM or SIGINT.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;

use crate::config::Config;
use crate::registry::mlflow::client::Kind;
use crate::serve::{self, Options};
use crate::text::sanitize;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (HOST:PORT; port 0 picks a free one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9464")]
    pub listen: String,
    /// Seconds between refreshes of the figures from the registry.
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = parse_interval)]
    pub interval: u64,
    /// Milliseconds between refreshes, instead of --interval (benchmarks).
    #[arg(long, value_name = "MS", hide = true, value_parser = parse_interval)]
    pub interval_ms: Option<u64>,
}

fn parse_interval(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(0) => Err("the interval must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "{s:?} is not a positive whole number of seconds: give one such as 60"
        )),
    }
}

pub async fn run(args: ServeArgs, config: &Config) -> Result<ExitCode> {
    let service = Arc::new(super::open_service(config).await?);
    let interval = match args.interval_ms {
        Some(ms) => Duration::from_millis(ms),
        None => Duration::from_secs(args.interval),
    };
    let deadline = config.mlflow.command_deadline(Kind::Read);
    let options = Options {
        interval,
        // The refresh's own deadline says more; this is the backstop.
        timeout: deadline + Duration::from_secs(5),
    };
    let shutdown = match stop_signal() {
        Ok(s) => s,
        Err(e) => return Err(e).context("cannot install the SIGTERM and SIGINT handlers"),
    };
    let listener = match tokio::net::TcpListener::bind(&args.listen).await {
        Ok(l) => l,
        Err(e) => {
            let what = if e.kind() == std::io::ErrorKind::AddrInUse {
                "the address is in use (is another `modelgate serve` or exporter running?): stop that process or pick another port with --listen HOST:PORT".to_owned()
            } else {
                format!("{e}: give --listen as HOST:PORT on this machine, such as 127.0.0.1:9464")
            };
            eprintln!("error: cannot listen on {}: {what}", sanitize(&args.listen));
            return Ok(ExitCode::from(2));
        }
    };
    let addr = listener
        .local_addr()
        .context("cannot read the listening address")?;
    eprintln!(
        "modelgate serve: listening on http://{addr}/metrics (and /healthz), refreshing every {} s from {}",
        interval.as_secs_f64(),
        sanitize(&service.describe_registry())
    );
    let cache = config.verification_cache.clone();
    let refresh = move || {
        let service = service.clone();
        let cache = cache.clone();
        async move {
            let families = serve::families(&service, deadline).await;
            // A restarted exporter then skips the signatures it verified.
            if let Some(path) = &cache {
                super::save_verified(path);
            }
            families
        }
    };
    serve::run(listener, options, refresh, shutdown)
        .await
        .with_context(|| format!("serving on {addr}"))?;
    eprintln!("modelgate serve: stopped");
    Ok(ExitCode::SUCCESS)
}

/// A future that ends on the first SIGTERM or SIGINT. The handlers are
/// installed now, so a signal that comes during startup is not lost.
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}
