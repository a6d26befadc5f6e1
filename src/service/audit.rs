//! Audit for compliance officers (PROTOCOL 12): every record of every version,
//! checked; `verify` adds what the record set says about the review process.

use std::collections::BTreeMap;
use std::path::Path;

use futures_util::{StreamExt, stream};
use serde::Serialize;

use super::ReviewService;
use super::records::RecordView;
use crate::registry::{ModelVersion, RegistryError, Result, VersionKey};
use crate::review::state::{ReviewState, TAG_REVIEW, TAG_SUBMITTED_BY};
use crate::trust::audit::{self, Finding, Severity};
use crate::trust::checkpoint::Checkpoint;
use crate::trust::record::{Action, Checked};

const CONCURRENCY: usize = 16;

/// Filters of `modelgate audit`.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub model: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// A decision category, or `uncategorized` (PROTOCOL 13).
    pub category: Option<String>,
    /// RFC 3339; records claiming an earlier `at` are left out.
    pub since: Option<String>,
}

/// Every version of the chosen models with its checked records.
pub struct Scanned {
    pub versions: Vec<(ModelVersion, Vec<Checked>)>,
    pub aliases: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub registry: String,
    pub versions: usize,
    pub records: usize,
    pub invalid: usize,
    pub legacy: Vec<String>,
    pub findings: Vec<Finding>,
    pub exit_code: u8,
    /// Said wherever integrity is shown (PROTOCOL 12).
    pub note: String,
}

pub const DELETION_NOTE: &str = "Deleting the newest records of a version is detectable only against a checkpoint \
(the local one, --checkpoint FILE, or a signed checkpoint record).";

