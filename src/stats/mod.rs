//! The approval process in numbers (docs/stats.md): latency, gate pass rate,
//! decisions by category, rollbacks, audit completeness, throughput,
//! coverage, SLA, revalidation and reviewer load, from valid records only.
//! Pure: the service gathers the facts, `now` is a parameter.

mod compute;
pub mod exposition;
mod period;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::review::queue::Kind;
use crate::review::risk::Risk;
use crate::review::sla::SlaState;
use crate::trust::record::Checked;
use crate::trust::state::Derived;

pub use compute::compute;
pub use period::{Period, parse_instant};

/// What `modelgate stats` is asked for.
#[derive(Debug, Clone, Default)]
pub struct StatsFilter {
    /// Events (records) before this are left out; RFC 3339, a date, or an age (`30d`).
    pub since: Option<String>,
    pub until: Option<String>,
    /// A glob on model names.
    pub model: Option<String>,
    pub risk: Option<Risk>,
}

/// One version as the figures need it, gathered by the service.
pub struct VersionFacts<'a> {
    pub model: &'a str,
    pub version: &'a str,
    /// The effective risk (the records' where they raise it).
    pub risk: Risk,
    pub sla_hours: f64,
    /// When the review was asked for by tag, else the version's creation.
    pub submitted_ms: i64,
    pub checked: &'a [Checked],
    /// `None` for a version without records.
    pub derived: Option<&'a Derived>,
    /// An open entry of the queue: its kind, SLA state and deadline.
    pub open: Option<OpenEntry>,
    /// Digests of the evidence documents stored on the version (PROTOCOL 7).
    pub evidence_stored: Vec<String>,
    /// Roles whose approve needed checklist answers and carried none.
    pub checklist_missing: Vec<String>,
    /// `Some` for the holder of the production alias.
    pub production: Option<Production>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OpenEntry {
    pub kind: Kind,
    pub sla: SlaState,
    /// `None` while unscheduled.
    pub deadline_ms: Option<i64>,
    /// The roles that can act on it now: required and not yet covered (all
    /// required roles for a renewal).
    pub roles: Vec<String>,
}

/// The production holder's reports and approval.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Production {
    pub explainability: bool,
    pub fairness: bool,
    pub model_card: bool,
    pub security_scan_clean: bool,
    /// Past its expiry with no renewal.
    pub expired: bool,
}

/// What the deployments say now, beyond the records of the period.
#[derive(Debug, Clone, Default)]
pub struct DeployFacts {
    pub unratified: usize,
    pub overdue: usize,
    /// Models whose production alias no valid record explains.
    pub unexplained: Vec<String>,
}

/// A duration as people read it: `45m`, `3h12m`, `4.5d`.
pub fn human_duration(secs: i64) -> String {
    let m = secs.max(0) / 60;
    if m < 60 {
        format!("{m}m")
    } else if m < 48 * 60 {
        format!("{}h{:02}m", m / 60, m % 60)
    } else {
        format!("{:.1}d", secs as f64 / 86_400.0)
    }
}

/// A share: `part` of `whole`, `share` null when `whole` is 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Rate {
    pub part: usize,
    pub whole: usize,
    pub share: Option<f64>,
}

impl Rate {
    pub fn new(part: usize, whole: usize) -> Rate {
        Rate {
            part,
            whole,
            share: (whole > 0).then(|| part as f64 / whole as f64),
        }
    }
}

/// Durations in seconds: count, nearest-rank p50 and p90, max.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Durations {
    pub count: usize,
    pub p50_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
    pub max_seconds: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Latency {
    pub overall: Durations,
    pub by_risk: BTreeMap<Risk, Durations>,
    /// By ISO week of the approval (`2026-W48`).
    pub by_week: BTreeMap<String, Durations>,
    /// Every latency by tier, for the exporter's histogram.
    #[serde(skip)]
    pub samples: BTreeMap<Risk, Vec<i64>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Gates {
    /// Submissions whose recorded gates had no deny and no error.
    pub pass: Rate,
    pub by_risk: BTreeMap<Risk, Rate>,
    pub by_week: BTreeMap<String, Rate>,
    /// Submissions by outcome: pass, deny, error.
    pub results: BTreeMap<Risk, BTreeMap<String, usize>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Decisions {
    /// Rejections and change requests by category (PROTOCOL 13).
    pub by_category: BTreeMap<String, usize>,
    pub by_risk: BTreeMap<Risk, BTreeMap<String, usize>>,
    /// Every signed decision by action, then category (`none` where an action has none).
    pub by_action: BTreeMap<String, BTreeMap<String, usize>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Rollbacks {
    pub promotes: usize,
    pub rollbacks: usize,
    /// rollbacks / (promotes + rollbacks).
    pub rate: Rate,
    pub break_glass: usize,
    /// Now, whatever the period: rollbacks waiting for a second signature.
    pub unratified: usize,
    pub overdue: usize,
    pub ratified: usize,
    pub median_ratify_seconds: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incomplete {
    pub model: String,
    pub version: String,
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Audit {
    /// Approved versions complete in every way.
    pub complete: Rate,
    pub incomplete: Vec<Incomplete>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Week {
    pub approvals: usize,
    pub rejections: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Coverage {
    /// Versions holding the production alias.
    pub production: usize,
    pub explainability: Rate,
    pub fairness: Rate,
    pub model_card: Rate,
    pub security_scan_clean: Rate,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SlaFigures {
    /// Decided reviews decided by their deadline.
    pub on_time: Rate,
    pub on_time_by_risk: BTreeMap<Risk, Rate>,
    /// Open entries now by tier, then SLA state.
    pub open: BTreeMap<Risk, BTreeMap<String, usize>>,
    pub at_risk: usize,
    pub breached: usize,
    /// The most urgent open deadline (RFC 3339).
    pub next_deadline: Option<String>,
    #[serde(skip)]
    pub next_deadline_ms: Option<i64>,
    /// Open entries by tier, kind and SLA state, for the exporter.
    #[serde(skip)]
    pub open_by_kind: BTreeMap<(Risk, Kind, SlaState), usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RevalidationFigures {
    /// Signed reopens in the period, by trigger.
    pub reopens_by_trigger: BTreeMap<String, usize>,
    /// Now: versions in revalidation, renewals due.
    pub in_revalidation: usize,
    pub renewals_due: usize,
    /// Production holders in revalidation, those past their deadline, and
    /// those whose approval expired.
    pub production_in_revalidation: usize,
    pub production_overdue: usize,
    pub expired_in_production: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Load {
    /// Open reviews each role could act on now (required, not yet covered).
    pub open_by_role: BTreeMap<String, usize>,
    /// Signed decisions in the period by actor.
    pub decisions_by_actor: BTreeMap<String, usize>,
}

/// Every figure of `modelgate stats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    pub period: Period,
    pub generated_at: String,
    pub versions: usize,
    /// Valid records counted, and invalid ones left out of every figure.
    pub records: usize,
    pub invalid_records: usize,
    pub approved_versions: usize,
    pub latency: Latency,
    pub gates: Gates,
    pub decisions: Decisions,
    pub rollbacks: Rollbacks,
    pub audit: Audit,
    pub throughput: BTreeMap<String, Week>,
    pub coverage: Coverage,
    pub sla: SlaFigures,
    pub revalidation: RevalidationFigures,
    pub load: Load,
    pub unexplained_aliases: Vec<String>,
    /// What could not be read; the figures stand without it.
    pub problems: Vec<String>,
}
