//! Deployments (PROTOCOL 11): promote, rollback and ratify move or bless the
//! production alias: the signed record first, then the alias, then a read back.
//! `check` is what a deployment pipeline asks before it ships a version.

use crate::trust::deploy::DeploymentStatus;
use serde::Serialize;

use super::ReviewService;
use super::decide::{Decision, Outcome, Refused, Signer, Unfinished};
use crate::review::state::ReviewState;
use crate::trust::audit::{self, Finding, Severity};
use crate::trust::deploy::{alias_moves, describe_finding, flags_of, model_deployment};
use crate::trust::record::{Action, Checked};

/// The approval of the version holding a production alias, as `:deploy`
/// flags it (PROTOCOL 15): reopened or lapsed (its state is `revalidation`,
/// with these triggers), or still approved inside its renewal window.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HolderApproval {
    pub triggers: Vec<String>,
    pub renewal_due: bool,
    /// When the approval expires (RFC 3339), where it does.
    pub expires_at: Option<String>,
}

/// Every model's deployment, and its holder's approval by model name.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Deployments {
    pub status: DeploymentStatus,
    pub holders: std::collections::BTreeMap<String, HolderApproval>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Deployed {
    #[serde(flatten)]
    pub record: Outcome,
    pub alias: String,
    pub version: String,
    /// The alias now points at `version` (read back from the registry).
    pub alias_moved: bool,
}

/// `modelgate check`: 0 approved, 1 anything else, 2 cannot tell.
#[derive(Debug, Clone, Serialize)]
pub struct CheckOutcome {
    pub model: String,
    pub version: String,
    pub state: Option<ReviewState>,
    pub approved: bool,
    pub exit_code: u8,
    pub reasons: Vec<String>,
    /// Why a version in revalidation is (PROTOCOL 11: `check` names them).
    pub triggers: Vec<crate::review::revalidation::TriggerFound>,
    /// When the approval expires, where it does.
    pub expires_at: Option<String>,
}

impl ReviewService {
    /// Signs a promote or rollback record (or reuses the one a failed attempt
    /// wrote), then moves the alias and reads it back.
    pub async fn deploy(
        &self,
        model: &str,
        version: &str,
        d: &Decision,
        signer: &Signer,
        now_ms: i64,
    ) -> Result<Deployed, Refused> {
        let alias = self.alias_of(d);
        let record = self.decide(model, version, d, signer, now_ms).await?;
        // The alias write is idempotent too: an error is success when the
        // alias reads back on the version (the answer was lost).
        let set = self.registry.set_alias(model, &alias, version).await;
        let now = self.registry.get_registered_model(model).await;
        let holder = now
            .as_ref()
            .ok()
            .and_then(|m| m.aliases.get(&alias).cloned());
        let moved = holder.as_deref() == Some(version);
        if !moved {
            let why = match (&set, &now) {
                (Err(e), _) => format!("moving {alias} to version {version} failed: {e}"),
                (Ok(()), Err(e)) => format!("{alias} cannot be read back: {e}"),
                (Ok(()), Ok(_)) => {
                    format!("{alias} reads back as {holder:?}, not version {version}")
                }
            };
            let error = format!(
                "the {} record {} is written, but {why}; run the same command again: it reuses the record",
                d.action, record.id
            );
            return Err(Unfinished::refused(
                d.action,
                model,
                version,
                &record.id,
                record.writes,
                error,
            ));
        }
        Ok(Deployed {
            record,
            alias,
            version: version.to_owned(),
            alias_moved: moved,
        })
    }

    /// The version of `model` that holds the `rollback` record `record` (its
    /// id, or a prefix of 8 characters or more): a ratify is signed there.
    pub async fn rollback_version(
        &self,
        model: &str,
        record: &str,
    ) -> crate::registry::Result<Option<String>> {
        let mut target = None;
        for v in self.registry.list_versions(model).await? {
            if self.check_records(&v).iter().any(|c| {
                c.action() == Some(Action::Rollback)
                    && (c.id == record || (record.len() >= 8 && c.id.starts_with(record)))
            }) {
                target = Some(v.version);
            }
        }
        Ok(target)
    }

