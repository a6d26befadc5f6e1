//! The input document a policy sees, built from a [`ReviewDetail`]. Pure: the
//! same review gives the same document, byte for byte (`modelgate policy
//! input` prints it). `docs/policy.md` describes it field by field.
//!
//! Numbers follow the protocol: non-finite values are the strings `"NaN"`,
//! `"Infinity"` and `"-Infinity"`, so a rule must check `is_number` before it
//! compares (in Rego a string is greater than every number).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::review::detail::{PartStatus, ReviewDetail};
use crate::review::metrics::MetricDiff;
use crate::review::reports::{
    DriftFeature, DriftReport, DriftWindow, Explainability, Fairness, ImportanceShift, ModelCard,
    Report, SecurityScan,
};
use crate::review::risk::Risk;
use crate::review::schema::{Change, SideDiff, Signature, Spec};
use crate::review::state::ReviewState;

/// Bumped when a field changes meaning or goes away; new fields do not bump it.
pub const INPUT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct PolicyInput<'a> {
    pub input_version: u32,
    pub model: &'a str,
    pub version: &'a str,
    pub risk: Risk,
    pub state: ReviewState,
    pub required_roles: &'a [String],
    /// The `modelgate.submitted_by` tag (a signed `submit` later).
    pub submitter: Option<&'a str>,
    pub submitted_at: &'a str,
    /// The version compared against, null without one.
    pub baseline: Option<&'a str>,
    pub source: &'a str,
    pub run_id: Option<&'a str>,
    /// The run's `mlflow.user`.
    pub run_user: Option<&'a str>,
    /// By name: `{name, candidate, baseline, delta, relative_delta, better, verdict}`.
    pub metrics: BTreeMap<&'a str, &'a MetricDiff>,
    pub schema: SchemaInput<'a>,
    pub explainability: &'a Report<Explainability>,
    /// The feature whose share of importance moved most against the baseline.
    pub explainability_shift: Option<&'a ImportanceShift>,
    pub fairness: &'a Report<Fairness>,
    pub security: &'a Report<SecurityScan>,
    pub model_card: ModelCardInput<'a>,
    /// What could not be read or trusted (the evidence digest's own problems
    /// excepted: the queue does not compute the digest, and the gates of a
    /// review must not depend on where they were evaluated).
    pub problems: Vec<&'a str>,
    /// A monitoring job's drift report (`modelgate drift`); left out of the
    /// document of every review without one, which stays as it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<DriftInput<'a>>,
}

/// The registered-model tag listing columns whose drift alone denies; it
/// adds to the bundle's `thresholds.drift.critical_columns`, never removes.
pub const CRITICAL_COLUMNS_TAG: &str = "modelgate.drift.critical_columns";

/// `input.drift` (PROTOCOL 16).
#[derive(Debug, Clone, Serialize)]
pub struct DriftInput<'a> {
    pub share_drifted: f64,
    /// Drifted column names, sorted.
    pub drifted: &'a [String],
    /// By column: `{method, score, threshold, drifted, kind}`, kind
    /// `p_value` or `distance`.
    pub features: &'a BTreeMap<String, DriftFeature>,
    pub window: Option<&'a DriftWindow>,
    /// `evidently-0.7` or `modelgate`.
    pub format: &'static str,
    /// The model's [`CRITICAL_COLUMNS_TAG`], split on commas.
    pub critical_columns: Vec<String>,
}

impl<'a> DriftInput<'a> {
    pub fn new(report: &'a DriftReport, critical_tag: Option<&str>) -> DriftInput<'a> {
        DriftInput {
            share_drifted: report.share_drifted,
            drifted: &report.drifted,
            features: &report.features,
            window: report.window.as_ref(),
            format: report.format.as_str(),
            critical_columns: critical_columns(critical_tag),
        }
    }
}

/// `a, b,,c` -> `[a, b, c]`: trimmed, empty entries dropped, sorted, once each.
pub fn critical_columns(tag: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = tag
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect();
    out.sort();
    out.dedup();
    out
}

#[derive(Debug, Clone, Serialize)]
pub struct SchemaInput<'a> {
    pub status: &'a PartStatus,
    pub error: Option<&'a str>,
    /// The candidate's columns, null when its signature has no such side.
    pub candidate: Option<Columns>,
    /// Null without a baseline (or when the schema is absent or broken).
    pub inputs: Option<SideInput<'a>>,
    pub outputs: Option<SideInput<'a>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Columns {
    pub inputs: Option<Vec<Column>>,
    pub outputs: Option<Vec<Column>>,
}

