//! Evidence reports from the run's artifacts (PROTOCOL 5): explainability,
//! fairness, the modelscan security scan and the model card; and the drift
//! reports of monitoring jobs (PROTOCOL 16, `drift.rs`). Pure: a file
//! name and bytes in, a status out. An unreadable report is an `error`, never
//! `absent`, so a broken file cannot pass for a missing optional one.

use serde::Serialize;
use serde::de::DeserializeOwned;

mod card;
mod drift;
mod explain;
mod fairness;
mod modelscan;

pub use card::{ModelCard, parse_model_card};
pub use drift::{
    DRIFT_MAX_BYTES, DriftReport, Feature as DriftFeature, Format as DriftFormat, MethodKind,
    Window as DriftWindow, drifts, method_kind, parse_drift,
};
pub use explain::{
    Explainability, ImportanceRow, ImportanceShift, compare_importance, largest_shift,
    parse_explainability,
};
pub use fairness::{Assessment, Breach, Fairness, FairnessThresholds, parse_fairness};
pub use modelscan::{
    ScanEntry, ScanIssue, ScanVerdict, SecurityScan, SeverityCounts, Skipped, parse_security,
};

/// Reports over this size are an error (PROTOCOL 5).
pub const REPORT_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// A report with its status. Serializes as `{"status":"present", ...fields}`,
/// `{"status":"absent"}` or `{"status":"error","error":"<message>"}`. A file
/// that holds nothing to review (a fairness report without one assessed
/// value, an importance table without features, a blank model card) is
/// `absent` with a `note` saying so: required evidence is not satisfied by an
/// empty file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Report<T> {
    Present(T),
    Absent {
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    Error {
        error: String,
    },
}

impl<T> Report<T> {
    pub fn absent() -> Self {
        Report::Absent { note: None }
    }

    /// A file that was read but holds nothing to review.
    fn empty(file: &str, what: &str) -> Self {
        Report::Absent {
            note: Some(format!("{file} {what}: it counts as absent")),
        }
    }

    /// Why a report that is absent is, when a file was there.
    pub fn absent_note(&self) -> Option<&str> {
        match self {
            Report::Absent { note } => note.as_deref(),
            _ => None,
        }
    }

    pub fn error(message: impl Into<String>) -> Self {
        Report::Error {
            error: message.into(),
        }
    }

    /// `"present"`, `"absent"` or `"error"`.
    pub fn status(&self) -> &'static str {
        match self {
            Report::Present(_) => "present",
            Report::Absent { .. } => "absent",
            Report::Error { .. } => "error",
        }
    }

    pub fn present(&self) -> Option<&T> {
        match self {
            Report::Present(report) => Some(report),
            _ => None,
        }
    }

    pub fn error_message(&self) -> Option<&str> {
        match self {
            Report::Error { error } => Some(error),
            _ => None,
        }
    }

    fn from_result(result: Result<T, String>) -> Self {
        match result {
            Ok(report) => Report::Present(report),
            Err(message) => Report::error(message),
        }
    }
}

fn check_size(file: &str, bytes: &[u8]) -> Result<(), String> {
    let len = bytes.len() as u64;
    if len > REPORT_MAX_BYTES {
        return Err(format!("{file} is {len} bytes, over the 10 MiB limit"));
    }
    Ok(())
}

/// Parses a JSON report whose top level must be an object. Messages start
/// with the file name and carry serde_json's line and column.
fn parse_json<T: DeserializeOwned>(file: &str, bytes: &[u8]) -> Result<T, String> {
    check_size(file, bytes)?;
    expect_object(file, bytes)?;
    match serde_json::from_slice(bytes) {
        Ok(report) => Ok(report),
        // Python's json.dump writes bare NaN/Infinity (fairlearn yields NaN
        // for empty groups); read them as the protocol's strings.
        Err(strict) => match quote_bare_non_finite(bytes) {
            Some(quoted) => serde_json::from_slice(&quoted).map_err(|e| format!("{file}: {e}")),
            None => Err(format!("{file}: {strict}")),
        },
    }
}

/// A clearer message than serde's "invalid type: sequence" for the common
/// mistake of a top-level array or scalar.
fn expect_object(file: &str, bytes: &[u8]) -> Result<(), String> {
    let first = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    match first {
        Some(at) if bytes.get(at) != Some(&b'{') => {
            let (line, column) = line_column(bytes, at);
            Err(format!(
                "{file}: expected an object at line {line} column {column}"
            ))
        }
        // Empty input falls through to serde's own EOF message.
        _ => Ok(()),
    }
}

/// 1-based line and byte column of `at`, as serde_json counts them.
fn line_column(bytes: &[u8], at: usize) -> (usize, usize) {
    let before = bytes.get(..at).unwrap_or_default();
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    (line, at - line_start + 1)
}

/// Quotes bare `NaN`, `Infinity`, `-Infinity` outside strings; `None` when
/// there were none. Outside strings, valid JSON has no other `N` or `I`.
fn quote_bare_non_finite(bytes: &[u8]) -> Option<Vec<u8>> {
    const TOKENS: [&[u8]; 3] = [b"NaN", b"-Infinity", b"Infinity"];
    let mut out = Vec::with_capacity(bytes.len() + 16);
    let (mut in_string, mut escaped, mut changed) = (false, false, false);
    let mut rest = bytes;
    while let Some((&b, tail)) = rest.split_first() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else if let Some(token) = TOKENS.iter().find(|t| rest.starts_with(t)) {
            out.push(b'"');
            out.extend_from_slice(token);
            out.push(b'"');
            rest = rest.get(token.len()..).unwrap_or_default();
            changed = true;
            continue;
        } else if b == b'"' {
            in_string = true;
        }
        out.push(b);
        rest = tail;
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests;