    /// Integrity findings on one version (PROTOCOL 11, 12): invalid records,
    /// missing parents, checkpoint coverage, and records the local checkpoint
    /// saw that are gone. The same computation `audit verify` makes.
    pub fn integrity_findings(
        &self,
        model: &str,
        version: &str,
        checked: &[Checked],
        now_ms: i64,
    ) -> Vec<Finding> {
        let cp = match self.checkpoint_path() {
            None => None,
            Some(p) => match crate::trust::checkpoint::Checkpoint::load(&p) {
                Ok(cp) => Some(cp),
                Err(e) => {
                    return vec![Finding {
                        severity: Severity::Integrity,
                        model: model.to_owned(),
                        version: version.to_owned(),
                        record: None,
                        message: format!(
                            "the local checkpoint cannot be read, so deleted records cannot be ruled out: {e}"
                        ),
                    }];
                }
            },
        };
        audit::version_findings(model, version, checked, cp.as_ref(), now_ms)
            .into_iter()
            .filter(|f| f.severity == Severity::Integrity)
            .collect()
    }

    /// The deployment gate: approved by the derived state, and nothing that
    /// makes the answer uncertain (invalid records, unreadable evidence).
    pub async fn check(&self, model: &str, version: &str, now_ms: i64) -> CheckOutcome {
        let mut out = CheckOutcome {
            model: model.to_owned(),
            version: version.to_owned(),
            state: None,
            approved: false,
            exit_code: 2,
            reasons: Vec::new(),
            triggers: Vec::new(),
            expires_at: None,
        };
        let detail = match self.show(model, version, now_ms).await {
            Ok(d) => d,
            Err(e) => {
                out.reasons.push(format!("cannot tell: {e}"));
                return out;
            }
        };
        if let Err(why) = self.roster() {
            out.reasons.push(format!("cannot tell: {why}"));
            return out;
        }
        out.state = Some(detail.summary.state);
        out.approved = detail.summary.state == ReviewState::Approved;
        // PROTOCOL 11: any integrity finding fails closed, whatever the state.
        let v = crate::registry::ModelVersion {
            name: model.to_owned(),
            version: version.to_owned(),
            tags: detail.version_tags.clone(),
            ..Default::default()
        };
        let integrity = self.integrity_findings(model, version, &self.check_records(&v), now_ms);
        if !integrity.is_empty() {
            // A pipeline reading `approved` alone must not ship either.
            out.approved = false;
            out.reasons.extend(integrity.iter().map(describe_finding));
            out.reasons.push("cannot tell: the version has integrity findings (tampered, forged or deleted records?); run `modelgate audit verify`".into());
            return out;
        }
        if detail.evidence.is_none() {
            out.reasons
                .push("cannot tell: the evidence cannot be computed".into());
            out.reasons.extend(detail.summary.problems);
            return out;
        }
        out.exit_code = if out.approved { 0 } else { 1 };
        if let Some(r) = &detail.revalidation {
            if detail.summary.state == ReviewState::Revalidation {
                out.triggers = r.triggers.clone();
                out.reasons.push(format!(
                    "in revalidation: {}; the approval is re-examined before the version may ship again",
                    r.triggers_text()
                ));
            }
            let due = r
                .renewal_from
                .as_deref()
                .and_then(crate::review::queue::parse_time_ms)
                .is_some_and(|from| from <= now_ms);
            if out.approved && due {
                out.reasons.push(format!(
                    "renewal due: the approval expires at {}",
                    r.expires_at.as_deref().unwrap_or("?")
                ));
            }
            out.expires_at = r.expires_at.clone();
        }
        out.reasons.extend(detail.state_reasons);
        out
    }
}