impl ReviewService {
    /// The runs of the scanned versions that have records, in models
    /// `chosen` accepts, by run id, in one call.
    pub(crate) async fn runs_of_signed(
        &self,
        scanned: &Scanned,
        chosen: impl Fn(&str) -> bool,
    ) -> Result<std::collections::HashMap<String, crate::registry::Run>> {
        let mut ids: Vec<String> = scanned
            .versions
            .iter()
            .filter(|(v, c)| !c.is_empty() && chosen(&v.name))
            .filter_map(|(v, _)| v.run_id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        if ids.is_empty() {
            return Ok(Default::default());
        }
        Ok(self
            .registry
            .get_runs(&ids)
            .await?
            .into_iter()
            .map(|r| (r.run_id.clone(), r))
            .collect())
    }

    /// Reads every version (not only tagged ones) of every model, or of one.
    pub async fn scan(&self, model: Option<&str>) -> Result<Scanned> {
        let models = self.registry.list_registered_models().await?;
        let chosen: Vec<_> = models
            .iter()
            .filter(|m| model.is_none_or(|x| x == m.name))
            .collect();
        if let (Some(name), true) = (model, chosen.is_empty()) {
            return Err(RegistryError::not_found(format!("model {name}")));
        }
        // The futures are built first, so the stream holds no closure: the
        // whole future stays `Send` for any lifetime (`modelgate serve`
        // refreshes on a spawned task).
        let futures: Vec<_> = chosen
            .iter()
            .map(|m| self.registry.list_versions(&m.name))
            .collect();
        let lists: Vec<Result<Vec<ModelVersion>>> =
            stream::iter(futures).buffered(CONCURRENCY).collect().await;
        let mut all = Vec::new();
        for l in lists {
            all.extend(l?);
        }
        let checked = self.check_many(&all);
        let versions = all.into_iter().zip(checked).collect();
        let aliases = chosen
            .iter()
            .map(|m| (m.name.clone(), m.aliases.clone()))
            .collect();
        Ok(Scanned { versions, aliases })
    }

    /// Every record of `scanned` with its validity and findings, oldest
    /// first. A rollback waiting for ratification (or overdue) and a
    /// break-glass rollback carry that flag among their findings; they stay
    /// valid. Reads the local checkpoint for first sightings, never writes it.
    pub fn record_views(&self, scanned: &Scanned, now_ms: i64) -> Vec<RecordView> {
        let mut out: Vec<RecordView> = scanned
            .versions
            .iter()
            .flat_map(|(v, checked)| {
                checked
                    .iter()
                    .map(|c| RecordView::new(&v.name, &v.version, c, &self.config.checklists))
            })
            .collect();
        let seen = self
            .checkpoint_path()
            .and_then(|p| Checkpoint::load(&p).ok())
            .unwrap_or_default();
        for f in deployment_findings(scanned, &self.config.production_alias, &seen, now_ms) {
            if let Some(id) = &f.record
                && let Some(r) = out.iter_mut().find(|r| &r.id == id)
            {
                r.findings.push(f.message);
            }
        }
        out.sort_by(|a, b| {
            (&a.at, &a.model, &a.version, &a.id).cmp(&(&b.at, &b.model, &b.version, &b.id))
        });
        out
    }

    /// `modelgate audit`: every record with its validity and findings.
    pub async fn audit_records(&self, f: &AuditFilter, now_ms: i64) -> Result<Vec<RecordView>> {
        let scanned = self.scan(f.model.as_deref()).await?;
        Ok(self
            .record_views(&scanned, now_ms)
            .into_iter()
            .filter(|r| {
                f.actor
                    .as_deref()
                    .is_none_or(|a| r.actor.as_deref() == Some(a))
            })
            .filter(|r| {
                f.action
                    .as_deref()
                    .is_none_or(|a| r.action.as_deref() == Some(a))
            })
            .filter(|r| {
                f.category
                    .as_deref()
                    .is_none_or(|c| r.category.as_deref() == Some(c))
            })
            .filter(|r| {
                f.since
                    .as_deref()
                    .is_none_or(|s| r.at.as_deref().is_some_and(|at| at >= s))
            })
            .collect())
    }

    /// `modelgate audit verify`: integrity (exit 2) and process (exit 1) findings.
    pub async fn verify(
        &self,
        model: Option<&str>,
        checkpoint_file: Option<&Path>,
        strict: bool,
        now_ms: i64,
    ) -> Result<VerifyReport> {
        let registry = self.registry_id();
        // Read before the scan: its first sightings date records by keys past
        // their valid_before, and its author tags count (PROTOCOL 8, 9).
        let external = match checkpoint_file {
            Some(p) => Some(
                Checkpoint::load(p).map_err(|e| RegistryError::InvalidRequest { message: e })?,
            ),
            None => None,
        };
        if let Some(cp) = &external {
            self.use_checkpoint(cp.clone());
        }
        let scanned = self.scan(model).await?;
        let mut findings = Vec::new();
        if let Err(why) = self.roster() {
            findings.push(Finding {
                severity: Severity::Integrity,
                model: String::new(),
                version: String::new(),
                record: None,
                message: why,
            });
        }
        // The local checkpoint learns every id it sees and never forgets one;
        // a checkpoint kept elsewhere (--checkpoint) is only read.
        let mut local = match self.checkpoint_path() {
            Some(p) => {
                Checkpoint::load(&p).map_err(|e| RegistryError::InvalidRequest { message: e })?
            }
            None => Checkpoint::default(),
        };
        for cp in [Some(&local), external.as_ref()].into_iter().flatten() {
            if !cp.damaged_lines.is_empty() {
                let name = cp
                    .path
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                findings.push(Finding {
                    severity: Severity::Integrity,
                    model: String::new(),
                    version: String::new(),
                    record: None,
                    message: format!(
                        "checkpoint {name}: lines {:?} cannot be read",
                        cp.damaged_lines
                    ),
                });
            }
        }
        let (mut records, mut invalid, mut legacy) = (0, 0, Vec::new());
        let details = stream::iter(scanned.versions.iter().filter(|(_, c)| !c.is_empty()))
            .map(|(v, _)| async move {
                (
                    VersionKey::of(v),
                    self.show(&v.name, &v.version, now_ms).await,
                )
            })
            .buffered(CONCURRENCY)
            .collect::<Vec<_>>()
            .await;
        let details: BTreeMap<VersionKey, _> = details.into_iter().collect();
        for (v, checked) in &scanned.versions {
            records += checked.len();
            invalid += checked.iter().filter(|c| c.invalid()).count();
            for cp in [Some(&local), external.as_ref()].into_iter().flatten() {
                findings.extend(audit::version_findings(
                    &v.name,
                    &v.version,
                    checked,
                    Some(cp),
                    now_ms,
                ));
            }
            if checkpoint_file.is_none() && local.path.is_none() {
                findings.extend(audit::version_findings(
                    &v.name, &v.version, checked, None, now_ms,
                ));
            }
            let f = |severity, message: String| Finding {
                severity,
                model: v.name.clone(),
                version: v.version.clone(),
                record: None,
                message,
            };
            let tag = v.tags.get(TAG_REVIEW).map(String::as_str);
            if checked.is_empty() {
                let holds_alias = scanned
                    .aliases
                    .get(&v.name)
                    .is_some_and(|a| a.values().any(|x| x == &v.version));
                if holds_alias && tag.is_some_and(|t| t != "approved") {
                    findings.push(f(
                        Severity::Policy,
                        format!(
                            "holds a production alias but is {}, with no signed approval",
                            tag.unwrap_or("")
                        ),
                    ));
                } else if tag == Some("approved") || holds_alias {
                    legacy.push(format!("{} version {}", v.name, v.version));
                    findings.push(f(
                        Severity::Info,
                        "legacy: approved or deployed before modelgate, with no signed record"
                            .into(),
                    ));
                }
                if v.tags.contains_key(TAG_SUBMITTED_BY) {
                    findings.push(f(Severity::Policy, "unsigned submission: only the modelgate.submitted_by tag says who submitted".into()));
                }
                continue;
            }
            match details.get(&VersionKey::of(v)) {
                Some(Ok(d)) => {
                    let state = d.summary.state;
                    for a in &d.summary.approvals {
                        if !a.verified {
                            findings.push(f(
                                Severity::Policy,
                                format!(
                                    "approval by {} as {} is stale: signed on other evidence",
                                    a.actor, a.role
                                ),
                            ));
                        }
                    }
                    for p in d.summary.problems.iter().filter(|p| {
                        p.contains("unsigned submission")
                            || p.contains(crate::trust::summary::AUTHOR_TAG_CHANGED)
                    }) {
                        findings.push(f(Severity::Policy, p.clone()));
                    }
                    if tag.is_some_and(|t| t != state.as_str()) {
                        findings.push(f(
                            Severity::Policy,
                            format!(
                                "modelgate.review says {:?} but the derived state is {}",
                                tag.unwrap_or(""),
                                state.as_str()
                            ),
                        ));
                    }
                    let holds_alias = scanned
                        .aliases
                        .get(&v.name)
                        .is_some_and(|a| a.values().any(|x| x == &v.version));
                    let holds_production = scanned
                        .aliases
                        .get(&v.name)
                        .and_then(|a| a.get(&self.config.production_alias))
                        == Some(&v.version);
                    let renewal_due_by = (d.summary.kind == crate::review::queue::Kind::Renewal)
                        .then(|| d.revalidation.as_ref()?.expires_at.as_deref())
                        .flatten();
                    let flag = holds_production
                        .then(|| {
                            audit::production_flag(
                                &self.config.production_alias,
                                state,
                                &d.summary.triggers,
                                renewal_due_by,
                            )
                        })
                        .flatten();
                    if let Some(flag) = flag {
                        findings.push(f(Severity::Policy, flag));
                    } else if holds_alias && state != ReviewState::Approved {
                        findings.push(f(
                            Severity::Policy,
                            format!("holds a production alias but is {}", state.as_str()),
                        ));
                    }
                }
                Some(Err(e)) => findings.push(f(
                    Severity::Integrity,
                    format!("cannot be read to verify: {e}"),
                )),
                None => {}
            }
            let ids: Vec<&str> = checked.iter().map(|c| c.id.as_str()).collect();
            if local.path.is_some()
                && let Err(e) = local.observe(&v.name, &v.version, &ids, now_ms)
            {
                findings.push(f(
                    Severity::Integrity,
                    format!("the local checkpoint cannot be updated: {e}"),
                ));
            }
        }
        findings.extend(deployment_findings(
            &scanned,
            &self.config.production_alias,
            &local,
            now_ms,
        ));
        findings.sort_by(|a, b| {
            (b.severity, &a.model, &a.version, &a.record, &a.message)
                .cmp(&(a.severity, &b.model, &b.version, &b.record, &b.message))
        });
        findings.dedup();
        Ok(VerifyReport {
            registry,
            versions: scanned.versions.len(),
            records,
            invalid,
            legacy,
            exit_code: audit::exit_code(&findings, strict),
            findings,
            note: DELETION_NOTE.into(),
        })
    }
}

/// PROTOCOL 11 in the audit: alias positions no record explains, rollbacks
/// waiting for ratification (overdue after 24 hours from first sighting), and
/// break-glass rollbacks.
pub fn deployment_findings(
    scanned: &Scanned,
    production_alias: &str,
    seen: &Checkpoint,
    now_ms: i64,
) -> Vec<Finding> {
    const DAY_MS: i64 = 24 * 3600 * 1000;
    let mut out = Vec::new();
    let s = |c: &Checked, k: &str| {
        c.fields
            .as_ref()
            .and_then(|f| f.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    for (model, aliases) in &scanned.aliases {
        let moves: Vec<(&ModelVersion, &Checked)> = scanned
            .versions
            .iter()
            .filter(|(v, _)| &v.name == model)
            .flat_map(|(v, cs)| cs.iter().filter(|c| c.valid()).map(move |c| (v, c)))
            .filter(|(_, c)| c.action().is_some_and(Action::moves_alias))
            .collect();
        for (alias, holder) in aliases
            .iter()
            .filter(|(a, _)| a.as_str() == production_alias)
        {
            let last = moves
                .iter()
                .filter(|(_, c)| s(c, "alias").as_deref() == Some(alias.as_str()))
                .max_by(|a, b| (a.1.at(), &a.1.id).cmp(&(b.1.at(), &b.1.id)));
            if last.is_none_or(|(v, _)| &v.version != holder) {
                out.push(Finding {
                    severity: Severity::Policy,
                    model: model.clone(),
                    version: holder.clone(),
                    record: None,
                    message: format!("holds {alias}, and no valid promote or rollback record explains it (moved by hand?)"),
                });
            }
        }
        for (v, c) in moves
            .iter()
            .filter(|(_, c)| c.action() == Some(Action::Rollback))
        {
            let f = |message: String| Finding {
                severity: Severity::Policy,
                model: model.clone(),
                version: v.version.clone(),
                record: Some(c.id.clone()),
                message,
            };
            if c.fields
                .as_ref()
                .and_then(|x| x.get("break_glass"))
                .and_then(|b| b.as_bool())
                == Some(true)
            {
                out.push(f("break-glass rollback: its target was not approved".into()));
            }
            let ratified = scanned
                .versions
                .iter()
                .filter(|(x, _)| x.name == v.name && x.version == v.version)
                .any(|(_, cs)| {
                    cs.iter().filter(|r| r.valid()).any(|r| {
                        r.action() == Some(Action::Ratify)
                            && s(r, "ratifies").as_deref() == Some(c.id.as_str())
                    })
                });
            if !ratified {
                let first = seen.first_seen(model, &v.version, &c.id).unwrap_or(now_ms);
                let overdue = now_ms - first > DAY_MS;
                out.push(f(if overdue {
                    "rollback is unratified and overdue (first seen more than 24 hours ago)".into()
                } else {
                    "rollback is waiting for ratification by a second sre or compliance holder"
                        .into()
                }));
            }
        }
    }
    out
}
