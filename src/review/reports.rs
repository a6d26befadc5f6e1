//! Evidence reports from the run's artifacts (PROTOCOL 5): explainability,
//! fairness, the modelscan security scan and the model card. Pure: a file
//! name and bytes in, a status out. An unreadable report is an `error`, never
//! `absent`, so a broken file cannot pass for a missing optional one.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::num::Num;

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

// ---------------------------------------------------------------- explainability

/// `modelgate/explainability.json`: global feature importance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explainability {
    pub method: String,
    pub global_importance: BTreeMap<String, Num>,
    #[serde(default)]
    pub notes: Option<String>,
}

pub fn parse_explainability(file: &str, bytes: &[u8]) -> Report<Explainability> {
    match parse_json::<Explainability>(file, bytes) {
        Ok(e) if e.global_importance.is_empty() => {
            Report::empty(file, "lists no feature importance")
        }
        r => Report::from_result(r),
    }
}

/// One feature compared between candidate and baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportanceRow {
    pub feature: String,
    pub candidate: Option<Num>,
    pub baseline: Option<Num>,
    /// Candidate minus baseline, when both have the feature.
    pub delta: Option<Num>,
    /// 1 = most important (value descending, ties by name, NaN last).
    pub candidate_rank: Option<usize>,
    pub baseline_rank: Option<usize>,
    /// Baseline rank minus candidate rank: positive when the feature rose.
    pub rank_change: Option<i64>,
}

/// Rows for every feature of either side: the candidate's by its rank, then
/// features only the baseline has, by their baseline rank.
pub fn compare_importance(
    candidate: &Explainability,
    baseline: Option<&Explainability>,
) -> Vec<ImportanceRow> {
    let empty = BTreeMap::new();
    let cand = &candidate.global_importance;
    let base = baseline.map_or(&empty, |b| &b.global_importance);
    let (cand_rank, base_rank) = (ranks(cand), ranks(base));
    let only_baseline = base.keys().filter(|f| !cand.contains_key(*f));
    let mut rows: Vec<ImportanceRow> = cand
        .keys()
        .chain(only_baseline)
        .map(|feature| {
            let rank = |ranks: &HashMap<&str, usize>| ranks.get(feature.as_str()).copied();
            let (c, b) = (cand.get(feature).copied(), base.get(feature).copied());
            let (c_rank, b_rank) = (rank(&cand_rank), rank(&base_rank));
            ImportanceRow {
                feature: feature.clone(),
                candidate: c,
                baseline: b,
                delta: c.zip(b).map(|(c, b)| Num(c.0 - b.0)),
                candidate_rank: c_rank,
                baseline_rank: b_rank,
                rank_change: c_rank.zip(b_rank).map(|(c, b)| b as i64 - c as i64),
            }
        })
        .collect();
    rows.sort_by_key(|r| {
        (
            r.candidate_rank.is_none(),
            r.candidate_rank,
            r.baseline_rank,
        )
    });
    rows
}

/// Each feature's rank: 1 = most important.
fn ranks(importance: &BTreeMap<String, Num>) -> HashMap<&str, usize> {
    ranked(importance)
        .into_iter()
        .enumerate()
        .map(|(i, (name, _))| (name.as_str(), i + 1))
        .collect()
}

/// Features by importance: value descending, NaN last, ties by name.
fn ranked(importance: &BTreeMap<String, Num>) -> Vec<(&String, Num)> {
    let mut order: Vec<(&String, Num)> = importance.iter().map(|(k, v)| (k, *v)).collect();
    order.sort_by(|a, b| descending_nan_last(a.1.0, b.1.0).then_with(|| a.0.cmp(b.0)));
    order
}

fn descending_nan_last(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => b.total_cmp(&a),
    }
}

/// The feature whose share of total importance moved most.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportanceShift {
    pub feature: String,
    /// |value| / sum of |values| on that side; 0 when the side lacks it.
    pub candidate_share: Num,
    pub baseline_share: Num,
    /// Candidate share minus baseline share (in -1..=1).
    pub change: Num,
}

/// The largest absolute change in normalised share, so a UI can flag a
/// "large explainability shift" whatever the scale of the raw values.
/// `None` when either side has no positive finite total to normalise by.
pub fn largest_shift(
    candidate: &Explainability,
    baseline: &Explainability,
) -> Option<ImportanceShift> {
    let cand = shares(&candidate.global_importance)?;
    let base = shares(&baseline.global_importance)?;
    let features: BTreeSet<&str> = cand.keys().chain(base.keys()).copied().collect();
    let mut best: Option<ImportanceShift> = None;
    for feature in features {
        let c = cand.get(feature).copied().unwrap_or(0.0);
        let b = base.get(feature).copied().unwrap_or(0.0);
        let change = c - b;
        // Strictly greater keeps the first feature by name among ties.
        if best
            .as_ref()
            .is_none_or(|s| change.abs() > s.change.0.abs())
        {
            best = Some(ImportanceShift {
                feature: feature.to_owned(),
                candidate_share: Num(c),
                baseline_share: Num(b),
                change: Num(change),
            });
        }
    }
    best
}

