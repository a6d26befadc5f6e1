//! Signed history for the demo's production versions. Real registries start
//! with versions approved before modelgate; a team adopting it signs their
//! production versions again (PROTOCOL 9: a `submit` opens a new round on any
//! version). The demo does the same with its roster's keys, a few hours
//! before "now", so that its deployments screen, audit and alias checks show
//! signed, explained production aliases rather than seven unexplained ones.

use anyhow::{Context, Result, bail};

use super::PRODUCTION_ALIAS;
use super::roster::{IDENTITIES, signing_key};
use crate::registry::Registry;
use crate::review::state::{ReviewState, TAG_REVIEW};
use crate::service::ReviewService;
use crate::service::decide::{Decision, Refused, Signer};
use crate::trust::record::Action;

const HOUR_MS: i64 = 3600 * 1000;

/// What `sign_history` signed, and what it could not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// Versions approved and promoted by signed records.
    pub promoted: usize,
    pub records: usize,
    /// Why a production version was left without signed history.
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
        let Some(holder) = service.alias_holder(model, PRODUCTION_ALIAS).await? else {
            continue;
        };
        match sign_model(service, registry, model, &holder, seed, now_ms, i).await {
            Ok((records, promoted)) => {
                done.records += records;
                done.promoted += promoted;
            }
            Err(e) => {
                registry.set_alias(model, PRODUCTION_ALIAS, &holder).await?;
                done.skipped.push(format!("{e:#}"));
            }
        }
    }
    Ok(done)
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
    let mut versions = Vec::new();
    if let Some(v) = earlier_approved(registry, model, holder).await? {
        versions.push((v, 6));
    }
    versions.push((holder.to_owned(), 3));
    // The alias is already there (the demo set it): take it off so that the
    // promote records are what put it back.
    registry.delete_alias(model, PRODUCTION_ALIAS).await?;
    let mut records = 0;
    for (version, hours) in &versions {
        // One minute apart per model, so the history reads in catalog order;
        // each step one hour after the one before.
        let at =
            |step: i64, n: usize| now_ms - (hours - step) * HOUR_MS + ((i * 60 + n) as i64) * 1000;
        records += sign_one(service, model, version, seed, &at).await?;
    }
    Ok((records, versions.len()))
}

/// Submit, approvals, an override where needed, promote: `at(step, n)` is the
/// time of the n-th record, in step 0 (submit), 1 (approvals) or 2 (promote).
async fn sign_one(
    service: &ReviewService,
    model: &str,
    version: &str,
    seed: u64,
    at: &dyn Fn(i64, usize) -> i64,
) -> Result<usize> {
    let roster = service.roster().map_err(anyhow::Error::msg)?;
    let detail = service
        .show(model, version, at(0, 0))
        .await
        .with_context(|| format!("reading {model} version {version}"))?;
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
        let Some(who) = pick(role, &taken) else {
            bail!("the demo roster has no {role} who is not an author of {model}");
        };
        taken.push(who.to_owned());
        let d = Decision {
            role: Some(role.clone()),
            ..Decision::new(Action::Approve)
        };
        records += 1;
        let outcome = decide(who.to_owned(), d, at(1, records)).await?;
        if outcome.state == ReviewState::Approved {
            break;
        }
    }
    let deny = service.evaluate_gates(&detail).result.deny;
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
