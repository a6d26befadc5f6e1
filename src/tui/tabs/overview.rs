//! Overview: descriptions, lineage, evidence, policy gates, params, problems, model card.

use ratatui::text::{Line, Span};

use super::{Doc, Sources, field, heading, report_state, wrap};
use crate::review::detail::ReviewDetail;
use crate::review::gates::ItemGates;
use crate::tui::clean::{self, pad};
use crate::tui::list;
use crate::tui::theme::Theme;

pub(super) fn doc(r: Sources<'_>, d: &ReviewDetail, t: &Theme, width: usize) -> Doc {
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
    out.push(field(
        t,
        "deadline",
        s.deadline
            .clone()
            .unwrap_or_else(|| "none yet (unscheduled)".into()),
    ));
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
    out.extend(lifetime(d, t, width));
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
        match r.prepared.and_then(|p| p.card.as_ref()) {
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

/// The approval's lifetime (PROTOCOL 15) and why it is re-examined, each
/// trigger with when, by whom and why.
pub fn lifetime(d: &ReviewDetail, t: &Theme, width: usize) -> Doc {
    let mut out = vec![heading(t, "Approval lifetime")];
    let Some(r) = &d.revalidation else {
        out.push(Line::from(Span::styled(
            "  not approved in this round: no lifetime yet",
            t.dim(),
        )));
        return out;
    };
    let time = |v: &Option<String>, none: &str| {
        v.as_deref()
            .map(clean::line)
            .unwrap_or_else(|| none.to_owned())
    };
    out.push(field(
        t,
        "approved",
        time(&r.approved_at, "not now (see the triggers)"),
    ));
    out.push(field(
        t,
        "expires",
        match (&r.approved_at, &r.expires_at) {
            (_, Some(e)) => clean::line(e),
            (Some(_), None) => "never expires".into(),
            (None, None) => "–".into(),
        },
    ));
    out.push(field(
        t,
        "renewal",
        match (&r.approved_at, &r.renewal_from) {
            (_, Some(f)) => format!("due from {}", clean::line(f)),
            (Some(_), None) => "never due (the approval never expires)".into(),
            (None, None) => "–".into(),
        },
    ));
    if r.triggers.is_empty() {
        return out;
    }
    out.push(Line::default());
    out.push(heading(t, "Revalidation triggers"));
    for tr in &r.triggers {
        let text = |v: &Option<String>| v.as_deref().map(clean::line);
        let who = match (text(&tr.at), text(&tr.by)) {
            (Some(at), Some(by)) => format!("  at {at} by {by}"),
            (Some(at), None) => format!("  at {at}"),
            (None, Some(by)) => format!("  by {by}"),
            (None, None) => {
                "  derived, no record yet (unscheduled until a reopen records it)".into()
            }
        };
        out.extend(wrap(
            Line::from(vec![
                Span::styled(format!("  ↻ {}", tr.trigger.as_str()), t.warn()),
                Span::styled(who, t.dim()),
            ]),
            width,
            6,
        ));
        if let Some(reason) = text(&tr.reason) {
            out.extend(wrap(Line::from(format!("      {reason}")), width, 6));
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
            crate::review::gates::Level::Deny => ("✖ deny", t.error()),
            crate::review::gates::Level::Warn => ("▲ warn", t.warn()),
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
