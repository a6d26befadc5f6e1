//! The review screen: a header, seven tabs, and each tab's lines. The lines
//! are laid out by `build_docs` when data or width changes (from `update`),
//! so drawing a frame copies only the visible window.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::{areas, pad, put_line, review_content_area, review_tabs_area};
use crate::policy::ItemGates;
use crate::review::metrics::Better;
use crate::review::num::Num;
use crate::review::reports::{FairnessThresholds, Report, ScanVerdict};
use crate::review::schema::{ChangeKind, SideDiff};
use crate::service::show::{PartStatus, ReviewDetail};
use crate::tui::app::{App, Load, ReviewView, Tab};
use crate::tui::clean;
use crate::tui::highlight::{DiffTag, SignatureDiff};
use crate::tui::list;
use crate::tui::theme::Theme;

type Doc = Vec<Line<'static>>;

fn num(v: Option<Num>) -> String {
    match v {
        None => "-".into(),
        Some(Num(x)) if x.is_finite() => format!("{x:.4}"),
        Some(Num(x)) => Num::non_finite_str(x).unwrap_or("?").to_owned(),
    }
}

fn signed(v: Option<Num>) -> String {
    match v {
        None => "-".into(),
        Some(Num(x)) if x.is_finite() => format!("{x:+.4}"),
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

/// Wraps a styled line at `width` cells, breaking at a space when one is
/// near the end. Registry text is already clean here.
pub fn wrap(line: Line<'static>, width: usize, indent: usize) -> Doc {
    let width = width.max(indent + 8);
    let cells: Vec<(char, Style)> = line
        .spans
        .iter()
        .flat_map(|s| s.content.chars().map(move |c| (c, s.style)))
        .collect();
    if clean::width(&line.to_string()) <= width {
        return vec![line];
    }
    let mut out = Vec::new();
    let mut start = 0;
    let mut first = true;
    while start < cells.len() {
        let room = if first { width } else { width - indent };
        let mut w = 0;
        let mut end = start;
        let mut last_space = None;
        while end < cells.len() {
            let cw = unicode_width::UnicodeWidthChar::width(cells[end].0).unwrap_or(0);
            if w + cw > room {
                break;
            }
            if cells[end].0 == ' ' {
                last_space = Some(end);
            }
            w += cw;
            end += 1;
        }
        if end < cells.len()
            && let Some(s) = last_space.filter(|s| *s > start + room / 2)
        {
            end = s + 1;
        }
        if end == start {
            end = start + 1;
        }
        let mut spans: Vec<Span<'static>> = Vec::new();
        if !first {
            spans.push(Span::raw(" ".repeat(indent)));
        }
        let mut run = String::new();
        let mut style = cells[start].1;
        for (c, st) in &cells[start..end] {
            if *st != style {
                spans.push(Span::styled(std::mem::take(&mut run), style));
                style = *st;
            }
            run.push(*c);
        }
        spans.push(Span::styled(run, style));
        out.push(Line::from(spans));
        start = end;
        first = false;
    }
    out
}

fn heading(t: &Theme, text: &str) -> Line<'static> {
    Line::from(Span::styled(text.to_owned(), t.heading()))
}

fn report_state<T>(t: &Theme, r: &Report<T>, file: &str) -> Option<Line<'static>> {
    match r {
        Report::Present(_) => None,
        Report::Absent { note: None } => Some(Line::from(Span::styled(
            format!("  absent: the run's artifacts hold no {file}"),
            t.dim(),
        ))),
        Report::Absent { note: Some(n) } => Some(Line::from(Span::styled(
            format!("  absent: {}", clean::line(n)),
            t.warn(),
        ))),
        Report::Error { error } => Some(Line::from(Span::styled(
            format!("  ✖ error: {}", clean::line(error)),
            t.error(),
        ))),
    }
}

