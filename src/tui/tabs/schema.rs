//! Schema: column changes against the baseline and the signature diffs.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{Doc, Sources, heading, wrap};
use crate::review::detail::{PartStatus, ReviewDetail};
use crate::review::schema::{ChangeKind, SideDiff};
use crate::tui::clean::{self, pad};
use crate::tui::highlight::{DiffTag, SignatureDiff};
use crate::tui::theme::Theme;

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

pub(super) fn doc(r: Sources<'_>, d: &ReviewDetail, t: &Theme, width: usize) -> Doc {
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
    match r.prepared {
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
