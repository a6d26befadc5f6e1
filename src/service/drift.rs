//! Monitoring reports on a version (PROTOCOL 16): a drift report read into
//! `input.drift` beside the version's review input, and the configured
//! bundle's `modelgate.drift` package as the verdict. Nothing here writes;
//! `modelgate drift --apply` signs the reopen through `decide`.

use serde::Serialize;
use serde_json::{Value, json};

use super::ReviewService;
use super::show::Evidence;
use crate::policy::input::{self, CRITICAL_COLUMNS_TAG, DriftInput};
use crate::registry::RegistryError;
use crate::review::reports::{DriftReport, parse_drift};
use crate::review::risk::Risk;

/// The package whose deny messages are the drift verdict.
pub const DRIFT_PACKAGE: &str = "modelgate.drift";

/// A reopen's `report.summary` may take this many bytes of JCS (PROTOCOL 6).
pub const SUMMARY_MAX_BYTES: usize = 8 * 1024;

/// A record's `reason` may hold this many characters (PROTOCOL 6).
pub const REASON_MAX_CHARS: usize = 4_000;

/// What a drift report comes to for one version.
#[derive(Debug, Clone, Serialize)]
pub struct DriftVerdict {
    pub model: String,
    pub version: String,
    /// The version's effective risk, whose limit the policy applied.
    pub risk: Risk,
    /// `drift` when the package denies, else `no_drift`.
    pub verdict: &'static str,
    /// `sha256:<hex>` of the report file's bytes.
    pub report_digest: String,
    /// The bundle's digest.
    pub policy: String,
    pub share_drifted: f64,
    /// The report as read: every column, the drifted ones, window, format.
    pub report: DriftReport,
    /// The model's critical columns tag, as the policy saw it.
    pub critical_columns: Vec<String>,
    /// The drift verdict: the package's deny messages.
    pub deny: Vec<String>,
    pub warn: Vec<String>,
}

impl DriftVerdict {
    pub fn drifted(&self) -> bool {
        !self.deny.is_empty()
    }

    /// The reopen's `reason`: the deny messages, one a line, within the
    /// protocol's limit.
    pub fn reason(&self) -> String {
        let joined = self.deny.join("\n");
        if joined.chars().count() <= REASON_MAX_CHARS {
            return joined;
        }
        let cut: String = joined.chars().take(REASON_MAX_CHARS - 40).collect();
        format!("{cut} ... (cut at {REASON_MAX_CHARS} characters)")
    }

    /// The reopen's `report` object: kind, the file's digest and a summary
    /// (share, drifted columns with method, score and threshold, window)
    /// whose JCS stays within [`SUMMARY_MAX_BYTES`]; columns that do not fit
    /// are left out and counted.
    /// The reopen that records this verdict: trigger drift, the deny
    /// messages as the reason, the report's digest and summary.
    pub fn reopen(&self) -> crate::service::decide::Decision {
        crate::service::decide::Decision {
            reason: Some(self.reason()),
            trigger: Some(crate::review::revalidation::Trigger::Drift),
            report: Some(self.record_report()),
            ..crate::service::decide::Decision::new(crate::trust::record::Action::Reopen)
        }
    }

    pub fn record_report(&self) -> Value {
        json!({
            "kind": "drift",
            "digest": self.report_digest,
            "summary": summary(&self.report, SUMMARY_MAX_BYTES),
        })
    }
}

/// Why there is no verdict. Every case writes nothing.
#[derive(Debug, thiserror::Error)]
pub enum DriftError {
    #[error("the drift report cannot be read: {0}")]
    Report(String),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("the policy gives no drift verdict: {0}")]
    Policy(String),
}

/// `sha256:<hex>` of a report file's bytes.
pub fn report_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", crate::trust::record::hex_sha256(bytes))
}

