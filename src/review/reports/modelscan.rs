//! `modelgate/security_scan.json`: a modelscan report, and the model files it
//! did not cover.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::{Report, parse_json};

/// What a modelscan report says about the model directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanVerdict {
    /// At least one issue.
    Findings,
    /// Nothing was scanned (e.g. `.skops` models): never clean.
    NotScanned,
    /// Errors, or model files the scan did not cover.
    Partial,
    /// No issues, no errors, every model file scanned.
    Clean,
}

/// Issue counts from the report's summary, CRITICAL first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SeverityCounts {
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    /// Severities modelscan 0.8 does not use, kept so none is lost.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub other: BTreeMap<String, u64>,
}

impl SeverityCounts {
    /// The four modelscan severities in display order.
    pub fn ordered(&self) -> [(&'static str, u64); 4] {
        [
            ("CRITICAL", self.critical),
            ("HIGH", self.high),
            ("MEDIUM", self.medium),
            ("LOW", self.low),
        ]
    }

    pub fn total(&self) -> u64 {
        let known = self.critical + self.high + self.medium + self.low;
        known + self.other.values().sum::<u64>()
    }

    fn from_summary(by_severity: BTreeMap<String, u64>) -> Self {
        let mut counts = SeverityCounts::default();
        for (severity, n) in by_severity {
            match severity.as_str() {
                "CRITICAL" => counts.critical += n,
                "HIGH" => counts.high += n,
                "MEDIUM" => counts.medium += n,
                "LOW" => counts.low += n,
                _ => *counts.other.entry(severity).or_default() += n,
            }
        }
        counts
    }
}

/// One modelscan issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanIssue {
    pub severity: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub operator: Option<String>,
    #[serde(default)]
    pub module: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub scanner: Option<String>,
}

/// An error or skipped-file entry, kept exactly as found: modelscan's shapes
/// vary between versions (objects with category/description/source, or plain
/// strings in older ones).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ScanEntry(pub Json);

impl ScanEntry {
    /// A string field of an object entry.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Json::as_str)
    }

    /// The description, or the entry itself when it is a plain string.
    pub fn description(&self) -> Option<&str> {
        self.field("description").or_else(|| self.0.as_str())
    }

    /// The file concerned, or the entry itself when it is a plain string.
    pub fn source(&self) -> Option<&str> {
        self.field("source").or_else(|| self.0.as_str())
    }
}

/// Files modelscan chose not to scan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    #[serde(default)]
    pub total_skipped: u64,
    #[serde(default)]
    pub skipped_files: Vec<ScanEntry>,
}

/// `modelgate/security_scan.json` with the verdict against the model files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecurityScan {
    pub scan: ScanVerdict,
    pub severity_counts: SeverityCounts,
    pub total_issues: u64,
    pub issues: Vec<ScanIssue>,
    pub errors: Vec<ScanEntry>,
    pub total_scanned: u64,
    pub scanned_files: Vec<String>,
    pub skipped: Option<Skipped>,
    /// Model files (metadata excluded) that no scanned path covers.
    pub uncovered_model_files: Vec<String>,
    pub modelscan_version: Option<String>,
    pub input_path: Option<String>,
    pub timestamp: Option<String>,
}

/// modelscan 0.8's report; `issues` and `errors` are required because a
/// report without them cannot show the model is clean.
#[derive(Deserialize)]
struct RawScan {
    summary: RawSummary,
    issues: Vec<ScanIssue>,
    errors: Vec<ScanEntry>,
}

#[derive(Deserialize)]
struct RawSummary {
    #[serde(default)]
    total_issues_by_severity: BTreeMap<String, u64>,
    #[serde(default)]
    total_issues: u64,
    #[serde(default)]
    scanned: RawScanned,
    skipped: Option<Skipped>,
    input_path: Option<String>,
    absolute_path: Option<String>,
    modelscan_version: Option<String>,
    timestamp: Option<String>,
}

#[derive(Default, Deserialize)]
struct RawScanned {
    #[serde(default)]
    total_scanned: u64,
    #[serde(default)]
    scanned_files: Vec<String>,
}

