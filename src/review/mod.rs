//! The pure review core: no I/O, no clock of its own (time comes in as `now`).

pub mod detail;
pub mod evidence;
pub mod gates;
pub mod metrics;
pub mod queue;
pub mod reports;
pub mod revalidation;
pub mod risk;
pub mod schema;
pub mod sla;
pub mod state;
