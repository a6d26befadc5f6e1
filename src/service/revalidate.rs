//! `modelgate revalidate` (PROTOCOL 15): the scheduled job that re-examines
//! every approval. Each `approved` or `revalidation` version and each
//! production alias holder gets its full review (`show`: evidence recomputed,
//! the configured policy, lifetimes, the roster), and what it comes to is
//! said: a renewal due, an expiry, a policy that now denies, changed
//! evidence, an approval the roster no longer backs, or nothing. With a
//! signer it also writes one `reopen` per implicit trigger not yet recorded
//! in the cycle, and brings the `modelgate.review` tag to the derived state.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::{StreamExt, stream};
use serde::Serialize;
use serde_json::Value;

use super::ReviewService;
use super::decide::{Decision, EVIDENCE_TAG_PREFIX, Refused, Signer};
use crate::registry::{ModelVersion, Result, VersionKey};
use crate::review::detail::ReviewDetail;
use crate::review::gates::{GateResult, ItemGates};
use crate::review::queue::Kind as QueueKind;
use crate::review::revalidation::{Trigger, TriggerFound};
use crate::review::state::{ReviewState, TAG_REVIEW, TAG_SUBMITTED_BY};
use crate::text::short_id;
use crate::trust::deploy::describe_findings;
use crate::trust::record::Action;
use crate::trust::state::Context;

/// How many versions are re-examined at once.
const CONCURRENCY: usize = 16;
/// How many changed metrics or files a finding names before it counts the rest.
const NAMED_CHANGES: usize = 8;
/// A reopen's reason may hold this many characters (PROTOCOL 6).
const REASON_MAX: usize = 4000;

/// What was found about one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Approved, no renewal due.
    Ok,
    /// Approved before modelgate, with no signed record: nothing to re-examine.
    Legacy,
    /// The `modelgate.review` tag differs from the derived state.
    Tag,
    /// Still approved, inside the renewal window.
    RenewalDue,
    /// The approval's lifetime ended (trigger `periodic`).
    Expired,
    /// The configured policy now denies or errs (trigger `policy`).
    Policy,
    /// The evidence differs from what the approvals signed (trigger `evidence`).
    Evidence,
    /// An approval that counted is no longer backed by the roster (trigger `roster`).
    Roster,
    /// A `reopen` record put it in revalidation (drift, incident, ...).
    Reopened,
    /// Neither approved nor in revalidation (a production alias holder, or a
    /// stale tag).
    NotApproved,
    /// It could not be read, its evidence cannot be computed, or it has
    /// integrity findings: nothing can be said, and nothing is written.
    Unreadable,
    /// `--apply` could not record a trigger.
    NotWritten,
}

impl Kind {
    /// Its part of the exit code: 0 nothing due, 1 due or triggered, 2 cannot tell.
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Ok | Kind::Legacy | Kind::Tag => 0,
            Kind::RenewalDue
            | Kind::Expired
            | Kind::Policy
            | Kind::Evidence
            | Kind::Roster
            | Kind::Reopened
            | Kind::NotApproved => 1,
            Kind::Unreadable | Kind::NotWritten => 2,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Ok => "ok",
            Kind::Legacy => "legacy",
            Kind::Tag => "tag",
            Kind::RenewalDue => "renewal_due",
            Kind::Expired => "expired",
            Kind::Policy => "policy",
            Kind::Evidence => "evidence",
            Kind::Roster => "roster",
            Kind::Reopened => "reopened",
            Kind::NotApproved => "not_approved",
            Kind::Unreadable => "unreadable",
            Kind::NotWritten => "not_written",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub kind: Kind,
    pub detail: String,
}

fn finding(kind: Kind, detail: impl Into<String>) -> Finding {
    Finding {
        kind,
        detail: detail.into(),
    }
}

