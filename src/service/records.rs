//! Signed records of a version: read from its tags, checked against the roster,
//! and turned into the derived state (PROTOCOL 6, 9). Also the local
//! checkpoint every read updates (PROTOCOL 12).

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ReviewService;
use crate::registry::{ModelVersion, RegisteredModel, Run};
use crate::review::detail::ReviewDetail;
use crate::review::gates::GateResult;
use crate::review::queue::{self, Trust};
use crate::review::state::TAG_SUBMITTED_BY;
use crate::trust::audit::{self, Found};
use crate::trust::category;
use crate::trust::checklist::{Checklists, Standing};
use crate::trust::checkpoint::Checkpoint;
use crate::trust::expiry;
use crate::trust::record::{Action, Checked};
use crate::trust::roster::Roster;
use crate::trust::state::{self, Context, Derived, Rec};
use crate::trust::summary::{
    RUN_USER, SUBMITTED_BY, assumed_evidence, author_tag_findings, derive, trust_of,
};

/// One record as `show --json` and `audit --json` print it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordView {
    pub id: String,
    pub model: String,
    pub version: String,
    pub action: Option<String>,
    pub actor: Option<String>,
    pub role: Option<String>,
    pub at: Option<String>,
    pub valid: bool,
    pub findings: Vec<String>,
    /// `reject`, `request_changes`: the category, `uncategorized` without one
    /// (PROTOCOL 13).
    pub category: Option<String>,
    /// The checklist the record answered, against the configured ones.
    pub checklist: Option<ChecklistView>,
    /// An approval signed by a pipeline in the `automation` role (PROTOCOL 14).
    pub automated: bool,
    pub record: Option<serde_json::Map<String, Value>>,
}

impl RecordView {
    /// The structured parts of the decision in words (PROTOCOL 13, 14): its
    /// category, who automated it, and its checklist answers. Empty for a
    /// record that has none.
    pub fn decision_notes(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(c) = &self.category {
            out.push(format!("category {c}"));
        }
        if self.automated {
            out.push("automated".into());
        }
        if let Some(c) = &self.checklist {
            let mut line = format!("checklist {}: {}", c.id, c.answers_text());
            if c.older {
                line.push_str(" (answered an older checklist)");
            }
            if let Some(p) = &c.problem {
                line.push_str(&format!(" (falls short: {p})"));
            }
            out.push(line);
        }
        out
    }
}

/// A record's checklist answers as views show them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChecklistView {
    pub id: String,
    pub digest: String,
    /// Item id -> `yes`, `no` or `n/a`.
    pub answers: std::collections::BTreeMap<String, String>,
    /// The checklist is not the configured one now: it changed since, or no
    /// longer applies. The record still counts.
    pub older: bool,
    /// Why the answers do not complete the configured checklist, if they do not.
    pub problem: Option<String>,
}

impl ChecklistView {
    /// `item=answer` pairs in item order, as text listings show them.
    pub fn answers_text(&self) -> String {
        let pairs: Vec<String> = self
            .answers
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        pairs.join(" ")
    }
}

impl RecordView {
    pub fn new(model: &str, version: &str, c: &Checked, checklists: &Checklists) -> RecordView {
        let fields = c.fields.as_ref();
        let standing = fields.map(|f| checklists.standing(f));
        let checklist = standing.as_ref().and_then(|s| {
            let a = s.answered()?;
            Some(ChecklistView {
                id: a.id.clone(),
                digest: a.digest.clone(),
                answers: a.answers.clone(),
                older: matches!(s, Standing::Older(_)),
                problem: match s {
                    Standing::Incomplete(_, why) => Some(why.clone()),
                    _ => None,
                },
            })
        });
        RecordView {
            category: fields.and_then(category::of_record).map(str::to_owned),
            checklist,
            automated: c.action() == Some(Action::Approve) && c.role() == Some("automation"),
            id: c.id.clone(),
            model: model.to_owned(),
            version: version.to_owned(),
            action: c.action_text().map(str::to_owned),
            actor: c.actor().map(str::to_owned),
            role: c.role().map(str::to_owned),
            at: c.at().map(str::to_owned),
            valid: c.valid(),
            findings: c
                .findings
                .iter()
                .cloned()
                .chain(
                    c.lapsed
                        .iter()
                        .map(|why| format!("lapsed: {why}; it no longer counts")),
                )
                .collect(),
            record: c.fields.clone(),
        }
    }
}

