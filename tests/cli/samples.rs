//! The parsers on real producer outputs (MLflow, modelscan, fairlearn and
//! shap files kept in `tests/fixtures/samples/`), plus the bad inputs a registry can hold.

use modelgate::review::reports::{
    FairnessThresholds, REPORT_MAX_BYTES, ScanVerdict, SecurityScan, compare_importance,
    largest_shift, parse_explainability, parse_fairness, parse_security,
};
use modelgate::review::schema::{Signature, Spec, parse_mlmodel, pretty, schema_diff};

const MLMODEL_COLUMNS: &[u8] = include_bytes!("../fixtures/samples/mlflow/MLmodel.columns");
const MLMODEL_TENSORS: &[u8] = include_bytes!("../fixtures/samples/mlflow/MLmodel.tensors");
const SCAN_CRITICAL: &[u8] = include_bytes!("../fixtures/samples/modelscan/critical_issue.json");
const SCAN_SKOPS: &[u8] =
    include_bytes!("../fixtures/samples/modelscan/nothing_scanned_mlflow3_skops.json");
const SCAN_PARSE_ERROR: &[u8] = include_bytes!("../fixtures/samples/modelscan/parse_error.json");
const FAIRNESS: &[u8] = include_bytes!("../fixtures/samples/reports/fairness.json");
const EXPLAINABILITY: &[u8] = include_bytes!("../fixtures/samples/reports/explainability.json");

const SCAN_FILE: &str = "modelgate/security_scan.json";
const EXPL_FILE: &str = "modelgate/explainability.json";
const FAIR_FILE: &str = "modelgate/fairness.json";

/// What an MLflow 3 sklearn model directory holds.
fn mlflow_model_files() -> Vec<String> {
    [
        "MLmodel",
        "conda.yaml",
        "python_env.yaml",
        "requirements.txt",
        "input_example.json",
        "serving_input_example.json",
        "model.skops",
    ]
    .map(String::from)
    .to_vec()
}

fn columns(specs: &Option<Vec<Spec>>) -> Vec<(String, String)> {
    let specs = specs.as_deref().unwrap_or_default();
    specs
        .iter()
        .enumerate()
        .map(|(i, s)| (s.column_name(i).into_owned(), s.type_name()))
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect()
}

fn security(bytes: &[u8], model_files: &[String]) -> SecurityScan {
    parse_security(SCAN_FILE, bytes, model_files)
        .present()
        .cloned()
        .unwrap()
}

#[test]
fn mlmodel_with_columns() {
    let sig = parse_mlmodel(MLMODEL_COLUMNS).unwrap();
    assert_eq!(
        columns(&sig.input_specs),
        pairs(&[
            ("tenure_months", "long"),
            ("monthly_charges", "double"),
            ("contract", "string"),
            ("support_calls", "integer"),
            ("signup_date", "datetime"),
        ])
    );
    assert!(sig.input_specs.iter().flatten().all(|s| s.required));
    assert_eq!(
        columns(&sig.output_specs),
        pairs(&[("#0", "tensor(int64,[-1])")])
    );
    // The folded YAML scalar is read back as the single-line JSON MLflow wrote.
    let inputs = sig.inputs.as_deref().unwrap();
    assert!(inputs.starts_with(r#"[{"type": "long", "name": "tenure_months", "required": true}, {"type": "double", "name": "monthly_charges""#));
    assert!(!inputs.contains('\n'));
    assert_eq!(
        sig.outputs.as_deref(),
        Some(r#"[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]"#)
    );
    assert!(
        pretty(inputs).contains("\n  {\n    \"type\": \"long\",\n    \"name\": \"tenure_months\",")
    );
}

#[test]
fn mlmodel_with_tensors() {
    let sig = parse_mlmodel(MLMODEL_TENSORS).unwrap();
    assert_eq!(
        columns(&sig.input_specs),
        pairs(&[("#0", "tensor(float32,[-1,4])")])
    );
    assert_eq!(
        columns(&sig.output_specs),
        pairs(&[("#0", "tensor(float32,[-1])")])
    );
}

#[test]
fn samples_diff_against_each_other() {
    let columns = parse_mlmodel(MLMODEL_COLUMNS).unwrap();
    let tensors = parse_mlmodel(MLMODEL_TENSORS).unwrap();
    let d = schema_diff(&columns, &tensors);
    assert_eq!(d.inputs.added.len(), 5);
    assert_eq!(d.inputs.removed, ["#0"]);
    assert_eq!(d.outputs.changed.len(), 1);
    assert_eq!(d.outputs.changed[0].from, "tensor(float32,[-1])");
    assert_eq!(d.outputs.changed[0].to, "tensor(int64,[-1])");
    let json = serde_json::to_value(&d.outputs).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"added": [], "removed": [], "changed": [
            {"name": "#0", "change": "type", "from": "tensor(float32,[-1])", "to": "tensor(int64,[-1])"}
        ]})
    );
    assert!(schema_diff(&columns, &columns).is_empty());
    // A baseline without a signature: every candidate column is new.
    assert_eq!(
        schema_diff(&columns, &Signature::default())
            .inputs
            .added
            .len(),
        5
    );
}

