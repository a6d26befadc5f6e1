//! Security: the modelscan report.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{Doc, field, heading, report_state, wrap};
use crate::review::detail::ReviewDetail;
use crate::review::reports::{Report, ScanVerdict};
use crate::tui::clean;
use crate::tui::theme::Theme;

pub(super) fn doc(d: &ReviewDetail, t: &Theme, width: usize) -> Doc {
    let mut out = vec![heading(t, "Security scan (modelscan)")];
    if let Some(l) = report_state(t, &d.security, "modelgate/security_scan.json") {
        out.push(l);
        if matches!(d.security, Report::Absent { .. }) {
            out.push(Line::from(Span::styled(
                "  ▲ not scanned: without a report nothing says the model files are safe to load",
                t.warn(),
            )));
        }
        return out;
    }
    let Report::Present(s) = &d.security else {
        return out;
    };
    let (text, style) = match s.scan {
        ScanVerdict::Clean => ("● clean: no issues, every model file scanned", t.good()),
        ScanVerdict::Findings => ("✖ findings: modelscan reported issues", t.error()),
        ScanVerdict::NotScanned => (
            "▲ not scanned: modelscan scanned no file; this is NOT clean",
            t.warn(),
        ),
        ScanVerdict::Partial => (
            "▲ partial: errors, or model files the scan did not cover",
            t.warn(),
        ),
    };
    out.push(Line::from(Span::styled(format!("  {text}"), style)));
    out.push(field(
        t,
        "scanned",
        format!(
            "{} file{}{}{}",
            s.total_scanned,
            if s.total_scanned == 1 { "" } else { "s" },
            s.modelscan_version
                .as_deref()
                .map(|v| format!(" by modelscan {}", clean::line(v)))
                .unwrap_or_default(),
            s.timestamp
                .as_deref()
                .map(|v| format!(" at {}", clean::line(v)))
                .unwrap_or_default()
        ),
    ));
    let mut counts: Vec<Span<'static>> =
        vec![Span::styled(format!("  {:<11}", "severity"), t.dim())];
    for (k, n) in s.severity_counts.ordered() {
        let style = if n == 0 {
            t.dim()
        } else if k == "CRITICAL" || k == "HIGH" {
            t.error()
        } else {
            t.warn()
        };
        counts.push(Span::styled(format!("{k} {n}   "), style));
    }
    for (k, n) in &s.severity_counts.other {
        counts.push(Span::raw(format!("{} {n}   ", clean::line(k))));
    }
    out.push(Line::from(counts));
    let order = |sev: &str| match sev {
        "CRITICAL" => 0,
        "HIGH" => 1,
        "MEDIUM" => 2,
        "LOW" => 3,
        _ => 4,
    };
    let mut issues: Vec<_> = s.issues.iter().collect();
    issues.sort_by_key(|i| order(&i.severity));
    let mut last = None;
    for i in issues {
        if last != Some(i.severity.as_str()) {
            out.push(Line::default());
            out.push(heading(t, &clean::line(&i.severity)));
            last = Some(i.severity.as_str());
        }
        let what = [i.operator.as_deref(), i.module.as_deref()]
            .into_iter()
            .flatten()
            .map(clean::line)
            .collect::<Vec<_>>()
            .join(" in ");
        out.extend(wrap(
            Line::from(vec![
                Span::styled("  ✖ ", t.error()),
                Span::raw(clean::line(
                    i.description.as_deref().unwrap_or("(no description)"),
                )),
                Span::styled(
                    format!(
                        "{}{}",
                        if what.is_empty() {
                            String::new()
                        } else {
                            format!(" ({what})")
                        },
                        i.source
                            .as_deref()
                            .map(|s| format!(" — {}", clean::line(s)))
                            .unwrap_or_default()
                    ),
                    t.dim(),
                ),
            ]),
            width,
            4,
        ));
    }
    let mut list = |title: &str, items: Vec<String>, style: Style| {
        if items.is_empty() {
            return;
        }
        out.push(Line::default());
        out.push(heading(t, title));
        for i in items {
            out.extend(wrap(
                Line::from(Span::styled(format!("  {}", clean::line(&i)), style)),
                width,
                4,
            ));
        }
    };
    list(
        "Errors",
        s.errors
            .iter()
            .map(|e| {
                e.description()
                    .map(str::to_owned)
                    .unwrap_or_else(|| e.0.to_string())
            })
            .collect(),
        t.error(),
    );
    list(
        "Model files not scanned",
        s.uncovered_model_files.clone(),
        t.warn(),
    );
    if let Some(sk) = &s.skipped {
        list(
            &format!("Skipped by modelscan ({})", sk.total_skipped),
            sk.skipped_files
                .iter()
                .map(|e| {
                    e.source()
                        .map(str::to_owned)
                        .unwrap_or_else(|| e.0.to_string())
                })
                .collect(),
            t.dim(),
        );
    }
    out
}