impl ReviewService {
    /// Every model's production alias, its holder and state, the alias
    /// history, unexplained positions and rollbacks waiting for ratification.
    /// Reads the local checkpoint for first sightings but never writes it.
    pub async fn deployment_status(
        &self,
        now_ms: i64,
    ) -> crate::registry::Result<DeploymentStatus> {
        Ok(self.deployments(now_ms).await?.status)
    }

    /// `deployment_status`, with each holder's approval (triggers, renewal).
    pub async fn deployments(&self, now_ms: i64) -> crate::registry::Result<Deployments> {
        let scanned = self.scan(None).await?;
        self.deployments_of(&scanned, now_ms).await
    }

    /// [`Self::deployments`] of versions already scanned.
    pub(crate) async fn deployments_of(
        &self,
        scanned: &super::audit::Scanned,
        now_ms: i64,
    ) -> crate::registry::Result<Deployments> {
        let runs = self.runs_of_signed(scanned, |_| true).await?;
        let models = self.models_by_name().await?;
        let trust = |i: usize| {
            let (v, checked) = &scanned.versions[i];
            let run = v.run_id.as_ref().and_then(|id| runs.get(id));
            self.queue_trust_with(v, models.get(&v.name), run, checked, now_ms)
        };
        Ok(self.deployments_with(scanned, trust, now_ms))
    }

    /// [`Self::deployments_of`] with each version's trust view given by its
    /// index in `scanned.versions` (asked only for models with an alias or
    /// an alias history), for callers that derived it already.
    pub(crate) fn deployments_with(
        &self,
        scanned: &super::audit::Scanned,
        trust: impl Fn(usize) -> crate::review::queue::Trust,
        now_ms: i64,
    ) -> Deployments {
        let mut holders = std::collections::BTreeMap::new();
        let alias = self.config.production_alias.clone();
        let cp = self
            .checkpoint_path()
            .and_then(|p| crate::trust::checkpoint::Checkpoint::load(&p).ok())
            .unwrap_or_default();
        let mut of_model: std::collections::HashMap<&str, Vec<usize>> = Default::default();
        for (i, (v, _)) in scanned.versions.iter().enumerate() {
            of_model.entry(v.name.as_str()).or_default().push(i);
        }
        let mut out = Vec::new();
        for (name, aliases) in &scanned.aliases {
            let mine = of_model.get(name.as_str()).map_or(&[][..], Vec::as_slice);
            let pairs: Vec<_> = mine
                .iter()
                .map(|&i| {
                    let (v, c) = &scanned.versions[i];
                    (v, c.as_slice())
                })
                .collect();
            let history = alias_moves(&pairs, &alias);
            let holder = aliases.get(&alias).map(String::as_str);
            if holder.is_none() && history.is_empty() {
                continue;
            }
            let states: Vec<(String, ReviewState)> = mine
                .iter()
                .map(|&i| {
                    let v = &scanned.versions[i].0;
                    let trust = trust(i);
                    if holder == Some(v.version.as_str()) {
                        holders.insert(
                            name.clone(),
                            HolderApproval {
                                triggers: trust.triggers.clone(),
                                renewal_due: trust.renewal_due,
                                expires_at: trust
                                    .renewal_ms
                                    .map(|(_, until)| crate::review::queue::rfc3339_ms(until)),
                            },
                        );
                    }
                    (v.version.clone(), trust.state)
                })
                .collect();
            out.push(model_deployment(
                name,
                &alias,
                holder,
                history,
                &states,
                |version, id| cp.first_seen(name, version, id),
                now_ms,
            ));
        }
        let mut flags = flags_of(&out);
        flags.revalidation = out
            .iter()
            .filter(|m| m.holder_state == Some(ReviewState::Revalidation))
            .count();
        flags.renewal = holders.values().filter(|h| h.renewal_due).count();
        Deployments {
            status: DeploymentStatus { models: out, flags },
            holders,
        }
    }
}