#[test]
fn modelscan_critical_issue_is_findings() {
    let s = security(SCAN_CRITICAL, &["evil.pkl".into(), "benign.pkl".into()]);
    assert_eq!(s.scan, ScanVerdict::Findings);
    assert_eq!(
        s.severity_counts.ordered(),
        [("CRITICAL", 1), ("HIGH", 0), ("MEDIUM", 0), ("LOW", 0)]
    );
    assert_eq!(s.issues.len(), 1);
    let issue = &s.issues[0];
    assert_eq!(issue.severity, "CRITICAL");
    assert_eq!(issue.operator.as_deref(), Some("system"));
    assert_eq!(issue.module.as_deref(), Some("posix"));
    assert_eq!(issue.source.as_deref(), Some("evil.pkl"));
    assert_eq!(
        issue.scanner.as_deref(),
        Some("modelscan.scanners.PickleUnsafeOpScan")
    );
    assert_eq!(s.scanned_files, ["evil.pkl", "benign.pkl"]);
    assert!(s.uncovered_model_files.is_empty());
    assert_eq!(s.modelscan_version.as_deref(), Some("0.8.8"));
    let json = serde_json::to_value(parse_security(SCAN_FILE, SCAN_CRITICAL, &[])).unwrap();
    assert_eq!(json["status"], "present");
    assert_eq!(json["scan"], "findings");
    assert_eq!(json["severity_counts"]["critical"], 1);
}

#[test]
fn modelscan_skops_is_not_scanned_never_clean() {
    let s = security(SCAN_SKOPS, &mlflow_model_files());
    assert_eq!(s.scan, ScanVerdict::NotScanned);
    assert_eq!(s.total_scanned, 0);
    assert_eq!(s.uncovered_model_files, ["model.skops"]);
    assert_eq!(s.errors.len(), 4);
    assert_eq!(s.errors[0].field("category"), Some("MODEL_SCAN"));
    let skipped = s.skipped.as_ref().unwrap();
    assert_eq!(skipped.total_skipped, 11);
    assert_eq!(skipped.skipped_files.len(), 11);
    assert_eq!(skipped.skipped_files[1].source(), Some("MLmodel"));
    // Even with no model files to cover, nothing scanned is not clean.
    assert_eq!(security(SCAN_SKOPS, &[]).scan, ScanVerdict::NotScanned);
}

#[test]
fn modelscan_parse_error_is_not_clean() {
    let s = security(SCAN_PARSE_ERROR, &["broken.pkl".into()]);
    assert_ne!(s.scan, ScanVerdict::Clean);
    assert_eq!(s.errors.len(), 1);
    assert_eq!(
        s.errors[0].description(),
        Some("Parsing error: no newline found when trying to read stringnl")
    );
    assert_eq!(s.errors[0].source(), Some("broken.pkl"));
    assert_eq!(s.uncovered_model_files, ["broken.pkl"]);
}

#[test]
fn fairness_sample() {
    let f = parse_fairness(FAIR_FILE, FAIRNESS)
        .present()
        .cloned()
        .unwrap();
    assert_eq!(f.assessments.len(), 1);
    let a = &f.assessments[0];
    assert_eq!(a.sensitive_feature, "region");
    assert_eq!(
        a.demographic_parity_difference(),
        Some(0.013191819896736956)
    );
    assert_eq!(a.equalized_odds_difference(), Some(0.0));
    assert_eq!(a.disparate_impact_ratio().unwrap(), 0.9709526273427619);
    assert_eq!(a.by_group.len(), 3);
    assert_eq!(a.by_group["selection_rate"]["north"].0, 0.45414847161572053);
    assert_eq!(a.by_group["true_positive_rate"]["south"].0, 1.0);
    assert!(f.breaches(&FairnessThresholds::default()).is_empty());
    let strict = FairnessThresholds {
        min_ratio: 0.99,
        max_dpd: 0.01,
    };
    let metrics: Vec<String> = f.breaches(&strict).into_iter().map(|b| b.metric).collect();
    assert_eq!(
        metrics,
        ["disparate_impact_ratio", "demographic_parity_difference"]
    );
}

