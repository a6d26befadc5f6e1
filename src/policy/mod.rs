//! Policy gates: Rego bundles evaluated in-process with regorus.
//!
//! - [`bundle`]: a bundle directory or the embedded default, and its digest;
//! - [`input`]: the input document built from a review (pure);
//! - [`engine`]: a prepared regorus engine that evaluates many reviews, and
//!   the runner of a bundle's Rego tests.
//!
//! Fail closed: a bundle that cannot be read or parsed, a rule that errors or
//! yields a non-string message, an evaluation past [`engine::TIME_LIMIT`] or a
//! missing data file is a result with `error` set, which counts as a deny.
//! See `docs/policy.md`.

pub mod bundle;
pub mod engine;
pub mod input;
mod recursion;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use bundle::Bundle;
pub use engine::Policy;

use crate::service::show::ReviewDetail;

/// What a record carries as `gates` (PROTOCOL 6), exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateResult {
    /// `sha256:<hex>` of the bundle (PROTOCOL 7); `unavailable` when the
    /// bundle could not even be read.
    pub policy: String,
    /// Sorted, each once.
    pub deny: Vec<String>,
    pub warn: Vec<String>,
    /// Why the evaluation failed; a failed evaluation counts as a deny.
    pub error: Option<String>,
}

/// The `policy` of a result whose bundle could not be read.
pub const UNAVAILABLE: &str = "unavailable";

impl GateResult {
    /// Nothing denies and the evaluation did not fail.
    pub fn passes(&self) -> bool {
        self.deny.is_empty() && self.error.is_none()
    }

    pub fn counts(&self) -> GateCounts {
        GateCounts {
            // An error counts as a deny, so that `deny > 0` never passes a
            // review whose policy could not be evaluated.
            deny: self.deny.len() + usize::from(self.error.is_some()),
            warn: self.warn.len(),
            error: self.error.clone(),
        }
    }
}

/// What `queue --json --gates` shows per review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateCounts {
    pub deny: usize,
    pub warn: usize,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Deny,
    Warn,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Deny => "deny",
            Level::Warn => "warn",
        }
    }
}

/// A rule a message came from: `modelgate.fairness.deny` and its package's files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSource {
    pub rule: String,
    pub files: Vec<String>,
}

/// One deny or warn message with where it came from and what it looked at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateMessage {
    pub level: Level,
    pub message: String,
    /// The sub-packages whose set holds the message; `modelgate.deny` itself
    /// when none does (a rule written directly in package `modelgate`).
    pub rules: Vec<RuleSource>,
    /// Input (and data) values the rule reports it compared, by path, from
    /// the sub-package's `findings`; empty when the bundle does not say.
    pub looked_at: BTreeMap<String, serde_json::Value>,
}

/// A queue item's or review's `gates`: counts in the queue (`--gates`), the
/// full report in `show`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ItemGates {
    Counts(GateCounts),
    Report(GateReport),
}

/// The full result for display: the record's fields plus per-message details.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateReport {
    #[serde(flatten)]
    pub result: GateResult,
    /// The bundle: a directory, or the default bundle (embedded).
    pub source: String,
    /// Deny messages first, then warn, each sorted.
    pub messages: Vec<GateMessage>,
}

impl GateReport {
    /// A failed evaluation: no messages, the error, counted as a deny.
    pub fn failed(policy: &str, source: &str, error: String) -> GateReport {
        GateReport {
            result: GateResult {
                policy: policy.to_owned(),
                deny: Vec::new(),
                warn: Vec::new(),
                error: Some(error),
            },
            source: source.to_owned(),
            messages: Vec::new(),
        }
    }
}

/// The configured bundle, prepared once and evaluated on any number of
/// reviews (from any thread), or the reason it cannot be: every evaluation
/// then fails closed with that reason.
pub struct Gates {
    source: String,
    digest: String,
    policy: Result<Policy, String>,
}

impl Gates {
    /// `dir` (the `policy` setting), or the embedded default bundle.
    pub fn load(dir: Option<&Path>) -> Gates {
        match Bundle::load(dir) {
            Ok(b) => Gates::from_bundle(&b),
            Err(e) => Gates {
                source: dir
                    .map(|d| d.display().to_string())
                    .unwrap_or_else(|| "the default bundle (embedded)".into()),
                digest: UNAVAILABLE.to_owned(),
                policy: Err(e.to_string()),
            },
        }
    }

    pub fn from_bundle(bundle: &Bundle) -> Gates {
        Gates {
            source: bundle.describe(),
            digest: bundle.digest(),
            policy: Policy::prepare(bundle),
        }
    }

    /// Why the bundle cannot be evaluated at all, if it cannot.
    pub fn error(&self) -> Option<&str> {
        self.policy.as_ref().err().map(String::as_str)
    }

    pub fn digest(&self) -> &str {
        &self.digest
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates an input document.
    pub fn evaluate_json(&self, input: serde_json::Value) -> GateReport {
        match &self.policy {
            Ok(p) => p.evaluate(input),
            Err(e) => GateReport::failed(&self.digest, &self.source, e.clone()),
        }
    }

    /// Evaluates one review.
    pub fn evaluate(&self, review: &ReviewDetail) -> GateReport {
        self.evaluate_json(input::to_json(review))
    }
}
