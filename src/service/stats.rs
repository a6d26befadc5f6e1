//! The facts behind `modelgate stats` and the exporter: every version of
//! every model read once, its records checked once, the production holders'
//! reports read; the figures themselves are `crate::stats`.

use super::ReviewService;
use super::decide::EVIDENCE_TAG_PREFIX;
use crate::registry::ModelVersion;
use crate::registry::{RegistryError, Result};
use crate::review::queue::{self, Kind, Trust};
use crate::review::reports::Report;
use crate::review::reports::ScanVerdict;
use crate::review::sla::SlaState;
use crate::review::state::{ReviewState, TAG_REVIEW};
use crate::stats::{
    self, DeployFacts, OpenEntry, Period, Production, Stats, StatsFilter, VersionFacts,
};
use crate::trust::record::Checked;
use crate::trust::state::{Derived, Rec};
use crate::trust::summary::trust_of;
use futures_util::{StreamExt, stream};

impl ReviewService {
    /// Every figure of `modelgate stats` for the versions `filter` chooses.
    pub async fn stats(&self, filter: &StatsFilter, now_ms: i64) -> Result<Stats> {
        let bad = |message: String| RegistryError::InvalidRequest { message };
        let period =
            Period::new(filter.since.as_deref(), filter.until.as_deref(), now_ms).map_err(bad)?;
        let glob = match filter.model.as_deref() {
            Some(g) => Some(glob::Pattern::new(g).map_err(|e| {
                bad(format!(
                    "--model {g:?} is not a glob ({e}): use *, ? and [..] as in shell patterns"
                ))
            })?),
            None => None,
        };
        let chosen = |model: &str| glob.as_ref().is_none_or(|g| g.matches(model));
        let scanned = self.scan(None).await?;
        let models = self.models_by_name().await?;
        let runs = self.runs_of_signed(&scanned, chosen).await?;
        // Each version's state derived once, on every core, for the figures
        // and the deployments.
        let derive = |(v, checked): &(ModelVersion, Vec<Checked>)| {
            let run = v.run_id.as_ref().and_then(|id| runs.get(id));
            let d = self.queue_derived_with(v, models.get(&v.name), run, checked, now_ms);
            let trust = d.as_ref().map(|d| trust_of(d, false));
            (d, trust)
        };
        let (derived, trusts): (Vec<Option<Derived>>, Vec<Option<Trust>>) =
            crate::par::map(&scanned.versions, crate::par::cores(), 256, derive, |_| {
                (None, None)
            })
            .into_iter()
            .unzip();
        let deployments =
            self.deployments_with(&scanned, |i| trusts[i].clone().unwrap_or_default(), now_ms);
        let alias = &self.config.production_alias;

        let mut gathered = Vec::new();
        for (((v, checked), derived), trust) in scanned.versions.iter().zip(&derived).zip(&trusts) {
            if !chosen(&v.name) {
                continue;
            }
            let model = models.get(&v.name);
            let eff = self.effective_risk(&v.name, model);
            let risk = derived.as_ref().map_or(eff.risk, |d| d.risk);
            if filter.risk.is_some_and(|r| r != risk) {
                continue;
            }
            let holder = scanned
                .aliases
                .get(&v.name)
                .and_then(|a| a.get(alias))
                .is_some_and(|h| h == &v.version);
            gathered.push((v, checked, eff, derived, trust, risk, holder));
        }

        // The production holders' reports, read side by side.
        let reads: Vec<_> = gathered
            .iter()
            .filter(|g| g.6)
            .map(|(v, _, _, derived, ..)| self.production_reports(v, derived.as_ref(), now_ms))
            .collect();
        let read: Vec<(Production, Option<String>)> = stream::iter(reads)
            .buffered(super::CONCURRENCY)
            .collect()
            .await;
        let (got, why): (Vec<_>, Vec<_>) = read.into_iter().unzip();
        let problems: Vec<String> = why.into_iter().flatten().collect();
        let mut reports = got.into_iter();
        let mut facts_of = Vec::new();
        for (v, checked, eff, derived, trust, risk, holder) in &gathered {
            let mut ignored = Vec::new();
            let submitted_ms = queue::submitted_ms(v, &mut ignored);
            let trust = match trust {
                Some(t) => t.clone(),
                // A review asked for by tag alone, with no record yet.
                None if v.tags.get(TAG_REVIEW).map(String::as_str) == Some("pending") => {
                    Trust::default()
                }
                None => Trust {
                    state: ReviewState::Withdrawn,
                    ..Trust::default()
                },
            };
            let submitted = trust.submitted_ms.unwrap_or(submitted_ms);
            let (kind, sla) = queue::entry_clock(&trust, submitted, eff.sla_hours, now_ms);
            let open = (trust.state.clock_runs() || kind == Kind::Renewal).then(|| OpenEntry {
                kind,
                sla: sla.state,
                deadline_ms: (sla.state != SlaState::Unscheduled).then_some(sla.deadline_ms),
                roles: match (kind, derived) {
                    (Kind::Renewal, Some(d)) => d.required_roles.clone(),
                    (_, Some(d)) => d.missing_roles.clone(),
                    (_, None) => eff.required_roles.clone(),
                },
            });
            let evidence_stored = v
                .tags
                .keys()
                .filter_map(|k| k.strip_prefix(EVIDENCE_TAG_PREFIX))
                .map(|hex| format!("sha256:{hex}"))
                .collect();
            let checklist_missing = derived
                .as_ref()
                .map(|d| {
                    let counted: Vec<&str> = d
                        .approvals
                        .iter()
                        .filter(|a| a.counted())
                        .map(|a| a.id.as_str())
                        .collect();
                    checked
                        .iter()
                        .filter_map(Rec::from_checked)
                        .filter(|r| counted.contains(&r.id))
                        .filter(|r| !r.fields.contains_key("checklist"))
                        .filter(|r| self.config.checklists.applicable(r.role, d.risk).is_some())
                        .map(|r| r.role.to_owned())
                        .collect()
                })
                .unwrap_or_default();
            let production = if *holder { reports.next() } else { None };
            facts_of.push(VersionFacts {
                model: &v.name,
                version: &v.version,
                risk: *risk,
                sla_hours: eff.sla_hours,
                submitted_ms,
                checked,
                derived: derived.as_ref(),
                open,
                evidence_stored,
                checklist_missing,
                production,
            });
        }
        let flags = deployments.status.flags;
        let deploy = DeployFacts {
            unratified: flags.unratified,
            overdue: flags.overdue,
            unexplained: deployments
                .status
                .models
                .iter()
                .filter(|m| m.unexplained && chosen(&m.model))
                .map(|m| m.model.clone())
                .collect(),
        };
        let mut s = stats::compute(&facts_of, &deploy, period, now_ms);
        s.problems = problems;
        drop(facts_of);
        drop(gathered);
        free_elsewhere((scanned, derived, trusts));
        Ok(s)
    }

