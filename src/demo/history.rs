//! Signed history for the demo's production versions. Real registries start
//! with versions approved before modelgate; a team adopting it signs their
//! production versions again (PROTOCOL 9: a `submit` opens a new round on any
//! version). The demo does the same with its roster's keys, a few hours
//! before "now", so that its deployments screen, audit and alias checks show
//! signed, explained production aliases rather than seven unexplained ones.
//! Past rejections and requests for changes are signed again too, with their
//! categories and checklist answers (PROTOCOL 13), and the CI pipeline
//! approves an earlier low-risk version (PROTOCOL 14), so that the audit and
//! the statistics have something to count.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};

use super::PRODUCTION_ALIAS;
use super::catalog::{self, Decided, Review};
use super::roster::{AUTOMATION, IDENTITIES, MONITOR, signing_key};
use crate::registry::Registry;
use crate::review::detail::ReviewDetail;
use crate::review::state::{ReviewState, TAG_REVIEW};
use crate::service::ReviewService;
use crate::service::decide::{Decision, Refused, Signer};
use crate::trust::checklist::Answer;
use crate::trust::record::Action;

const HOUR_MS: i64 = 3600 * 1000;

/// What `sign_history` signed, and what it could not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// Versions approved and promoted by signed records.
    pub promoted: usize,
    /// Past rejections and requests for changes signed again.
    pub decided: usize,
    pub records: usize,
    /// Why a production version or a past decision was left unsigned.
    pub skipped: Vec<String>,
}

fn signer(seed: u64, id: &str) -> Result<Signer> {
    let mut s = Signer::new(id.to_owned(), signing_key(seed, id)?);
    s.demo_nonce_seed = Some(seed);
    Ok(s)
}

/// The first demo identity holding `role` that is not in `taken`.
fn pick(role: &str, taken: &[String]) -> Option<&'static str> {
    IDENTITIES
        .iter()
        .find(|i| i.roles.contains(&role) && !taken.iter().any(|t| t == i.id))
        .map(|i| i.id)
}

/// For each of `models` whose production alias is set, oldest first: the
/// latest earlier version approved before modelgate (when there is one), then
/// the alias holder, each with a signed submit by an owner, an approval per
/// required role by distinct non-authors, a compliance override of what
/// today's policy denies (these versions were in production before it), and a
/// promote by an sre; between six hours and one hour before `now_ms`. The
/// earlier version gives a rollback somewhere approved to go. `service` must be
/// configured with the demo roster of `seed`; `registry` is the one it reads,
/// where the alias is taken off and, on failure, put back unsigned. A model that cannot be signed is
/// skipped and named, its alias left where it was.
pub async fn sign_history(
    service: &ReviewService,
    registry: &dyn Registry,
    models: &[String],
    seed: u64,
    now_ms: i64,
) -> Result<History> {
    let mut done = History::default();
    for (i, model) in models.iter().enumerate() {
        match sign_decided(service, model, seed, now_ms, i).await {
            Ok((records, decided)) => {
                done.records += records;
                done.decided += decided;
            }
            Err(e) => done.skipped.push(format!("{e:#}")),
        }
        let Some(holder) = service.alias_holder(model, PRODUCTION_ALIAS).await? else {
            continue;
        };
        match sign_model(service, registry, model, &holder, seed, now_ms, i).await {
            Ok((records, promoted)) => {
                done.records += records;
                done.promoted += promoted;
                if model.ends_with(DRIFTED) {
                    match sign_drift(service, model, &holder, seed, now_ms).await {
                        Ok(n) => done.records += n,
                        Err(e) => done.skipped.push(format!("{e:#}")),
                    }
                }
            }
            Err(e) => {
                registry.set_alias(model, PRODUCTION_ALIAS, &holder).await?;
                done.skipped.push(format!("{e:#}"));
            }
        }
    }
    Ok(done)
}

