//! `modelgate queue`: the reviews, most urgent first.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::output::{Cell, Out, Paint, table};
use crate::config::Config;
use crate::review::gates::ItemGates;
use crate::review::metrics::{self, MetricDiff};
use crate::review::queue::{QueueItem, counts};
use crate::review::sla::{SlaState, format_remaining};
use crate::text::sanitize_line;

#[derive(Debug, Args, Default)]
pub struct QueueArgs {
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
    /// Include reviews in every state, not only pending ones.
    #[arg(long)]
    pub all: bool,
    /// Evaluate the policy gates of every review (reads each review's reports).
    #[arg(long)]
    pub gates: bool,
}

pub async fn run(args: QueueArgs, config: &Config, out: &mut Out) -> Result<ExitCode> {
    let service = super::open_service(config).await?;
    let q = if args.gates {
        service.queue_with_gates(args.all, super::now_ms()).await?
    } else {
        service.queue(args.all, super::now_ms()).await?
    };
    if args.json {
        out.json(&q.items)?;
    } else {
        // What the console's header flags about production aliases: read
        // for people only (`--json` stays the queue alone, and fast).
        let deploy = match service.deployment_status(super::now_ms()).await {
            Ok(s) => s
                .flags
                .summary()
                .map(|w| format!("⚑ deploy: {w} (modelgate audit verify names them)")),
            Err(e) => Some(format!(
                "⚑ deploy: the production aliases could not be checked: {e}"
            )),
        };
        print_table(
            &q.items,
            &service.describe_registry(),
            args.gates,
            deploy.as_deref(),
            out,
        )?;
        if args.gates {
            let g = service.gates();
            out.line(&format!(
                "gates: policy {} from {}",
                g.digest(),
                sanitize_line(g.source())
            ))?;
            if let Some(e) = g.error() {
                let l = out.paint(
                    &format!(
                        "gates: ✖ {} (every review counts as denied)",
                        sanitize_line(e)
                    ),
                    Paint::Red,
                );
                out.line(&l)?;
            } else if q
                .items
                .iter()
                .any(|i| matches!(&i.gates, Some(ItemGates::Counts(c)) if c.error.is_some()))
            {
                out.line("gates: ✖ error: the evaluation failed; `modelgate gate MODEL VERSION` says why")?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn sla_paint(s: SlaState) -> Paint {
    match s {
        SlaState::OnTrack => Paint::Green,
        SlaState::AtRisk => Paint::Yellow,
        SlaState::Breached => Paint::Red,
        SlaState::Stopped => Paint::Dim,
        SlaState::Unscheduled => Paint::Yellow,
    }
}

/// `▼ log_loss +12.0%` style triage text for one metric.
fn metric_note(d: &MetricDiff) -> String {
    let rel = d
        .relative_delta
        .map(|r| format!("{:+.1}%", r.0 * 100.0))
        .unwrap_or_else(|| "n/a".into());
    format!("{} {} {rel}", d.verdict.glyph(), d.name)
}

/// The GATES cell: `✖ 2 ▲ 1`, `▲ 1`, `● pass`, `✖ error`.
fn gates_cell(i: &QueueItem) -> Cell {
    match &i.gates {
        Some(ItemGates::Counts(c)) => {
            if c.error.is_some() {
                Cell::painted("✖ error", Paint::Red)
            } else if c.deny > 0 {
                let warn = if c.warn > 0 {
                    format!(" ▲ {}", c.warn)
                } else {
                    String::new()
                };
                Cell::painted(&format!("✖ {}{warn}", c.deny), Paint::Red)
            } else if c.warn > 0 {
                Cell::painted(&format!("▲ {}", c.warn), Paint::Yellow)
            } else {
                Cell::painted("● pass", Paint::Green)
            }
        }
        Some(ItemGates::Report(r)) => Cell::new(&super::gate::verdict(r)),
        None => Cell::new("-"),
    }
}

pub fn print_table(
    items: &[QueueItem],
    registry: &str,
    gates: bool,
    deploy: Option<&str>,
    out: &mut Out,
) -> Result<()> {
    let c = counts(items);
    let mut parts = vec![format!("{} pending", c.pending)];
    if c.revalidation > 0 {
        parts.push(format!("{} revalidation", c.revalidation));
    }
    if c.renewal > 0 {
        parts.push(format!("{} renewal due", c.renewal));
    }
    let head = format!(
        "registry {}   {}, {} at risk, {} breached",
        sanitize_line(registry),
        parts.join(", "),
        c.at_risk,
        c.breached
    );
    out.line(&out.paint(&head, Paint::Bold))?;
    if let Some(flags) = deploy {
        out.line(&out.paint(&sanitize_line(flags), Paint::Red))?;
    }
    if items.is_empty() {
        out.line("No reviews are waiting. A version enters the queue when its tag modelgate.review is \"pending\", when an approval is reopened or expires, and when a renewal is due.")?;
        return Ok(());
    }
    let rows = items
        .iter()
        .map(|i| {
            let (worst, best) = metrics::extremes(&i.metrics);
            let sla = if i.sla_state == SlaState::Unscheduled {
                format!("{} unscheduled", i.sla_state.glyph())
            } else {
                format!(
                    "{} {}",
                    i.sla_state.glyph(),
                    format_remaining(i.remaining_seconds)
                )
            };
            let kind = match i.triggers.as_slice() {
                [] => format!("{} {}", i.kind.glyph(), i.kind.as_str()),
                ts => format!("{} {} ({})", i.kind.glyph(), i.kind.as_str(), ts.join(", ")),
            };
            let approvals = format!("{}/{}", i.approvals.len(), i.required_roles.len());
            let mut row = vec![
                Cell::painted(&sla, sla_paint(i.sla_state)),
                Cell::new(&kind),
                Cell::new(i.risk.as_str()),
                Cell::new(&i.model),
                Cell::new(&i.version),
                Cell::new(i.baseline.as_deref().unwrap_or("-")),
                Cell::new(i.submitted_by.as_deref().unwrap_or("(unknown)")),
                Cell::new(i.state.as_str()),
                Cell::new(&approvals),
                Cell::new(&worst.map(metric_note).unwrap_or_default()),
                Cell::new(&best.map(metric_note).unwrap_or_default()),
            ];
            if gates {
                row.push(gates_cell(i));
            }
            row.push(Cell::new(&if i.problems.is_empty() {
                String::new()
            } else {
                format!("⚠ {}", i.problems.len())
            }));
            row
        })
        .collect();
    let mut header = vec![
        "SLA",
        "KIND",
        "RISK",
        "MODEL",
        "VER",
        "BASE",
        "SUBMITTER",
        "STATE",
        "APPR",
        "WORST",
        "BEST",
    ];
    if gates {
        header.push("GATES");
    }
    header.push("PROBLEMS");
    table(out, &header, rows)?;
    let problems: Vec<&String> = items.iter().flat_map(|i| &i.problems).collect();
    if !problems.is_empty() {
        out.line("")?;
        for p in problems {
            out.line(&format!("⚠ {}", sanitize_line(p)))?;
        }
    }
    Ok(())
}
