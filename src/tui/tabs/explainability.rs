//! Explainability: feature importances as bars.

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::{Doc, field, heading, num, report_state, wrap};
use crate::review::detail::ReviewDetail;
use crate::review::reports::Report;
use crate::tui::clean::{self, pad};
use crate::tui::theme::Theme;

/// `████▌` for `v` of `max` in `w` cells.
pub fn bar(v: f64, max: f64, w: usize) -> String {
    if !(v.is_finite() && max.is_finite() && max > 0.0) || v <= 0.0 {
        return String::new();
    }
    let eighths = ((v / max).min(1.0) * w as f64 * 8.0).round() as usize;
    let partial = ['▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let mut s = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(partial[eighths % 8 - 1]);
    }
    s
}

pub(super) fn doc(d: &ReviewDetail, t: &Theme, width: usize) -> Doc {
    let mut out = vec![heading(t, "Feature importance")];
    if let Some(l) = report_state(t, &d.explainability, "modelgate/explainability.json") {
        out.push(l);
        return out;
    }
    let Report::Present(e) = &d.explainability else {
        return out;
    };
    out.push(field(t, "method", clean::line(&e.method)));
    if let Some(notes) = e.notes.as_deref() {
        for l in clean::lines(notes) {
            out.extend(wrap(field(t, "notes", l), width, 13));
        }
    }
    let (rows, shift) = match &d.explainability_shift {
        Some(v) => (v.rows.clone(), v.largest_shift.as_ref()),
        None => (crate::review::reports::compare_importance(e, None), None),
    };
    if let Some(s) = shift {
        out.push(field(
            t,
            "shift",
            format!(
                "largest: {} share {:.1}% → {:.1}%",
                clean::line(&s.feature),
                s.baseline_share.0 * 100.0,
                s.candidate_share.0 * 100.0
            ),
        ));
    }
    let has_base = d.explainability_shift.is_some();
    if !has_base {
        out.push(Line::from(Span::styled(
            "  no baseline report: the candidate's importance is shown alone",
            t.dim(),
        )));
    }
    out.push(Line::default());
    let fw = rows
        .iter()
        .map(|r| clean::width(&clean::line(&r.feature)))
        .max()
        .unwrap_or(7)
        .clamp(7, 24);
    let sides = if has_base { 2 } else { 1 };
    let bw = (width.saturating_sub(fw + 8 + sides * 16) / sides).clamp(5, 30);
    let max = rows
        .iter()
        .flat_map(|r| [r.candidate, r.baseline])
        .flatten()
        .map(|n| n.0)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let mut head = format!("  {} {}", pad("FEATURE", fw), pad("CANDIDATE", bw + 15));
    if has_base {
        head.push_str(&format!(" {} MOVE", pad("BASELINE", bw + 15)));
    }
    out.push(Line::from(Span::styled(head, t.dim())));
    let rank = |x: Option<usize>| x.map(|n| format!("#{n}")).unwrap_or_else(|| "-".into());
    for r in &rows {
        let mut spans = vec![
            Span::raw(format!("  {} ", pad(&clean::line(&r.feature), fw))),
            Span::styled(
                pad(&bar(r.candidate.map_or(0.0, |n| n.0), max, bw), bw),
                t.heading().remove_modifier(Modifier::BOLD),
            ),
            Span::raw(format!(
                " {:>8} {:<4}",
                num(r.candidate),
                rank(r.candidate_rank)
            )),
        ];
        if has_base {
            let (mv, style) = match r.rank_change {
                Some(c) if c > 0 => (format!("▲{c}"), t.good()),
                Some(c) if c < 0 => (format!("▼{}", -c), t.bad()),
                Some(_) => ("=".into(), t.dim()),
                None if r.candidate.is_none() => ("gone".into(), t.bad()),
                None => ("new".into(), t.warn()),
            };
            spans.push(Span::raw(" "));
            spans.push(Span::styled(
                pad(&bar(r.baseline.map_or(0.0, |n| n.0), max, bw), bw),
                t.dim(),
            ));
            spans.push(Span::raw(format!(
                " {:>8} {:<4} ",
                num(r.baseline),
                rank(r.baseline_rank)
            )));
            spans.push(Span::styled(mv, style));
        }
        out.push(Line::from(spans));
    }
    out
}
