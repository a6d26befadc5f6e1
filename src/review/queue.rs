//! The reviewer queue (PROTOCOL 3, 4, 10): one item per review, sorted by
//! deadline, breached first. Pure: the service hands in registry values and `now`.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::metrics::{self, Better, MetricDiff};
use super::risk::{Risk, RiskSettings};
use super::sla::{self, SlaState};
use super::state::{ReviewState, TAG_BASELINE, TAG_REVIEW, TAG_SUBMITTED_AT, TAG_SUBMITTED_BY};
use crate::registry::{ModelVersion, RegisteredModel, Run};

/// A signed approval counted for a review (filled by the trust layer).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Approval {
    pub actor: String,
    pub role: String,
    pub at: String,
    pub verified: bool,
}

/// One row of the queue, exactly what `queue --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueItem {
    pub model: String,
    pub version: String,
    /// A first review, a revalidation, or a renewal due (PROTOCOL 15).
    pub kind: Kind,
    /// Why a revalidation is open: trigger names, recorded ones first.
    pub triggers: Vec<String>,
    pub risk: Risk,
    pub state: ReviewState,
    pub submitted_at: String,
    pub submitted_by: Option<String>,
    /// Null for an unscheduled revalidation.
    pub deadline: Option<String>,
    pub sla_state: SlaState,
    pub remaining_seconds: i64,
    pub baseline: Option<String>,
    pub required_roles: Vec<String>,
    pub approvals: Vec<Approval>,
    pub metrics: Vec<MetricDiff>,
    /// Null unless asked for: counts in `queue --gates`, the full report in `show`.
    pub gates: Option<crate::review::gates::ItemGates>,
    /// What could not be read or trusted, each naming model, version and cause.
    pub problems: Vec<String>,
    #[serde(skip)]
    pub deadline_ms: i64,
    /// The effective SLA hours the deadline was computed with.
    #[serde(skip)]
    pub sla_hours: f64,
    /// The run's author (`mlflow.user`): the console's "mine" filter needs the
    /// authors of PROTOCOL 9 without a second fetch.
    #[serde(skip)]
    pub run_user: Option<String>,
}

/// Everything the queue needs of one version, already fetched.
pub struct ReviewInput<'a> {
    pub version: &'a ModelVersion,
    pub model: Option<&'a RegisteredModel>,
    pub run: Option<&'a Run>,
    pub baseline: Option<String>,
    /// `None` when there is no baseline or its run could not be found.
    pub baseline_run: Option<&'a Run>,
    /// What the signed records say (the trust layer fills it).
    pub trust: Trust,
    /// What could not be loaded for this review alone (its baseline, say):
    /// a problem on the review, never a failure of the whole queue.
    pub load_problems: Vec<String>,
}

/// What a queue entry asks of reviewers (PROTOCOL 15). Shown with a glyph
/// and a word, never by colour alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    #[default]
    Review,
    Revalidation,
    Renewal,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Review, Kind::Revalidation, Kind::Renewal];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Review => "review",
            Kind::Revalidation => "revalidation",
            Kind::Renewal => "renewal",
        }
    }

    pub fn glyph(self) -> &'static str {
        match self {
            Kind::Review => "◇",
            Kind::Revalidation => "↻",
            Kind::Renewal => "◷",
        }
    }
}

/// The signed records' view of a review (PROTOCOL 9, 10).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trust {
    pub state: ReviewState,
    pub approvals: Vec<Approval>,
    /// The latest valid signed submit: it replaces the submission tags.
    pub submitted_ms: Option<i64>,
    pub submitted_by: Option<String>,
    /// When the deciding record was signed: the SLA clock stops there.
    pub decided_ms: Option<i64>,
    /// A revalidation's triggers, recorded ones first.
    pub triggers: Vec<String>,
    /// The earliest reopen among them: a revalidation's clock starts there.
    pub reopened_ms: Option<i64>,
    /// The approval's renewal window, `(from, expiry)`, when it has one.
    pub renewal_ms: Option<(i64, i64)>,
    /// Now is inside that window and the version is still approved.
    pub renewal_due: bool,
}