/// One version's result, as `revalidate --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Revalidated {
    pub model: String,
    pub version: String,
    /// The derived state, after what `--apply` wrote; null when it could not
    /// be read.
    pub state: Option<ReviewState>,
    pub findings: Vec<Finding>,
    /// Ids of the `reopen` records written by this run.
    pub written: Vec<String>,
    /// Implicit triggers that no reopen recorded in the cycle when the run
    /// read the version: what `--apply` records.
    #[serde(skip)]
    pub unrecorded: Vec<Trigger>,
}

impl Revalidated {
    pub fn exit_code(&self) -> u8 {
        self.findings
            .iter()
            .map(|f| f.kind.exit_code())
            .max()
            .unwrap_or(0)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub versions: Vec<Revalidated>,
    /// 0 nothing due, 1 something due or triggered, 2 a version could not be told.
    pub exit_code: u8,
}

/// A version to re-examine, and whether it holds the production alias.
struct Target {
    key: VersionKey,
    holds_alias: bool,
}

fn numeric(v: &str) -> (u64, &str) {
    (v.parse().unwrap_or(u64::MAX), v)
}

impl ReviewService {
    /// Re-examines every `approved` and `revalidation` version and every
    /// production alias holder whose model matches `models` (all without
    /// it); with `apply`, records what is new. Fails only when the versions
    /// cannot be listed; a version that cannot be read is a finding.
    pub async fn revalidate(
        &self,
        models: Option<&glob::Pattern>,
        apply: Option<&Signer>,
        now_ms: i64,
    ) -> Result<Report> {
        let wanted = |name: &str| models.is_none_or(|p| p.matches(name));
        let mut found: BTreeMap<VersionKey, bool> = BTreeMap::new();
        for st in [ReviewState::Approved, ReviewState::Revalidation] {
            for v in self
                .registry
                .search_versions_by_tag(TAG_REVIEW, st.as_str())
                .await?
            {
                if wanted(&v.name) {
                    found.insert(VersionKey::of(&v), false);
                }
            }
        }
        for m in self.registry.list_registered_models().await? {
            if let Some(h) = m.aliases.get(&self.config.production_alias)
                && wanted(&m.name)
            {
                found.insert(VersionKey::new(&m.name, h), true);
            }
        }
        let mut targets: Vec<Target> = found
            .into_iter()
            .map(|(key, holds_alias)| Target { key, holds_alias })
            .collect();
        targets.sort_by(|a, b| {
            (&a.key.model, numeric(&a.key.version)).cmp(&(&b.key.model, numeric(&b.key.version)))
        });
        let versions: Vec<Revalidated> = stream::iter(
            targets
                .iter()
                .map(|t| self.revalidate_one(t, apply, now_ms)),
        )
        .buffered(CONCURRENCY)
        .collect()
        .await;
        let exit_code = versions
            .iter()
            .map(Revalidated::exit_code)
            .max()
            .unwrap_or(0);
        Ok(Report {
            versions,
            exit_code,
        })
    }