/// One column or tensor: `#<position>` when unnamed, its rendered type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub required: bool,
}

/// Added columns as the candidate has them, removed ones as the baseline had them.
#[derive(Debug, Clone, Serialize)]
pub struct SideInput<'a> {
    pub added: Vec<Column>,
    pub removed: Vec<Column>,
    pub changed: &'a [Change],
}

/// The model card's presence, not its text.
#[derive(Debug, Clone, Serialize)]
pub struct ModelCardInput<'a> {
    pub status: &'static str,
    pub error: Option<&'a str>,
    /// Characters of Markdown; 0 unless present.
    pub characters: usize,
    /// Its Markdown headings (`#` lines), without the `#`s.
    pub headings: Vec<&'a str>,
}

/// The input document of one review.
pub fn build(d: &ReviewDetail) -> PolicyInput<'_> {
    let s = &d.summary;
    PolicyInput {
        input_version: INPUT_VERSION,
        model: &s.model,
        version: &s.version,
        risk: s.risk,
        state: s.state,
        required_roles: &s.required_roles,
        submitter: s.submitted_by.as_deref(),
        submitted_at: &s.submitted_at,
        baseline: s.baseline.as_deref(),
        source: &d.source,
        run_id: d.run_id.as_deref(),
        run_user: d.run_user.as_deref(),
        metrics: s.metrics.iter().map(|m| (m.name.as_str(), m)).collect(),
        schema: schema(d),
        explainability: &d.explainability,
        explainability_shift: d
            .explainability_shift
            .as_ref()
            .and_then(|v| v.largest_shift.as_ref()),
        fairness: &d.fairness,
        security: &d.security,
        model_card: model_card(&d.model_card),
        problems: s
            .problems
            .iter()
            .filter(|p| !d.evidence_problems.contains(p))
            .map(String::as_str)
            .collect(),
        drift: None,
    }
}

/// The input document as JSON.
pub fn to_json(d: &ReviewDetail) -> serde_json::Value {
    // Serializing plain structs and maps with string keys cannot fail.
    serde_json::to_value(build(d)).unwrap_or(serde_json::Value::Null)
}

/// The input document of a review with a drift report as `input.drift`.
pub fn to_json_with_drift(d: &ReviewDetail, drift: DriftInput<'_>) -> serde_json::Value {
    let mut input = build(d);
    input.drift = Some(drift);
    serde_json::to_value(input).unwrap_or(serde_json::Value::Null)
}

fn columns(specs: Option<&[Spec]>) -> Option<Vec<Column>> {
    specs.map(|specs| {
        specs
            .iter()
            .enumerate()
            .map(|(i, s)| column(s, i))
            .collect()
    })
}

fn column(s: &Spec, position: usize) -> Column {
    Column {
        name: s.column_name(position).into_owned(),
        ty: s.type_name(),
        required: s.required,
    }
}

/// Columns of one side by the name the diff uses.
fn by_name(specs: Option<&[Spec]>) -> HashMap<String, Column> {
    specs
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let c = column(s, i);
            (c.name.clone(), c)
        })
        .collect()
}

fn side<'a>(diff: &'a SideDiff, cand: Option<&[Spec]>, base: Option<&[Spec]>) -> SideInput<'a> {
    let (cand, base) = (by_name(cand), by_name(base));
    // The diff was computed from these very specs, so every name is found;
    // a miss would be a bug, shown as an unknown required column rather than lost.
    let find = |map: &HashMap<String, Column>, name: &String| {
        map.get(name).cloned().unwrap_or_else(|| Column {
            name: name.clone(),
            ty: "unknown".into(),
            required: true,
        })
    };
    SideInput {
        added: diff.added.iter().map(|n| find(&cand, n)).collect(),
        removed: diff.removed.iter().map(|n| find(&base, n)).collect(),
        changed: &diff.changed,
    }
}

fn specs(s: Option<&Signature>, inputs: bool) -> Option<&[Spec]> {
    s.and_then(|s| {
        if inputs {
            s.input_specs.as_deref()
        } else {
            s.output_specs.as_deref()
        }
    })
}