/// What the queue settings hold beyond risk: the production alias and metric directions.
pub struct QueueSettings<'a> {
    pub risk: &'a RiskSettings,
    pub production_alias: &'a str,
    pub metric_direction: &'a BTreeMap<String, Better>,
}

pub fn rfc3339_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_else(|| format!("@{ms}ms"))
}

/// Parses an RFC 3339 time (or epoch milliseconds, as some pipelines write) to ms.
pub fn parse_time_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    s.parse::<i64>().ok().filter(|ms| *ms > 0)
}

/// The baseline of a version (PROTOCOL 4): its `modelgate.baseline` tag, else the
/// version holding the production alias, none when that is the version itself.
pub fn baseline_of(
    version: &ModelVersion,
    model: Option<&RegisteredModel>,
    production_alias: &str,
) -> Option<String> {
    if let Some(b) = version
        .tags
        .get(TAG_BASELINE)
        .map(|b| b.trim())
        .filter(|b| is_version_number(b))
    {
        return (b != version.version).then(|| b.to_owned());
    }
    let champion = model?.aliases.get(production_alias)?;
    (champion != &version.version).then(|| champion.clone())
}

/// A registry version number: a positive decimal integer that fits the
/// registries' 64-bit column, written without sign, point or leading zero.
pub fn is_version_number(s: &str) -> bool {
    !s.starts_with('0')
        && s.bytes().all(|b| b.is_ascii_digit())
        && s.parse::<i64>().is_ok_and(|n| n > 0)
}

/// The problem with a `modelgate.baseline` tag that names no version number
/// (the tag is then ignored and the production alias decides).
fn baseline_tag_problem(v: &ModelVersion) -> Option<String> {
    let raw = v.tags.get(TAG_BASELINE)?;
    let b = raw.trim();
    (!b.is_empty() && !is_version_number(b)).then(|| {
        format!(
            "model {} version {}: {TAG_BASELINE} = {raw:?} is not a version number; it is ignored and the version holding the production alias is the baseline",
            v.name, v.version
        )
    })
}

/// When the review was submitted, with a problem when the tag cannot be read.
pub fn submitted_ms(v: &ModelVersion, problems: &mut Vec<String>) -> i64 {
    match v.tags.get(TAG_SUBMITTED_AT) {
        None => v.creation_timestamp,
        Some(raw) => parse_time_ms(raw).unwrap_or_else(|| {
            problems.push(format!(
                "model {} version {}: {TAG_SUBMITTED_AT} = {raw:?} is not an RFC 3339 time; the version's creation time is used",
                v.name, v.version
            ));
            v.creation_timestamp
        }),
    }
}

