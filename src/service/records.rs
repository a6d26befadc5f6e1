//! Signed records of a version: read from its tags, checked against the roster,
//! and turned into the derived state (PROTOCOL 6, 9). Also the local
//! checkpoint every read updates (PROTOCOL 12).

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::ReviewService;
use crate::registry::{ModelVersion, Run};
use crate::trust::audit::{self, Found};
use crate::trust::record::Checked;
use crate::trust::roster::Roster;
use crate::trust::state::{self, Context, Derived, Rec};

/// One record as `show --json` and `audit --json` print it.
#[derive(Debug, Clone, Serialize)]
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
    pub record: Option<serde_json::Map<String, Value>>,
}

impl RecordView {
    pub fn new(model: &str, version: &str, c: &Checked) -> RecordView {
        RecordView {
            id: c.id.clone(),
            model: model.to_owned(),
            version: version.to_owned(),
            action: c.action().map(str::to_owned),
            actor: c.actor().map(str::to_owned),
            role: c.role().map(str::to_owned),
            at: c.at().map(str::to_owned),
            valid: c.valid(),
            findings: c.findings.clone(),
            record: c.fields.clone(),
        }
    }
}

/// The roster, when configured: `Err` says why records cannot be verified.
pub type RosterState = Result<Arc<Roster>, String>;

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
                Some(p) => Roster::load(p).map(Arc::new),
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
        let mut checked = match self.roster() {
            Ok(roster) => audit::check_all(&found, &self.registry_id(), &roster),
            Err(why) => found.iter().map(|f| unverified(f, &why)).collect(),
        }
        .into_iter();
        sizes
            .into_iter()
            .map(|n| checked.by_ref().take(n).collect())
            .collect()
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

fn unverified(f: &Found, why: &str) -> Checked {
    let fields = serde_json::from_str::<Value>(&f.value)
        .ok()
        .and_then(|v| v.as_object().cloned());
    Checked {
        id: f
            .key
            .trim_start_matches(crate::trust::record::TAG_PREFIX)
            .to_owned(),
        fields,
        findings: vec![why.to_owned()],
    }
}

/// The derived state of a version from its checked records.
pub fn derive(checked: &[Checked], ctx: &Context<'_>) -> Derived {
    let recs: Vec<Rec<'_>> = checked.iter().filter_map(Rec::from_checked).collect();
    state::derive(&recs, ctx)
}

use crate::policy::GateResult;
use crate::registry::RegisteredModel;
use crate::review::queue::{self, Approval, Trust};
use crate::review::state::TAG_SUBMITTED_BY;
use crate::service::show::ReviewDetail;

fn ms(at: Option<&str>) -> Option<i64> {
    at.and_then(crate::trust::record::parse_at)
        .map(|t| t.timestamp_millis())
}

/// The queue's and the review's view of what the records decided.
fn trust_of(d: &Derived, verified: bool) -> Trust {
    // Two approvals by one person (signed at the same moment by two
    // processes) count once, so they show once.
    let mut seen = std::collections::HashSet::new();
    Trust {
        state: d.state,
        approvals: d
            .approvals
            .iter()
            .filter(|a| !a.revoked && !a.by_author)
            .filter(|a| seen.insert((a.actor.clone(), a.stale)))
            .map(|a| Approval {
                actor: a.actor.clone(),
                role: a.role.clone(),
                at: a.at.clone(),
                verified: verified && !a.stale,
            })
            .collect(),
        submitted_ms: ms(d.submitted_at.as_deref()),
        submitted_by: d.signed_submission.then(|| d.submitter.clone()).flatten(),
        decided_ms: ms(d.decided_at.as_deref()),
    }
}

/// The evidence the newest signed submit (else the newest decision) was made on:
/// what the queue assumes current, without re-reading the model files.
fn assumed_evidence(checked: &[Checked]) -> Option<&str> {
    let valid = || checked.iter().filter(|c| c.valid());
    let newest = |action: Option<&str>| {
        valid()
            .filter(|c| action.is_none_or(|a| c.action() == Some(a)))
            .filter_map(|c| {
                Some((
                    c.at()?,
                    c.id.as_str(),
                    c.fields.as_ref()?.get("evidence")?.as_str()?,
                ))
            })
            .max()
            .map(|(_, _, e)| e)
    };
    newest(Some("submit")).or_else(|| newest(None))
}

