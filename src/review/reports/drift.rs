//! Drift reports from a monitoring job (PROTOCOL 16): an Evidently 0.7
//! snapshot or modelgate's own `{"kind": "drift", ...}`, read into one
//! [`DriftReport`]. Pure: a file name and bytes in, a report or the reason
//! there is none out. Unlike the evidence reports there is no `absent`: a
//! report that cannot be read gives no verdict, never "no drift".

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::{expect_object, quote_bare_non_finite};

/// Reports over this size are refused: a monitoring report is a summary.
pub const DRIFT_MAX_BYTES: usize = 16 * 1024 * 1024;

const VALUE_DRIFT: &str = "evidently:metric_v2:ValueDrift";
const DRIFTED_COUNT: &str = "evidently:metric_v2:DriftedColumnsCount";

/// How a method's score reads: a p-value drifts below its threshold, a
/// distance at or above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodKind {
    PValue,
    Distance,
}

/// Evidently's drift methods (`evidently.legacy.calculations.stattests`), by
/// the name a user passes and the display name a snapshot records, with
/// what their score is. Total-Variation-Distance, Anderson-Darling, Epps-
/// Singleton, Cramer-von Mises and the MMD give p-values despite their
/// names. The text-content methods compare classifier scores and are not
/// read: they are an unknown method.
const METHODS: &[(&str, &str, MethodKind)] = &[
    ("ks", "K-S p_value", MethodKind::PValue),
    ("chisquare", "chi-square p_value", MethodKind::PValue),
    ("z", "Z-test p_value", MethodKind::PValue),
    ("anderson", "Anderson-Darling", MethodKind::PValue),
    ("cramer_von_mises", "Cramer-von Mises", MethodKind::PValue),
    ("es", "Epps-Singleton", MethodKind::PValue),
    ("fisher_exact", "Fisher's Exact test", MethodKind::PValue),
    ("g_test", "g_test", MethodKind::PValue),
    ("mannw", "Mann-Whitney U-rank test", MethodKind::PValue),
    ("t_test", "t_test", MethodKind::PValue),
    ("empirical_mmd", "empirical_mmd", MethodKind::PValue),
    ("TVD", "Total-Variation-Distance", MethodKind::PValue),
    (
        "wasserstein",
        "Wasserstein distance (normed)",
        MethodKind::Distance,
    ),
    (
        "jensenshannon",
        "Jensen-Shannon distance",
        MethodKind::Distance,
    ),
    ("psi", "PSI", MethodKind::Distance),
    (
        "kl_div",
        "Kullback-Leibler divergence",
        MethodKind::Distance,
    ),
    ("hellinger", "Hellinger distance", MethodKind::Distance),
    ("ed", "Energy-distance", MethodKind::Distance),
];

/// What a method's score is, by its name or display name (any case); any
/// method whose name holds `p_value` is a p-value. `None`: unknown.
pub fn method_kind(method: &str) -> Option<MethodKind> {
    let m = method.trim();
    if m.to_ascii_lowercase().contains("p_value") {
        return Some(MethodKind::PValue);
    }
    METHODS
        .iter()
        .find(|(name, display, _)| m.eq_ignore_ascii_case(name) || m.eq_ignore_ascii_case(display))
        .map(|(_, _, kind)| *kind)
}

/// Whether `score` drifts under `threshold` for a method of `kind`.
pub fn drifts(kind: MethodKind, score: f64, threshold: f64) -> bool {
    match kind {
        MethodKind::PValue => score < threshold,
        MethodKind::Distance => score >= threshold,
    }
}

/// One column's drift.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Feature {
    pub method: String,
    pub score: f64,
    pub threshold: f64,
    pub drifted: bool,
    pub kind: MethodKind,
}

/// The period the current data covers (RFC 3339, as the report gives it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Window {
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Format {
    #[serde(rename = "evidently-0.7")]
    Evidently,
    #[serde(rename = "modelgate")]
    Modelgate,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Evidently => "evidently-0.7",
            Format::Modelgate => "modelgate",
        }
    }
}

/// A drift report as modelgate reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftReport {
    /// Drifted columns over all columns; with an Evidently snapshot, the
    /// larger of that and the snapshot's own `DriftedColumnsCount` share.
    pub share_drifted: f64,
    /// The drifted columns, in name order.
    pub drifted: Vec<String>,
    pub features: BTreeMap<String, Feature>,
    pub window: Option<Window>,
    pub format: Format,
    /// Where the report disagrees with itself, and which reading was kept.
    pub notes: Vec<String>,
}

