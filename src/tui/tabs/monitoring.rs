//! Monitoring: every `reopen` record of the version (PROTOCOL 15) with its
//! trigger, time, signer and reason, and for a drift report (PROTOCOL 16)
//! its summary: the share drifted, the window, and each feature's score
//! against its threshold. The summary is signed data from whoever reopened:
//! read defensively, it shows what is there and says what is not.
//!
//! Two shapes are read: `modelgate drift --apply`'s (`share_drifted`,
//! `columns` checked, `drifted`: the drifted columns with `column`, `method`,
//! `score`, `threshold`, `left_out`, `window`) and one listing every feature
//! (`features` with `name` and `drifted`, `omitted`).

use ratatui::text::{Line, Span};
use serde_json::Value;

use super::{Doc, bar, heading, wrap};
use crate::review::detail::ReviewDetail;
use crate::tui::clean;
use crate::tui::theme::Theme;

/// Features listed at most; the rest are counted.
const MAX_FEATURES: usize = 200;
/// Cells of a score bar; the threshold is its full width.
const BAR: usize = 12;

pub(super) fn doc(d: &ReviewDetail, t: &Theme, width: usize) -> Doc {
    let mut out = vec![heading(t, "Reopen records")];
    let reopens: Vec<&Value> = d
        .records
        .iter()
        .filter(|r| r.get("action").and_then(Value::as_str) == Some("reopen"))
        .collect();
    if reopens.is_empty() {
        for l in [
            "  No reopen records on this version.",
            "",
            "  A reopen (modelgate reopen, modelgate drift --apply, revalidate --apply, or r",
            "  on this screen) re-examines an approval: the triggers and the drift reports",
            "  behind them are listed here.",
        ] {
            out.extend(wrap(Line::from(Span::styled(l, t.dim())), width, 2));
        }
        return out;
    }
    for r in reopens {
        out.push(Line::default());
        out.extend(record_lines(r, t, width));
    }
    out
}

/// A text field of the signed record (or of its view), cleaned; `?` when absent.
fn text(r: &Value, k: &str) -> String {
    r.get("record")
        .and_then(|m| m.get(k))
        .or_else(|| r.get(k))
        .and_then(Value::as_str)
        .map(clean::line)
        .unwrap_or_else(|| "?".into())
}

/// One reopen record: its line, reason, findings and report.
pub fn record_lines(r: &Value, t: &Theme, width: usize) -> Doc {
    let mut out = Vec::new();
    let (mark, style) = super::records::validity(r, t);
    out.extend(wrap(
        Line::from(vec![
            Span::styled(format!("  {mark} "), style),
            Span::styled(format!("↻ {}", text(r, "trigger")), t.bold()),
            Span::raw(format!(
                "  at {}  by {} as {}",
                text(r, "at"),
                text(r, "actor"),
                text(r, "role")
            )),
        ]),
        width,
        4,
    ));
    out.extend(wrap(
        Line::from(vec![
            Span::styled("      reason ", t.dim()),
            Span::raw(text(r, "reason")),
        ]),
        width,
        13,
    ));
    for f in r
        .get("findings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
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
    let report = r.get("record").and_then(|m| m.get("report"));
    match report {
        None | Some(Value::Null) => out.push(Line::from(Span::styled(
            "      report none recorded",
            t.dim(),
        ))),
        Some(rep) => out.extend(report_lines(rep, t, width)),
    }
    out
}

/// A number as the summary gave it, or why it is not one.
fn number(v: Option<&Value>) -> Result<f64, String> {
    match v {
        None | Some(Value::Null) => Err("not given".into()),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|x| x.is_finite())
            .ok_or_else(|| "not a finite number".into()),
        Some(Value::String(s)) => Err(format!(
            "not a number ({:?})",
            clean::ellipsize(&clean::line(s), 24)
        )),
        Some(_) => Err("not a number".into()),
    }
}

fn shown(x: f64) -> String {
    format!("{x:.4}")
}

