//! modelgate: a terminal review console for ML model approvals.
//!
//! Layers (see `docs/architecture.md`; `layers.rs` keeps them), data flowing
//! one way; [`num`], [`text`] and [`secrets`] are leaves, usable from anywhere:
//!
//! - [`registry`] is the only I/O with the outside. [`registry::Registry`]
//!   holds the primitives every backend offers (PROTOCOL 1: models, versions,
//!   runs, artifacts, tags, aliases) and [`registry::RegistryWriter`] creates
//!   content. Two backends: [`registry::local::LocalRegistry`], one embedded
//!   SQLite file, and [`registry::mlflow::MlflowRegistry`], MLflow's REST API.
//! - [`review`] is the pure core: the queue ([`review::queue::QueueItem`]),
//!   SLA, metric and schema diffs, reports, gate results, the review detail
//!   ([`review::detail::ReviewDetail`]), the evidence digest, review states.
//! - [`policy`] evaluates the Rego gates of a bundle.
//! - [`trust`] signs and checks decision records (PROTOCOL 6), validates the
//!   roster, derives a review's state from its valid records (PROTOCOL 9) and
//!   audits them; [`trust::record::Action`] names what a record does.
//! - [`service::ReviewService`] loads from a registry in few calls and builds
//!   plain review values: the queue, one review, signed decisions, deployments,
//!   audit. [`config::Config`] is what it is configured with.
//! - The front ends render them: [`cli`], clap commands with `--json`
//!   everywhere, and [`tui`], the review console (one owned `tui::app::App`,
//!   a pure `update`, a `view`).
//!
//! The demo dataset ([`demo`], above the service: it signs its history
//! through it) fills any registry. Here it is in an embedded
//! registry in a temporary directory, read the way the console and
//! `modelgate queue` read it:
//!
//! ```
//! use std::sync::Arc;
//!
//! use modelgate::config::{Config, Overrides};
//! use modelgate::demo::{DemoOptions, populate};
//! use modelgate::registry::local::LocalRegistry;
//! use modelgate::service::ReviewService;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> anyhow::Result<()> {
//! let dir = tempfile::tempdir()?;
//! let registry = LocalRegistry::create(&dir.path().join("demo.db"))?;
//! let now_ms = 1_790_000_000_000;
//! populate(&registry, &DemoOptions { seed: 7, now_ms }).await?;
//!
//! // Defaults, no config file; no state directory, so no local checkpoint is
//! // written anywhere but the temporary directory.
//! let mut config = Config::resolve(None, &Overrides::default())?;
//! config.state_dir = None;
//! let service = ReviewService::new(Arc::new(registry), config);
//!
//! let queue = service.queue(false, now_ms).await?;
//! let first = &queue.items[0];
//! println!("{} v{}: {:?}", first.model, first.version, first.sla_state);
//! let review = service.show(&first.model, &first.version, now_ms).await?;
//! assert_eq!(review.summary.model, first.model);
//! # Ok(())
//! # }
//! ```

pub mod cli;
pub mod config;
pub mod demo;
pub mod files;
#[cfg(test)]
mod layers;
pub mod num;
pub mod par;
pub mod policy;
pub mod registry;
pub mod review;
pub mod secrets;
pub mod serve;
pub mod service;
pub mod stats;
pub mod text;
pub mod trust;
pub mod tui;