impl DriftReport {
    fn new(
        features: BTreeMap<String, Feature>,
        window: Option<Window>,
        format: Format,
    ) -> DriftReport {
        let drifted: Vec<String> = features
            .iter()
            .filter(|(_, f)| f.drifted)
            .map(|(n, _)| n.clone())
            .collect();
        let share_drifted = drifted.len() as f64 / features.len().max(1) as f64;
        DriftReport {
            share_drifted,
            drifted,
            features,
            window,
            format,
            notes: Vec::new(),
        }
    }
}

/// Reads a drift report. Messages start with `file` and name the part at
/// fault: an unknown method names the method and the column.
pub fn parse_drift(file: &str, bytes: &[u8]) -> Result<DriftReport, String> {
    if bytes.len() > DRIFT_MAX_BYTES {
        return Err(format!(
            "{file} is {} bytes, over the {} MiB limit for a drift report; report a summary, not the data",
            bytes.len(),
            DRIFT_MAX_BYTES / (1024 * 1024)
        ));
    }
    expect_object(file, bytes)?;
    let doc: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        // Python's json.dump writes bare NaN/Infinity; read them as strings
        // so that the message can name the value that is not finite.
        Err(strict) => match quote_bare_non_finite(bytes) {
            Some(quoted) => serde_json::from_slice(&quoted).map_err(|e| format!("{file}: {e}"))?,
            None => return Err(format!("{file}: {strict}")),
        },
    };
    let Some(doc) = doc.as_object() else {
        return Err(format!("{file}: expected an object"));
    };
    let report = if doc.get("kind").is_some() {
        parse_own(file, doc)?
    } else if doc.get("metrics").is_some() {
        parse_evidently(file, doc)?
    } else {
        return Err(format!(
            "{file}: neither an Evidently 0.7 snapshot (no \"metrics\" list) nor a modelgate drift report (no \"kind\": \"drift\")"
        ));
    };
    if report.features.is_empty() {
        let hint = match report.format {
            Format::Evidently => {
                " (no ValueDrift metric: write the snapshot with Evidently 0.7's Report([DataDriftPreset()]))"
            }
            Format::Modelgate => "",
        };
        return Err(format!(
            "{file}: reports no column's drift, so it cannot show that nothing drifted{hint}"
        ));
    }
    Ok(report)
}

fn parse_evidently(file: &str, doc: &Map<String, Value>) -> Result<DriftReport, String> {
    let Some(metrics) = doc.get("metrics").and_then(Value::as_array) else {
        return Err(format!("{file}: \"metrics\" must be a list"));
    };
    let mut features: BTreeMap<String, Feature> = BTreeMap::new();
    let mut counted: Option<(f64, f64)> = None;
    for (i, m) in metrics.iter().enumerate() {
        let at = format!("{file}: metrics[{i}]");
        let config = m.get("config").and_then(Value::as_object);
        let ty = config.and_then(|c| c.get("type")).and_then(Value::as_str);
        match (ty, config) {
            (Some(VALUE_DRIFT), Some(c)) => {
                let column = string(c.get("column"), &format!("{at}.config.column"))?;
                let at = format!("{at} (ValueDrift of column {column})");
                let method = string(c.get("method"), &format!("{at}: config.method"))?;
                let threshold = number(c.get("threshold"), &format!("{at}: config.threshold"))?;
                let score = number(m.get("value"), &format!("{at}: value"))?;
                let feature = feature(&at, &column, method, score, threshold, None)?;
                // A column measured twice drifts if either measure says so.
                let keep = features
                    .get(&column)
                    .is_some_and(|seen| seen.drifted || !feature.drifted);
                if !keep {
                    features.insert(column, feature);
                }
            }
            (Some(DRIFTED_COUNT), Some(_)) => {
                let v = m.get("value");
                let count = number(
                    v.and_then(|v| v.get("count")),
                    &format!("{at}: value.count"),
                )?;
                let share = number(
                    v.and_then(|v| v.get("share")),
                    &format!("{at}: value.share"),
                )?;
                if !(0.0..=1.0).contains(&share) || count < 0.0 {
                    return Err(format!(
                        "{at}: DriftedColumnsCount gives count {count} and share {share}; a share is between 0 and 1"
                    ));
                }
                counted = Some((count, share));
            }
            // Other metrics (column summaries, custom ones) say nothing about drift.
            _ => {}
        }
    }
    let mut report = DriftReport::new(features, None, Format::Evidently);
    if let Some((count, share)) = counted {
        let ours = report.drifted.len();
        if (count - ours as f64).abs() > 1e-9 || (share - report.share_drifted).abs() > 1e-9 {
            report.notes.push(format!(
                "DriftedColumnsCount gives {count} columns (share {share}); the ValueDrift metrics give {ours} of {} (share {}); the larger share counts",
                report.features.len(),
                report.share_drifted
            ));
            report.share_drifted = report.share_drifted.max(share);
        }
    }
    Ok(report)
}