/// The report a reopen carries: kind, digest, and a drift summary.
pub fn report_lines(rep: &Value, t: &Theme, width: usize) -> Doc {
    let mut out = Vec::new();
    let Some(obj) = rep.as_object() else {
        out.push(Line::from(Span::styled(
            "      report ✖ not an object: nothing of it can be shown",
            t.warn(),
        )));
        return out;
    };
    let s = |k: &str| obj.get(k).and_then(Value::as_str).map(clean::line);
    let kind = s("kind");
    out.extend(wrap(
        Line::from(vec![
            Span::styled("      report ", t.dim()),
            Span::raw(format!(
                "{} · digest {}",
                kind.as_deref().unwrap_or("(kind not given)"),
                s("digest")
                    .map(|d| clean::ellipsize(&d, 24))
                    .unwrap_or_else(|| "not given".into())
            )),
        ]),
        width,
        13,
    ));
    let summary = obj.get("summary");
    if kind.as_deref() != Some("drift") {
        if let Some(file) = summary.and_then(|x| x.get("file")).and_then(Value::as_str) {
            out.push(Line::from(Span::styled(
                format!("      file {}", clean::line(file)),
                t.dim(),
            )));
        }
        return out;
    }
    let Some(sum) = summary.and_then(Value::as_object) else {
        out.push(Line::from(Span::styled(
            "      ▲ no drift summary in the report: share, window and features not recorded",
            t.warn(),
        )));
        return out;
    };
    if !["features", "drifted", "share_drifted"]
        .iter()
        .any(|k| sum.contains_key(*k))
    {
        let file = sum.get("file").and_then(Value::as_str).map(clean::line);
        out.extend(wrap(
            Line::from(Span::styled(
                format!(
                    "      ▲ the summary names {} but no drift results (share, window, features): the reopen recorded the file only",
                    file.map(|f| format!("the file {f}"))
                        .unwrap_or_else(|| "no file".into())
                ),
                t.warn(),
            )),
            width,
            8,
        ));
        return out;
    }
    let checked = sum
        .get("columns")
        .and_then(Value::as_u64)
        .map(|n| format!(" ({n} checked)"))
        .unwrap_or_default();
    out.push(Line::from(vec![
        Span::styled("      drifted ", t.dim()),
        match number(sum.get("share_drifted")) {
            Ok(x) => Span::styled(
                format!("{:.1}% of the features{checked}", x * 100.0),
                t.bold(),
            ),
            Err(why) => Span::styled(format!("share {why}{checked}"), t.warn()),
        },
    ]));
    let window = match sum.get("window") {
        None | Some(Value::Null) => Span::styled("not given", t.dim()),
        Some(w) => {
            let end = |k: &str| w.get(k).and_then(Value::as_str).map(clean::line);
            match (end("start"), end("end")) {
                (Some(a), Some(b)) => Span::raw(format!("{a} – {b}")),
                (a, b) => Span::styled(
                    format!(
                        "{} – {} (incomplete)",
                        a.unwrap_or_else(|| "?".into()),
                        b.unwrap_or_else(|| "?".into())
                    ),
                    t.warn(),
                ),
            }
        }
    };
    out.push(Line::from(vec![
        Span::styled("      window  ", t.dim()),
        window,
    ]));
    // `drifted` lists only the drifted columns: each of them drifted.
    let (list, all_drifted) = match sum.get("features") {
        None | Some(Value::Null) => (sum.get("drifted"), true),
        f => (f, false),
    };
    let features = match list {
        Some(Value::Array(f)) => f.as_slice(),
        None | Some(Value::Null) => {
            out.push(Line::from(Span::styled(
                "      features not given",
                t.warn(),
            )));
            &[]
        }
        Some(_) => {
            out.push(Line::from(Span::styled(
                "      features ✖ not a list: none can be shown",
                t.warn(),
            )));
            &[]
        }
    };
    let name = |f: &Value| {
        f.get("name")
            .or_else(|| f.get("column"))
            .and_then(Value::as_str)
            .map(clean::line)
            .unwrap_or_else(|| "(unnamed)".into())
    };
    let nw = features
        .iter()
        .take(MAX_FEATURES)
        .map(|f| clean::width(&name(f)))
        .max()
        .unwrap_or(0)
        .clamp(8, 24);
    for f in features.iter().take(MAX_FEATURES) {
        out.extend(wrap(
            feature_line(f, &name(f), nw, all_drifted, t),
            width,
            10,
        ));
    }
    let omitted = features.len().saturating_sub(MAX_FEATURES) as u64
        + sum
            .get("omitted")
            .or_else(|| sum.get("left_out"))
            .and_then(Value::as_u64)
            .unwrap_or(0);
    if omitted > 0 {
        out.push(Line::from(Span::styled(
            format!("        … {omitted} more features not shown"),
            t.dim(),
        )));
    }
    out
}