/// The roster, when configured: `Err` says why records cannot be verified.
pub type RosterState = Result<Arc<Roster>, String>;

/// Checkpoints read for first sightings and author tags: the local one, read
/// once per process, and a `--checkpoint` file when one is given.
#[derive(Debug, Default)]
pub struct Sightings {
    local: OnceLock<Arc<Checkpoint>>,
    extra: OnceLock<Arc<Checkpoint>>,
}

impl ReviewService {
    /// This service with `roster` instead of the configured roster file.
    pub fn with_roster(self, roster: Roster) -> Self {
        let _ = self.roster.set(Ok(Arc::new(roster)));
        self
    }

    /// The configured roster, loaded once.
    pub fn roster(&self) -> RosterState {
        self.roster
            .get_or_init(|| match &self.config.roster {
                None => Err("no roster is configured (--roster FILE or roster in config.toml), so signed records cannot be verified".into()),
                Some(p) => Roster::load(p).map(Arc::new).map_err(|e| e.to_string()),
            })
            .clone()
    }

    /// The id records are bound to: the configured one, else the registry's own.
    pub fn registry_id(&self) -> String {
        self.config
            .registry_id
            .clone()
            .unwrap_or_else(|| self.registry.registry_id().to_owned())
    }

    /// Checks every record tag of a version. Without a roster nothing verifies,
    /// and every record says so.
    pub fn check_records(&self, v: &ModelVersion) -> Vec<Checked> {
        self.check_many(std::slice::from_ref(v))
            .pop()
            .unwrap_or_default()
    }

    /// The records of many versions checked in one batch, on every core (a
    /// version rarely has enough records to be worth a thread of its own);
    /// one list per version, in order.
    pub fn check_many(&self, versions: &[ModelVersion]) -> Vec<Vec<Checked>> {
        let per: Vec<Vec<Found>> = versions
            .iter()
            .map(|v| audit::record_tags(&v.name, &v.version, &v.tags))
            .collect();
        let sizes: Vec<usize> = per.iter().map(Vec::len).collect();
        let found: Vec<Found> = per.into_iter().flatten().collect();
        let roster = self.roster();
        let mut checked = match &roster {
            Ok(roster) => audit::check_all(&found, &self.registry_id(), roster),
            Err(why) => found.iter().map(|f| unverified(f, why)).collect(),
        }
        .into_iter();
        let mut lists: Vec<Vec<Checked>> = sizes
            .into_iter()
            .map(|n| checked.by_ref().take(n).collect())
            .collect();
        // A key past its valid_before signs nothing that no checkpoint dates
        // (PROTOCOL 8); "now" is the real clock: the window closed or not.
        let now_ms = chrono::Utc::now().timestamp_millis();
        if let Ok(roster) = &roster
            && expiry::any_closed(roster, now_ms)
        {
            let cps = self.sighting_checkpoints();
            let cps: Vec<&Checkpoint> = cps.iter().map(Arc::as_ref).collect();
            for (v, list) in versions.iter().zip(lists.iter_mut()) {
                let first = |id: &str| Checkpoint::earliest(&cps, &v.name, &v.version, id);
                expiry::check_closed_keys(list, roster, &first, now_ms);
            }
        }
        lists
    }

    /// Where the local checkpoint of this registry lives (PROTOCOL 12);
    /// `None` where the configuration keeps no state.
    pub fn checkpoint_path(&self) -> Option<std::path::PathBuf> {
        self.config.checkpoint_path(&self.registry_id())
    }

