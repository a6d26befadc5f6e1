//! The console's fixed demo: the in-memory registry
//! ([`MemoryRegistry`]) populated with a fixed seed and clock, so snapshots,
//! screenshots and benches do not change from one run to the next.

use std::sync::Arc;

use crate::config::Config;
use crate::demo::{DemoOptions, model_names, populate, roster_toml, sign_history};
use crate::registry::memory::MemoryRegistry;
use crate::service::ReviewService;
use crate::trust::roster::Roster;

/// The fixed "now" of screenshots and snapshots: 2026-03-02T09:30:00Z.
pub const FIXED_NOW_MS: i64 = 1_772_443_800_000;
/// The demo seed of screenshots and snapshots (the `demo` default).
pub const FIXED_SEED: u64 = 7;

/// The demo dataset in memory with a fixed seed and clock, its production
/// versions' signed history (deterministic: demo nonces), behind a service
/// configured like a fresh install with the demo roster.
pub async fn demo_service(seed: u64, now_ms: i64) -> anyhow::Result<ReviewService> {
    let reg = Arc::new(MemoryRegistry::new("demo (in memory)", now_ms));
    populate(reg.as_ref(), &DemoOptions { seed, now_ms }).await?;
    let mut config = Config::resolve(None, &crate::config::Overrides::default())?;
    // Pictures must not depend on what earlier runs left in a state directory.
    config.state_dir = None;
    let toml = roster_toml(seed)?;
    let roster = Roster::parse("the demo roster", toml.as_bytes()).map_err(anyhow::Error::msg)?;
    let service = ReviewService::new(reg.clone(), config).with_roster(roster);
    let history = sign_history(&service, reg.as_ref(), &model_names(), seed, now_ms).await?;
    anyhow::ensure!(
        history.skipped.is_empty(),
        "the demo history was not signed: {:?}",
        history.skipped
    );
    Ok(service)
}