pub fn build_item(input: &ReviewInput<'_>, settings: &QueueSettings<'_>, now_ms: i64) -> QueueItem {
    let v = input.version;
    let empty = Default::default();
    let model_tags = input.model.map(|m| &m.tags).unwrap_or(&empty);
    let eff = settings.risk.effective(&v.name, model_tags);
    let mut problems = eff.problems;
    let t = &input.trust;
    let submitted = match t.submitted_ms {
        Some(ms) => ms,
        None => submitted_ms(v, &mut problems),
    };
    let (kind, s) = entry_clock(t, submitted, eff.sla_hours, now_ms);
    let metrics = match input.run {
        Some(run) => metrics::diff(
            &run.metrics,
            input.baseline_run.map(|r| &r.metrics),
            settings.metric_direction,
        ),
        None => {
            problems.push(missing_run(v));
            Vec::new()
        }
    };
    if let Some(tag) = v
        .tags
        .get(TAG_REVIEW)
        .filter(|tag| tag.as_str() != t.state.as_str())
    {
        problems.push(format!(
            "model {} version {}: its {TAG_REVIEW} tag says {tag:?} but the derived state is {}; no valid signed record supports the tag",
            v.name,
            v.version,
            t.state.as_str()
        ));
    }
    problems.extend(baseline_tag_problem(v));
    problems.extend(input.load_problems.iter().cloned());
    if let (Some(b), None, true) = (
        &input.baseline,
        input.baseline_run,
        input.load_problems.is_empty(),
    ) {
        problems.push(format!(
            "model {} version {}: the run of baseline version {b} could not be found; metrics show no baseline",
            v.name, v.version
        ));
    }
    QueueItem {
        model: v.name.clone(),
        version: v.version.clone(),
        kind,
        triggers: t.triggers.clone(),
        risk: eff.risk,
        state: t.state,
        submitted_at: rfc3339_ms(submitted),
        submitted_by: t
            .submitted_by
            .clone()
            .or_else(|| v.tags.get(TAG_SUBMITTED_BY).cloned()),
        deadline: (s.state != SlaState::Unscheduled).then(|| rfc3339_ms(s.deadline_ms)),
        sla_state: s.state,
        remaining_seconds: s.remaining_seconds,
        baseline: input.baseline.clone(),
        required_roles: eff.required_roles,
        approvals: t.approvals.clone(),
        metrics,
        gates: None,
        problems,
        deadline_ms: s.deadline_ms,
        sla_hours: eff.sla_hours,
        run_user: input.run.and_then(|r| r.user().map(str::to_owned)),
    }
}

/// What kind of entry a version with this trust view makes, and its SLA
/// clock (PROTOCOL 10); `submitted_ms` and `sla_hours` as the queue has them.
pub fn entry_clock(t: &Trust, submitted_ms: i64, sla_hours: f64, now_ms: i64) -> (Kind, sla::Sla) {
    let kind = kind_of(t);
    (kind, clock(t, kind, submitted_ms, sla_hours, now_ms))
}

fn kind_of(t: &Trust) -> Kind {
    match t.state {
        ReviewState::Revalidation => Kind::Revalidation,
        ReviewState::Approved if t.renewal_due => Kind::Renewal,
        _ => Kind::Review,
    }
}

/// The SLA of an entry (PROTOCOL 10): a review's from its submission; a
/// revalidation's from its earliest reopen, else (periodic) the expiry with
/// the renewal window as the time to act, else unscheduled; a renewal's is
/// its expiry, the window being the time to act.
fn clock(t: &Trust, kind: Kind, submitted: i64, sla_hours: f64, now_ms: i64) -> sla::Sla {
    let window =
        |(from, until): (i64, i64)| sla::compute(from, (until - from) as f64 / 3_600_000.0, now_ms);
    let periodic = t.triggers.iter().any(|x| x == "periodic");
    match (kind, t.reopened_ms, t.renewal_ms) {
        (Kind::Revalidation, Some(at), _) => sla::compute(at, sla_hours, now_ms),
        (Kind::Revalidation, None, Some(w)) if periodic => window(w),
        (Kind::Revalidation, None, _) => sla::Sla {
            deadline_ms: i64::MIN,
            remaining_seconds: 0,
            state: SlaState::Unscheduled,
        },
        (Kind::Renewal, _, Some(w)) => window(w),
        _ if t.state.clock_runs() => sla::compute(submitted, sla_hours, now_ms),
        _ => {
            let end = t.decided_ms.unwrap_or(now_ms).min(now_ms);
            sla::Sla {
                state: SlaState::Stopped,
                ..sla::compute(submitted, sla_hours, end)
            }
        }
    }
}