fn parse_own(file: &str, doc: &Map<String, Value>) -> Result<DriftReport, String> {
    match doc.get("kind") {
        Some(Value::String(k)) if k == "drift" => {}
        other => {
            return Err(format!(
                "{file}: \"kind\" is {}, and a modelgate drift report has \"kind\": \"drift\"",
                shown(other)
            ));
        }
    }
    let window = match doc.get("window") {
        Some(Value::Object(w)) => {
            let start = time(w.get("start"), &format!("{file}: window.start"))?;
            let end = time(w.get("end"), &format!("{file}: window.end"))?;
            if start.1 > end.1 {
                return Err(format!(
                    "{file}: window.start {} is after window.end {}",
                    start.0, end.0
                ));
            }
            Window {
                start: start.0,
                end: end.0,
            }
        }
        other => {
            return Err(format!(
                "{file}: \"window\" is {}; give {{\"start\": RFC 3339, \"end\": RFC 3339}}",
                shown(other)
            ));
        }
    };
    let Some(Value::Object(given)) = doc.get("features") else {
        return Err(format!(
            "{file}: \"features\" is {}; give an object of column -> {{\"method\", \"score\", \"threshold\", \"drifted\"}}",
            shown(doc.get("features"))
        ));
    };
    let mut features = BTreeMap::new();
    let mut notes = Vec::new();
    for (column, f) in given {
        let at = format!("{file}: features.{column}");
        let method = string(f.get("method"), &format!("{at}.method"))?;
        let score = number(f.get("score"), &format!("{at}.score"))?;
        let threshold = number(f.get("threshold"), &format!("{at}.threshold"))?;
        let declared = match f.get("drifted") {
            Some(Value::Bool(b)) => *b,
            other => {
                return Err(format!(
                    "{at}.drifted is {}, not true or false",
                    shown(other)
                ));
            }
        };
        let feature = feature(&at, column, method, score, threshold, Some(declared))?;
        if feature.drifted != declared {
            notes.push(format!(
                "column {column}: the report says drifted is {declared}, but {} {} against threshold {} drifts; it counts as drifted",
                feature.method, feature.score, feature.threshold
            ));
        }
        features.insert(column.clone(), feature);
    }
    let mut report = DriftReport::new(features, Some(window), Format::Modelgate);
    report.notes = notes;
    Ok(report)
}