impl ReviewService {
    /// The queue's trust view of a version: records checked, approvals shown as
    /// unverified (the evidence is not re-read and the gates are not run here).
    pub(crate) fn queue_trust(
        &self,
        v: &ModelVersion,
        model: Option<&RegisteredModel>,
        run: Option<&Run>,
    ) -> Trust {
        self.queue_trust_with(v, model, run, &self.check_records(v))
    }

    /// [`Self::queue_trust`] with the version's records already checked.
    pub(crate) fn queue_trust_with(
        &self,
        v: &ModelVersion,
        model: Option<&RegisteredModel>,
        run: Option<&Run>,
        checked: &[Checked],
    ) -> Trust {
        if checked.is_empty() {
            return Trust::default();
        }
        let tags = model.map(|m| m.tags.clone()).unwrap_or_default();
        let eff = self.config.risk.effective(&v.name, &tags);
        let authors = self.run_authors(run);
        let ctx = Context {
            evidence: assumed_evidence(checked),
            risk: eff.risk,
            required_roles: &eff.required_roles,
            submitted_by_tag: v.tags.get(TAG_SUBMITTED_BY).map(String::as_str),
            run_authors: &authors,
            gate_denies: &[],
            gate_error: None,
        };
        trust_of(&derive(checked, &ctx), false)
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
        let authors = match (self.roster(), d.run_user.as_deref()) {
            (Ok(r), Some(u)) => r
                .ids_for_mlflow_user(u)
                .into_iter()
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        let ctx = Context {
            evidence: d.evidence.as_deref(),
            risk: d.summary.risk,
            required_roles: &d.summary.required_roles,
            submitted_by_tag: d.version_tags.get(TAG_SUBMITTED_BY).map(String::as_str),
            run_authors: &authors,
            gate_denies: &gates.deny,
            gate_error: gates.error.as_deref(),
        };
        let derived = derive(&checked, &ctx);
        queue::restate(&mut d.summary, &trust_of(&derived, true), now_ms);
        d.state_reasons = derived.findings.clone();
        for c in checked.iter().filter(|c| !c.valid()) {
            d.summary.problems.push(format!(
                "model {model} version {version}: record {} is invalid: {}",
                c.id,
                c.findings.join("; ")
            ));
        }
        // Every read feeds the local checkpoint; a record it knew and that is gone is reported.
        if !checked.is_empty() || !d.version_tags.is_empty() {
            let path = super::audit::local_checkpoint_path(&self.registry_id());
            if let Some(path) = path {
                match crate::trust::checkpoint::Checkpoint::load(&path) {
                    Ok(mut cp) => {
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
                        let ids: Vec<&str> = checked.iter().map(|c| c.id.as_str()).collect();
                        if let Err(e) = cp.observe(&model, &version, &ids, now_ms) {
                            d.summary
                                .problems
                                .push(format!("the local checkpoint cannot be updated: {e}"));
                        }
                    }
                    Err(e) => d.summary.problems.push(e),
                }
            }
        }
        d.records = checked
            .iter()
            .filter_map(|c| serde_json::to_value(RecordView::new(&model, &version, c)).ok())
            .collect();
        d.derived = Some(derived);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::config::Config;
    use crate::trust::record::sign;

    /// A service on an empty in-memory registry with the demo roster.
    fn service() -> ReviewService {
        let toml = crate::demo::roster_toml(7).unwrap();
        let roster = Roster::parse("demo", toml.as_bytes()).unwrap();
        let reg = crate::tui::fixture::MemoryRegistry::new("mem", 0);
        let mut config = Config::resolve(None, &Default::default()).unwrap();
        config.registry_id = Some("r".into());
        ReviewService::new(Arc::new(reg), config).with_roster(roster)
    }

    fn version(n: &str, comments: usize, s: &ReviewService) -> ModelVersion {
        let who = "dev.domain@demo.modelgate";
        let dir = tempfile::TempDir::new().unwrap();
        crate::demo::write_roster(dir.path(), 7).unwrap();
        let key =
            crate::trust::keys::load_key_file(&crate::demo::key_path(dir.path(), who)).unwrap();
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
