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

use std::path::Path;

pub use bundle::Bundle;
pub use engine::Policy;
// The console names the gate values here.

use crate::review::detail::ReviewDetail;
use crate::review::gates::{GateReport, UNAVAILABLE};

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

    /// Evaluates one package of the bundle on its own (see
    /// [`Policy::evaluate_package`]).
    pub fn evaluate_package(
        &self,
        input: serde_json::Value,
        package: &str,
    ) -> Result<engine::PackageResult, String> {
        match &self.policy {
            Ok(p) => p.evaluate_package(input, package),
            Err(e) => Err(e.clone()),
        }
    }

    /// Evaluates one review.
    pub fn evaluate(&self, review: &ReviewDetail) -> GateReport {
        self.evaluate_json(input::to_json(review))
    }
}