    /// The production holder's reports as the review reads them; a review
    /// that cannot be read counts as covering nothing, and says why.
    async fn production_reports(
        &self,
        v: &ModelVersion,
        derived: Option<&Derived>,
        now_ms: i64,
    ) -> (Production, Option<String>) {
        let expired = derived
            .and_then(|d| d.lifetime.as_ref())
            .is_some_and(|l| l.expired);
        // The reports only: no gates, no evidence digest.
        match self
            .detail(&v.name, &v.version, now_ms, super::show::Evidence::Skip)
            .await
        {
            Ok(d) => (
                Production {
                    explainability: matches!(d.explainability, Report::Present(_)),
                    fairness: matches!(d.fairness, Report::Present(_)),
                    model_card: matches!(d.model_card, Report::Present(_)),
                    security_scan_clean: matches!(&d.security, Report::Present(s) if s.scan == ScanVerdict::Clean),
                    expired,
                },
                None,
            ),
            Err(e) => (
                Production {
                    expired,
                    ..Production::default()
                },
                Some(format!(
                    "model {} version {} (production): its reports cannot be read: {e}",
                    v.name, v.version
                )),
            ),
        }
    }
}

/// Drops `t` on a thread of its own: freeing every record of a large
/// registry takes a tenth of a second that the figures need not wait for.
fn free_elsewhere<T: Send + 'static>(t: T) {
    if let Err(e) = std::thread::Builder::new().spawn(move || drop(t)) {
        // No thread to be had: the caller pays the time instead.
        drop(e);
    }
}
