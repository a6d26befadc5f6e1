//! The command line and both registries, in one test binary (one link of the
//! crate and its dependencies, not one per file): the real binary on demo and
//! hand-made registries, the embedded registry on real SQLite files, the
//! parsers on real samples, policy gates, and signed decisions, audit,
//! deployments and tampering on the embedded registry and on the real MLflow
//! server (`on_both!`; run through `scripts/test`, which starts the servers).

#![allow(clippy::unwrap_used)] // a test that meets the unexpected should stop there

#[path = "../hermetic/mod.rs"]
mod hermetic;
#[path = "../signing/mod.rs"]
mod signing;
#[path = "../support/mod.rs"]
mod support;

mod audit;
mod cli;
mod conformance;
mod continuous;
mod decision_faults;
mod decisions;
mod demo_data;
mod demo_profile;
mod deploy;
mod hostile_input;
mod local_registry;
mod monitoring;
mod policy;
mod races;
mod revalidation;
mod samples;
mod serve;
mod ssh_keygen;
mod stats;
mod structured;
mod tamper;
