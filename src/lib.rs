//! modelgate: a terminal review console for ML model approvals.
//!
//! Layers (see `docs/architecture.md`): `registry` is the only I/O with the
//! outside; `review` is the pure core (queue, SLA, diffs, reports, evidence);
//! `service` loads from a registry and builds reviews; `cli` renders them.

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
