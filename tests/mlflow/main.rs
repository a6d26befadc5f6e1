//! The MLflow backend in one test binary: the client against the real servers
//! (open and basic auth, started by `scripts/test`), a fault-injecting proxy,
//! misbehaving servers of its own and TLS on loopback, and the binary against
//! MLflow.

#![allow(clippy::unwrap_used)] // a test that meets the unexpected should stop there

#[path = "../hermetic/mod.rs"]
mod hermetic;
#[path = "../support/mod.rs"]
mod support;

mod mlflow_backend;
mod mlflow_cli;
mod mlflow_faults;