/// The production model whose data drifted: the monitoring job reopened it.
const DRIFTED: &str = "fraud-detector";

/// A real Evidently 0.7 snapshot (PSI): `transaction_amount` drifted, a
/// quarter of the columns.
const DRIFT_REPORT: &[u8] = include_bytes!("../../assets/demo/evidently_drift_psi.json");

/// What `modelgate drift --apply` does with that report on the production
/// version, half an hour before `now_ms`: the configured policy's
/// `modelgate.drift` package denies, and the monitor signs a `reopen`.
async fn sign_drift(
    service: &ReviewService,
    model: &str,
    holder: &str,
    seed: u64,
    now_ms: i64,
) -> Result<usize> {
    let at = now_ms - HOUR_MS / 2;
    let verdict = service
        .drift(model, holder, "evidently_drift_psi.json", DRIFT_REPORT, at)
        .await
        .map_err(|e| anyhow::anyhow!("{model} version {holder}: the demo's drift report: {e}"))?;
    if !verdict.drifted() {
        bail!("{model} version {holder}: the demo's drift report shows no drift under the policy");
    }
    service
        .decide(
            model,
            holder,
            &verdict.reopen(),
            &signer(seed, MONITOR)?,
            at,
        )
        .await
        .map_err(|e| refused(model, holder, e))?;
    Ok(1)
}

/// The latest version before `holder` tagged approved before modelgate.
async fn earlier_approved(
    registry: &dyn Registry,
    model: &str,
    holder: &str,
) -> Result<Option<String>> {
    let n: u64 = holder.parse().unwrap_or(0);
    let mut earlier: Vec<(u64, String)> = registry
        .list_versions(model)
        .await?
        .into_iter()
        .filter(|v| v.tags.get(TAG_REVIEW).map(String::as_str) == Some("approved"))
        .filter_map(|v| Some((v.version.parse::<u64>().ok()?, v.version)))
        .filter(|(k, _)| *k < n)
        .collect();
    earlier.sort();
    Ok(earlier.pop().map(|(_, v)| v))
}

async fn sign_model(
    service: &ReviewService,
    registry: &dyn Registry,
    model: &str,
    holder: &str,
    seed: u64,
    now_ms: i64,
    i: usize,
) -> Result<(usize, usize)> {
    // (version, hours before now, whether the pipeline may approve it): a
    // person approves what runs now, the pipeline may have approved before.
    let (earlier, now_running) = age(model);
    let mut versions = Vec::new();
    if let Some(v) = earlier_approved(registry, model, holder).await? {
        versions.push((v, earlier, true));
    }
    versions.push((holder.to_owned(), now_running, false));
    // The alias is already there (the demo set it): take it off so that the
    // promote records are what put it back.
    registry.delete_alias(model, PRODUCTION_ALIAS).await?;
    let mut records = 0;
    for (version, hours, pipeline) in &versions {
        let at = timeline(now_ms, *hours, i);
        records += sign_one(service, model, version, seed, &at, *pipeline).await?;
    }
    Ok((records, versions.len()))
}

/// Hours before now that a model's earlier approved version and its alias
/// holder were signed. Under the demo's 18-hour lifetimes for low and medium
/// risk (PROTOCOL 15), product-recommender's approvals have expired and
/// demand-forecast's are due for renewal; every record stays within a day
/// of its first sighting, so no time is reported as untrusted.
fn age(model: &str) -> (i64, i64) {
    if model.ends_with("product-recommender") {
        (23, 20)
    } else if model.ends_with("demand-forecast") {
        (18, 15)
    } else {
        (6, 3)
    }
}

/// `at(step, n)`: the time of the n-th record of step `step` of a version
/// signed `hours` before `now_ms`. One minute apart per model (the `i`-th),
/// so the history reads in catalog order; each step an hour after the last.
fn timeline(now_ms: i64, hours: i64, i: usize) -> impl Fn(i64, usize) -> i64 {
    move |step, n| now_ms - (hours - step) * HOUR_MS + ((i * 60 + n) as i64) * 1000
}