/// Every tab's lines for a review at `width` cells.
pub fn build_docs(r: &ReviewView, t: &Theme, f: &FairnessThresholds, width: u16) -> Vec<Doc> {
    let width = width as usize;
    let d = match &r.detail {
        Load::Loading => {
            return Tab::ALL
                .iter()
                .map(|_| vec![Line::from("  Loading the review from the registry…")])
                .collect();
        }
        Load::Failed(e) => {
            let msg = Line::from(Span::styled(
                format!("  ✖ The review could not be loaded: {}", clean::line(e)),
                t.error(),
            ));
            return Tab::ALL
                .iter()
                .map(|_| wrap(msg.clone(), width, 4))
                .collect();
        }
        Load::Ready(d) => d,
    };
    Tab::ALL
        .iter()
        .map(|tab| match tab {
            Tab::Overview => overview(r, d, t, width),
            Tab::Metrics => metrics(r, d, t),
            Tab::Schema => schema(r, d, t, width),
            Tab::Explainability => explainability(d, t, width),
            Tab::Fairness => fairness(d, t, f),
            Tab::Security => security(d, t, width),
            Tab::Records => records(d, t, width),
        })
        .collect()
}

fn field(t: &Theme, k: &str, v: String) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("  {k:<11}"), t.dim()),
        Span::raw(v),
    ])
}

fn overview(r: &ReviewView, d: &ReviewDetail, t: &Theme, width: usize) -> Doc {
    let s = &d.summary;
    let mut out = Vec::new();
    for (label, text) in [
        ("Model description", &d.model_description),
        ("Version description", &d.description),
    ] {
        if let Some(text) = text.as_deref().filter(|x| !x.trim().is_empty()) {
            out.push(heading(t, label));
            for l in clean::lines(text) {
                out.extend(wrap(Line::from(format!("  {l}")), width, 2));
            }
            out.push(Line::default());
        }
    }
    out.push(heading(t, "Lineage"));
    out.push(field(t, "source", clean::line(&d.source)));
    out.push(field(
        t,
        "run",
        format!(
            "{}{}",
            clean::line(d.run_id.as_deref().unwrap_or("none")),
            d.run_user
                .as_deref()
                .map(|u| format!(" by {}", clean::line(u)))
                .unwrap_or_default()
        ),
    ));
    out.push(field(
        t,
        "submitted",
        format!(
            "{} by {}",
            s.submitted_at,
            clean::line(s.submitted_by.as_deref().unwrap_or("(unknown)"))
        ),
    ));
    out.push(field(t, "deadline", s.deadline.clone()));
    out.push(field(
        t,
        "baseline",
        s.baseline
            .as_deref()
            .map(|b| format!("version {}", clean::line(b)))
            .unwrap_or_else(|| "none".into()),
    ));
    out.push(field(t, "roles", s.required_roles.join(", ")));
    out.push(field(
        t,
        "evidence",
        match (&d.evidence, d.evidence_files_mode) {
            (Some(e), Some(crate::review::evidence::FilesMode::Listing)) => {
                format!("{e} (listing: only MLmodel's content is covered, other files by size)")
            }
            (Some(e), _) => e.clone(),
            (None, _) => "cannot be computed (see problems)".into(),
        },
    ));
    out.push(Line::default());
    out.push(heading(t, "Policy gates"));
    out.extend(gates(s.gates.as_ref(), t, width));
    if !d.params.is_empty() {
        out.push(Line::default());
        out.push(heading(t, "Params"));
        let kw = d
            .params
            .keys()
            .map(|k| clean::width(&clean::line(k)))
            .max()
            .unwrap_or(0)
            .min(32);
        for (k, v) in &d.params {
            out.extend(wrap(
                Line::from(vec![
                    Span::styled(format!("  {} ", pad(&clean::line(k), kw)), t.dim()),
                    Span::raw(clean::line(v)),
                ]),
                width,
                kw + 3,
            ));
        }
    }
    if !s.problems.is_empty() {
        out.push(Line::default());
        out.push(heading(t, "Problems"));
        for p in &s.problems {
            out.extend(wrap(
                Line::from(Span::styled(format!("  ⚠ {}", clean::line(p)), t.warn())),
                width,
                4,
            ));
        }
    }
    out.push(Line::default());
    out.push(heading(t, "Model card"));
    if let Some(l) = report_state(t, &d.model_card, "modelgate/model_card.md") {
        out.push(l);
    } else {
        match r.prepared.as_ref().and_then(|p| p.card.as_ref()) {
            Some(card) => {
                for l in card {
                    let mut spans = vec![Span::raw("  ")];
                    spans.extend(l.spans.iter().cloned());
                    // Code blocks and tables (drawn with a `│`) are cut at the
                    // edge, as in an editor; prose wraps.
                    let block = l
                        .spans
                        .iter()
                        .find(|s| !s.content.is_empty())
                        .is_some_and(|s| s.content.starts_with('│'));
                    if block {
                        out.push(Line::from(spans));
                    } else {
                        out.extend(wrap(Line::from(spans), width, 2));
                    }
                }
            }
            None => out.push(Line::from(Span::styled(
                "  rendering the model card…",
                t.dim(),
            ))),
        }
    }
    out
}

