//! The figures in the Prometheus text exposition format (version 0.0.4).
//! Names follow Prometheus conventions: base units, `_total` on counters,
//! labels from bounded sets only (risk, kind, SLA state, action, category,
//! trigger, role, report, model). docs/stats.md lists every family.

use std::fmt::Write;

use super::Stats;
use crate::review::queue::Kind;
use crate::review::revalidation::Trigger;
use crate::review::risk::Risk;
use crate::review::sla::SlaState;

/// Upper bounds of the approval latency histogram, in seconds: 1 h to 30 days.
pub const LATENCY_BUCKETS: [f64; 9] = [
    3600.0, 14400.0, 28800.0, 86400.0, 172800.0, 259200.0, 604800.0, 1209600.0, 2592000.0,
];

/// The SLA states an open entry can be in.
const OPEN_SLA: [SlaState; 4] = [
    SlaState::OnTrack,
    SlaState::AtRisk,
    SlaState::Breached,
    SlaState::Unscheduled,
];

/// A label value with `\`, `"` and newlines escaped.
fn escape(v: &str) -> String {
    v.replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        format!("{v}")
    }
}

struct Out(String);

impl Out {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}");
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], v: f64) {
        self.0.push_str(name);
        if !labels.is_empty() {
            let l: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            let _ = write!(self.0, "{{{}}}", l.join(","));
        }
        let _ = writeln!(self.0, " {}", number(v));
    }

    fn gauge(&mut self, name: &str, help: &str, v: f64) {
        self.family(name, "gauge", help);
        self.sample(name, &[], v);
    }

    fn counter(&mut self, name: &str, help: &str, v: f64) {
        self.family(name, "counter", help);
        self.sample(name, &[], v);
    }
}

/// The exporter's own state: whether the last refresh worked, when the
/// last good one was, how long the last one took.
pub fn status(up: bool, last_refresh: Option<f64>, duration: Option<f64>) -> String {
    let mut o = Out(String::new());
    o.gauge(
        "modelgate_up",
        "1 when the last refresh of the figures from the registry succeeded, else 0.",
        if up { 1.0 } else { 0.0 },
    );
    if let Some(t) = last_refresh {
        o.gauge(
            "modelgate_last_refresh_timestamp_seconds",
            "Unix time of the last successful refresh.",
            t,
        );
    }
    if let Some(d) = duration {
        o.gauge(
            "modelgate_refresh_duration_seconds",
            "How long the last refresh took.",
            d,
        );
    }
    o.0
}

