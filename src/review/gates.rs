//! Gate results as values (PROTOCOL 6 `gates`): what a record carries, what
//! the queue and `show` display. The policy engine that produces them lives
//! in `crate::policy`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