/// Each finite value's share of the total; non-finite values are left out.
fn shares(importance: &BTreeMap<String, Num>) -> Option<HashMap<&str, f64>> {
    let finite = || importance.iter().filter(|(_, v)| v.0.is_finite());
    let total: f64 = finite().map(|(_, v)| v.0.abs()).sum();
    if !(total.is_finite() && total > 0.0) {
        return None;
    }
    Some(
        finite()
            .map(|(k, v)| (k.as_str(), v.0.abs() / total))
            .collect(),
    )
}

// ---------------------------------------------------------------- fairness

/// `modelgate/fairness.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fairness {
    pub assessments: Vec<Assessment>,
}

/// One sensitive feature: fairlearn's `by_group` (metric -> group -> value)
/// and every summary value the producer wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub sensitive_feature: String,
    pub by_group: BTreeMap<String, BTreeMap<String, Num>>,
    pub summary: BTreeMap<String, Num>,
}

const DPD: &str = "demographic_parity_difference";
const EOD: &str = "equalized_odds_difference";
const DIR: &str = "disparate_impact_ratio";
/// fairlearn's name for the same quantity (min over max selection rate).
const DPR: &str = "demographic_parity_ratio";

impl Assessment {
    pub fn demographic_parity_difference(&self) -> Option<f64> {
        self.summary.get(DPD).map(|v| v.0)
    }

    pub fn equalized_odds_difference(&self) -> Option<f64> {
        self.summary.get(EOD).map(|v| v.0)
    }

    /// `disparate_impact_ratio`, or fairlearn's `demographic_parity_ratio`
    /// when only that is given.
    pub fn disparate_impact_ratio(&self) -> Option<f64> {
        self.ratio().map(|(_, v)| v)
    }

    fn ratio(&self) -> Option<(&'static str, f64)> {
        [DIR, DPR]
            .into_iter()
            .find_map(|key| self.summary.get(key).map(|v| (key, v.0)))
    }
}

/// Limits for [`Fairness::breaches`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FairnessThresholds {
    /// A disparate impact ratio below this breaches (the four-fifths rule).
    pub min_ratio: f64,
    /// A demographic parity difference above this breaches.
    pub max_dpd: f64,
}

impl Default for FairnessThresholds {
    fn default() -> Self {
        FairnessThresholds {
            min_ratio: 0.8,
            max_dpd: 0.1,
        }
    }
}

/// One assessment value outside its limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breach {
    pub sensitive_feature: String,
    /// The summary key that breached.
    pub metric: String,
    pub value: Num,
    pub limit: Num,
}

impl Fairness {
    /// Assessments whose ratio is below `min_ratio` or whose demographic
    /// parity difference is above `max_dpd`. A NaN counts as a breach: it
    /// cannot show the model is within the limit. A missing value does not.
    pub fn breaches(&self, thresholds: &FairnessThresholds) -> Vec<Breach> {
        let mut out = Vec::new();
        for a in &self.assessments {
            if let Some((key, v)) = a.ratio()
                && (v.is_nan() || v < thresholds.min_ratio)
            {
                out.push(breach(a, key, v, thresholds.min_ratio));
            }
            if let Some(v) = a.demographic_parity_difference()
                && (v.is_nan() || v > thresholds.max_dpd)
            {
                out.push(breach(a, DPD, v, thresholds.max_dpd));
            }
        }
        out
    }
}

fn breach(a: &Assessment, metric: &str, value: f64, limit: f64) -> Breach {
    Breach {
        sensitive_feature: a.sensitive_feature.clone(),
        metric: metric.to_owned(),
        value: Num(value),
        limit: Num(limit),
    }
}

pub fn parse_fairness(file: &str, bytes: &[u8]) -> Report<Fairness> {
    match parse_json::<Fairness>(file, bytes) {
        Ok(f)
            if f.assessments
                .iter()
                .all(|a| a.summary.is_empty() && a.by_group.values().all(BTreeMap::is_empty)) =>
        {
            Report::empty(file, "assesses no sensitive feature with any value")
        }
        r => Report::from_result(r),
    }
}

// ---------------------------------------------------------------- security scan

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

// ---------------------------------------------------------------- model card

/// `modelgate/model_card.md`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelCard {
    pub markdown: String,
}

pub fn parse_model_card(file: &str, bytes: &[u8]) -> Report<ModelCard> {
    let parsed = check_size(file, bytes).and_then(|()| {
        std::str::from_utf8(bytes)
            .map(|text| ModelCard {
                markdown: text.to_owned(),
            })
            .map_err(|e| format!("{file}: not valid UTF-8: {e}"))
    });
    match parsed {
        Ok(card) if card.markdown.trim().is_empty() => Report::empty(file, "is blank"),
        r => Report::from_result(r),
    }
}

#[cfg(test)]
mod tests;