/// The gate verdict and each deny and warn message of a review.
fn gates(g: Option<&ItemGates>, t: &Theme, width: usize) -> Doc {
    let mut out = Vec::new();
    let summary = list::gate_summary(g);
    let style = if summary.starts_with('✖') || summary.starts_with('!') {
        t.error()
    } else if summary.starts_with('▲') {
        t.warn()
    } else if summary.starts_with('✓') {
        t.good()
    } else {
        t.dim()
    };
    out.push(Line::from(Span::styled(
        match g {
            None => "  – not evaluated".to_owned(),
            Some(_) => format!("  {summary}"),
        },
        style,
    )));
    let Some(ItemGates::Report(r)) = g else {
        return out;
    };
    if let Some(e) = &r.result.error {
        out.extend(wrap(
            Line::from(Span::styled(
                format!(
                    "  ! the policy could not be evaluated (counts as a deny): {}",
                    clean::line(e)
                ),
                t.error(),
            )),
            width,
            4,
        ));
    }
    for m in &r.messages {
        let (glyph, style) = match m.level {
            crate::policy::Level::Deny => ("✖ deny", t.error()),
            crate::policy::Level::Warn => ("▲ warn", t.warn()),
        };
        out.extend(wrap(
            Line::from(vec![
                Span::styled(format!("  {glyph} "), style),
                Span::raw(clean::line(&m.message)),
            ]),
            width,
            9,
        ));
    }
    out.push(Line::from(Span::styled(
        format!(
            "  policy {} from {}",
            clean::line(&r.result.policy),
            clean::line(&r.source)
        ),
        t.dim(),
    )));
    out
}

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