/// One column's reading; `declared` is what the report itself says, which
/// can only add drift to what the score shows.
fn feature(
    at: &str,
    column: &str,
    method: String,
    score: f64,
    threshold: f64,
    declared: Option<bool>,
) -> Result<Feature, String> {
    let Some(kind) = method_kind(&method) else {
        return Err(format!(
            "{at}: column {column} uses drift method {method:?}, which modelgate does not know; without knowing whether its score is a p-value or a distance it cannot say whether the column drifted (known: {})",
            METHODS
                .iter()
                .map(|(n, _, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    };
    if kind == MethodKind::PValue && !(0.0..=1.0).contains(&score) {
        return Err(format!(
            "{at}: column {column}: {method} is a p-value, and {score} is not between 0 and 1"
        ));
    }
    if threshold < 0.0 {
        return Err(format!(
            "{at}: column {column}: the threshold {threshold} is negative"
        ));
    }
    Ok(Feature {
        drifted: drifts(kind, score, threshold) || declared == Some(true),
        method,
        score,
        threshold,
        kind,
    })
}

fn shown(v: Option<&Value>) -> String {
    match v {
        None => "missing".to_owned(),
        Some(v) => {
            let s = v.to_string();
            crate::text::truncate_chars(&s, 60).into_owned()
        }
    }
}

fn string(v: Option<&Value>, at: &str) -> Result<String, String> {
    match v {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        other => Err(format!("{at} is {}, not a non-empty string", shown(other))),
    }
}

/// A finite number; the quoted non-finite strings are refused by name.
fn number(v: Option<&Value>, at: &str) -> Result<f64, String> {
    match v {
        Some(Value::Number(n)) => match n.as_f64() {
            Some(x) if x.is_finite() => Ok(x),
            _ => Err(format!("{at} is {n}, not a finite number")),
        },
        Some(Value::String(s)) if crate::num::Num::parse_non_finite(s).is_some() => Err(format!(
            "{at} is {s}, not a finite number; a drift score or threshold must be finite"
        )),
        other => Err(format!("{at} is {}, not a number", shown(other))),
    }
}

/// An RFC 3339 time, as given and as an instant.
fn time(v: Option<&Value>, at: &str) -> Result<(String, i64), String> {
    let s = string(v, at)?;
    match chrono::DateTime::parse_from_rfc3339(&s) {
        Ok(t) => Ok((s, t.timestamp_millis())),
        Err(e) => Err(format!("{at} is {}, not an RFC 3339 time ({e})", shown(v))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "drift.json";

    fn sample(name: &str) -> DriftReport {
        let path = format!(
            "{}/tests/fixtures/samples/evidently/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(&path).unwrap();
        parse_drift(name, &bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn err(bytes: &[u8]) -> String {
        parse_drift(FILE, bytes).unwrap_err()
    }

    fn own(features: Value) -> Vec<u8> {
        serde_json::json!({
            "kind": "drift",
            "window": {"start": "2026-11-01T00:00:00Z", "end": "2026-11-08T00:00:00Z"},
            "features": features,
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn ks_and_chi_square_p_values_below_the_threshold_drift() {
        let r = sample("drift_ks_small_with_tests.json");
        assert_eq!(r.format, Format::Evidently);
        assert_eq!(r.drifted, ["merchant_category", "transaction_amount"]);
        assert_eq!(r.share_drifted, 0.5);
        assert_eq!(r.features.len(), 4);
        let f = &r.features["transaction_amount"];
        assert_eq!(
            (f.method.as_str(), f.kind, f.threshold),
            ("K-S p_value", MethodKind::PValue, 0.05)
        );
        assert!(!r.features["card_age_days"].drifted);
        assert!(r.notes.is_empty(), "{:?}", r.notes);
        assert_eq!(r.window, None);
    }

    #[test]
    fn psi_at_or_above_the_threshold_drifts() {
        let r = sample("drift_psi_with_tests.json");
        assert_eq!(r.drifted, ["transaction_amount"]);
        assert_eq!(r.share_drifted, 0.25);
        assert_eq!(r.features["merchant_category"].kind, MethodKind::Distance);
        assert!(!r.features["merchant_category"].drifted, "0.089 < 0.1");
        assert!(r.notes.is_empty(), "{:?}", r.notes);
    }

    #[test]
    fn wasserstein_and_jensen_shannon_distances() {
        // Counted by hand: only transaction_amount (0.838) reaches 0.1;
        // merchant_category's Jensen-Shannon 0.087 and the others stay below.
        let r = sample("drift_wasserstein.json");
        assert_eq!(r.drifted, ["transaction_amount"]);
        assert_eq!(r.share_drifted, 0.25);
        assert_eq!(
            r.features["merchant_category"].method,
            "Jensen-Shannon distance"
        );
        assert!(r.notes.is_empty(), "{:?}", r.notes);
        let quiet = sample("nodrift_wasserstein.json");
        assert!(quiet.drifted.is_empty());
        assert_eq!(quiet.share_drifted, 0.0);
        assert_eq!(quiet.features.len(), 4);
    }

    #[test]
    fn a_disagreeing_count_keeps_the_larger_share_and_says_so() {
        let path = format!(
            "{}/tests/fixtures/samples/evidently/nodrift_wasserstein.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        doc["metrics"][0]["value"] = serde_json::json!({"count": 2.0, "share": 0.5});
        let r = parse_drift(FILE, doc.to_string().as_bytes()).unwrap();
        assert_eq!(r.share_drifted, 0.5);
        assert!(r.drifted.is_empty());
        assert!(
            r.notes[0].contains("DriftedColumnsCount gives 2"),
            "{:?}",
            r.notes
        );
    }

    #[test]
    fn every_evidently_method_has_a_kind_and_the_text_ones_are_unknown() {
        for (name, display, kind) in METHODS {
            assert_eq!(method_kind(name), Some(*kind), "{name}");
            assert_eq!(method_kind(display), Some(*kind), "{display}");
        }
        assert_eq!(method_kind("PSI"), Some(MethodKind::Distance));
        assert_eq!(method_kind("my custom p_value"), Some(MethodKind::PValue));
        assert_eq!(method_kind("Absolute text content drift"), None);
        assert_eq!(method_kind("perc_text_content_drift"), None);
        assert_eq!(method_kind(""), None);
    }

    #[test]
    fn thresholds_are_exclusive_for_p_values_and_inclusive_for_distances() {
        assert!(!drifts(MethodKind::PValue, 0.05, 0.05));
        assert!(drifts(MethodKind::PValue, 0.049, 0.05));
        assert!(drifts(MethodKind::Distance, 0.1, 0.1));
        assert!(!drifts(MethodKind::Distance, 0.099, 0.1));
    }

    #[test]
    fn an_unknown_method_names_method_and_column() {
        let bytes = own(serde_json::json!({
            "age": {"method": "Absolute text content drift", "score": 0.9, "threshold": 0.55, "drifted": false}
        }));
        let e = err(&bytes);
        assert!(e.contains("\"Absolute text content drift\""), "{e}");
        assert!(e.contains("column age"), "{e}");
    }

    #[test]
    fn own_format_reads_window_and_adds_declared_drift() {
        let bytes = own(serde_json::json!({
            "a": {"method": "psi", "score": 0.3, "threshold": 0.2, "drifted": false},
            "b": {"method": "ks", "score": 0.5, "threshold": 0.05, "drifted": true},
            "c": {"method": "Wasserstein distance (normed)", "score": 0.01, "threshold": 0.1, "drifted": false},
        }));
        let r = parse_drift(FILE, &bytes).unwrap();
        assert_eq!(r.format, Format::Modelgate);
        assert_eq!(r.drifted, ["a", "b"]);
        assert!((r.share_drifted - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(r.window.as_ref().unwrap().start, "2026-11-01T00:00:00Z");
        assert_eq!(r.notes.len(), 1, "{:?}", r.notes);
        assert!(r.notes[0].contains("column a"), "{:?}", r.notes);
    }

    #[test]
    fn truncated_and_malformed_reports_are_errors() {
        let path = format!(
            "{}/tests/fixtures/samples/evidently/drift_wasserstein.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(path).unwrap();
        let e = err(&bytes[..bytes.len() / 2]);
        assert!(e.starts_with("drift.json: "), "{e}");
        assert!(err(b"").contains("EOF"));
        assert!(err(b"[1]").contains("expected an object"));
        assert!(err(b"{}").contains("neither an Evidently"));
        assert!(err(br#"{"metrics": []}"#).contains("no ValueDrift metric"));
        // Evidently's legacy (0.4) layout has no ValueDrift either.
        let legacy = br#"{"metrics": [{"metric": "DatasetDriftMetric", "result": {"share_of_drifted_columns": 0.5}}]}"#;
        assert!(err(legacy).contains("no ValueDrift metric"));
        assert!(err(br#"{"kind": "fairness"}"#).contains("\"kind\": \"drift\""));
        assert!(err(&own(serde_json::json!({}))).contains("reports no column"));
        let bad_window = br#"{"kind":"drift","window":{"start":"yesterday","end":"2026-11-08T00:00:00Z"},"features":{}}"#;
        assert!(
            err(bad_window).contains("window.start"),
            "{}",
            err(bad_window)
        );
        let reversed = br#"{"kind":"drift","window":{"start":"2026-11-09T00:00:00Z","end":"2026-11-08T00:00:00Z"},"features":{}}"#;
        assert!(err(reversed).contains("after window.end"));
        let p = own(
            serde_json::json!({"a": {"method": "ks", "score": 1.5, "threshold": 0.05, "drifted": false}}),
        );
        assert!(err(&p).contains("not between 0 and 1"));
        let no_bool = own(
            serde_json::json!({"a": {"method": "ks", "score": 0.5, "threshold": 0.05, "drifted": "no"}}),
        );
        assert!(err(&no_bool).contains("not true or false"));
    }

    #[test]
    fn non_finite_numbers_are_refused_by_name() {
        let nan = br#"{"metrics": [{"config": {"type": "evidently:metric_v2:ValueDrift", "column": "amount", "method": "psi", "threshold": 0.1}, "value": NaN}]}"#;
        let e = err(nan);
        assert!(e.contains("column amount") && e.contains("NaN"), "{e}");
        let inf = own(
            serde_json::json!({"a": {"method": "psi", "score": 0.5, "threshold": "Infinity", "drifted": false}}),
        );
        assert!(err(&inf).contains("not a finite number"));
        let huge = br#"{"kind":"drift","window":{"start":"2026-11-01T00:00:00Z","end":"2026-11-08T00:00:00Z"},"features":{"a":{"method":"psi","score":1e999,"threshold":0.1,"drifted":false}}}"#;
        assert!(err(huge).starts_with("drift.json: "), "{}", err(huge));
    }

    #[test]
    fn reports_over_the_limit_are_refused_before_parsing() {
        let big = vec![b' '; DRIFT_MAX_BYTES + 1];
        let e = err(&big);
        assert!(e.contains("over the 16 MiB limit"), "{e}");
    }
}