#[test]
fn explainability_sample() {
    let e = parse_explainability(EXPL_FILE, EXPLAINABILITY)
        .present()
        .cloned()
        .unwrap();
    assert_eq!(e.method, "shap");
    assert_eq!(
        e.notes.as_deref(),
        Some("mean |SHAP| on 300 rows, TreeExplainer")
    );
    assert_eq!(e.global_importance["tenure_months"].0, 3.055967096513579);
    assert_eq!(e.global_importance["monthly_charges"].0, 7.617779817911821);
    assert_eq!(e.global_importance["support_calls"].0, 0.0);
    let rows = compare_importance(&e, Some(&e));
    let order: Vec<&str> = rows.iter().map(|r| r.feature.as_str()).collect();
    assert_eq!(order, ["monthly_charges", "tenure_months", "support_calls"]);
    assert!(rows.iter().all(|r| r.rank_change == Some(0)));
    assert_eq!(largest_shift(&e, &e).unwrap().change.0, 0.0);
}

#[test]
fn truncated_json_is_an_error() {
    let cut = &FAIRNESS[..FAIRNESS.len() / 2];
    let msg = parse_fairness(FAIR_FILE, cut)
        .error_message()
        .unwrap()
        .to_owned();
    assert!(
        msg.starts_with("modelgate/fairness.json: EOF while parsing"),
        "{msg}"
    );
    assert!(msg.contains(" at line "), "{msg}");
}

#[test]
fn json_array_is_an_error() {
    let r = parse_security(SCAN_FILE, b"[]", &[]);
    assert_eq!(r.status(), "error");
    assert_eq!(
        r.error_message(),
        Some("modelgate/security_scan.json: expected an object at line 1 column 1")
    );
}

#[test]
fn string_importance_is_an_error() {
    let text = String::from_utf8(EXPLAINABILITY.to_vec())
        .unwrap()
        .replace("3.055967096513579", "\"3.05\"");
    let r = parse_explainability(EXPL_FILE, text.as_bytes());
    let msg = r.error_message().unwrap();
    assert!(
        msg.starts_with(
            r#"modelgate/explainability.json: expected a number, got the string "3.05" at line 4"#
        ),
        "{msg}"
    );
}

#[test]
fn oversized_report_is_an_error() {
    let mut big = SCAN_CRITICAL.to_vec();
    big.resize(11 * 1024 * 1024, b' ');
    assert!(big.len() as u64 > REPORT_MAX_BYTES);
    let r = parse_security(SCAN_FILE, &big, &[]);
    assert_eq!(
        r.error_message(),
        Some("modelgate/security_scan.json is 11534336 bytes, over the 10 MiB limit")
    );
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["status"], "error");
}

#[test]
fn invalid_yaml_mlmodel_is_an_error() {
    let mut broken = MLMODEL_COLUMNS.to_vec();
    broken.extend_from_slice(b"signature: [unclosed\n");
    let msg = parse_mlmodel(&broken).unwrap_err().to_string();
    assert!(msg.starts_with("MLmodel: not valid YAML: "), "{msg}");
    let msg = parse_mlmodel(b"flavors: {\n  a: [\n")
        .unwrap_err()
        .to_string();
    assert!(msg.starts_with("MLmodel: not valid YAML: "), "{msg}");
}

#[test]
fn duplicate_column_names_are_an_error() {
    let text = String::from_utf8(MLMODEL_COLUMNS.to_vec())
        .unwrap()
        .replace("\"support_calls\"", "\"contract\"");
    let msg = parse_mlmodel(text.as_bytes()).unwrap_err().to_string();
    assert_eq!(
        msg,
        "MLmodel: signature.inputs has the column \"contract\" twice"
    );
}

#[test]
fn report_numbers_are_read_exactly() {
    let f = parse_fairness(FAIR_FILE, FAIRNESS)
        .present()
        .cloned()
        .unwrap();
    let a = &f.assessments[0];
    assert_eq!(a.disparate_impact_ratio(), Some(0.9709526273427619));
    assert_eq!(a.by_group["selection_rate"]["north"].0, 0.45414847161572053);
}
