//! Records: the signed records of the version and why its state is what it
//! is; each with its category and checklist answers (PROTOCOL 13) and
//! whether automation signed it (PROTOCOL 14).

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
        let (mark, style) = validity(&r, t);
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
                automated(&r, t),
            ]),
            width,
            4,
        ));
        out.extend(
            decision(&r, t, 6)
                .into_iter()
                .flat_map(|l| wrap(l, width, 8)),
        );
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

/// A record view's validity, glyph and word: `✓ valid`, `✖ invalid`, `? unchecked`.
pub fn validity(r: &serde_json::Value, t: &Theme) -> (&'static str, ratatui::style::Style) {
    match r.get("valid").and_then(|v| v.as_bool()) {
        Some(true) => ("✓ valid  ", t.good()),
        Some(false) => ("✖ invalid", t.error()),
        None => ("? unchecked", t.warn()),
    }
}

/// `⚙ automated` after an approval signed in the `automation` role.
pub fn automated(r: &serde_json::Value, t: &Theme) -> Span<'static> {
    if r.get("automated").and_then(|a| a.as_bool()) == Some(true) {
        Span::styled("  ⚙ automated", t.warn())
    } else {
        Span::raw("")
    }
}

/// A record's category and checklist answers, one line each, indented by
/// `indent`: read from its view (`category`, `checklist`).
pub fn decision(r: &serde_json::Value, t: &Theme, indent: usize) -> Vec<Line<'static>> {
    let pad = " ".repeat(indent);
    let mut out = Vec::new();
    if let Some(c) = r.get("category").and_then(|c| c.as_str()) {
        out.push(Line::from(vec![
            Span::styled(format!("{pad}category "), t.dim()),
            Span::raw(clean::line(c)),
        ]));
    }
    let Some(c) = r.get("checklist").filter(|c| c.is_object()) else {
        return out;
    };
    let text = |k: &str| c.get(k).and_then(|x| x.as_str()).map(clean::line);
    let mut head = vec![
        Span::styled(format!("{pad}checklist "), t.dim()),
        Span::raw(text("id").unwrap_or_else(|| "?".into())),
    ];
    if c.get("older").and_then(|o| o.as_bool()) == Some(true) {
        head.push(Span::styled("  answered an older checklist", t.warn()));
    }
    out.push(Line::from(head));
    let answers = c.get("answers").and_then(|a| a.as_object());
    let w = answers
        .into_iter()
        .flatten()
        .map(|(k, _)| clean::width(&clean::line(k)))
        .max()
        .unwrap_or(0)
        .min(24);
    for (item, answer) in answers.into_iter().flatten() {
        let answer = answer.as_str().unwrap_or("?");
        let style = match answer {
            "yes" => t.good(),
            "no" => t.bad(),
            _ => t.dim(),
        };
        out.push(Line::from(vec![
            Span::raw(format!("{pad}  {} ", clean::pad(&clean::line(item), w))),
            Span::styled(clean::line(answer), style),
        ]));
    }
    if let Some(p) = text("problem") {
        out.push(Line::from(Span::styled(format!("{pad}⚠ {p}"), t.warn())));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[Line<'static>]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn a_decision_shows_its_category_answers_and_what_is_wrong_with_them() {
        let t = Theme::default();
        let r = serde_json::json!({
            "action": "request_changes",
            "category": "fairness",
            "checklist": {
                "id": "validation-v1",
                "digest": "sha256:00",
                "answers": {"metrics": "yes", "fairness": "no"},
                "older": true,
                "problem": "checklist item data is not answered",
            },
        });
        assert_eq!(
            text(&decision(&r, &t, 2)),
            [
                "  category fairness",
                "  checklist validation-v1  answered an older checklist",
                "    fairness no",
                "    metrics  yes",
                "  ⚠ checklist item data is not answered",
            ]
        );
        let plain = serde_json::json!({"action": "reject", "category": "uncategorized"});
        assert_eq!(text(&decision(&plain, &t, 0)), ["category uncategorized"]);
        assert_eq!(automated(&plain, &t).content, "");
        let auto = serde_json::json!({"action": "approve", "automated": true});
        assert!(automated(&auto, &t).content.contains("automated"));
        assert!(decision(&auto, &t, 0).is_empty());
    }
}
