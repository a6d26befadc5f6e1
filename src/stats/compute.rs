//! Every figure from the gathered facts; docs/stats.md defines each one.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike};
use serde_json::Value;

use super::{DeployFacts, Durations, Incomplete, Period, Rate, Stats, VersionFacts};
use crate::review::queue::Kind;
use crate::review::risk::Risk;
use crate::review::sla::SlaState;
use crate::review::state::ReviewState;
use crate::trust::action::Action;
use crate::trust::category;
use crate::trust::record::parse_at;
use crate::trust::state::Rec;

/// The ISO week of an instant: `2026-W48`.
pub fn week(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| {
            let w = t.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        })
        .unwrap_or_default()
}

fn rfc3339(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn at_ms(at: &str) -> Option<i64> {
    parse_at(at).map(|t| t.timestamp_millis())
}

/// Nearest-rank percentile of sorted values.
fn rank(sorted: &[i64], p: f64) -> Option<i64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let i = ((p * n as f64).ceil() as usize).clamp(1, n) - 1;
    sorted.get(i).copied()
}

pub(super) fn durations(values: &[i64]) -> Durations {
    let mut v = values.to_vec();
    v.sort_unstable();
    Durations {
        count: v.len(),
        p50_seconds: rank(&v, 0.5),
        p90_seconds: rank(&v, 0.9),
        max_seconds: v.last().copied(),
    }
}

/// A running share: (part, whole).
#[derive(Default, Clone, Copy)]
struct Tally(usize, usize);

impl Tally {
    fn add(&mut self, hit: bool) {
        self.0 += usize::from(hit);
        self.1 += 1;
    }
    fn rate(self) -> Rate {
        Rate::new(self.0, self.1)
    }
}

fn rates<K: Ord + Clone>(m: &BTreeMap<K, Tally>) -> BTreeMap<K, Rate> {
    m.iter().map(|(k, t)| (k.clone(), t.rate())).collect()
}

/// Actions that decide something about a review (counted per actor and category).
const DECISIONS: [Action; 7] = [
    Action::Approve,
    Action::Reject,
    Action::RequestChanges,
    Action::Revoke,
    Action::Withdraw,
    Action::Override,
    Action::Reopen,
];

/// The outcome of a submission's recorded gates: pass, deny or error.
fn gate_outcome(fields: &serde_json::Map<String, Value>) -> Option<&'static str> {
    let g = fields.get("gates")?.as_object()?;
    if g.get("error").is_some_and(|e| !e.is_null()) {
        return Some("error");
    }
    let denies = g.get("deny").and_then(Value::as_array).map_or(0, Vec::len);
    Some(if denies > 0 { "deny" } else { "pass" })
}