/// `✖ drifted  income    psi          ████████████ 0.4100 / 0.2000 (205%)`.
/// `drifted`: the feature comes from a list of drifted ones only.
fn feature_line(f: &Value, name: &str, nw: usize, drifted: bool, t: &Theme) -> Line<'static> {
    let says = f.get("drifted").and_then(Value::as_bool);
    let (mark, style) = match says.or(drifted.then_some(true)) {
        Some(true) => ("✖ drifted", t.bad()),
        Some(false) => ("● within ", t.good()),
        None => ("? unknown", t.warn()),
    };
    let method = f
        .get("method")
        .and_then(Value::as_str)
        .map(clean::line)
        .unwrap_or_else(|| "(method?)".into());
    let mut spans = vec![
        Span::styled(format!("        {mark} "), style),
        Span::raw(format!("{} ", clean::pad(name, nw))),
        Span::styled(format!("{} ", clean::pad(&method, 14)), t.dim()),
    ];
    match (number(f.get("score")), number(f.get("threshold"))) {
        (Ok(score), Ok(limit)) if limit > 0.0 => {
            let ratio = score / limit;
            let filled = bar(ratio.clamp(0.0, 1.0), 1.0, BAR);
            spans.push(Span::styled(clean::pad(&filled, BAR), style));
            spans.push(Span::raw(format!(
                " {} / {} ({:.0}%{})",
                shown(score),
                shown(limit),
                ratio * 100.0,
                if ratio > 1.0 { ", past the limit" } else { "" }
            )));
            if method.to_lowercase().contains("p_value") {
                spans.push(Span::styled(
                    " · a p-value drifts below its threshold",
                    t.dim(),
                ));
            }
        }
        (Ok(score), Ok(limit)) => spans.push(Span::raw(format!(
            "score {} / threshold {} (no bar: the threshold is not above 0)",
            shown(score),
            shown(limit)
        ))),
        (score, limit) => {
            let part = |what: &str, v: Result<f64, String>| match v {
                Ok(x) => format!("{what} {}", shown(x)),
                Err(why) => format!("{what} {why}"),
            };
            spans.push(Span::styled(
                format!("{}, {}", part("score", score), part("threshold", limit)),
                t.warn(),
            ));
        }
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text_of(doc: &Doc) -> Vec<String> {
        doc.iter().map(|l| l.to_string()).collect()
    }

    fn reopen(report: Value) -> Value {
        json!({
            "id": "ab12",
            "action": "reopen",
            "actor": "mo@x",
            "role": "monitor",
            "at": "2026-03-02T09:00:00Z",
            "valid": true,
            "findings": [],
            "record": {
                "action": "reopen",
                "trigger": "drift",
                "reason": "psi over 0.2 on income",
                "report": report,
            },
        })
    }

    #[test]
    fn a_drift_summary_shows_share_window_and_each_feature_against_its_limit() {
        let t = Theme::default();
        let r = reopen(json!({
            "kind": "drift",
            "digest": "sha256:00ff",
            "summary": {
                "share_drifted": 0.5,
                "window": {"start": "2026-02-01T00:00:00Z", "end": "2026-02-28T00:00:00Z"},
                "features": [
                    {"name": "income", "method": "psi", "score": 0.41, "threshold": 0.2, "drifted": true},
                    {"name": "age", "method": "psi", "score": 0.05, "threshold": 0.2, "drifted": false},
                ],
                "omitted": 3,
            },
        }));
        let lines = text_of(&record_lines(&r, &t, 120));
        let all = lines.join("\n");
        assert!(
            lines[0].contains("↻ drift") && lines[0].contains("by mo@x as monitor"),
            "{all}"
        );
        assert!(all.contains("reason psi over 0.2 on income"), "{all}");
        assert!(all.contains("drifted 50.0% of the features"), "{all}");
        assert!(
            all.contains("2026-02-01T00:00:00Z – 2026-02-28T00:00:00Z"),
            "{all}"
        );
        let income = lines.iter().find(|l| l.contains("income ")).unwrap();
        assert!(income.contains("✖ drifted"), "{income}");
        assert!(
            income.contains("████████████ 0.4100 / 0.2000 (205%, past the limit)"),
            "{income}"
        );
        let age = lines.iter().find(|l| l.contains("age ")).unwrap();
        assert!(age.contains("● within") && age.contains("(25%)"), "{age}");
        assert!(age.contains("███ "), "a quarter of the bar: {age}");
        assert!(all.contains("… 3 more features not shown"), "{all}");
    }

    #[test]
    fn the_summary_drift_apply_writes_lists_its_drifted_columns() {
        let t = Theme::default();
        let r = reopen(json!({
            "kind": "drift",
            "digest": "sha256:ab",
            "summary": {
                "format": "evidently",
                "share_drifted": 0.25,
                "columns": 8,
                "drifted": [
                    {"column": "amount", "method": "Wasserstein distance (normed)", "score": 0.3, "threshold": 0.1},
                    {"column": "age", "method": "K-S p_value", "score": 0.01, "threshold": 0.05},
                ],
                "left_out": 2,
                "window": null,
            },
        }));
        let lines = text_of(&record_lines(&r, &t, 140));
        let all = lines.join("\n");
        assert!(
            all.contains("drifted 25.0% of the features (8 checked)"),
            "{all}"
        );
        assert!(all.contains("window  not given"), "{all}");
        let amount = lines.iter().find(|l| l.contains("amount")).unwrap();
        assert!(
            amount.contains("✖ drifted") && amount.contains("(300%, past the limit)"),
            "{amount}"
        );
        let age = lines.iter().find(|l| l.contains("age ")).unwrap();
        assert!(
            age.contains("✖ drifted") && age.contains("(20%)"),
            "a p-value drifts below: {age}"
        );
        assert!(all.contains("… 2 more features not shown"), "{all}");
    }

    #[test]
    fn a_hostile_summary_shows_what_is_there_and_says_what_is_not() {
        let t = Theme::default();
        let r = reopen(json!({
            "kind": "drift",
            "digest": "sha256:\u{1b}[2J",
            "summary": {
                "share_drifted": "NaN",
                "window": {"start": "2026-02-01\u{1b}]0;pwned\u{7}"},
                "features": [
                    {"name": "in\u{1b}[31mcome\u{202e}", "method": "psi\r\n", "score": "Infinity", "threshold": 0.2, "drifted": "yes"},
                    {"score": 1.0, "threshold": 0.0},
                    {"name": "x", "method": "psi", "score": -5.0, "threshold": 0.1, "drifted": false},
                    "not a feature",
                ],
                "omitted": "many",
            },
        }));
        let narrow = record_lines(&r, &t, 40);
        for l in &narrow {
            for s in &l.spans {
                assert!(
                    !s.content.chars().any(|c| c.is_control() || c == '\u{202e}'),
                    "{:?}",
                    s.content
                );
            }
        }
        let all = text_of(&record_lines(&r, &t, 160)).join("\n");
        assert!(all.contains("share not a number (\"NaN\")"), "{all}");
        assert!(all.contains("(incomplete)"), "{all}");
        assert!(all.contains("^[[31m"), "escapes shown as text: {all}");
        assert!(all.contains("score not a number (\"Infinity\")"), "{all}");
        assert!(all.contains("? unknown"), "drifted that is no bool: {all}");
        assert!(
            all.contains("(no bar: the threshold is not above 0)"),
            "{all}"
        );
        assert!(
            all.contains("(unnamed)") && all.contains("(method?)"),
            "{all}"
        );
        assert!(
            all.contains("(-5000%)"),
            "a negative score draws no bar: {all}"
        );

        for (summary, want) in [
            (json!(null), "no drift summary"),
            (
                json!({"file": "r.json", "bytes": 10}),
                "recorded the file only",
            ),
            (
                json!({"share_drifted": 0.1, "features": {"a": 1}}),
                "not a list",
            ),
            (json!({"share_drifted": 0.1}), "features not given"),
        ] {
            let r = reopen(json!({"kind": "drift", "summary": summary}));
            let all = text_of(&record_lines(&r, &t, 100)).join("\n");
            assert!(all.contains(want), "{want}: {all}");
            assert!(all.contains("digest not given"), "{all}");
        }
        let odd = reopen(json!(["a"]));
        assert!(
            text_of(&record_lines(&odd, &t, 100))
                .join("\n")
                .contains("not an object")
        );
        let none = reopen(Value::Null);
        assert!(
            text_of(&record_lines(&none, &t, 100))
                .join("\n")
                .contains("report none recorded")
        );
    }
}
