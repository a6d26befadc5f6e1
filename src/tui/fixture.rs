//! The console's fixed demo: the in-memory registry
//! (`registry::memory`) populated with a fixed seed and clock, so snapshots,
//! screenshots and benches do not change from one run to the next.

use crate::service::ReviewService;

/// The fixed "now" of screenshots and snapshots: 2026-03-02T09:30:00Z.
pub const FIXED_NOW_MS: i64 = 1_772_443_800_000;
/// The demo seed of screenshots and snapshots (the `demo` default).
pub const FIXED_SEED: u64 = 7;

/// The demo in memory with a fixed seed and clock behind a service
/// (`demo::in_memory`).
pub async fn demo_service(seed: u64, now_ms: i64) -> anyhow::Result<ReviewService> {
    Ok(crate::demo::in_memory(seed, now_ms).await?.1)
}