    async fn revalidate_one(&self, t: &Target, apply: Option<&Signer>, now_ms: i64) -> Revalidated {
        let (model, version) = (t.key.model.as_str(), t.key.version.as_str());
        let mut out = Revalidated {
            model: model.to_owned(),
            version: version.to_owned(),
            state: None,
            findings: Vec::new(),
            written: Vec::new(),
            unrecorded: Vec::new(),
        };
        let detail = match self.show(model, version, now_ms).await {
            Ok(d) => d,
            Err(e) => {
                out.findings
                    .push(finding(Kind::Unreadable, format!("cannot be read: {e}")));
                return out;
            }
        };
        let state = detail.summary.state;
        out.state = Some(state);
        let v = ModelVersion {
            name: model.to_owned(),
            version: version.to_owned(),
            tags: detail.version_tags.clone(),
            ..Default::default()
        };
        let checked = self.check_records(&v);
        // PROTOCOL 11: nothing is said, or signed, on a version with integrity findings.
        let integrity = self.integrity_findings(model, version, &checked, now_ms);
        if !integrity.is_empty() {
            out.findings.push(finding(
                Kind::Unreadable,
                format!(
                    "integrity findings: {}; run `modelgate audit verify --model {model}`",
                    describe_findings(&integrity)
                ),
            ));
            return out;
        }
        if checked.is_empty() {
            out.findings.push(finding(
                Kind::Legacy,
                "approved or deployed before modelgate, with no signed record: nothing to re-examine",
            ));
            return out;
        }
        if detail.evidence.is_none() {
            out.findings.push(finding(
                Kind::Unreadable,
                format!(
                    "the evidence cannot be computed: {}",
                    detail.summary.problems.join("; ")
                ),
            ));
            return out;
        }
        out.findings = assess(&detail, t.holds_alias, &self.config.production_alias);
        let tag = detail.version_tags.get(TAG_REVIEW).cloned();
        let stale_tag = tag.as_deref() != Some(state.as_str());
        if stale_tag {
            out.findings.push(finding(
                Kind::Tag,
                format!(
                    "modelgate.review says {} but the derived state is {}",
                    tag.as_deref()
                        .map_or("nothing".to_owned(), |t| format!("{t:?}")),
                    state.as_str()
                ),
            ));
        }
        out.unrecorded = detail
            .revalidation
            .iter()
            .flat_map(|r| &r.triggers)
            .filter(|t| t.record.is_none() && t.trigger.implicit())
            .map(|t| t.trigger)
            .collect();
        let Some(signer) = apply else {
            return out;
        };
        for trigger in out.unrecorded.clone() {
            let approved_at = detail
                .revalidation
                .as_ref()
                .and_then(|r| r.approved_at.as_deref());
            let reason = reason_for(trigger, &out.findings, approved_at);
            let d = Decision {
                reason: Some(reason),
                trigger: Some(trigger),
                ..Decision::new(Action::Reopen)
            };
            match self.decide(model, version, &d, signer, now_ms).await {
                Ok(o) => {
                    if o.written {
                        out.written.push(o.id);
                    }
                    out.state = Some(o.state);
                }
                Err(e) => out.findings.push(finding(
                    Kind::NotWritten,
                    format!("the {trigger} reopen was not recorded: {}", refusal(&e)),
                )),
            }
        }
        // A reopen settles the tag itself; without one, a stale tag is set here.
        if out.written.is_empty() && stale_tag {
            match self.settle_tag(&detail, now_ms).await {
                Ok(s) => out.state = Some(s),
                Err(e) => out.findings.push(finding(
                    Kind::NotWritten,
                    format!("the modelgate.review tag could not be set: {e}"),
                )),
            }
        }
        let failed = out.findings.iter().any(|f| f.kind == Kind::NotWritten);
        if let (Some(now), false) = (out.state, failed)
            && let Some(f) = out.findings.iter_mut().find(|f| f.kind == Kind::Tag)
        {
            f.detail.push_str(&format!("; set to {}", now.as_str()));
        }
        out
    }

    /// Rewrites the review tag to the state derived from every record, with
    /// the evidence and gates `detail` was shown with (as a decision does).
    async fn settle_tag(&self, detail: &ReviewDetail, now_ms: i64) -> Result<ReviewState> {
        let (model, version) = (&detail.summary.model, &detail.summary.version);
        let v = self.registry.get_version(model, version).await?;
        let checked = self.check_records(&v);
        let run_authors = self.authors_of(&v, &checked).await?;
        let gates = gate_result(self, detail);
        let ctx = Context {
            evidence: detail.evidence.as_deref(),
            risk: detail.summary.risk,
            required_roles: &detail.summary.required_roles,
            submitted_by_tag: v.tags.get(TAG_SUBMITTED_BY).map(String::as_str),
            run_authors: &run_authors,
            gate_denies: &gates.deny,
            gate_warns: &gates.warn,
            gate_error: gates.error.as_deref(),
            automation_risks: &self.config.automation_risks,
            checklists: &self.config.checklists,
            lifetimes: &self.config.lifetimes,
            now: now_ms.div_euclid(1000),
        };
        self.settle_review_tag(model, version, &ctx)
            .await
            .map(|s| s.state)
            .map_err(|f| f.error)
    }