/// The summary of `report` whose JCS is at most `max` bytes: as many drifted
/// columns (in name order) as fit, and how many were left out.
pub fn summary(report: &DriftReport, max: usize) -> Value {
    let build = |n: usize| {
        let drifted: Vec<Value> = report
            .drifted
            .iter()
            .take(n)
            .filter_map(|name| {
                report.features.get(name).map(|f| {
                    json!({
                        "column": name,
                        "method": f.method,
                        "score": f.score,
                        "threshold": f.threshold,
                    })
                })
            })
            .collect();
        json!({
            "format": report.format.as_str(),
            "share_drifted": report.share_drifted,
            "columns": report.features.len(),
            "drifted": drifted,
            "left_out": report.drifted.len() - n.min(report.drifted.len()),
            "window": report.window,
        })
    };
    let fits = |v: &Value| {
        crate::trust::jcs::value(v)
            .map(|s| s.len() <= max)
            .unwrap_or(false)
    };
    // The longest prefix that fits, by bisection: one huge column name must
    // not make every shorter list fail to fit.
    let (mut lo, mut hi) = (0, report.drifted.len());
    if fits(&build(hi)) {
        return build(hi);
    }
    while lo + 1 < hi {
        let mid = (lo + hi) / 2;
        if fits(&build(mid)) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    build(lo)
}

impl ReviewService {
    /// The drift verdict of `report` (the file's name and bytes) on a version.
    pub async fn drift(
        &self,
        model: &str,
        version: &str,
        file: &str,
        bytes: &[u8],
        now_ms: i64,
    ) -> Result<DriftVerdict, DriftError> {
        let report = parse_drift(file, bytes).map_err(DriftError::Report)?;
        let gates = self.gates();
        if let Some(e) = gates.error() {
            return Err(DriftError::Policy(e.to_owned()));
        }
        let detail = self.detail(model, version, now_ms, Evidence::Skip).await?;
        let tag = match self.registry.get_registered_model(model).await {
            Ok(m) => m.tags.get(CRITICAL_COLUMNS_TAG).cloned(),
            Err(RegistryError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let drift = DriftInput::new(&report, tag.as_deref());
        let critical_columns = drift.critical_columns.clone();
        let doc = input::to_json_with_drift(&detail, drift);
        let result = gates
            .evaluate_package(doc, DRIFT_PACKAGE)
            .map_err(DriftError::Policy)?;
        if !result.errors.is_empty() {
            return Err(DriftError::Policy(format!(
                "{DRIFT_PACKAGE}.errors: {}",
                result.errors.join("; ")
            )));
        }
        Ok(DriftVerdict {
            model: detail.summary.model.clone(),
            version: detail.summary.version.clone(),
            risk: detail.summary.risk,
            verdict: if result.deny.is_empty() {
                "no_drift"
            } else {
                "drift"
            },
            report_digest: report_digest(bytes),
            policy: gates.digest().to_owned(),
            share_drifted: report.share_drifted,
            report,
            critical_columns,
            deny: result.deny,
            warn: result.warn,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn many(n: usize, name_len: usize) -> DriftReport {
        let features: serde_json::Map<String, Value> = (0..n)
            .map(|i| {
                (
                    format!("{i:05}{}", "x".repeat(name_len)),
                    json!({"method": "psi", "score": 0.5, "threshold": 0.1, "drifted": true}),
                )
            })
            .collect();
        let doc = json!({
            "kind": "drift",
            "window": {"start": "2026-11-01T00:00:00Z", "end": "2026-11-08T00:00:00Z"},
            "features": features,
        });
        parse_drift("r.json", doc.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn a_small_summary_lists_every_drifted_column() {
        let s = summary(&many(3, 1), SUMMARY_MAX_BYTES);
        assert_eq!(s["drifted"].as_array().unwrap().len(), 3);
        assert_eq!(s["left_out"], 0);
        assert_eq!(s["columns"], 3);
        assert_eq!(s["drifted"][0]["method"], "psi");
        assert_eq!(s["window"]["start"], "2026-11-01T00:00:00Z");
    }

    #[test]
    fn a_large_summary_is_cut_to_fit_and_counts_what_it_left_out() {
        let report = many(500, 40);
        let s = summary(&report, SUMMARY_MAX_BYTES);
        let jcs = crate::trust::jcs::value(&s).unwrap();
        assert!(jcs.len() <= SUMMARY_MAX_BYTES, "{}", jcs.len());
        let listed = s["drifted"].as_array().unwrap().len();
        assert!(listed > 10, "{listed}");
        assert_eq!(s["left_out"], 500 - listed);
        // One more column would not have fitted.
        let more = summary(&report, jcs.len() - 1);
        assert!(more["drifted"].as_array().unwrap().len() < listed);
    }

    #[test]
    fn a_column_name_too_long_for_the_summary_is_left_out() {
        let s = summary(&many(1, 20_000), SUMMARY_MAX_BYTES);
        assert_eq!(s["drifted"].as_array().unwrap().len(), 0);
        assert_eq!(s["left_out"], 1);
    }

    #[test]
    fn the_reason_stays_within_the_protocol_limit() {
        let mut v = DriftVerdict {
            model: "m".into(),
            version: "1".into(),
            risk: Risk::High,
            verdict: "drift",
            report_digest: report_digest(b"x"),
            policy: "sha256:0".into(),
            share_drifted: 1.0,
            report: many(1, 1),
            critical_columns: Vec::new(),
            deny: vec!["drift: a".into(), "drift: b".into()],
            warn: Vec::new(),
        };
        assert_eq!(v.reason(), "drift: a\ndrift: b");
        v.deny = vec!["é".repeat(5_000)];
        assert!(v.reason().chars().count() <= REASON_MAX_CHARS);
        assert_eq!(
            report_digest(b"abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
