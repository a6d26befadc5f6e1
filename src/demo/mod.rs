//! The deterministic demo dataset: a registry full of realistic models and
//! pending reviews, plus the roster of people who review them.
//!
//! The same seed gives the same content. Every time is relative to
//! `DemoOptions::now_ms`; nothing here reads the clock, so tests and
//! screenshots are reproducible. What the content shows, case by case, is in
//! `catalog` (one place to look when a demo step needs a particular review).

mod catalog;
pub mod config;
mod content;
mod history;
pub mod personas;
mod rng;
mod roster;

use std::collections::BTreeSet;

use anyhow::Context;

use crate::registry::{RegistryWriter, Tags};

pub use config::roster_dir;
pub use history::{History, sign_history};
pub use personas::Persona;
pub use roster::{IDENTITIES, Identity, ROSTER_FILE, key_path, roster_toml, write_roster};

/// The production alias the demo sets (PROTOCOL 2 default).
pub const PRODUCTION_ALIAS: &str = "champion";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    /// Selects the jitter in numbers, bytes and keys; the cases stay the same.
    pub seed: u64,
    /// "Now" in milliseconds since the Unix epoch: submissions, runs and SLA
    /// states are placed relative to it.
    pub now_ms: i64,
}

/// What `populate` created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DemoSummary {
    pub models: usize,
    pub versions: usize,
    pub pending: usize,
}

/// The demo's model names.
pub fn model_names() -> Vec<String> {
    catalog::MODELS.iter().map(|m| m.name.to_owned()).collect()
}

/// Fills `w` with the demo models. Refuses a registry that already holds one
/// of them, since new versions would be appended to it.
pub async fn populate(w: &dyn RegistryWriter, opts: &DemoOptions) -> anyhow::Result<DemoSummary> {
    refuse_existing(w).await?;
    let mut summary = DemoSummary::default();
    for model in catalog::MODELS {
        populate_model(w, model, opts, &mut summary)
            .await
            .with_context(|| format!("creating demo model {}", model.name))?;
    }
    Ok(summary)
}

async fn refuse_existing(w: &dyn RegistryWriter) -> anyhow::Result<()> {
    let existing: BTreeSet<String> = w
        .list_registered_models()
        .await?
        .into_iter()
        .map(|m| m.name)
        .collect();
    if let Some(clash) = catalog::MODELS.iter().find(|m| existing.contains(m.name)) {
        anyhow::bail!(
            "{} already holds a model named {}; the demo needs a registry without its models (use a new file)",
            w.describe(),
            clash.name
        );
    }
    Ok(())
}

async fn populate_model(
    w: &dyn RegistryWriter,
    model: &catalog::ModelSpec,
    opts: &DemoOptions,
    summary: &mut DemoSummary,
) -> anyhow::Result<()> {
    let mut tags: Tags = model
        .tags
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    tags.insert("modelgate.risk".into(), model.risk.as_str().into());
    w.ensure_registered_model(model.name, Some(model.description), &tags)
        .await?;
    summary.models += 1;
    for number in 1..=model.versions.len() {
        let plan = content::plan_version(model, number, opts.seed, opts.now_ms)?;
        let version = write_version(w, model.name, &plan)
            .await
            .with_context(|| format!("version {number}"))?;
        summary.versions += 1;
        if plan
            .tags
            .get("modelgate.review")
            .is_some_and(|v| v == "pending")
        {
            summary.pending += 1;
        }
        if model.champion == Some(number) {
            w.set_alias(model.name, PRODUCTION_ALIAS, &version).await?;
        }
    }
    Ok(())
}

/// One run with its metrics, params and artifacts, then the version on it.
async fn write_version(
    w: &dyn RegistryWriter,
    name: &str,
    plan: &content::VersionPlan,
) -> anyhow::Result<String> {
    let run_id = w
        .create_run(&plan.experiment, plan.start_ms, &plan.run_tags)
        .await?;
    w.log_params(&run_id, &plan.params).await?;
    w.log_metrics(&run_id, &plan.metrics).await?;
    for (path, bytes) in &plan.artifacts {
        w.upload_artifact(&run_id, path, bytes).await?;
    }
    let source = format!("runs:/{run_id}/model");
    Ok(w.create_model_version(
        name,
        &source,
        &run_id,
        plan.description.as_deref(),
        &plan.tags,
    )
    .await?)
}

/// The demo in memory with a fixed seed and clock, its production versions'
/// signed history (deterministic: demo nonces), behind a service configured
/// like a fresh install with the demo roster; the registry comes back too,
/// for tests that read it directly.
#[cfg(any(test, feature = "testing"))]
pub async fn in_memory(
    seed: u64,
    now_ms: i64,
) -> anyhow::Result<(
    std::sync::Arc<crate::registry::memory::MemoryRegistry>,
    crate::service::ReviewService,
)> {
    use crate::registry::memory::MemoryRegistry;
    let reg = std::sync::Arc::new(MemoryRegistry::new("demo (in memory)", now_ms));
    populate(reg.as_ref(), &DemoOptions { seed, now_ms }).await?;
    let mut config = crate::config::Config::resolve_demo(
        &config::settings()?,
        None,
        &crate::config::Overrides::default(),
    )?;
    // Pictures must not depend on what earlier runs left in a state directory.
    config.state_dir = None;
    let toml = roster_toml(seed)?;
    let roster = crate::trust::roster::Roster::parse("the demo roster", toml.as_bytes())
        .map_err(anyhow::Error::msg)?;
    let service = crate::service::ReviewService::new(reg.clone(), config).with_roster(roster);
    let history = sign_history(&service, reg.as_ref(), &model_names(), seed, now_ms).await?;
    anyhow::ensure!(
        history.skipped.is_empty(),
        "the demo history was not signed: {:?}",
        history.skipped
    );
    Ok((reg, service))
}

#[cfg(test)]
mod tests;