fn metrics(r: &ReviewView, d: &ReviewDetail, t: &Theme) -> Doc {
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
        let history = match &r.history {
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

fn side_rows(t: &Theme, side: &str, d: &SideDiff, out: &mut Doc) {
    if d.is_empty() {
        out.push(Line::from(vec![
            Span::raw(format!("  {side:<8} ")),
            Span::styled("= unchanged", t.dim()),
        ]));
        return;
    }
    let row = |glyph: &str, kind: &str, name: &str, from: &str, to: &str, style: Style| {
        Line::from(vec![
            Span::raw(format!("  {side:<8} ")),
            Span::styled(pad(&format!("{glyph} {kind}"), 11), style),
            Span::raw(format!(
                " {} {} → {}",
                pad(&clean::line(name), 28),
                pad(&clean::line(from), 22),
                clean::line(to)
            )),
        ])
    };
    let named = |glyph: &str, kind: &str, name: &str, style: Style| {
        Line::from(vec![
            Span::raw(format!("  {side:<8} ")),
            Span::styled(pad(&format!("{glyph} {kind}"), 11), style),
            Span::raw(format!(" {}", clean::line(name))),
        ])
    };
    for a in &d.added {
        out.push(named("+", "added", a, t.good()));
    }
    for r in &d.removed {
        out.push(named("-", "removed", r, t.bad()));
    }
    for c in &d.changed {
        let kind = match c.change {
            ChangeKind::Type => "type",
            ChangeKind::Required => "required",
        };
        out.push(row("~", kind, &c.name, &c.from, &c.to, t.warn()));
    }
}

fn diff_block(t: &Theme, sd: &SignatureDiff, width: usize, out: &mut Doc) {
    let half = width.saturating_sub(7) / 2;
    out.push(Line::from(Span::styled(
        format!(
            "  {} │ {}",
            pad(&format!("{} · baseline", sd.side), half),
            format_args!("{} · candidate", sd.side)
        ),
        t.bold(),
    )));
    if sd.rows.is_empty() {
        out.push(Line::from(Span::styled("  (empty on both sides)", t.dim())));
    }
    for row in &sd.rows {
        let (lm, rm, style) = match row.tag {
            DiffTag::Same => ("  ", "  ", Style::new()),
            DiffTag::Removed => ("- ", "  ", t.bad()),
            DiffTag::Added => ("  ", "+ ", t.good()),
            DiffTag::Changed => ("~ ", "~ ", t.warn()),
            DiffTag::Fold => {
                out.push(Line::from(Span::styled(
                    format!(
                        "  {}",
                        row.left.as_ref().map(|l| l.to_string()).unwrap_or_default()
                    ),
                    t.dim(),
                )));
                continue;
            }
        };
        let mut spans = vec![Span::styled(lm.to_owned(), style)];
        spans.extend(fit_spans(row.left.as_ref(), half));
        spans.push(Span::styled(" │ ".to_owned(), t.dim()));
        spans.push(Span::styled(rm.to_owned(), style));
        spans.extend(fit_spans(row.right.as_ref(), half));
        out.push(Line::from(spans));
    }
}

/// A line's spans cut or padded to exactly `w` cells.
fn fit_spans(line: Option<&Line<'static>>, w: usize) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    let mut used = 0;
    if let Some(l) = line {
        for s in &l.spans {
            if used >= w {
                break;
            }
            let text = clean::fit(&s.content, w - used).to_owned();
            used += clean::width(&text);
            out.push(Span::styled(text, s.style));
        }
    }
    out.push(Span::raw(" ".repeat(w - used.min(w))));
    out
}

fn schema(r: &ReviewView, d: &ReviewDetail, t: &Theme, width: usize) -> Doc {
    let v = &d.schema;
    let mut out = vec![heading(t, "Column changes")];
    match v.status {
        PartStatus::Absent => {
            out.push(Line::from(Span::styled(
                "  absent: the model directory has no MLmodel, so there is no signature",
                t.dim(),
            )));
            return out;
        }
        PartStatus::Error => out.extend(wrap(
            Line::from(Span::styled(
                format!(
                    "  ✖ error: {}",
                    clean::line(v.error.as_deref().unwrap_or("unknown"))
                ),
                t.error(),
            )),
            width,
            4,
        )),
        PartStatus::Present => {}
    }
    match (&v.inputs, &v.outputs) {
        (Some(i), Some(o)) => {
            side_rows(t, "inputs", i, &mut out);
            side_rows(t, "outputs", o, &mut out);
        }
        _ if matches!(v.status, PartStatus::Present) => out.push(Line::from(Span::styled(
            "  no baseline to compare with: the candidate's signature is shown alone",
            t.dim(),
        ))),
        _ => {}
    }
    if v.candidate.is_none() {
        return out;
    }
    out.push(Line::default());
    out.push(heading(t, "Signatures side by side (baseline │ candidate)"));
    match r.prepared.as_ref() {
        None => out.push(Line::from(Span::styled("  preparing the diff…", t.dim()))),
        Some(p) => {
            for sd in &p.signature {
                diff_block(t, sd, width, &mut out);
                out.push(Line::default());
            }
        }
    }
    out
}

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

fn explainability(d: &ReviewDetail, t: &Theme, width: usize) -> Doc {
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

fn fairness(d: &ReviewDetail, t: &Theme, limits: &FairnessThresholds) -> Doc {
    let mut out = vec![heading(t, "Fairness")];
    if let Some(l) = report_state(t, &d.fairness, "modelgate/fairness.json") {
        out.push(l);
        return out;
    }
    let Report::Present(f) = &d.fairness else {
        return out;
    };
    out.push(Line::from(Span::styled(
        format!(
            "  limits: disparate impact ratio ≥ {:.2} (four-fifths rule), demographic parity difference ≤ {:.2}",
            limits.min_ratio, limits.max_dpd
        ),
        t.dim(),
    )));
    let breaches = f.breaches(limits);
    out.push(if breaches.is_empty() {
        Line::from(Span::styled("  ● no breach", t.good()))
    } else {
        Line::from(Span::styled(
            format!(
                "  ✖ {} breach{}",
                breaches.len(),
                if breaches.len() == 1 { "" } else { "es" }
            ),
            t.error(),
        ))
    });
    for a in &f.assessments {
        out.push(Line::default());
        out.push(heading(
            t,
            &format!("Sensitive feature: {}", clean::line(&a.sensitive_feature)),
        ));
        for (k, v) in &a.summary {
            let breach = breaches
                .iter()
                .any(|b| b.sensitive_feature == a.sensitive_feature && &b.metric == k);
            let limit = match k.as_str() {
                "disparate_impact_ratio" | "demographic_parity_ratio" => {
                    format!("≥ {:.2}", limits.min_ratio)
                }
                "demographic_parity_difference" => format!("≤ {:.2}", limits.max_dpd),
                _ => String::new(),
            };
            let verdict = if breach {
                Span::styled("✖ breach", t.error())
            } else if limit.is_empty() {
                Span::styled("  (no limit)", t.dim())
            } else {
                Span::styled("● within", t.good())
            };
            out.push(Line::from(vec![
                Span::raw(format!(
                    "    {} {:>9}  {:<7} ",
                    pad(&clean::line(k), 32),
                    num(Some(*v)),
                    limit
                )),
                verdict,
            ]));
        }
        // by_group: one row per metric, one column per group.
        let groups: Vec<&String> = {
            let mut g: Vec<&String> = a.by_group.values().flat_map(|m| m.keys()).collect();
            g.sort();
            g.dedup();
            g
        };
        if !groups.is_empty() {
            let mut head = format!("    {}", pad("by group", 24));
            for g in &groups {
                head.push_str(&format!(" {:>10}", clean::ellipsize(&clean::line(g), 10)));
            }
            out.push(Line::from(Span::styled(head, t.dim())));
            for (metric, vals) in &a.by_group {
                let mut l = format!("    {}", pad(&clean::line(metric), 24));
                for g in &groups {
                    l.push_str(&format!(" {:>10}", num(vals.get(*g).copied())));
                }
                out.push(Line::from(l));
            }
        }
    }
    out
}

fn security(d: &ReviewDetail, t: &Theme, width: usize) -> Doc {
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

fn records(d: &ReviewDetail, t: &Theme, width: usize) -> Doc {
    let mut out = vec![heading(t, "Signed records")];
    if d.records.is_empty() {
        for l in [
            "  No signed records on this version.",
            "",
            "  Decisions (submit, approve, reject, request changes, override, ...) are signed",
            "  records kept in the version's tags; until one exists no approval counts.",
            "  Deleting the newest records is detectable only against a checkpoint.",
        ] {
            out.extend(wrap(Line::from(Span::styled(l, t.dim())), width, 2));
        }
    }
    // Read through JSON: the same fields whether a record arrives as its
    // checked view (id, action, actor, role, at, valid, findings, record) or raw.
    let get = |v: &serde_json::Value, k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .map(clean::line)
            .unwrap_or_else(|| "?".into())
    };
    for r in d
        .records
        .iter()
        .filter_map(|r| serde_json::to_value(r).ok())
    {
        let (mark, style) = match r.get("valid").and_then(|v| v.as_bool()) {
            Some(true) => ("✓ valid  ", t.good()),
            Some(false) => ("✖ invalid", t.error()),
            None => ("? unchecked", t.warn()),
        };
        out.extend(wrap(
            Line::from(vec![
                Span::styled(format!("  {mark} "), style),
                Span::styled(format!("{:<16}", get(&r, "action")), t.bold()),
                Span::raw(format!(
                    " {} as {}  at {}",
                    get(&r, "actor"),
                    get(&r, "role"),
                    get(&r, "at")
                )),
            ]),
            width,
            4,
        ));
        let reason = r
            .get("record")
            .and_then(|m| m.get("reason"))
            .or_else(|| r.get("reason"))
            .and_then(|x| x.as_str());
        if let Some(reason) = reason {
            out.extend(wrap(
                Line::from(Span::styled(
                    format!("      {}", clean::line(reason)),
                    t.dim(),
                )),
                width,
                6,
            ));
        }
        for f in r
            .get("findings")
            .and_then(|f| f.as_array())
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str())
        {
            out.extend(wrap(
                Line::from(Span::styled(
                    format!("      ⚠ {}", clean::line(f)),
                    t.warn(),
                )),
                width,
                8,
            ));
        }
        if let Some(id) = r.get("id").and_then(|x| x.as_str()) {
            out.push(Line::from(Span::styled(
                format!("      id {}", clean::ellipsize(&clean::line(id), 24)),
                t.dim(),
            )));
        }
    }
    if !d.state_reasons.is_empty() {
        out.push(Line::default());
        out.push(heading(t, "Why the state is what it is"));
        for reason in &d.state_reasons {
            out.extend(wrap(
                Line::from(format!("  • {}", clean::line(reason))),
                width,
                4,
            ));
        }
    }
    out
}

/// Where each tab's label sits on the tab bar: (tab, first column, past-last).
pub fn tab_layout(area: Rect) -> Vec<(Tab, u16, u16)> {
    let mut x = area.x;
    Tab::ALL
        .iter()
        .map(|tab| {
            let w = tab.title().chars().count() as u16 + 2;
            let start = x;
            x += w + 1;
            (*tab, start, start + w)
        })
        .collect()
}

/// The tab under a mouse column.
pub fn tab_at(area: Rect, column: u16) -> Option<Tab> {
    tab_layout(area)
        .into_iter()
        .find(|(_, a, b)| column >= *a && column < *b)
        .map(|(t, _, _)| t)
}

/// The second header line of a review: what it is and where it stands.
fn title(app: &App, r: &ReviewView) -> Line<'static> {
    let t = &app.theme;
    let mut spans = vec![Span::styled(
        format!(
            "{} v{}",
            clean::line(&r.key.model),
            clean::line(&r.key.version)
        ),
        t.bold(),
    )];
    // The live row of the queue has the same SLA the detail had at load time.
    let row = app
        .queue
        .rows
        .iter()
        .find(|x| x.item.model == r.key.model && x.item.version == r.key.version);
    if let Load::Ready(d) = &r.detail {
        let s = &d.summary;
        if let Some(b) = &s.baseline {
            spans.push(Span::styled(format!(" vs v{}", clean::line(b)), t.dim()));
        }
        spans.push(Span::styled("   risk ", t.dim()));
        spans.push(Span::raw(s.risk.as_str()));
        let live = row
            .map(|x| x.live_sla(app.now_ms))
            .unwrap_or_else(|| list::Row::new(s.clone()).live_sla(app.now_ms));
        spans.push(Span::raw("   "));
        spans.push(Span::styled(
            format!(
                "{} {} {}",
                live.0.glyph(),
                list::countdown(live.1),
                live.0.as_str()
            ),
            t.sla(live.0),
        ));
        spans.push(Span::styled("   state ", t.dim()));
        spans.push(Span::raw(s.state.as_str()));
        spans.push(Span::styled("   approvals ", t.dim()));
        let unverified = s.approvals.iter().filter(|a| !a.verified).count();
        spans.push(Span::raw(format!(
            "{}{}",
            list::approvals(s),
            if unverified > 0 {
                format!(" ({unverified} unverified)")
            } else {
                String::new()
            }
        )));
        spans.push(Span::styled("   gates ", t.dim()));
        let gates = row.and_then(|x| x.item.gates.as_ref()).or(s.gates.as_ref());
        spans.push(Span::raw(list::gate_summary(gates)));
    }
    Line::from(spans)
}

pub fn render(app: &App, buf: &mut Buffer, area: Rect) {
    let Some(r) = &app.review else {
        return;
    };
    let t = &app.theme;
    let a = areas(area);
    if a.header.height > 1 {
        put_line(buf, a.header, a.header.y + 1, &title(app, r));
    }
    let tabs = review_tabs_area(area);
    if tabs.height == 0 {
        return;
    }
    for (tab, x0, _) in tab_layout(tabs) {
        if x0 >= tabs.x + tabs.width {
            break;
        }
        let selected = tab == r.tab;
        let label = if selected {
            format!("▶{} ", tab.title())
        } else {
            format!(" {} ", tab.title())
        };
        let style = if selected { t.selected() } else { t.dim() };
        buf.set_stringn(
            x0,
            tabs.y,
            label,
            (tabs.x + tabs.width - x0) as usize,
            style,
        );
        let sep = x0 + tab.title().chars().count() as u16 + 2;
        if sep < tabs.x + tabs.width {
            buf.set_string(sep, tabs.y, "│", t.dim());
        }
    }
    let content = review_content_area(area);
    let i = r.tab.index();
    let doc = r.docs.get(i).map(Vec::as_slice).unwrap_or(&[]);
    let scroll = r.scroll[i].min(doc.len());
    // The rule under the tabs, with where the window is in the tab.
    if tabs.y + 1 < a.body.y + a.body.height {
        let mut rule = "─".repeat(tabs.width as usize);
        if doc.len() > content.height as usize {
            let pos = format!(
                " {}-{}/{} ",
                scroll + 1,
                (scroll + content.height as usize).min(doc.len()),
                doc.len()
            );
            let keep = (tabs.width as usize).saturating_sub(pos.chars().count());
            rule = format!("{}{pos}", "─".repeat(keep));
        }
        buf.set_stringn(tabs.x, tabs.y + 1, rule, tabs.width as usize, t.dim());
    }
    for (n, line) in doc[scroll..]
        .iter()
        .take(content.height as usize)
        .enumerate()
    {
        put_line(buf, content, content.y + n as u16, line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_and_bars() {
        assert_eq!(
            sparkline(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], 8),
            "▁▂▃▄▅▆▇█"
        );
        assert_eq!(sparkline(&[5.0, 5.0], 8), "▄▄");
        assert_eq!(sparkline(&[1.0, f64::NAN, 2.0], 8), "▁█");
        assert_eq!(
            sparkline(&(0..100).map(f64::from).collect::<Vec<_>>(), 10)
                .chars()
                .count(),
            10
        );
        assert_eq!(bar(1.0, 1.0, 4), "████");
        assert_eq!(bar(0.5, 1.0, 3), "█▌");
        assert_eq!(bar(f64::NAN, 1.0, 3), "");
    }

    #[test]
    fn wrapping_keeps_width_and_styles() {
        let t = Theme::default();
        let l = Line::from(vec![
            Span::raw("alpha beta gamma "),
            Span::styled("delta epsilon zeta", t.bad()),
        ]);
        let w = wrap(l, 16, 2);
        assert!(w.len() >= 3, "{w:?}");
        for line in &w {
            assert!(clean::width(&line.to_string()) <= 16, "{line:?}");
        }
        assert!(w.iter().any(|l| l.spans.iter().any(|s| s.style == t.bad())));
        let wide = wrap(Line::from("表".repeat(20)), 9, 0);
        assert!(wide.iter().all(|l| clean::width(&l.to_string()) <= 9));
    }

    #[test]
    fn tabs_are_found_by_column() {
        let area = Rect::new(1, 4, 120, 1);
        assert_eq!(tab_at(area, 1), Some(Tab::Overview));
        assert_eq!(tab_at(area, 12), Some(Tab::Metrics));
        let last = tab_layout(area).pop().unwrap();
        assert_eq!(tab_at(area, last.1 + 1), Some(Tab::Records));
        assert_eq!(tab_at(area, 119), None);
    }
}
