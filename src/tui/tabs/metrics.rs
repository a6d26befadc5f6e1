//! Metrics: candidate against baseline, with each metric's history as a sparkline.

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::{Doc, Sources, heading, num, pct, signed};
use crate::review::detail::ReviewDetail;
use crate::review::metrics::Better;
use crate::tui::clean::{self, pad};
use crate::tui::load::Load;
use crate::tui::theme::Theme;

const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A sparkline of `values` in at most `width` cells (bucket means).
pub fn sparkline(values: &[f64], width: usize) -> String {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() || width == 0 {
        return String::new();
    }
    let n = finite.len().min(width);
    let buckets: Vec<f64> = (0..n)
        .map(|i| {
            let (a, b) = (
                i * finite.len() / n,
                ((i + 1) * finite.len() / n).max(i * finite.len() / n + 1),
            );
            finite[a..b].iter().sum::<f64>() / (b - a) as f64
        })
        .collect();
    let (lo, hi) = buckets
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(*v), h.max(*v))
        });
    buckets
        .iter()
        .map(|v| {
            if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
                BLOCKS[3]
            } else {
                BLOCKS[(((v - lo) / (hi - lo)) * 7.0).round().clamp(0.0, 7.0) as usize]
            }
        })
        .collect()
}

pub(super) fn doc(r: Sources<'_>, d: &ReviewDetail, t: &Theme) -> Doc {
    let s = &d.summary;
    let mut out = vec![heading(
        t,
        &match &s.baseline {
            Some(b) => format!("Candidate against baseline version {}", clean::line(b)),
            None => "Candidate metrics (no baseline to compare with)".into(),
        },
    )];
    if s.metrics.is_empty() {
        out.push(Line::from("  The run logged no metrics."));
        return out;
    }
    let nw = s
        .metrics
        .iter()
        .map(|m| clean::width(&clean::line(&m.name)))
        .max()
        .unwrap_or(4)
        .clamp(4, 28);
    out.push(Line::from(Span::styled(
        format!(
            "  {} {:>11} {:>11} {:>11} {:>9}  {:<6}  {:<12} HISTORY",
            pad("NAME", nw),
            "CANDIDATE",
            "BASELINE",
            "DELTA",
            "RELATIVE",
            "BETTER",
            "VERDICT"
        ),
        t.dim(),
    )));
    for m in &s.metrics {
        let history = match r.history {
            Load::Loading => Span::styled("…", t.dim()),
            Load::Failed(e) => Span::styled(format!("✖ {}", clean::line(e)), t.error()),
            Load::Ready(h) => match h.iter().find(|h| h.key == m.name) {
                None => Span::styled("-", t.dim()),
                Some(h) => match &h.points {
                    Err(e) => Span::styled(
                        format!("✖ {}", clean::ellipsize(&clean::line(e), 40)),
                        t.error(),
                    ),
                    Ok(p) if p.len() < 2 => Span::styled(format!("· {} point", p.len()), t.dim()),
                    Ok(p) => Span::styled(
                        format!("{} {} steps", sparkline(&h.values(), 24), p.len()),
                        t.heading().remove_modifier(Modifier::BOLD),
                    ),
                },
            },
        };
        out.push(Line::from(vec![
            Span::raw(format!(
                "  {} {:>11} {:>11} {:>11} {:>9}  {:<6}  ",
                pad(&clean::line(&m.name), nw),
                num(m.candidate),
                num(m.baseline),
                signed(m.delta),
                pct(m.relative_delta),
                if m.better == Better::Higher {
                    "higher"
                } else {
                    "lower"
                },
            )),
            Span::styled(
                pad(&format!("{} {}", m.verdict.glyph(), m.verdict.as_str()), 12),
                t.verdict(m.verdict),
            ),
            Span::raw(" "),
            history,
        ]));
    }
    out.push(Line::default());
    out.push(Line::from(Span::styled(
        "  ▲ improved and ▼ regressed follow each metric's direction (higher or lower is better).",
        t.dim(),
    )));
    out
}