/// MLflow's own files in the model directory root: not model content.
const MLFLOW_METADATA: [&str; 7] = [
    "MLmodel",
    "conda.yaml",
    "python_env.yaml",
    "requirements.txt",
    "input_example.json",
    "serving_input_example.json",
    "registered_model_meta",
];

/// Parses a modelscan JSON report. `model_files` are the model directory's
/// files, relative to it; coverage is judged against them.
pub fn parse_security(file: &str, bytes: &[u8], model_files: &[String]) -> Report<SecurityScan> {
    Report::from_result(parse_json(file, bytes).map(|raw| security_scan(raw, model_files)))
}

fn security_scan(raw: RawScan, model_files: &[String]) -> SecurityScan {
    let RawScan {
        summary,
        issues,
        errors,
    } = raw;
    let severity_counts = SeverityCounts::from_summary(summary.total_issues_by_severity);
    let roots: Vec<&str> = [
        summary.input_path.as_deref(),
        summary.absolute_path.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let uncovered_model_files = uncovered(model_files, &summary.scanned.scanned_files, &roots);
    // Any sign of an issue counts, even when summary and list disagree.
    let has_findings =
        !issues.is_empty() || summary.total_issues > 0 || severity_counts.total() > 0;
    let scan = if has_findings {
        ScanVerdict::Findings
    } else if summary.scanned.total_scanned == 0 {
        ScanVerdict::NotScanned
    } else if !errors.is_empty() || !uncovered_model_files.is_empty() {
        ScanVerdict::Partial
    } else {
        ScanVerdict::Clean
    };
    SecurityScan {
        scan,
        severity_counts,
        total_issues: summary.total_issues,
        issues,
        errors,
        total_scanned: summary.scanned.total_scanned,
        scanned_files: summary.scanned.scanned_files,
        skipped: summary.skipped,
        uncovered_model_files,
        modelscan_version: summary.modelscan_version,
        input_path: summary.input_path,
        timestamp: summary.timestamp,
    }
}

/// Model files no scanned path covers. A scanned path counts only as a path
/// inside the model directory: as modelscan 0.8 writes it, relative to the
/// directory it was given (`model.pkl`), or behind that directory's own name
/// as the report states it (`input_path` or `absolute_path`, as older
/// versions wrote them). A path elsewhere (`/etc/other/model.pkl`), one that
/// climbs out (`../x/model.pkl`) or behind another root never covers a model
/// file of the same name. Archive members (`model.skops:a.npy`) do not cover
/// the archive.
fn uncovered(model_files: &[String], scanned_files: &[String], roots: &[&str]) -> Vec<String> {
    let roots: Vec<&str> = roots
        .iter()
        .map(|r| strip_dot(r.trim_end_matches('/')))
        .filter(|r| !r.is_empty() && *r != ".")
        .collect();
    let covered: HashSet<&str> = scanned_files
        .iter()
        .map(|p| strip_dot(p))
        .filter_map(|p| {
            if !p.starts_with('/') && !has_parent_segment(p) {
                return Some(p);
            }
            roots.iter().find_map(|r| {
                p.strip_prefix(r)
                    .and_then(|rest| rest.strip_prefix('/'))
                    .filter(|rest| !has_parent_segment(rest))
            })
        })
        .flat_map(|p| {
            // A relative path may still carry the input directory's name.
            let behind_root = roots
                .iter()
                .filter(|r| !r.starts_with('/'))
                .find_map(|r| p.strip_prefix(r).and_then(|rest| rest.strip_prefix('/')));
            [Some(p), behind_root].into_iter().flatten()
        })
        .collect();
    model_files
        .iter()
        .filter(|f| !MLFLOW_METADATA.contains(&strip_dot(f)))
        .filter(|f| !covered.contains(strip_dot(f)))
        .cloned()
        .collect()
}

fn has_parent_segment(path: &str) -> bool {
    path.split('/').any(|s| s == "..")
}

fn strip_dot(path: &str) -> &str {
    path.strip_prefix("./").unwrap_or(path)
}
