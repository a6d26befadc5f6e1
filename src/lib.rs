//! modelgate: a terminal review console for ML model approvals.
//!
//! Layers (see `docs/architecture.md`, kept by `layers.rs`): `registry` is
//! the only I/O with the outside; `review` is the pure core (queue, SLA,
//! diffs, reports, gate results, evidence); `policy` and `trust` work on its
//! values; `config` reads the settings; `service` loads from a registry and
//! builds reviews; `demo`, `tui` and `cli` sit on the service. `num`, `text`
//! and `secrets` are leaves, usable from anywhere.

pub mod cli;
pub mod config;
pub mod demo;
#[cfg(test)]
mod layers;
pub mod num;
pub mod policy;
pub mod registry;
pub mod review;
pub mod secrets;
pub mod service;
pub mod text;
pub mod trust;
pub mod tui;