/// Every figure; `facts` are the versions chosen (model and risk filters
/// applied), events outside `period` left out of the period's figures.
pub fn compute(
    facts: &[VersionFacts<'_>],
    deploy: &DeployFacts,
    period: Period,
    now_ms: i64,
) -> Stats {
    let mut s = Stats {
        generated_at: rfc3339(now_ms),
        versions: facts.len(),
        ..Stats::default()
    };
    let mut latency: Vec<i64> = Vec::new();
    let mut latency_week: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let (mut gate, mut gate_risk, mut gate_week) = (
        Tally::default(),
        BTreeMap::new(),
        BTreeMap::<String, Tally>::new(),
    );
    let (mut on_time, mut on_time_risk) = (Tally::default(), BTreeMap::<Risk, Tally>::new());
    let (mut audit, mut ratify_secs) = (Tally::default(), Vec::new());
    let cover = |hit: bool, rate: &mut Rate| {
        *rate = Rate::new(rate.part + usize::from(hit), rate.whole + 1)
    };

    for f in facts {
        let recs: Vec<(Rec<'_>, i64)> = f
            .checked
            .iter()
            .filter_map(Rec::from_checked)
            .filter_map(|r| at_ms(r.at).map(|t| (r, t)))
            .collect();
        let invalid = f.checked.iter().filter(|c| c.invalid()).count();
        s.records += f.checked.len() - invalid;
        s.invalid_records += invalid;
        let by_id: HashMap<&str, i64> = recs.iter().map(|(r, t)| (r.id, *t)).collect();

        for (r, t) in recs.iter().filter(|(_, t)| period.contains(*t)) {
            let cat = category::of_record(r.fields);
            if DECISIONS.contains(&r.action) {
                *s.decisions
                    .by_action
                    .entry(r.action.as_str().to_owned())
                    .or_default()
                    .entry(cat.unwrap_or("none").to_owned())
                    .or_default() += 1;
                *s.load
                    .decisions_by_actor
                    .entry(r.actor.to_owned())
                    .or_default() += 1;
            }
            match r.action {
                Action::Submit => {
                    if let Some(outcome) = gate_outcome(r.fields) {
                        let pass = outcome == "pass";
                        gate.add(pass);
                        gate_risk
                            .entry(f.risk)
                            .or_insert_with(Tally::default)
                            .add(pass);
                        gate_week.entry(week(*t)).or_default().add(pass);
                        *s.gates
                            .results
                            .entry(f.risk)
                            .or_default()
                            .entry(outcome.to_owned())
                            .or_default() += 1;
                    }
                }
                Action::Reject | Action::RequestChanges => {
                    let cat = cat.unwrap_or(category::UNCATEGORIZED).to_owned();
                    *s.decisions.by_category.entry(cat.clone()).or_default() += 1;
                    *s.decisions
                        .by_risk
                        .entry(f.risk)
                        .or_default()
                        .entry(cat)
                        .or_default() += 1;
                    if r.action == Action::Reject {
                        s.throughput.entry(week(*t)).or_default().rejections += 1;
                    }
                }
                Action::Promote => s.rollbacks.promotes += 1,
                Action::Rollback => {
                    s.rollbacks.rollbacks += 1;
                    if r.fields.get("break_glass") == Some(&Value::Bool(true)) {
                        s.rollbacks.break_glass += 1;
                    }
                }
                Action::Ratify => {
                    let of = r.str("ratifies").and_then(|id| by_id.get(id));
                    if let Some(rolled) = of {
                        ratify_secs.push((t - rolled).max(0) / 1000);
                    }
                }
                Action::Reopen => {
                    let trigger = r.str("trigger").unwrap_or("other").to_owned();
                    *s.revalidation
                        .reopens_by_trigger
                        .entry(trigger)
                        .or_default() += 1;
                }
                _ => {}
            }
        }

        if let Some(d) = f.derived {
            let submitted = d
                .submitted_at
                .as_deref()
                .and_then(at_ms)
                .unwrap_or(f.submitted_ms);
            let quorums: Vec<i64> = d.quorums.iter().filter_map(|q| at_ms(q)).collect();
            for q in quorums.iter().filter(|q| period.contains(**q)) {
                s.throughput.entry(week(*q)).or_default().approvals += 1;
            }
            if let Some(&q) = quorums.first().filter(|q| period.contains(**q)) {
                let secs = (q - submitted).max(0) / 1000;
                latency.push(secs);
                latency_week.entry(week(q)).or_default().push(secs);
                s.latency.samples.entry(f.risk).or_default().push(secs);
            }
            // A review is decided by its first quorum, or by a reject or
            // change request that stands.
            let decided = quorums.first().copied().or_else(|| {
                matches!(
                    d.state,
                    ReviewState::Rejected | ReviewState::ChangesRequested
                )
                .then(|| d.decided_at.as_deref().and_then(at_ms))
                .flatten()
            });
            if let Some(at) = decided.filter(|at| period.contains(*at)) {
                let deadline = submitted.saturating_add((f.sla_hours * 3_600_000.0).round() as i64);
                on_time.add(at <= deadline);
                on_time_risk.entry(f.risk).or_default().add(at <= deadline);
            }
            if d.state == ReviewState::Approved {
                s.approved_versions += 1;
                let mut missing = Vec::new();
                if !d.signed_submission {
                    missing.push("a signed submit".to_owned());
                }
                let counted: Vec<&str> = d
                    .approvals
                    .iter()
                    .filter(|a| a.counted())
                    .map(|a| a.id.as_str())
                    .collect();
                let unstored = recs.iter().any(|(r, _)| {
                    counted.contains(&r.id)
                        && r.evidence
                            .is_some_and(|e| !f.evidence_stored.iter().any(|x| x == e))
                });
                if unstored {
                    missing.push("the evidence document it was approved on".to_owned());
                }
                if invalid > 0 {
                    missing.push(format!("{invalid} invalid record(s)"));
                }
                for role in &f.checklist_missing {
                    missing.push(format!("checklist answers of the {role} approval"));
                }
                audit.add(missing.is_empty());
                if !missing.is_empty() {
                    s.audit.incomplete.push(Incomplete {
                        model: f.model.to_owned(),
                        version: f.version.to_owned(),
                        missing,
                    });
                }
            }
        }

        if let Some(open) = &f.open {
            let sla = open.sla.as_str().to_owned();
            *s.sla
                .open
                .entry(f.risk)
                .or_default()
                .entry(sla)
                .or_default() += 1;
            *s.sla
                .open_by_kind
                .entry((f.risk, open.kind, open.sla))
                .or_default() += 1;
            match open.sla {
                SlaState::AtRisk => s.sla.at_risk += 1,
                SlaState::Breached => s.sla.breached += 1,
                _ => {}
            }
            if let Some(dl) = open.deadline_ms {
                s.sla.next_deadline_ms = Some(s.sla.next_deadline_ms.map_or(dl, |x| x.min(dl)));
            }
            match open.kind {
                Kind::Revalidation => s.revalidation.in_revalidation += 1,
                Kind::Renewal => s.revalidation.renewals_due += 1,
                Kind::Review => {}
            }
            for role in &open.roles {
                *s.load.open_by_role.entry(role.clone()).or_default() += 1;
            }
        }

        if let Some(p) = &f.production {
            s.coverage.production += 1;
            cover(p.explainability, &mut s.coverage.explainability);
            cover(p.fairness, &mut s.coverage.fairness);
            cover(p.model_card, &mut s.coverage.model_card);
            cover(p.security_scan_clean, &mut s.coverage.security_scan_clean);
            if f.derived
                .is_some_and(|d| d.state == ReviewState::Revalidation)
            {
                s.revalidation.production_in_revalidation += 1;
                if f.open.as_ref().is_some_and(|o| o.sla == SlaState::Breached) {
                    s.revalidation.production_overdue += 1;
                }
            }
            if p.expired {
                s.revalidation.expired_in_production += 1;
            }
        }
    }

    s.latency.overall = durations(&latency);
    s.latency.by_week = latency_week
        .iter()
        .map(|(w, v)| (w.clone(), durations(v)))
        .collect();
    s.latency.by_risk = s
        .latency
        .samples
        .iter()
        .map(|(r, v)| (*r, durations(v)))
        .collect();
    s.gates.pass = gate.rate();
    s.gates.by_risk = rates(&gate_risk);
    s.gates.by_week = rates(&gate_week);
    s.sla.on_time = on_time.rate();
    s.sla.on_time_by_risk = rates(&on_time_risk);
    s.sla.next_deadline = s.sla.next_deadline_ms.map(rfc3339);
    s.audit.complete = audit.rate();
    let r = &mut s.rollbacks;
    r.rate = Rate::new(r.rollbacks, r.promotes + r.rollbacks);
    r.ratified = ratify_secs.len();
    r.median_ratify_seconds = durations(&ratify_secs).p50_seconds;
    r.unratified = deploy.unratified;
    r.overdue = deploy.overdue;
    s.unexplained_aliases = deploy.unexplained.clone();
    s.period = period;
    s
}