fn schema(d: &ReviewDetail) -> SchemaInput<'_> {
    let v = &d.schema;
    let cand: Option<&Signature> = v.candidate_signature.as_ref();
    let base: Option<&Signature> = v.baseline_signature.as_ref();
    SchemaInput {
        status: &v.status,
        error: v.error.as_deref(),
        candidate: cand.map(|c| Columns {
            inputs: columns(c.input_specs.as_deref()),
            outputs: columns(c.output_specs.as_deref()),
        }),
        inputs: v
            .inputs
            .as_ref()
            .map(|i| side(i, specs(cand, true), specs(base, true))),
        outputs: v
            .outputs
            .as_ref()
            .map(|o| side(o, specs(cand, false), specs(base, false))),
    }
}

fn model_card(r: &Report<ModelCard>) -> ModelCardInput<'_> {
    let (characters, headings) = match r {
        Report::Present(card) => (card.markdown.chars().count(), headings(&card.markdown)),
        _ => (0, Vec::new()),
    };
    ModelCardInput {
        status: r.status(),
        error: r.error_message(),
        characters,
        headings,
    }
}

/// ATX headings (`# Title`) outside fenced code blocks.
fn headings(markdown: &str) -> Vec<&str> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in markdown.lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fenced = !fenced;
            continue;
        }
        if fenced || !t.starts_with('#') {
            continue;
        }
        let rest = t.trim_start_matches('#');
        let level = t.len() - rest.len();
        // `#hashtag` is not a heading: one space (or nothing) must follow the #s.
        if level <= 6 && (rest.is_empty() || rest.starts_with([' ', '\t'])) {
            let h = rest.trim().trim_end_matches('#').trim();
            if !h.is_empty() {
                out.push(h);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn critical_columns_are_trimmed_sorted_and_once_each() {
        assert_eq!(
            critical_columns(Some(" b, a,, b ,")),
            ["a".to_owned(), "b".to_owned()]
        );
        assert!(critical_columns(None).is_empty());
        assert!(critical_columns(Some(" , ")).is_empty());
    }

    #[test]
    fn drift_input_carries_the_report_and_the_tag() {
        let bytes = br#"{"kind":"drift","window":{"start":"2026-11-01T00:00:00Z","end":"2026-11-08T00:00:00Z"},"features":{"amount":{"method":"psi","score":0.3,"threshold":0.1,"drifted":true},"age":{"method":"ks","score":0.5,"threshold":0.05,"drifted":false}}}"#;
        let report = crate::review::reports::parse_drift("r.json", bytes).unwrap();
        let v = serde_json::to_value(DriftInput::new(&report, Some("age"))).unwrap();
        assert_eq!(v["share_drifted"], 0.5);
        assert_eq!(v["drifted"], serde_json::json!(["amount"]));
        assert_eq!(v["features"]["amount"]["kind"], "distance");
        assert_eq!(v["features"]["age"]["kind"], "p_value");
        assert_eq!(v["window"]["end"], "2026-11-08T00:00:00Z");
        assert_eq!(v["format"], "modelgate");
        assert_eq!(v["critical_columns"], serde_json::json!(["age"]));
    }

    #[test]
    fn model_card_headings_skip_code_and_hashtags() {
        let md = "# Card\nintro #tag\n## Intended use ##\n```python\n# not a heading\n```\n#nospace\n####### seven\n### Limits\n";
        assert_eq!(headings(md), ["Card", "Intended use", "Limits"]);
    }

    #[test]
    fn removed_columns_come_from_the_baseline_and_added_from_the_candidate() {
        let spec = |name: &str, ty: &str, required: bool| Spec {
            name: Some(name.into()),
            ty: crate::review::schema::SpecType::Scalar(ty.into()),
            required,
        };
        let cand = vec![spec("a", "long", true), spec("new", "string", false)];
        let base = vec![spec("a", "long", true), spec("gone", "double", true)];
        let diff = crate::review::schema::diff(Some(&cand), Some(&base));
        let s = side(&diff, Some(&cand), Some(&base));
        assert_eq!(
            s.removed,
            [Column {
                name: "gone".into(),
                ty: "double".into(),
                required: true
            }]
        );
        assert_eq!(
            s.added,
            [Column {
                name: "new".into(),
                ty: "string".into(),
                required: false
            }]
        );
        assert!(s.changed.is_empty());
    }
}