/// Applies a fuller trust view to an item built earlier: state, kind,
/// approvals and the SLA clock, which stops when the deciding record was signed.
pub fn restate(item: &mut QueueItem, t: &Trust, now_ms: i64) {
    item.state = t.state;
    item.approvals = t.approvals.clone();
    item.kind = kind_of(t);
    item.triggers = t.triggers.clone();
    let submitted = parse_time_ms(&item.submitted_at).unwrap_or(item.deadline_ms);
    let s = clock(t, item.kind, submitted, item.sla_hours, now_ms);
    item.deadline = (s.state != SlaState::Unscheduled).then(|| rfc3339_ms(s.deadline_ms));
    item.deadline_ms = s.deadline_ms;
    item.remaining_seconds = s.remaining_seconds;
    item.sla_state = s.state;
}

pub fn missing_run(v: &ModelVersion) -> String {
    match &v.run_id {
        Some(id) => format!(
            "model {} version {}: its run {id} is gone from the registry; metrics and reports cannot be shown",
            v.name, v.version
        ),
        None => format!(
            "model {} version {}: it names no run; metrics and reports cannot be shown",
            v.name, v.version
        ),
    }
}

/// Numeric version order ("10" after "9"); non-numeric versions sort by text after.
fn version_key(v: &str) -> (u64, &str) {
    (v.parse().unwrap_or(u64::MAX), v)
}

/// Deadline first (breached, the most overdue, on top), then model and version.
pub fn sort(items: &mut [QueueItem]) {
    items.sort_by(|a, b| {
        a.deadline_ms
            .cmp(&b.deadline_ms)
            .then_with(|| a.model.cmp(&b.model))
            .then_with(|| version_key(&a.version).cmp(&version_key(&b.version)))
    });
}

/// Builds and sorts the whole queue.
pub fn build(
    inputs: &[ReviewInput<'_>],
    settings: &QueueSettings<'_>,
    now_ms: i64,
) -> Vec<QueueItem> {
    let mut items: Vec<QueueItem> = inputs
        .iter()
        .map(|i| build_item(i, settings, now_ms))
        .collect();
    sort(&mut items);
    items
}

/// Counts for a header line: pending reviews, revalidations, renewals due,
/// and of those, at risk and breached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub pending: usize,
    pub revalidation: usize,
    pub renewal: usize,
    pub at_risk: usize,
    pub breached: usize,
}

