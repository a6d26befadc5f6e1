//! Records: the signed records of the version and why its state is what it is.

use ratatui::text::{Line, Span};

use super::{Doc, heading, wrap};
use crate::review::detail::ReviewDetail;
use crate::tui::clean;
use crate::tui::theme::Theme;

pub(super) fn doc(d: &ReviewDetail, t: &Theme, width: usize) -> Doc {
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
