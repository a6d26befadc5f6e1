//! `modelgate show MODEL VERSION`: one review in full.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::output::{Cell, Out, Paint, table};
use crate::config::Config;
use crate::num::Num;
use crate::review::detail::{PartStatus, ReviewDetail};
use crate::review::evidence::FilesMode;
use crate::review::metrics::Verdict;
use crate::review::reports::{FairnessThresholds, Report, ScanVerdict};
use crate::review::schema::SideDiff;
use crate::review::sla::format_remaining;
use crate::text::sanitize_line;

#[derive(Debug, Args)]
pub struct ShowArgs {
    pub model: String,
    pub version: String,
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: ShowArgs, config: &Config, out: &mut Out) -> Result<ExitCode> {
    let service = super::open_service(config).await?;
    let detail = service
        .show(&args.model, &args.version, super::now_ms())
        .await?;
    if args.json {
        out.json(&detail)?;
    } else {
        print(&detail, out)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn num(v: Option<Num>) -> String {
    match v {
        None => "-".into(),
        Some(Num(x)) if x.is_finite() => format!("{x:.4}"),
        Some(Num(x)) => Num::non_finite_str(x).unwrap_or("?").to_owned(),
    }
}

fn pct(v: Option<Num>) -> String {
    match v {
        Some(Num(x)) if x.is_finite() => format!("{:+.2}%", x * 100.0),
        Some(_) => "NaN".into(),
        None => "-".into(),
    }
}

fn heading(out: &mut Out, title: &str) -> std::io::Result<()> {
    out.line("")?;
    let t = out.paint(title, Paint::Bold);
    out.line(&t)
}

/// `present`, or the absent/error line for a report that is not.
fn report_line<T>(out: &mut Out, r: &Report<T>) -> std::io::Result<bool> {
    match r {
        Report::Present(_) => Ok(true),
        Report::Absent { note: None } => out
            .line("  absent: no report in the run's artifacts")
            .map(|_| false),
        Report::Absent { note: Some(n) } => out
            .line(&format!("  absent: {}", sanitize_line(n)))
            .map(|_| false),
        Report::Error { error } => {
            let l = out.paint(&format!("  ✖ error: {}", sanitize_line(error)), Paint::Red);
            out.line(&l).map(|_| false)
        }
    }
}

pub fn print(d: &ReviewDetail, out: &mut Out) -> Result<()> {
    let s = &d.summary;
    let title = format!(
        "{} version {}",
        sanitize_line(&s.model),
        sanitize_line(&s.version)
    );
    let t = out.paint(&title, Paint::Bold);
    out.line(&format!(
        "{t}   risk {}   state {}",
        s.risk,
        s.state.as_str()
    ))?;
    out.line(&format!(
        "SLA {} {} ({})   submitted {} by {}   deadline {}",
        s.sla_state.glyph(),
        s.sla_state.as_str(),
        format_remaining(s.remaining_seconds),
        s.submitted_at,
        sanitize_line(s.submitted_by.as_deref().unwrap_or("(unknown)")),
        s.deadline.as_deref().unwrap_or("none yet (unscheduled)")
    ))?;
    out.line(&format!(
        "baseline {}   required roles {}   approvals {}/{}",
        sanitize_line(s.baseline.as_deref().unwrap_or("none")),
        s.required_roles.join(", "),
        s.approvals.len(),
        s.required_roles.len()
    ))?;
    if let Some(crate::review::gates::ItemGates::Report(r)) = &s.gates {
        let paint = if r.result.passes() {
            Paint::Green
        } else {
            Paint::Red
        };
        let l = out.paint(
            &format!("gates {}   (see Gates below)", super::gate::verdict(r)),
            paint,
        );
        out.line(&l)?;
    }
    out.line(&format!(
        "source {}   run {}{}",
        sanitize_line(&d.source),
        sanitize_line(d.run_id.as_deref().unwrap_or("none")),
        d.run_user
            .as_deref()
            .map(|u| format!(" by {}", sanitize_line(u)))
            .unwrap_or_default()
    ))?;
    for (label, text) in [("model", &d.model_description), ("version", &d.description)] {
        if let Some(text) = text.as_deref().filter(|t| !t.trim().is_empty()) {
            out.line(&format!("{label} description:"))?;
            out.untrusted_block(text, "  ")?;
        }
    }
    if !d.params.is_empty() {
        let params: Vec<String> = d
            .params
            .iter()
            .map(|(k, v)| format!("{}={}", sanitize_line(k), sanitize_line(v)))
            .collect();
        out.line(&format!("params {}", params.join("  ")))?;
    }
    print_metrics(d, out)?;
    print_schema(d, out)?;
    print_explainability(d, out)?;
    print_fairness(d, out)?;
    print_security(d, out)?;
    print_model_card(d, out)?;
    print_gates(d, out)?;
    heading(out, "Evidence")?;
    match &d.evidence {
        Some(digest) => {
            out.line(&format!("  {digest}"))?;
            if d.evidence_files_mode == Some(FilesMode::Listing) {
                out.line("  listing mode: the model is larger than evidence_full_bytes; only MLmodel's content is covered, other files by size")?;
            }
        }
        None => out.line("  cannot be computed (see problems)")?,
    }
    print_records(d, out)?;
    if !s.problems.is_empty() {
        heading(out, "Problems")?;
        for p in &s.problems {
            let l = out.paint(&format!("  ⚠ {}", sanitize_line(p)), Paint::Yellow);
            out.line(&l)?;
        }
    }
    Ok(())
}

fn print_metrics(d: &ReviewDetail, out: &mut Out) -> Result<()> {
    let base = d
        .summary
        .baseline
        .as_deref()
        .map(|b| format!("baseline version {}", sanitize_line(b)));
    heading(
        out,
        &format!(
            "Metrics (candidate against {})",
            base.unwrap_or_else(|| "no baseline".into())
        ),
    )?;
    if d.summary.metrics.is_empty() {
        out.line("  none")?;
        return Ok(());
    }
    let rows = d
        .summary
        .metrics
        .iter()
        .map(|m| {
            let verdict = format!("{} {}", m.verdict.glyph(), m.verdict.as_str());
            let paint = match m.verdict {
                Verdict::Improved => Paint::Green,
                Verdict::Regressed => Paint::Red,
                _ => Paint::Dim,
            };
            vec![
                Cell::new(&format!("  {}", m.name)),
                Cell::new(&num(m.candidate)),
                Cell::new(&num(m.baseline)),
                Cell::new(&num(m.delta)),
                Cell::new(&pct(m.relative_delta)),
                Cell::new(if m.better == crate::review::metrics::Better::Higher {
                    "higher"
                } else {
                    "lower"
                }),
                Cell::painted(&verdict, paint),
            ]
        })
        .collect();
    table(
        out,
        &[
            "  NAME",
            "CANDIDATE",
            "BASELINE",
            "DELTA",
            "RELATIVE",
            "BETTER",
            "VERDICT",
        ],
        rows,
    )?;
    Ok(())
}

fn side_lines(label: &str, side: &SideDiff, out: &mut Out) -> std::io::Result<()> {
    if side.is_empty() {
        return out.line(&format!("  {label}: unchanged"));
    }
    out.line(&format!("  {label}:"))?;
    for a in &side.added {
        out.line(&format!("    + {}", sanitize_line(a)))?;
    }
    for r in &side.removed {
        out.line(&format!("    - {}", sanitize_line(r)))?;
    }
    for c in &side.changed {
        out.line(&format!(
            "    ~ {}: {} {} -> {}",
            sanitize_line(&c.name),
            if matches!(c.change, crate::review::schema::ChangeKind::Type) {
                "type"
            } else {
                "required"
            },
            sanitize_line(&c.from),
            sanitize_line(&c.to)
        ))?;
    }
    Ok(())
}

fn print_schema(d: &ReviewDetail, out: &mut Out) -> Result<()> {
    heading(out, "Schema")?;
    let v = &d.schema;
    match v.status {
        PartStatus::Absent => out.line("  absent: the model directory has no MLmodel")?,
        PartStatus::Error => {
            let l = out.paint(
                &format!(
                    "  ✖ error: {}",
                    sanitize_line(v.error.as_deref().unwrap_or(""))
                ),
                Paint::Red,
            );
            out.line(&l)?
        }
        PartStatus::Present => {}
    }
    match (&v.inputs, &v.outputs) {
        (Some(i), Some(o)) => {
            side_lines("inputs", i, out)?;
            side_lines("outputs", o, out)?;
        }
        _ if matches!(v.status, PartStatus::Present) => {
            out.line("  no baseline to compare with")?
        }
        _ => {}
    }
    Ok(())
}

fn print_explainability(d: &ReviewDetail, out: &mut Out) -> Result<()> {
    heading(out, "Explainability")?;
    if !report_line(out, &d.explainability)? {
        return Ok(());
    }
    if let Report::Present(e) = &d.explainability {
        out.line(&format!("  method {}", sanitize_line(&e.method)))?;
    }
    match &d.explainability_shift {
        Some(view) => {
            if let Some(s) = &view.largest_shift {
                out.line(&format!(
                    "  largest shift: {} share {:.1}% -> {:.1}%",
                    sanitize_line(&s.feature),
                    s.baseline_share.0 * 100.0,
                    s.candidate_share.0 * 100.0
                ))?;
            }
            let rows = view
                .rows
                .iter()
                .take(15)
                .map(|r| {
                    let rank =
                        |x: Option<usize>| x.map(|n| format!("#{n}")).unwrap_or_else(|| "-".into());
                    let change = match r.rank_change {
                        Some(c) if c > 0 => format!("▲{c}"),
                        Some(c) if c < 0 => format!("▼{}", -c),
                        Some(_) => "=".into(),
                        None if r.candidate.is_none() => "gone".into(),
                        None => "new".into(),
                    };
                    vec![
                        Cell::new(&format!("  {}", r.feature)),
                        Cell::new(&num(r.candidate)),
                        Cell::new(&rank(r.candidate_rank)),
                        Cell::new(&num(r.baseline)),
                        Cell::new(&rank(r.baseline_rank)),
                        Cell::new(&change),
                    ]
                })
                .collect();
            table(
                out,
                &["  FEATURE", "CANDIDATE", "RANK", "BASELINE", "RANK", "MOVE"],
                rows,
            )?;
        }
        None => {
            if let Report::Present(e) = &d.explainability {
                let rows = crate::review::reports::compare_importance(e, None)
                    .iter()
                    .take(15)
                    .map(|r| {
                        vec![
                            Cell::new(&format!("  {}", r.feature)),
                            Cell::new(&num(r.candidate)),
                        ]
                    })
                    .collect();
                table(out, &["  FEATURE", "IMPORTANCE"], rows)?;
            }
        }
    }
    Ok(())
}

fn print_fairness(d: &ReviewDetail, out: &mut Out) -> Result<()> {
    heading(out, "Fairness")?;
    if !report_line(out, &d.fairness)? {
        return Ok(());
    }
    let Report::Present(f) = &d.fairness else {
        return Ok(());
    };
    let limits = FairnessThresholds::default();
    for b in f.breaches(&limits) {
        let l = out.paint(
            &format!(
                "  ✖ breach: {} {} = {} (limit {})",
                sanitize_line(&b.sensitive_feature),
                sanitize_line(&b.metric),
                num(Some(b.value)),
                num(Some(b.limit))
            ),
            Paint::Red,
        );
        out.line(&l)?;
    }
    for a in &f.assessments {
        let summary: Vec<String> = a
            .summary
            .iter()
            .map(|(k, v)| format!("{}={}", sanitize_line(k), num(Some(*v))))
            .collect();
        out.line(&format!(
            "  {}: {}",
            sanitize_line(&a.sensitive_feature),
            summary.join("  ")
        ))?;
        for (metric, groups) in &a.by_group {
            let g: Vec<String> = groups
                .iter()
                .map(|(k, v)| format!("{}={}", sanitize_line(k), num(Some(*v))))
                .collect();
            out.line(&format!("    {}: {}", sanitize_line(metric), g.join("  ")))?;
        }
    }
    Ok(())
}

fn print_security(d: &ReviewDetail, out: &mut Out) -> Result<()> {
    heading(out, "Security (modelscan)")?;
    if !report_line(out, &d.security)? {
        return Ok(());
    }
    let Report::Present(s) = &d.security else {
        return Ok(());
    };
    let (text, paint) = match s.scan {
        ScanVerdict::Clean => ("● clean: no issues, every model file scanned", Paint::Green),
        ScanVerdict::Findings => ("✖ findings", Paint::Red),
        ScanVerdict::NotScanned => (
            "▲ not scanned: modelscan scanned no file; this is not clean",
            Paint::Yellow,
        ),
        ScanVerdict::Partial => (
            "▲ partial: errors, or model files not scanned",
            Paint::Yellow,
        ),
    };
    let l = out.paint(&format!("  {text}"), paint);
    out.line(&l)?;
    let counts: Vec<String> = s
        .severity_counts
        .ordered()
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    out.line(&format!("  issues by severity: {}", counts.join(", ")))?;
    for i in &s.issues {
        out.line(&format!(
            "  [{}] {} ({})",
            sanitize_line(&i.severity),
            sanitize_line(i.description.as_deref().unwrap_or("")),
            sanitize_line(i.source.as_deref().unwrap_or("?"))
        ))?;
    }
    for e in &s.errors {
        out.line(&format!(
            "  error: {}",
            sanitize_line(e.description().unwrap_or(&e.0.to_string()))
        ))?;
    }
    for f in &s.uncovered_model_files {
        out.line(&format!("  not scanned: {}", sanitize_line(f)))?;
    }
    Ok(())
}

fn print_gates(d: &ReviewDetail, out: &mut Out) -> Result<()> {
    match &d.summary.gates {
        Some(crate::review::gates::ItemGates::Report(r)) => {
            heading(out, &format!("Gates   {}", super::gate::verdict(r)))?;
            super::gate::print_report(r, "  ", out)?;
        }
        Some(crate::review::gates::ItemGates::Counts(c)) => {
            heading(out, "Gates")?;
            out.line(&format!("  {} deny, {} warn", c.deny, c.warn))?;
        }
        None => {}
    }
    Ok(())
}

fn print_model_card(d: &ReviewDetail, out: &mut Out) -> Result<()> {
    heading(out, "Model card")?;
    if !report_line(out, &d.model_card)? {
        return Ok(());
    }
    if let Report::Present(card) = &d.model_card {
        let lines: Vec<&str> = card.markdown.lines().collect();
        let shown = lines
            .iter()
            .take(40)
            .copied()
            .collect::<Vec<_>>()
            .join("\n");
        out.untrusted_block(&shown, "  ")?;
        if lines.len() > 40 {
            out.line(&format!(
                "  … {} more lines (show --json has the whole card)",
                lines.len() - 40
            ))?;
        }
    }
    Ok(())
}

fn print_records(d: &ReviewDetail, out: &mut Out) -> Result<()> {
    let s = &d.summary;
    heading(out, &format!("Signed records ({})", d.records.len()))?;
    let str_of = |r: &serde_json::Value, k: &str| {
        r.get(k).and_then(|v| v.as_str()).unwrap_or("?").to_owned()
    };
    for r in &d.records {
        let valid = r.get("valid").and_then(|v| v.as_bool()) == Some(true);
        let glyph = if valid {
            out.paint("✓", Paint::Green)
        } else {
            out.paint("✖ invalid", Paint::Red)
        };
        out.line(&format!(
            "  {glyph} {}  {} as {} by {}  {}",
            str_of(r, "at"),
            sanitize_line(&str_of(r, "action")),
            sanitize_line(&str_of(r, "role")),
            sanitize_line(&str_of(r, "actor")),
            crate::text::short_id(&str_of(r, "id"))
        ))?;
        if let Ok(view) = serde_json::from_value::<crate::service::records::RecordView>(r.clone()) {
            for note in view.decision_notes() {
                out.line(&format!("      {}", sanitize_line(&note)))?;
            }
        }
        for f in r
            .get("findings")
            .and_then(|f| f.as_array())
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str())
        {
            out.line(&format!("      {}", sanitize_line(f)))?;
        }
    }
    let approvals: Vec<String> = s
        .approvals
        .iter()
        .map(|a| {
            format!(
                "{} as {}{}{}",
                sanitize_line(&a.actor),
                a.role,
                if a.role == "automation" {
                    " (automated)"
                } else {
                    ""
                },
                if a.verified { "" } else { " (stale)" }
            )
        })
        .collect();
    out.line(&format!(
        "  approvals: {}",
        if approvals.is_empty() {
            "none".to_owned()
        } else {
            approvals.join(", ")
        }
    ))?;
    for reason in &d.state_reasons {
        out.line(&format!("  · {}", sanitize_line(reason)))?;
    }
    Ok(())
}