pub fn counts(items: &[QueueItem]) -> Counts {
    let mut c = Counts::default();
    for i in items {
        match (i.kind, i.state) {
            (Kind::Revalidation, _) => c.revalidation += 1,
            (Kind::Renewal, _) => c.renewal += 1,
            (_, ReviewState::Pending) => c.pending += 1,
            _ => continue,
        }
        match i.sla_state {
            SlaState::AtRisk => c.at_risk += 1,
            SlaState::Breached => c.breached += 1,
            _ => {}
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Tags;

    const H: i64 = 3_600_000;

    fn version(name: &str, v: &str, tags: &[(&str, &str)]) -> ModelVersion {
        ModelVersion {
            name: name.into(),
            version: v.into(),
            creation_timestamp: 0,
            source: format!("runs:/r{v}/model"),
            run_id: Some(format!("r{v}")),
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..Default::default()
        }
    }

    fn model(name: &str, risk: &str, champion: Option<&str>) -> RegisteredModel {
        RegisteredModel {
            name: name.into(),
            tags: Tags::from([("modelgate.risk".into(), risk.into())]),
            aliases: champion
                .map(|c| ("champion".to_owned(), c.to_owned()))
                .into_iter()
                .collect(),
            ..Default::default()
        }
    }

    fn run(id: &str, auc: f64) -> Run {
        Run {
            run_id: id.into(),
            metrics: BTreeMap::from([("auc".into(), auc)]),
            ..Default::default()
        }
    }

    #[test]
    fn queue_is_sorted_by_deadline_with_sla_states() {
        let rs = RiskSettings::default();
        let dirs = BTreeMap::new();
        let settings = QueueSettings {
            risk: &rs,
            production_alias: "champion",
            metric_direction: &dirs,
        };
        let crit = model("fraud", "critical", Some("5"));
        let low = model("churn", "low", None);
        let v7 = version(
            "fraud",
            "7",
            &[("modelgate.submitted_at", "1970-01-01T00:00:00Z")],
        );
        let v2 = version(
            "churn",
            "2",
            &[("modelgate.submitted_at", "1970-01-02T00:00:00Z")],
        );
        let v3 = version("churn", "3", &[("modelgate.submitted_at", "garbage")]);
        let (r7, r5, r2) = (run("r7", 0.93), run("r5", 0.91), run("r2", 0.5));
        let inputs = [
            ReviewInput {
                version: &v2,
                model: Some(&low),
                run: Some(&r2),
                baseline: None,
                baseline_run: None,
                trust: Trust::default(),
                load_problems: Vec::new(),
            },
            ReviewInput {
                version: &v7,
                model: Some(&crit),
                run: Some(&r7),
                baseline: baseline_of(&v7, Some(&crit), "champion"),
                baseline_run: Some(&r5),
                trust: Trust::default(),
                load_problems: Vec::new(),
            },
            ReviewInput {
                version: &v3,
                model: Some(&low),
                run: None,
                baseline: None,
                baseline_run: None,
                trust: Trust::default(),
                load_problems: Vec::new(),
            },
        ];
        let q = build(&inputs, &settings, 30 * H);
        let order: Vec<_> = q
            .iter()
            .map(|i| (i.model.as_str(), i.version.as_str(), i.sla_state))
            .collect();
        assert_eq!(
            order,
            [
                ("fraud", "7", SlaState::Breached),
                ("churn", "3", SlaState::OnTrack),
                ("churn", "2", SlaState::OnTrack)
            ]
        );
        assert_eq!(q[0].baseline.as_deref(), Some("5"));
        assert_eq!(q[0].remaining_seconds, -6 * 3600);
        assert_eq!(q[0].deadline.as_deref(), Some("1970-01-02T00:00:00Z"));
        assert_eq!(q[0].metrics[0].verdict, metrics::Verdict::Improved);
        assert_eq!(
            q[1].problems.len(),
            2,
            "bad time and missing run: {:?}",
            q[1].problems
        );
        assert!(q[1].problems[0].contains("churn version 3"));
        assert_eq!(
            counts(&q),
            Counts {
                pending: 3,
                breached: 1,
                ..Counts::default()
            }
        );
    }

    #[test]
    fn baseline_rules() {
        let m = model("fraud", "low", Some("5"));
        assert_eq!(
            baseline_of(&version("fraud", "7", &[]), Some(&m), "champion").as_deref(),
            Some("5")
        );
        assert_eq!(
            baseline_of(&version("fraud", "5", &[]), Some(&m), "champion"),
            None,
            "the champion itself"
        );
        let tagged = version("fraud", "7", &[("modelgate.baseline", "3")]);
        assert_eq!(
            baseline_of(&tagged, Some(&m), "champion").as_deref(),
            Some("3")
        );
        assert_eq!(
            baseline_of(&version("fraud", "7", &[]), None, "champion"),
            None
        );
    }

    #[test]
    fn decided_reviews_stop_the_clock() {
        let rs = RiskSettings::default();
        let dirs = BTreeMap::new();
        let settings = QueueSettings {
            risk: &rs,
            production_alias: "champion",
            metric_direction: &dirs,
        };
        let v = version("m", "1", &[]);
        let r = run("r1", 0.5);
        let i = ReviewInput {
            version: &v,
            model: None,
            run: Some(&r),
            baseline: None,
            baseline_run: None,
            trust: Trust {
                state: ReviewState::Approved,
                ..Default::default()
            },
            load_problems: Vec::new(),
        };
        assert_eq!(
            build_item(&i, &settings, 1000 * H).sla_state,
            SlaState::Stopped
        );
    }

    #[test]
    fn version_order_is_numeric() {
        let mut v = vec!["10", "9", "x", "1"];
        v.sort_by_key(|s| version_key(s));
        assert_eq!(v, ["1", "9", "10", "x"]);
    }
}