    /// Why `signer` cannot sign reopens at all, before anything is read:
    /// not in the roster, a key that is not theirs or not valid now, or no
    /// role that signs a reopen.
    pub fn reopen_signer_problem(&self, signer: &Signer, now_ms: i64) -> Option<String> {
        let roster = match self.roster() {
            Ok(r) => r,
            Err(e) => return Some(e),
        };
        let Some(me) = roster.get(&signer.identity) else {
            return Some(format!(
                "identity {:?} is not in the roster; ask whoever keeps the roster to add it (role monitor)",
                signer.identity
            ));
        };
        let fingerprint = crate::trust::keys::fingerprint(&signer.key);
        let at = chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default();
        match me.keys.iter().find(|k| k.fingerprint == fingerprint) {
            None => {
                return Some(format!(
                    "the key {fingerprint} is not a key of {} in the roster",
                    me.id
                ));
            }
            Some(k) if !k.valid_at(at) => {
                return Some(format!(
                    "the key {fingerprint} of {} is not valid now",
                    me.id
                ));
            }
            Some(_) => {}
        }
        let roles = Action::Reopen.allowed_roles().unwrap_or_default();
        if !roles.iter().any(|r| me.has_role(r)) {
            return Some(format!(
                "{} holds none of the roles that sign a reopen ({}); a scheduled job uses a monitor identity",
                me.id,
                roles.join(", ")
            ));
        }
        None
    }
}

/// The gate results `show` evaluated, or an evaluation now.
fn gate_result(s: &ReviewService, detail: &ReviewDetail) -> GateResult {
    match &detail.summary.gates {
        Some(ItemGates::Report(r)) => r.result.clone(),
        _ => s.evaluate_gates(detail).result,
    }
}

fn refusal(e: &Refused) -> String {
    match e {
        Refused::Unfinished(u) => format!("{} ({})", u.error, u.writes.describe()),
        e => e.to_string(),
    }
}

/// The reason a reopen for `trigger` records: what the run found, and which
/// approval it re-examines. Naming the approval keeps the reason apart from
/// an earlier cycle's: a reopen with the same trigger and reason in the round
/// counts as a retry of that one and is not written again.
fn reason_for(trigger: Trigger, findings: &[Finding], approved_at: Option<&str>) -> String {
    let kind = match trigger {
        Trigger::Periodic => Kind::Expired,
        Trigger::Policy => Kind::Policy,
        Trigger::Evidence => Kind::Evidence,
        _ => Kind::Roster,
    };
    let found = findings
        .iter()
        .find(|f| f.kind == kind)
        .map_or_else(|| format!("{trigger} trigger"), |f| f.detail.clone());
    // The expiry's own words already name the approval.
    let suffix = match approved_at {
        Some(q) if trigger != Trigger::Periodic => format!(" (the approval of {q})"),
        _ => String::new(),
    };
    let head = format!("modelgate revalidate: {found}");
    let room = REASON_MAX - suffix.chars().count();
    let mut text: String = if head.chars().count() <= room {
        head
    } else {
        let mut cut: String = head.chars().take(room - 1).collect();
        cut.push('…');
        cut
    };
    text.push_str(&suffix);
    text
}

/// The valid `approve` records among `show`'s records (lapsed ones too,
/// when `lapsed`), newest first, as their fields.
fn approvals(
    detail: &ReviewDetail,
    lapsed: bool,
) -> Vec<(&Value, &serde_json::Map<String, Value>)> {
    let mut out: Vec<(&Value, &serde_json::Map<String, Value>)> = detail
        .records
        .iter()
        .filter(|r| r["action"] == "approve")
        .filter(|r| r["valid"] == true || (lapsed && is_lapsed(r)))
        .filter_map(|r| Some((r, r["record"].as_object()?)))
        .collect();
    out.sort_by(|a, b| b.0["at"].as_str().cmp(&a.0["at"].as_str()));
    out
}

fn is_lapsed(r: &Value) -> bool {
    r["findings"].as_array().is_some_and(|f| {
        f.iter()
            .any(|x| x.as_str().is_some_and(|s| s.starts_with("lapsed: ")))
    })
}

/// What a version's full review comes to (pure: `detail` is read).
fn assess(detail: &ReviewDetail, holds_alias: bool, alias: &str) -> Vec<Finding> {
    let state = detail.summary.state;
    let reval = detail.revalidation.as_ref();
    let mut out = Vec::new();
    match state {
        ReviewState::Approved => {
            let expires = reval.and_then(|r| r.expires_at.as_deref());
            let from = reval.and_then(|r| r.renewal_from.as_deref());
            let due = detail.summary.kind == QueueKind::Renewal;
            match (expires, due) {
                (Some(e), true) => out.push(finding(
                    Kind::RenewalDue,
                    format!(
                        "renewal due by {e} (the renewal window opened {}; approved {})",
                        from.unwrap_or("?"),
                        reval.and_then(|r| r.approved_at.as_deref()).unwrap_or("?")
                    ),
                )),
                (Some(e), false) => {
                    out.push(finding(Kind::Ok, format!("approved until {e}")));
                }
                (None, _) => out.push(finding(Kind::Ok, "approved; the approval never expires")),
            }
        }
        ReviewState::Revalidation => {
            for t in reval.iter().flat_map(|r| &r.triggers) {
                out.push(trigger_finding(detail, t));
            }
        }
        other => {
            let mut why = if holds_alias {
                format!("holds {alias} but is {}", other.as_str())
            } else {
                format!("the derived state is {}", other.as_str())
            };
            if !detail.state_reasons.is_empty() {
                why.push_str(&format!(": {}", detail.state_reasons.join("; ")));
            }
            out.push(finding(Kind::NotApproved, why));
        }
    }
    out
}

/// One trigger in words.
fn trigger_finding(detail: &ReviewDetail, t: &TriggerFound) -> Finding {
    let recorded = match (&t.record, &t.by, &t.at) {
        (Some(id), Some(by), Some(at)) => {
            format!(" (recorded by reopen {} by {by} at {at})", short_id(id))
        }
        _ => String::new(),
    };
    let reval = detail.revalidation.as_ref();
    match t.trigger {
        Trigger::Periodic => finding(
            Kind::Expired,
            format!(
                "the approval expired at {} (approved {}){recorded}",
                reval.and_then(|r| r.expires_at.as_deref()).unwrap_or("?"),
                reval.and_then(|r| r.approved_at.as_deref()).unwrap_or("?")
            ),
        ),
        Trigger::Policy => finding(Kind::Policy, format!("{}{recorded}", policy_detail(detail))),
        Trigger::Evidence => finding(
            Kind::Evidence,
            format!("{}{recorded}", evidence_detail(detail)),
        ),
        Trigger::Roster => finding(Kind::Roster, format!("{}{recorded}", roster_detail(detail))),
        other => finding(
            Kind::Reopened,
            format!(
                "reopened for {other}{}{recorded}",
                t.reason
                    .as_deref()
                    .map(|r| format!(": {}", crate::text::sanitize_line(r)))
                    .unwrap_or_default()
            ),
        ),
    }
}

/// The deny messages (or error) of the configured policy that the
/// approvals' recorded gates did not have.
fn policy_detail(detail: &ReviewDetail) -> String {
    let gates = match &detail.summary.gates {
        Some(ItemGates::Report(r)) => Some(&r.result),
        _ => None,
    };
    let Some(g) = gates else {
        return "the policy now denies".into();
    };
    if let Some(e) = &g.error {
        return format!("the policy now fails to evaluate: {e}");
    }
    let signed: BTreeSet<&str> = approvals(detail, true)
        .iter()
        .filter_map(|(_, f)| f.get("gates")?.get("deny")?.as_array())
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let new: Vec<&String> = g
        .deny
        .iter()
        .filter(|m| !signed.contains(m.as_str()))
        .collect();
    let shown = if new.is_empty() {
        g.deny.iter().collect()
    } else {
        new
    };
    let quoted: Vec<String> = shown.iter().map(|m| format!("{m:?}")).collect();
    format!(
        "the policy ({}) now denies: {}",
        short_id(g.policy.trim_start_matches("sha256:")),
        quoted.join("; ")
    )
}

/// What changed since the newest approval on other evidence signed: from
/// the evidence document it stored (PROTOCOL 7), else the digests alone.
fn evidence_detail(detail: &ReviewDetail) -> String {
    let current = detail.evidence.as_deref().unwrap_or("none");
    let signed = approvals(detail, true)
        .into_iter()
        .filter_map(|(_, f)| f.get("evidence")?.as_str())
        .find(|e| *e != current);
    let Some(signed) = signed else {
        return format!("the evidence changed since it was approved (now {current})");
    };
    let head = format!("the evidence changed from {signed} (approved) to {current}");
    let key = format!(
        "{EVIDENCE_TAG_PREFIX}{}",
        signed.trim_start_matches("sha256:")
    );
    let old = detail
        .version_tags
        .get(&key)
        .and_then(|t| serde_json::from_str::<Value>(t).ok());
    let new = detail
        .evidence_document
        .as_ref()
        .and_then(|d| serde_json::to_value(d).ok());
    match (old, new) {
        (Some(old), Some(new)) => {
            let changes = evidence_changes(&old, &new);
            if changes.is_empty() {
                head
            } else {
                format!("{head}: {}", changes.join(", "))
            }
        }
        _ => format!(
            "{head} (the approved evidence document is not stored, so what changed cannot be said)"
        ),
    }
}

/// The differences between two evidence documents, in words (pure).
pub fn evidence_changes(old: &Value, new: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for k in ["source", "run_id", "files_mode"] {
        if old[k] != new[k] {
            out.push(format!("{k} {} -> {}", old[k], new[k]));
        }
    }
    for side in ["inputs", "outputs"] {
        if old["schema"][side] != new["schema"][side] {
            out.push(format!("schema {side} changed"));
        }
    }
    let empty = serde_json::Map::new();
    let map = |v: &Value, k: &str| v[k].as_object().cloned().unwrap_or_else(|| empty.clone());
    let (om, nm) = (map(old, "metrics"), map(new, "metrics"));
    let mut changes = Vec::new();
    for (k, n) in &nm {
        match om.get(k) {
            Some(o) if o == n => {}
            Some(o) => changes.push(format!("metric {k} {o} -> {n}")),
            None => changes.push(format!("metric {k} added ({n})")),
        }
    }
    changes.extend(
        om.keys()
            .filter(|k| !nm.contains_key(*k))
            .map(|k| format!("metric {k} removed")),
    );
    let (of, nf) = (map(old, "files"), map(new, "files"));
    for (k, n) in &nf {
        match of.get(k) {
            Some(o) if o == n => {}
            Some(_) => changes.push(format!("file {k} changed")),
            None => changes.push(format!("file {k} added")),
        }
    }
    changes.extend(
        of.keys()
            .filter(|k| !nf.contains_key(*k))
            .map(|k| format!("file {k} removed")),
    );
    let more = changes.len().saturating_sub(NAMED_CHANGES);
    out.extend(
        changes
            .into_iter()
            .take(NAMED_CHANGES)
            .map(|c| crate::text::sanitize_line(&c).into_owned()),
    );
    if more > 0 {
        out.push(format!("and {more} more"));
    }
    out
}

/// Whose approvals the roster no longer backs.
fn roster_detail(detail: &ReviewDetail) -> String {
    let whose: Vec<String> = approvals(detail, true)
        .into_iter()
        .filter(|(r, _)| is_lapsed(r))
        .map(|(r, f)| {
            let s = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or("?");
            let why = r["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .find_map(|x| x.strip_prefix("lapsed: "))
                .map(|x| x.trim_end_matches("; it no longer counts"))
                .unwrap_or("");
            format!(
                "the approval by {} as {} (record {}): {why}",
                s("actor"),
                s("role"),
                short_id(r["id"].as_str().unwrap_or(""))
            )
        })
        .collect();
    if whose.is_empty() {
        "an approval that counted is no longer backed by the roster".into()
    } else {
        format!(
            "the roster no longer backs {}",
            crate::text::sanitize_line(&whose.join("; "))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn evidence_changes_name_metrics_files_and_the_schema() {
        let old = json!({"source": "s", "run_id": "r", "files_mode": "full",
            "schema": {"inputs": "a", "outputs": null},
            "metrics": {"auc": 0.9, "loss": 0.2, "gone": 1},
            "files": {"model/MLmodel": "sha256:1", "run/modelgate/fairness.json": "sha256:2"}});
        let new = json!({"source": "s", "run_id": "r", "files_mode": "full",
            "schema": {"inputs": "b", "outputs": null},
            "metrics": {"auc": 0.8, "loss": 0.2, "new": 3},
            "files": {"model/MLmodel": "sha256:1", "run/modelgate/fairness.json": "sha256:3", "model/x.bin": "sha256:4"}});
        assert_eq!(
            evidence_changes(&old, &new),
            [
                "schema inputs changed",
                "metric auc 0.9 -> 0.8",
                "metric new added (3)",
                "metric gone removed",
                "file model/x.bin added",
                "file run/modelgate/fairness.json changed",
            ]
        );
        assert!(evidence_changes(&old, &old).is_empty());
    }

    #[test]
    fn many_changes_are_counted_past_the_named_ones() {
        let metrics = |base: f64| {
            Value::Object(
                (0..20)
                    .map(|i| (format!("m{i:02}"), json!(base + f64::from(i))))
                    .collect(),
            )
        };
        let old = json!({"metrics": metrics(0.0)});
        let new = json!({"metrics": metrics(1.0)});
        let c = evidence_changes(&old, &new);
        assert_eq!(c.len(), NAMED_CHANGES + 1);
        assert_eq!(c.last().map(String::as_str), Some("and 12 more"));
    }

    #[test]
    fn exit_codes_rank_cannot_tell_over_due_over_nothing() {
        let r = |kinds: &[Kind]| Revalidated {
            model: "m".into(),
            version: "1".into(),
            state: None,
            findings: kinds.iter().map(|k| finding(*k, "")).collect(),
            written: Vec::new(),
            unrecorded: Vec::new(),
        };
        assert_eq!(r(&[Kind::Ok, Kind::Tag]).exit_code(), 0);
        assert_eq!(r(&[Kind::Legacy]).exit_code(), 0);
        assert_eq!(r(&[Kind::RenewalDue]).exit_code(), 1);
        assert_eq!(r(&[Kind::Tag, Kind::Expired]).exit_code(), 1);
        assert_eq!(r(&[Kind::Policy, Kind::Unreadable]).exit_code(), 2);
        assert_eq!(r(&[Kind::NotWritten]).exit_code(), 2);
    }

    #[test]
    fn a_reason_says_what_was_found_and_fits_a_record() {
        let f = [
            finding(
                Kind::Expired,
                "the approval expired at 2027-01-01T00:00:00Z",
            ),
            finding(Kind::Policy, "x".repeat(5000)),
        ];
        assert_eq!(
            reason_for(Trigger::Periodic, &f, Some("Q")),
            "modelgate revalidate: the approval expired at 2027-01-01T00:00:00Z"
        );
        let long = reason_for(Trigger::Policy, &f, Some("2026-12-02T00:00:00Z"));
        assert_eq!(long.chars().count(), REASON_MAX);
        assert!(
            long.ends_with("… (the approval of 2026-12-02T00:00:00Z)"),
            "{long}"
        );
        assert_eq!(
            reason_for(Trigger::Roster, &f, None),
            "modelgate revalidate: roster trigger"
        );
    }
}