    /// Uses a checkpoint kept elsewhere (`audit verify --checkpoint FILE`)
    /// beside the local one, for first sightings and author tags.
    pub fn use_checkpoint(&self, cp: Checkpoint) {
        let _ = self.sightings.extra.set(Arc::new(cp));
    }

    /// The local checkpoint (read once; unreadable reads as empty here, and
    /// is reported where it is written) and the `--checkpoint` file, if any.
    pub fn sighting_checkpoints(&self) -> Vec<Arc<Checkpoint>> {
        let local = self
            .sightings
            .local
            .get_or_init(|| {
                let cp = self
                    .checkpoint_path()
                    .and_then(|p| Checkpoint::load(&p).ok())
                    .unwrap_or_default();
                Arc::new(cp)
            })
            .clone();
        std::iter::once(local)
            .chain(self.sightings.extra.get().cloned())
            .collect()
    }

    /// The external checkpoint, if one is in use.
    fn extra_checkpoint(&self) -> Option<Arc<Checkpoint>> {
        self.sightings.extra.get().cloned()
    }

    /// The authors of a version (PROTOCOL 9), besides the submitter: roster
    /// ids whose `mlflow_users` hold the run's `mlflow.user` now, as any valid
    /// submit recorded it (`run_user`), or as a checkpoint saw it; and, while
    /// no signed submit names the submitter, every `modelgate.submitted_by`
    /// value a checkpoint saw. Rewriting a tag never removes an author.
    pub fn authors(
        &self,
        model: &str,
        version: &str,
        run_user: Option<&str>,
        checked: &[Checked],
        seen: &[&Checkpoint],
    ) -> Vec<String> {
        let Ok(roster) = self.roster() else {
            return Vec::new();
        };
        let submits: Vec<&Checked> = checked
            .iter()
            .filter(|c| c.valid() && c.action() == Some(Action::Submit))
            .collect();
        let mut users: Vec<&str> = run_user.into_iter().collect();
        users.extend(
            submits
                .iter()
                .filter_map(|c| c.fields.as_ref()?.get("run_user")?.as_str()),
        );
        for cp in seen {
            users.extend(
                cp.tag_values(model, version, RUN_USER)
                    .into_iter()
                    .map(|(u, _)| u),
            );
        }
        let mut out: Vec<String> = users
            .iter()
            .flat_map(|u| roster.ids_for_mlflow_user(u))
            .map(str::to_owned)
            .collect();
        if submits.is_empty() {
            for cp in seen {
                out.extend(
                    cp.tag_values(model, version, SUBMITTED_BY)
                        .into_iter()
                        .map(|(s, _)| s.to_owned()),
                );
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Roster ids of every author of a version besides its submitter, read
    /// now (the run's current `mlflow.user` included): what a decision is
    /// refused on.
    pub async fn authors_of(
        &self,
        v: &ModelVersion,
        checked: &[Checked],
    ) -> crate::registry::Result<Vec<String>> {
        let runs = match &v.run_id {
            Some(id) => self.registry.get_runs(std::slice::from_ref(id)).await?,
            None => Vec::new(),
        };
        let user = runs.first().and_then(Run::user);
        // Read fresh: `show` just now recorded the tags it saw.
        let local = self
            .checkpoint_path()
            .and_then(|p| Checkpoint::load(&p).ok())
            .unwrap_or_default();
        let extra = self.extra_checkpoint();
        let seen: Vec<&Checkpoint> = std::iter::once(&local).chain(extra.as_deref()).collect();
        Ok(self.authors(&v.name, &v.version, user, checked, &seen))
    }

    /// [`derive`] with the roles of a risk that the records raised (PROTOCOL
    /// 9: the configuration's roles at the effective risk count too).
    pub fn derive_effective(&self, checked: &[Checked], ctx: &Context<'_>) -> Derived {
        let d = derive(checked, ctx);
        if d.risk <= ctx.risk {
            return d;
        }
        let mut roles = ctx.required_roles.to_vec();
        let tier = self
            .config
            .risk
            .roles_by_risk
            .get(&d.risk)
            .cloned()
            .unwrap_or_else(|| d.risk.default_roles());
        for r in tier {
            if !roles.contains(&r) {
                roles.push(r);
            }
        }
        roles.sort();
        let raised = Context {
            risk: d.risk,
            required_roles: &roles,
            ..ctx.clone()
        };
        derive(checked, &raised)
    }

    /// The version a review compares against: the latest valid signed
    /// submit's `baseline` (PROTOCOL 4), else the tag, else the alias holder.
    /// Only versions with a submit record pay for checking signatures here.
    pub fn baseline_of(&self, v: &ModelVersion, model: Option<&RegisteredModel>) -> Option<String> {
        let has_submit = v.tags.iter().any(|(k, val)| {
            k.starts_with(crate::trust::record::TAG_PREFIX) && val.contains("\"action\":\"submit\"")
        });
        let checked = if has_submit {
            self.check_records(v)
        } else {
            Vec::new()
        };
        self.baseline_with(v, model, &checked)
    }

    /// [`Self::baseline_of`] with the version's records already checked.
    pub fn baseline_with(
        &self,
        v: &ModelVersion,
        model: Option<&RegisteredModel>,
        checked: &[Checked],
    ) -> Option<String> {
        let recs: Vec<Rec<'_>> = checked.iter().filter_map(Rec::from_checked).collect();
        match state::submitted_baseline(&recs) {
            Some(b) => b.filter(|b| b != &v.version),
            None => queue::baseline_of(v, model, &self.config.production_alias),
        }
    }

    /// Roster ids of the run's author (`mlflow.user` through `mlflow_users`).
    pub fn run_authors(&self, run: Option<&Run>) -> Vec<String> {
        match (self.roster(), run.and_then(Run::user)) {
            (Ok(roster), Some(user)) => roster
                .ids_for_mlflow_user(user)
                .into_iter()
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        }
    }
}

fn unverified(f: &Found<'_>, why: &str) -> Checked {
    let fields = serde_json::from_str::<Value>(f.value)
        .ok()
        .and_then(|v| v.as_object().cloned());
    Checked {
        id: f
            .key
            .trim_start_matches(crate::trust::record::TAG_PREFIX)
            .to_owned(),
        fields,
        findings: vec![why.to_owned()],
        lapsed: None,
    }
}

impl ReviewService {
    /// The queue's trust view of a version: records checked, approvals shown as
    /// unverified (the evidence is not re-read and the gates are not run here).
    pub(crate) fn queue_trust(
        &self,
        v: &ModelVersion,
        model: Option<&RegisteredModel>,
        run: Option<&Run>,
        now_ms: i64,
    ) -> Trust {
        self.queue_trust_with(v, model, run, &self.check_records(v), now_ms)
    }

    /// [`Self::queue_trust`] with the version's records already checked.
    pub(crate) fn queue_trust_with(
        &self,
        v: &ModelVersion,
        model: Option<&RegisteredModel>,
        run: Option<&Run>,
        checked: &[Checked],
        now_ms: i64,
    ) -> Trust {
        match self.queue_derived_with(v, model, run, checked, now_ms) {
            Some(d) => trust_of(&d, false),
            None => Trust::default(),
        }
    }

    /// The derived state behind [`Self::queue_trust_with`]: evidence assumed,
    /// no gates; `None` for a version without records.
    pub(crate) fn queue_derived_with(
        &self,
        v: &ModelVersion,
        model: Option<&RegisteredModel>,
        run: Option<&Run>,
        checked: &[Checked],
        now_ms: i64,
    ) -> Option<Derived> {
        if checked.is_empty() {
            return None;
        }
        let eff = self.effective_risk(&v.name, model);
        let cps = self.sighting_checkpoints();
        let seen: Vec<&Checkpoint> = cps.iter().map(Arc::as_ref).collect();
        let authors = self.authors(&v.name, &v.version, run.and_then(Run::user), checked, &seen);
        let ctx = Context {
            evidence: assumed_evidence(checked),
            risk: eff.risk,
            required_roles: &eff.required_roles,
            submitted_by_tag: v.tags.get(TAG_SUBMITTED_BY).map(String::as_str),
            run_authors: &authors,
            gate_denies: &[],
            gate_warns: &[],
            gate_error: None,
            automation_risks: &self.config.automation_risks,
            checklists: &self.config.checklists,
            lifetimes: &self.config.lifetimes,
            now: now_ms.div_euclid(1000),
        };
        Some(self.derive_effective(checked, &ctx))
    }

    /// The full trust view of a review: records checked against the current
    /// evidence and the configured policy's results (PROTOCOL 9), the local
    /// checkpoint updated, and what the records show added to the review.
    pub(crate) fn apply_trust(&self, d: &mut ReviewDetail, gates: &GateResult, now_ms: i64) {
        let (model, version) = (d.summary.model.clone(), d.summary.version.clone());
        let v = ModelVersion {
            name: model.clone(),
            version: version.clone(),
            tags: d.version_tags.clone(),
            ..Default::default()
        };
        let checked = self.check_records(&v);
        let submitted_by = d.version_tags.get(TAG_SUBMITTED_BY).cloned();
        // Every read feeds the local checkpoint: record ids, and the tags that
        // say who the authors are; a record it knew and that is gone is reported.
        let path = self.checkpoint_path();
        let mut local = Checkpoint::default();
        if let Some(path) = &path {
            match Checkpoint::load(path) {
                Ok(mut cp) => {
                    if !checked.is_empty() {
                        for f in
                            audit::version_findings(&model, &version, &checked, Some(&cp), now_ms)
                        {
                            if !f.message.starts_with("invalid record") {
                                let rec = f
                                    .record
                                    .as_deref()
                                    .map(|r| format!("record {r}: "))
                                    .unwrap_or_default();
                                d.summary.problems.push(format!(
                                    "model {model} version {version}: {rec}{}",
                                    f.message
                                ));
                            }
                        }
                    }
                    let ids: Vec<&str> = checked.iter().map(|c| c.id.as_str()).collect();
                    let pairs: Vec<(&str, &str)> = [
                        (SUBMITTED_BY, submitted_by.as_deref()),
                        (RUN_USER, d.run_user.as_deref()),
                    ]
                    .into_iter()
                    .filter_map(|(t, v)| Some((t, v?)))
                    .collect();
                    let written = cp
                        .observe(&model, &version, &ids, now_ms)
                        .and_then(|_| cp.observe_tags(&model, &version, &pairs, now_ms));
                    if let Err(e) = written {
                        d.summary
                            .problems
                            .push(format!("the local checkpoint cannot be updated: {e}"));
                    }
                    local = cp;
                }
                Err(e) => d.summary.problems.push(e),
            }
        }
        let extra = self.extra_checkpoint();
        let seen: Vec<&Checkpoint> = std::iter::once(&local).chain(extra.as_deref()).collect();
        let authors = self.authors(&model, &version, d.run_user.as_deref(), &checked, &seen);
        let ctx = Context {
            evidence: d.evidence.as_deref(),
            risk: d.summary.risk,
            required_roles: &d.summary.required_roles,
            submitted_by_tag: submitted_by.as_deref(),
            run_authors: &authors,
            gate_denies: &gates.deny,
            gate_warns: &gates.warn,
            gate_error: gates.error.as_deref(),
            automation_risks: &self.config.automation_risks,
            checklists: &self.config.checklists,
            lifetimes: &self.config.lifetimes,
            now: now_ms.div_euclid(1000),
        };
        let derived = self.derive_effective(&checked, &ctx);
        queue::restate(&mut d.summary, &trust_of(&derived, true), now_ms);
        // What the records signed raises the shown risk and roles too, so a
        // decision signed on this view records them (PROTOCOL 9).
        d.summary.risk = derived.risk;
        d.summary.required_roles = derived.required_roles.clone();
        d.state_reasons = derived.findings.clone();
        d.revalidation = (derived.lifetime.is_some() || !derived.triggers.is_empty()).then(|| {
            crate::review::revalidation::Revalidation::new(
                &derived.triggers,
                derived.lifetime.as_ref(),
            )
        });
        for f in author_tag_findings(
            &model,
            &version,
            submitted_by.as_deref(),
            d.run_user.as_deref(),
            &checked,
            &seen,
        ) {
            d.summary
                .problems
                .push(format!("model {model} version {version}: {f}"));
            d.state_reasons.push(f);
        }
        for c in checked.iter().filter(|c| c.invalid()) {
            d.summary.problems.push(format!(
                "model {model} version {version}: record {} is invalid: {}",
                c.id,
                c.findings.join("; ")
            ));
        }
        d.records = checked
            .iter()
            .filter_map(|c| {
                serde_json::to_value(RecordView::new(
                    &model,
                    &version,
                    c,
                    &self.config.checklists,
                ))
                .ok()
            })
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use ssh_key::PrivateKey;
    use ssh_key::private::{Ed25519Keypair, KeypairData};

    use super::*;
    use crate::config::Config;
    use crate::trust::record::sign;

    const WHO: &str = "dev.domain@demo.modelgate";

    /// One signer's fixed key, so that the test needs no demo dataset.
    fn key() -> PrivateKey {
        let pair = Ed25519Keypair::from_seed(&[7; 32]);
        PrivateKey::new(KeypairData::from(pair), WHO).unwrap()
    }

    /// A service on an empty in-memory registry with a roster of that signer.
    fn service() -> ReviewService {
        let public = key().public_key().to_openssh().unwrap();
        let toml = format!(
            "[[reviewer]]\nid = \"{WHO}\"\nname = \"Dev\"\nroles = [\"domain\"]\nmlflow_users = []\nkeys = [{{ key = \"{public}\", valid_after = \"2020-01-01T00:00:00Z\" }}]\n"
        );
        let roster = Roster::parse("test", toml.as_bytes()).unwrap();
        let reg = crate::registry::memory::MemoryRegistry::new("mem", 0);
        let mut config = Config::resolve(None, &Default::default()).unwrap();
        config.registry_id = Some("r".into());
        ReviewService::new(Arc::new(reg), config).with_roster(roster)
    }

    fn version(n: &str, comments: usize, s: &ReviewService) -> ModelVersion {
        let who = WHO;
        let key = key();
        let digest = match s.roster() {
            Ok(r) => r.digest.clone(),
            Err(e) => panic!("{e}"),
        };
        let mut v = ModelVersion {
            name: "m".into(),
            version: n.into(),
            ..Default::default()
        };
        for i in 0..comments {
            let fields = json!({
                "v": 1, "action": "comment", "registry": "r", "model": "m", "version": n,
                "actor": who, "role": "domain", "at": "2026-01-01T00:00:00Z",
                "nonce": format!("{i:032x}"), "parents": [], "roster": digest,
                "key": crate::trust::keys::fingerprint(&key), "reason": format!("note {i}"),
            });
            let signed = sign(fields.as_object().unwrap().clone(), &key).unwrap();
            v.tags.insert(signed.tag_key, signed.tag_value);
        }
        v
    }

    #[test]
    fn check_many_keeps_each_versions_records_apart_and_in_order() {
        let s = service();
        // Enough records for the checking to spread over threads.
        let vs = [
            version("1", 0, &s),
            version("2", 70, &s),
            version("3", 2, &s),
        ];
        let lists = s.check_many(&vs);
        assert_eq!(lists.iter().map(Vec::len).collect::<Vec<_>>(), [0, 70, 2]);
        for (v, list) in vs.iter().zip(&lists) {
            assert!(list.iter().all(Checked::valid), "{list:?}");
            assert_eq!(list.len(), s.check_records(v).len());
            for c in list {
                assert!(v.tags.contains_key(&format!("modelgate.record.{}", c.id)));
            }
        }
    }
}
