//! Fairness: per-group metrics against the configured thresholds.

use ratatui::text::{Line, Span};

use super::{Doc, heading, num, report_state};
use crate::review::detail::ReviewDetail;
use crate::review::reports::{FairnessThresholds, Report};
use crate::tui::clean::{self, pad};
use crate::tui::theme::Theme;

pub(super) fn doc(d: &ReviewDetail, t: &Theme, limits: &FairnessThresholds) -> Doc {
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