/// Every figure family of the process (not the exporter's status).
pub fn render(s: &Stats) -> String {
    let mut o = Out(String::new());

    o.family(
        "modelgate_open_reviews",
        "gauge",
        "Open queue entries (reviews, revalidations, renewals due) by risk tier, kind and SLA state.",
    );
    for risk in Risk::ALL {
        for kind in Kind::ALL {
            for sla in OPEN_SLA {
                let n = s
                    .sla
                    .open_by_kind
                    .get(&(risk, kind, sla))
                    .copied()
                    .unwrap_or(0);
                o.sample(
                    "modelgate_open_reviews",
                    &[
                        ("kind", kind.as_str()),
                        ("risk", risk.as_str()),
                        ("sla", sla.as_str()),
                    ],
                    n as f64,
                );
            }
        }
    }
    if let Some(ms) = s.sla.next_deadline_ms {
        o.gauge(
            "modelgate_next_deadline_timestamp_seconds",
            "Unix time of the most urgent open deadline.",
            ms as f64 / 1000.0,
        );
    }

    let name = "modelgate_approval_latency_seconds";
    o.family(
        name,
        "histogram",
        "Submission to the approval that completed the quorum, by risk tier.",
    );
    for risk in Risk::ALL {
        let samples = s.latency.samples.get(&risk).cloned().unwrap_or_default();
        let r = risk.as_str();
        for le in LATENCY_BUCKETS {
            let n = samples.iter().filter(|v| (**v as f64) <= le).count();
            o.sample(
                &format!("{name}_bucket"),
                &[("le", &number(le)), ("risk", r)],
                n as f64,
            );
        }
        o.sample(
            &format!("{name}_bucket"),
            &[("le", "+Inf"), ("risk", r)],
            samples.len() as f64,
        );
        o.sample(
            &format!("{name}_sum"),
            &[("risk", r)],
            samples.iter().sum::<i64>() as f64,
        );
        o.sample(
            &format!("{name}_count"),
            &[("risk", r)],
            samples.len() as f64,
        );
    }

    o.family(
        "modelgate_decisions_total",
        "counter",
        "Valid signed decisions by action and category (none for actions without one).",
    );
    for (action, cats) in &s.decisions.by_action {
        for (cat, n) in cats {
            o.sample(
                "modelgate_decisions_total",
                &[("action", action), ("category", cat)],
                *n as f64,
            );
        }
    }

    o.family(
        "modelgate_gate_results_total",
        "counter",
        "Signed submissions by the outcome of the gates they recorded (pass, deny, error).",
    );
    for risk in Risk::ALL {
        for result in ["pass", "deny", "error"] {
            let n = s
                .gates
                .results
                .get(&risk)
                .and_then(|m| m.get(result))
                .copied()
                .unwrap_or(0);
            o.sample(
                "modelgate_gate_results_total",
                &[("result", result), ("risk", risk.as_str())],
                n as f64,
            );
        }
    }

    let r = &s.rollbacks;
    o.counter(
        "modelgate_promotions_total",
        "Valid promote records.",
        r.promotes as f64,
    );
    o.counter(
        "modelgate_rollbacks_total",
        "Valid rollback records.",
        r.rollbacks as f64,
    );
    o.counter(
        "modelgate_break_glass_rollbacks_total",
        "Rollbacks to a version that was not approved.",
        r.break_glass as f64,
    );
    o.gauge(
        "modelgate_rollbacks_unratified",
        "Rollbacks waiting for a second person's ratify.",
        r.unratified as f64,
    );
    o.gauge(
        "modelgate_rollbacks_unratified_overdue",
        "Unratified rollbacks first seen over 24 hours ago.",
        r.overdue as f64,
    );

    o.family(
        "modelgate_unexplained_aliases",
        "gauge",
        "1 for a model whose production alias no valid promote or rollback record explains.",
    );
    for m in &s.unexplained_aliases {
        o.sample("modelgate_unexplained_aliases", &[("model", m)], 1.0);
    }

    o.gauge("modelgate_records", "Valid records read.", s.records as f64);
    o.gauge(
        "modelgate_invalid_records",
        "Invalid records: left out of every figure.",
        s.invalid_records as f64,
    );
    o.gauge(
        "modelgate_approved_versions",
        "Versions whose derived state is approved.",
        s.approved_versions as f64,
    );
    o.gauge(
        "modelgate_audit_completeness_ratio",
        "Share of approved versions with a signed submit, the stored evidence, only valid records and checklist answers where required (1 when none is approved).",
        s.audit.complete.share.unwrap_or(1.0),
    );
    o.gauge(
        "modelgate_production_versions",
        "Versions holding the production alias.",
        s.coverage.production as f64,
    );
    o.family(
        "modelgate_coverage_ratio",
        "gauge",
        "Share of production versions with each report (security_scan: a clean scan); 1 when none is in production.",
    );
    let c = &s.coverage;
    for (report, rate) in [
        ("explainability", c.explainability),
        ("fairness", c.fairness),
        ("model_card", c.model_card),
        ("security_scan", c.security_scan_clean),
    ] {
        o.sample(
            "modelgate_coverage_ratio",
            &[("report", report)],
            rate.share.unwrap_or(1.0),
        );
    }
    o.family(
        "modelgate_sla_compliance_ratio",
        "gauge",
        "Share of decided reviews decided by their deadline, by risk tier (1 when none was decided).",
    );
    for risk in Risk::ALL {
        let share = s
            .sla
            .on_time_by_risk
            .get(&risk)
            .and_then(|r| r.share)
            .unwrap_or(1.0);
        o.sample(
            "modelgate_sla_compliance_ratio",
            &[("risk", risk.as_str())],
            share,
        );
    }

    o.family(
        "modelgate_reopens_total",
        "counter",
        "Valid reopen records by trigger.",
    );
    for t in Trigger::ALL {
        let n = s
            .revalidation
            .reopens_by_trigger
            .get(t.as_str())
            .copied()
            .unwrap_or(0);
        o.sample(
            "modelgate_reopens_total",
            &[("trigger", t.as_str())],
            n as f64,
        );
    }
    let v = &s.revalidation;
    o.gauge(
        "modelgate_renewals_due",
        "Approved versions inside their renewal window.",
        v.renewals_due as f64,
    );
    o.gauge(
        "modelgate_production_revalidation",
        "Production versions in revalidation.",
        v.production_in_revalidation as f64,
    );
    o.gauge(
        "modelgate_production_revalidation_overdue",
        "Production versions in revalidation past their deadline.",
        v.production_overdue as f64,
    );
    o.gauge(
        "modelgate_production_expired",
        "Production versions whose approval expired.",
        v.expired_in_production as f64,
    );
    o.family(
        "modelgate_reviewer_open_reviews",
        "gauge",
        "Open entries each role can act on now.",
    );
    for role in crate::review::risk::ROLES {
        let n = s.load.open_by_role.get(role).copied().unwrap_or(0);
        o.sample(
            "modelgate_reviewer_open_reviews",
            &[("role", role)],
            n as f64,
        );
    }
    o.0
}