/// The ids that authored a version (its run's user, PROTOCOL 9) and the owner
/// who submits it: an author holding `owner`, else the first other owner.
fn authors_and_owner(
    service: &ReviewService,
    detail: &ReviewDetail,
) -> Result<(Vec<String>, String)> {
    let roster = service.roster().map_err(anyhow::Error::msg)?;
    let mut authors: Vec<String> = detail
        .run_user
        .as_deref()
        .map(|u| {
            roster
                .ids_for_mlflow_user(u)
                .into_iter()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let owner = authors
        .iter()
        .find(|a| roster.get(a).is_some_and(|r| r.has_role("owner")))
        .cloned()
        .or_else(|| pick("owner", &authors).map(str::to_owned))
        .context("the demo roster has no owner")?;
    authors.push(owner.clone());
    Ok((authors, owner))
}

/// Answers to the checklist that applies to `role` at the version's risk
/// (none when none applies): `no` to `unmet`, `n/a` where the item allows
/// it and the evidence it asks about is absent, `yes` otherwise.
fn answers(
    service: &ReviewService,
    detail: &ReviewDetail,
    role: &str,
    unmet: Option<&str>,
) -> BTreeMap<String, Answer> {
    let Some(c) = service
        .config
        .checklists
        .applicable(role, detail.summary.risk)
    else {
        return BTreeMap::new();
    };
    let absent = |id: &str| match id {
        "fairness" => detail.fairness.status() == "absent",
        "drift" => detail.explainability.status() == "absent",
        _ => false,
    };
    c.items
        .iter()
        .map(|it| {
            let answer = if unmet == Some(it.id.as_str()) {
                Answer::No
            } else if it.allow_na && absent(&it.id) {
                Answer::NotApplicable
            } else {
                Answer::Yes
            };
            (it.id.clone(), answer)
        })
        .collect()
}

/// The catalog's past rejections and requests for changes of `model` (the
/// MLflow demo's names carry a prefix), each signed again nine hours before
/// `now_ms`: a submit by the owner, then the decision with its category and
/// checklist answers. Returns (records, decisions).
async fn sign_decided(
    service: &ReviewService,
    model: &str,
    seed: u64,
    now_ms: i64,
    i: usize,
) -> Result<(usize, usize)> {
    let Some(spec) = catalog::MODELS.iter().find(|m| model.ends_with(m.name)) else {
        return Ok((0, 0));
    };
    let mut done = (0, 0);
    for (n, v) in spec.versions.iter().enumerate() {
        let (Some(why), Review::Tagged(state)) = (v.decided, v.review) else {
            continue;
        };
        let past = Past {
            action: if state == "rejected" {
                Action::Reject
            } else {
                Action::RequestChanges
            },
            why,
            reason: v.description,
        };
        let version = (n + 1).to_string();
        let at = timeline(now_ms, 9, i);
        done.0 += sign_past(service, model, &version, seed, &at, &past).await?;
        done.1 += 1;
    }
    Ok(done)
}

/// A past decision to sign again: the action, why, and the reason given.
struct Past {
    action: Action,
    why: Decided,
    reason: &'static str,
}

/// Submit, then the past decision.
async fn sign_past(
    service: &ReviewService,
    model: &str,
    version: &str,
    seed: u64,
    at: &dyn Fn(i64, usize) -> i64,
    past: &Past,
) -> Result<usize> {
    let why = past.why;
    let detail = service
        .show(model, version, at(0, 0))
        .await
        .with_context(|| format!("reading {model} version {version}"))?;
    let (taken, owner) = authors_and_owner(service, &detail)?;
    let decide = |who: String, d: Decision, when: i64| async move {
        service
            .decide(model, version, &d, &signer(seed, &who)?, when)
            .await
            .map_err(|e| refused(model, version, e))
    };
    decide(owner, Decision::new(Action::Submit), at(0, 0)).await?;
    let who = pick(why.role, &taken).with_context(|| {
        format!(
            "the demo roster has no {} who is not an author of {model}",
            why.role
        )
    })?;
    let d = Decision {
        role: Some(why.role.to_owned()),
        reason: Some(past.reason.to_owned()),
        category: Some(why.category.to_owned()),
        answers: answers(service, &detail, why.role, Some(why.unmet)),
        ..Decision::new(past.action)
    };
    decide(who.to_owned(), d, at(1, 1)).await?;
    Ok(2)
}

/// Submit, approvals, an override where needed, promote: `at(step, n)` is the
/// time of the n-th record, in step 0 (submit), 1 (approvals) or 2 (promote).
/// With `pipeline`, the CI pipeline approves for the validator where
/// `automation_risks` and quiet gates let it (PROTOCOL 14).
async fn sign_one(
    service: &ReviewService,
    model: &str,
    version: &str,
    seed: u64,
    at: &dyn Fn(i64, usize) -> i64,
    pipeline: bool,
) -> Result<usize> {
    let detail = service
        .show(model, version, at(0, 0))
        .await
        .with_context(|| format!("reading {model} version {version}"))?;
    let (authors, owner) = authors_and_owner(service, &detail)?;
    let gates = service.evaluate_gates(&detail).result;
    let automated = pipeline
        && service
            .config
            .automation_risks
            .contains(&detail.summary.risk)
        && gates.deny.is_empty()
        && gates.warn.is_empty()
        && gates.error.is_none()
        && service.roster().is_ok_and(|r| r.get(AUTOMATION).is_some());
    let decide = |who: String, d: Decision, when: i64| async move {
        service
            .decide(model, version, &d, &signer(seed, &who)?, when)
            .await
            .map_err(|e| refused(model, version, e))
    };
    let submit = Decision::new(Action::Submit);
    decide(owner, submit, at(0, 0)).await?;
    let mut records = 1;
    let mut taken = authors;
    for role in &detail.summary.required_roles {
        let (who, role) = if automated && role == "validator" {
            (AUTOMATION, "automation")
        } else {
            match pick(role, &taken) {
                Some(who) => (who, role.as_str()),
                None => bail!("the demo roster has no {role} who is not an author of {model}"),
            }
        };
        taken.push(who.to_owned());
        let d = Decision {
            role: Some(role.to_owned()),
            answers: answers(service, &detail, role, None),
            ..Decision::new(Action::Approve)
        };
        records += 1;
        let outcome = decide(who.to_owned(), d, at(1, records)).await?;
        if outcome.state == ReviewState::Approved {
            break;
        }
    }
    let deny = gates.deny;
    if !deny.is_empty() {
        let who =
            pick("compliance", &taken).context("the demo roster has no free compliance holder")?;
        let d = Decision {
            role: Some("compliance".into()),
            reason: Some(
                "in production before this policy; the missing evidence is due with the next version"
                    .into(),
            ),
            waives: deny,
            answers: answers(service, &detail, "compliance", None),
            ..Decision::new(Action::Override)
        };
        records += 1;
        decide(who.to_owned(), d, at(1, records)).await?;
    }
    let promote = Decision {
        role: Some("sre".into()),
        alias: Some(PRODUCTION_ALIAS.into()),
        ..Decision::new(Action::Promote)
    };
    let sre = pick("sre", &[]).context("the demo roster has no sre")?;
    service
        .deploy(model, version, &promote, &signer(seed, sre)?, at(2, 0))
        .await
        .map_err(|e| refused(model, version, e))?;
    Ok(records + 1)
}

fn refused(model: &str, version: &str, e: Refused) -> anyhow::Error {
    anyhow::anyhow!("{model} version {version}: {e}")
}
