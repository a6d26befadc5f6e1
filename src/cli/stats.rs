//! `modelgate stats`: the approval process in numbers, from valid records
//! (docs/stats.md defines every figure); `modelgate metrics`: the same in
//! Prometheus's text format.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use super::output::Out;
use crate::config::Config;
use crate::review::risk::Risk;
use crate::stats::{Durations, Rate, Stats, StatsFilter, exposition};
use crate::text::sanitize_line;

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Count events from this time on: RFC 3339, a date (2026-11-01) or an age (30d, 12h, 2w).
    #[arg(long)]
    pub since: Option<String>,
    /// Count events before this time (same forms as --since).
    #[arg(long)]
    pub until: Option<String>,
    /// Only models whose name matches this glob.
    #[arg(long)]
    pub model: Option<String>,
    /// Only versions of this effective risk tier (low, medium, high, critical).
    #[arg(long, value_parser = parse_risk)]
    pub risk: Option<Risk>,
    /// Print JSON for scripts (docs/stats.md gives its shape).
    #[arg(long)]
    pub json: bool,
}

fn parse_risk(s: &str) -> Result<Risk, String> {
    Risk::parse(s)
        .ok_or_else(|| format!("{s:?} is not a risk tier: use low, medium, high or critical"))
}

#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// Write to FILE atomically (a temporary file renamed over it), for
    /// node_exporter's textfile collector; else print to stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub async fn run(args: StatsArgs, config: &Config, out: &mut Out) -> Result<ExitCode> {
    let service = super::open_service(config).await?;
    let filter = StatsFilter {
        since: args.since,
        until: args.until,
        model: args.model,
        risk: args.risk,
    };
    let s = service.stats(&filter, super::now_ms()).await?;
    if args.json {
        out.json(&s)?;
    } else {
        print(&s, &service.describe_registry(), out)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn metrics(args: MetricsArgs, config: &Config, out: &mut Out) -> Result<ExitCode> {
    // A place that cannot take the file is said before the registry is read.
    if let Some(path) = &args.out {
        let dir = crate::files::dir_of(path);
        if !dir.is_dir() {
            anyhow::bail!(
                "cannot write {}: the directory {} does not exist",
                path.display(),
                dir.display()
            );
        }
    }
    let service = super::open_service(config).await?;
    let started = std::time::Instant::now();
    let now = super::now_ms();
    let s = service
        .stats(&StatsFilter::default(), now)
        .await
        .context("cannot compute the metrics")?;
    let text = format!(
        "{}{}",
        exposition::status(
            true,
            Some(now as f64 / 1000.0),
            Some(started.elapsed().as_secs_f64())
        ),
        exposition::render(&s)
    );
    match args.out {
        Some(path) => write_atomically(&path, text.as_bytes())?,
        None => {
            out.line(text.trim_end())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--out`: written atomically, for collectors that read it at any moment.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    if path.file_name().is_none() {
        anyhow::bail!("--out {}: name a file, not a directory", path.display());
    }
    crate::files::write_atomically(path, bytes).with_context(|| {
        format!(
            "cannot write {}: check that {} exists and is writable",
            path.display(),
            crate::files::dir_of(path).display()
        )
    })
}

fn durations(d: &Durations) -> String {
    match (d.p50_seconds, d.p90_seconds, d.max_seconds) {
        (Some(p50), Some(p90), Some(max)) => format!(
            "n={} p50 {} p90 {} max {}",
            d.count,
            crate::stats::human_duration(p50),
            crate::stats::human_duration(p90),
            crate::stats::human_duration(max)
        ),
        _ => "n=0".into(),
    }
}

fn rate(r: &Rate) -> String {
    match r.share {
        Some(s) => format!("{}/{} ({:.0}%)", r.part, r.whole, s * 100.0),
        None => "none to count".into(),
    }
}

fn counts<K: AsRef<str>>(m: &BTreeMap<K, usize>) -> String {
    if m.is_empty() {
        return "none".into();
    }
    m.iter()
        .map(|(k, n)| format!("{} {n}", sanitize_line(k.as_ref())))
        .collect::<Vec<_>>()
        .join(", ")
}

fn print(s: &Stats, registry: &str, out: &mut Out) -> Result<()> {
    let period = match (&s.period.since, &s.period.until) {
        (None, None) => "all time".to_owned(),
        (Some(a), None) => format!("since {a}"),
        (None, Some(b)) => format!("before {b}"),
        (Some(a), Some(b)) => format!("{a} to {b}"),
    };
    out.line(&format!(
        "modelgate stats · {} · {period} · {} versions",
        sanitize_line(registry),
        s.versions
    ))?;
    out.line(&format!(
        "records: {} valid, {} invalid (left out of every figure)",
        s.records, s.invalid_records
    ))?;
    let l = &s.latency;
    out.line(&format!(
        "approval latency (submission to quorum): {}",
        durations(&l.overall)
    ))?;
    for (r, d) in &l.by_risk {
        out.line(&format!("  {:<9} {}", r.as_str(), durations(d)))?;
    }
    for (w, d) in &l.by_week {
        out.line(&format!("  {w}  {}", durations(d)))?;
    }
    out.line(&format!("gate pass rate: {}", rate(&s.gates.pass)))?;
    for (r, x) in &s.gates.by_risk {
        out.line(&format!("  {:<9} {}", r.as_str(), rate(x)))?;
    }
    out.line(&format!(
        "rejections and change requests by category: {}",
        counts(&s.decisions.by_category)
    ))?;
    let rb = &s.rollbacks;
    out.line(&format!(
        "rollbacks: {} of {} alias moves; break-glass {}; unratified {} (overdue {}); median time to ratify {}",
        rb.rollbacks,
        rb.promotes + rb.rollbacks,
        rb.break_glass,
        rb.unratified,
        rb.overdue,
        rb.median_ratify_seconds.map_or("none".into(), crate::stats::human_duration)
    ))?;
    out.line(&format!(
        "audit completeness: {} of approved versions",
        rate(&s.audit.complete)
    ))?;
    for i in &s.audit.incomplete {
        out.line(&format!(
            "  {} version {}: missing {}",
            sanitize_line(&i.model),
            sanitize_line(&i.version),
            i.missing.join("; ")
        ))?;
    }
    out.line("throughput (approvals, rejections):")?;
    for (w, x) in &s.throughput {
        out.line(&format!(
            "  {w}  {} approved, {} rejected",
            x.approvals, x.rejections
        ))?;
    }
    let c = &s.coverage;
    out.line(&format!(
        "coverage of {} production versions: explainability {}, fairness {}, model card {}, clean scan {}",
        c.production,
        rate(&c.explainability),
        rate(&c.fairness),
        rate(&c.model_card),
        rate(&c.security_scan_clean)
    ))?;
    out.line(&format!(
        "SLA: decided on time {}; open now: {} at risk, {} breached; next deadline {}",
        rate(&s.sla.on_time),
        s.sla.at_risk,
        s.sla.breached,
        s.sla.next_deadline.as_deref().unwrap_or("none")
    ))?;
    let v = &s.revalidation;
    out.line(&format!(
        "revalidation: reopens {}; in revalidation {}; renewals due {}; production: {} in revalidation ({} overdue), {} expired",
        counts(&v.reopens_by_trigger),
        v.in_revalidation,
        v.renewals_due,
        v.production_in_revalidation,
        v.production_overdue,
        v.expired_in_production
    ))?;
    out.line(&format!(
        "reviewer load (open reviews a role can act on): {}",
        counts(&s.load.open_by_role)
    ))?;
    out.line(&format!(
        "decisions by actor: {}",
        counts(&s.load.decisions_by_actor)
    ))?;
    if !s.unexplained_aliases.is_empty() {
        out.line(&format!(
            "⚑ production aliases no record explains: {}",
            s.unexplained_aliases
                .iter()
                .map(|m| sanitize_line(m))
                .collect::<Vec<_>>()
                .join(", ")
        ))?;
    }
    for p in &s.problems {
        out.line(&format!("⚠ {}", sanitize_line(p)))?;
    }
    Ok(())
}
