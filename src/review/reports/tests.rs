use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Value as Json, json};

use super::fairness::{DIR, DPD, DPR, EOD};
use super::*;
use crate::num::Num;

const EXPL: &str = "modelgate/explainability.json";
const FAIR: &str = "modelgate/fairness.json";
const SCAN: &str = "modelgate/security_scan.json";

fn expl(pairs: &[(&str, f64)]) -> Explainability {
    Explainability {
        method: "shap".into(),
        global_importance: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Num(*v)))
            .collect(),
        notes: None,
    }
}

fn files(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn scan_json(issues: Json, errors: Json, scanned: &[&str]) -> Vec<u8> {
    let n = scanned.len();
    json!({
        "summary": {
            "total_issues_by_severity": {"LOW": 0, "MEDIUM": 0, "HIGH": 0, "CRITICAL": 0},
            "total_issues": 0,
            "input_path": "scanme",
            "absolute_path": "/srv/models/scanme",
            "scanned": {"total_scanned": n, "scanned_files": scanned},
        },
        "issues": issues,
        "errors": errors,
    })
    .to_string()
    .into_bytes()
}

fn verdict(bytes: &[u8], model_files: &[&str]) -> SecurityScan {
    parse_security(SCAN, bytes, &files(model_files))
        .present()
        .cloned()
        .unwrap()
}

#[test]
fn status_serializes_flat() {
    let present = Report::Present(ModelCard {
        markdown: "# m".into(),
    });
    assert_eq!(
        serde_json::to_value(&present).unwrap(),
        json!({"status": "present", "markdown": "# m"})
    );
    let absent: Report<ModelCard> = Report::absent();
    assert_eq!(
        serde_json::to_value(&absent).unwrap(),
        json!({"status": "absent"})
    );
    let error: Report<ModelCard> = Report::error("x: bad");
    assert_eq!(
        serde_json::to_value(&error).unwrap(),
        json!({"status": "error", "error": "x: bad"})
    );
    assert_eq!(error.status(), "error");
    assert_eq!(error.error_message(), Some("x: bad"));
    assert!(error.present().is_none());
}

#[test]
fn explainability_parses_and_keeps_non_finite() {
    let r = parse_explainability(
        EXPL,
        br#"{"method": "shap", "global_importance": {"a": 1.5, "b": "NaN"}}"#,
    );
    let e = r.present().unwrap();
    assert_eq!(e.global_importance["a"], Num(1.5));
    assert!(e.global_importance["b"].0.is_nan());
    assert_eq!(e.notes, None);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["global_importance"]["b"], "NaN");
    assert_eq!(json["status"], "present");
}

#[test]
fn bare_python_non_finite_values_are_read() {
    let text = br#"{"method": "NaN, Infinity", "global_importance": {"a": NaN, "b": -Infinity, "c": Infinity}}"#;
    let e = parse_explainability(EXPL, text).present().cloned().unwrap();
    assert_eq!(e.method, "NaN, Infinity");
    assert!(e.global_importance["a"].0.is_nan());
    assert_eq!(e.global_importance["b"], Num(f64::NEG_INFINITY));
    assert_eq!(e.global_importance["c"], Num(f64::INFINITY));
}

#[test]
fn wrong_types_and_shapes_are_errors_with_positions() {
    let r = parse_explainability(EXPL, b"[1, 2]");
    assert_eq!(
        r.error_message(),
        Some("modelgate/explainability.json: expected an object at line 1 column 1")
    );
    let r = parse_explainability(EXPL, b"\n  \"x\"");
    assert_eq!(
        r.error_message(),
        Some("modelgate/explainability.json: expected an object at line 2 column 3")
    );
    let r = parse_explainability(
        EXPL,
        br#"{"method": "shap", "global_importance": {"a": "high"}}"#,
    );
    let msg = r.error_message().unwrap();
    assert!(
        msg.starts_with("modelgate/explainability.json: expected a number"),
        "{msg}"
    );
    assert!(msg.contains("line 1 column"), "{msg}");
    let r = parse_explainability(EXPL, br#"{"method": "shap", "global_importance": {"a": 1"#);
    let msg = r.error_message().unwrap();
    assert!(
        msg.starts_with("modelgate/explainability.json: EOF while parsing"),
        "{msg}"
    );
    let r = parse_explainability(EXPL, b"");
    assert!(
        r.error_message()
            .unwrap()
            .starts_with("modelgate/explainability.json: EOF")
    );
    let r = parse_explainability(EXPL, br#"{"global_importance": {}}"#);
    assert!(
        r.error_message()
            .unwrap()
            .contains("missing field `method`")
    );
}

#[test]
fn oversized_reports_are_errors() {
    let big = vec![b' '; REPORT_MAX_BYTES as usize + 1];
    let r = parse_fairness(FAIR, &big);
    assert_eq!(
        r.error_message(),
        Some("modelgate/fairness.json is 10485761 bytes, over the 10 MiB limit")
    );
    let r = parse_model_card("modelgate/model_card.md", &big);
    assert_eq!(r.status(), "error");
}

#[test]
fn model_card_must_be_utf8() {
    let r = parse_model_card("modelgate/model_card.md", b"# Card\n\xff");
    let msg = r.error_message().unwrap();
    assert!(
        msg.starts_with("modelgate/model_card.md: not valid UTF-8: "),
        "{msg}"
    );
    let ok = parse_model_card("modelgate/model_card.md", "# Card ✓".as_bytes());
    assert_eq!(ok.present().unwrap().markdown, "# Card ✓");
}

#[test]
fn importance_comparison_ranks_and_deltas() {
    let cand = expl(&[("a", 1.0), ("b", 3.0), ("c", 3.0), ("d", f64::NAN)]);
    let base = expl(&[("a", 2.0), ("b", 1.0), ("e", 5.0)]);
    let rows = compare_importance(&cand, Some(&base));
    let order: Vec<&str> = rows.iter().map(|r| r.feature.as_str()).collect();
    assert_eq!(order, ["b", "c", "a", "d", "e"]);
    let b = &rows[0];
    assert_eq!(
        (b.candidate_rank, b.baseline_rank, b.rank_change),
        (Some(1), Some(3), Some(2))
    );
    assert_eq!(b.delta, Some(Num(2.0)));
    let a = &rows[2];
    assert_eq!(
        (a.candidate_rank, a.baseline_rank, a.rank_change),
        (Some(3), Some(2), Some(-1))
    );
    assert_eq!(a.delta, Some(Num(-1.0)));
    assert_eq!(rows[1].baseline, None);
    let e = &rows[4];
    assert_eq!(
        (e.candidate, e.baseline_rank, e.candidate_rank),
        (None, Some(1), None)
    );
    let alone = compare_importance(&cand, None);
    assert!(
        alone
            .iter()
            .all(|r| r.baseline.is_none() && r.rank_change.is_none())
    );
    assert_eq!(alone.len(), 4);
}

#[test]
fn largest_shift_uses_normalised_shares() {
    // Same proportions at ten times the scale: no shift.
    let s = largest_shift(
        &expl(&[("a", 10.0), ("b", 30.0)]),
        &expl(&[("a", 1.0), ("b", 3.0)]),
    )
    .unwrap();
    assert!(s.change.0.abs() < 1e-12);
    let s = largest_shift(
        &expl(&[("a", 3.0), ("b", 1.0)]),
        &expl(&[("a", 1.0), ("b", 3.0)]),
    )
    .unwrap();
    assert_eq!(s.feature, "a");
    assert_eq!(
        (s.candidate_share, s.baseline_share, s.change),
        (Num(0.75), Num(0.25), Num(0.5))
    );
    let s = largest_shift(&expl(&[("a", 1.0)]), &expl(&[("b", 1.0)])).unwrap();
    assert_eq!((s.feature.as_str(), s.change), ("a", Num(1.0)));
    assert!(largest_shift(&expl(&[("a", 0.0)]), &expl(&[("a", 1.0)])).is_none());
}

fn assessment(summary: &[(&str, f64)]) -> Assessment {
    Assessment {
        sensitive_feature: "region".into(),
        by_group: BTreeMap::new(),
        summary: summary
            .iter()
            .map(|(k, v)| (k.to_string(), Num(*v)))
            .collect(),
    }
}

#[test]
fn fairness_breaches() {
    let f = Fairness {
        assessments: vec![
            assessment(&[(DIR, 0.95), (DPD, 0.02), (EOD, 0.3)]),
            assessment(&[(DIR, 0.7), (DPD, 0.2)]),
            assessment(&[(DPR, 0.5)]),
            assessment(&[(DPD, f64::NAN)]),
            assessment(&[]),
        ],
    };
    let found: Vec<(String, f64)> = f
        .breaches(&FairnessThresholds::default())
        .into_iter()
        .map(|b| (b.metric, b.value.0))
        .collect();
    assert_eq!(found.len(), 4);
    assert_eq!(
        &found[..3],
        &[(DIR.into(), 0.7), (DPD.into(), 0.2), (DPR.into(), 0.5)]
    );
    assert_eq!(found[3].0, DPD);
    assert!(found[3].1.is_nan());
    let lax = FairnessThresholds {
        min_ratio: 0.5,
        max_dpd: 0.5,
    };
    assert_eq!(f.breaches(&lax).len(), 1);
    assert_eq!(f.assessments[2].disparate_impact_ratio(), Some(0.5));
    assert_eq!(f.assessments[0].equalized_odds_difference(), Some(0.3));
    assert_eq!(f.assessments[4].demographic_parity_difference(), None);
}

#[test]
fn fairness_keeps_every_summary_key() {
    let text = br#"{"assessments": [{"sensitive_feature": "sex", "by_group": {"selection_rate": {"f": 0.4, "m": NaN}},
        "summary": {"demographic_parity_ratio": 0.8, "custom": 1}}]}"#;
    let f = parse_fairness(FAIR, text).present().cloned().unwrap();
    let a = &f.assessments[0];
    assert_eq!(a.summary.len(), 2);
    assert!(a.by_group["selection_rate"]["m"].0.is_nan());
    let r = parse_fairness(FAIR, br#"{"assessments": [{"sensitive_feature": "sex"}]}"#);
    assert!(
        r.error_message()
            .unwrap()
            .contains("missing field `by_group`")
    );
}

#[test]
fn reports_that_hold_nothing_count_as_absent() {
    for text in [
        &br#"{"assessments": []}"#[..],
        br#"{"assessments": [{"sensitive_feature": "sex", "by_group": {}, "summary": {}}]}"#,
        br#"{"assessments": [{"sensitive_feature": "sex", "by_group": {"selection_rate": {}}, "summary": {}}]}"#,
    ] {
        let r = parse_fairness(FAIR, text);
        assert_eq!(r.status(), "absent", "{}", String::from_utf8_lossy(text));
        assert!(r.absent_note().unwrap().contains("counts as absent"));
        assert_eq!(
            serde_json::to_value(&r).unwrap()["status"],
            json!("absent"),
            "policies see it as absent"
        );
    }
    let one = br#"{"assessments": [{"sensitive_feature": "sex", "by_group": {}, "summary": {"demographic_parity_difference": 0.0}}]}"#;
    assert_eq!(parse_fairness(FAIR, one).status(), "present");
    let e = parse_explainability("e.json", br#"{"method": "shap", "global_importance": {}}"#);
    assert_eq!(e.status(), "absent");
    assert_eq!(parse_model_card("card.md", b" \n\t\n").status(), "absent");
    assert_eq!(parse_model_card("card.md", b"# Card").status(), "present");
    assert!(Report::<ModelCard>::absent().absent_note().is_none());
}

#[test]
fn scan_verdicts() {
    let issue = json!([{"severity": "HIGH", "description": "d", "operator": "eval", "module": "builtins",
        "source": "m/model.pkl", "scanner": "s"}]);
    let none = json!([]);
    let err =
        json!([{"category": "X", "description": "boom", "source": "model.pkl", "extra": [1]}]);
    assert_eq!(
        verdict(
            &scan_json(issue, none.clone(), &["model.pkl"]),
            &["model.pkl"]
        )
        .scan,
        ScanVerdict::Findings
    );
    assert_eq!(
        verdict(&scan_json(none.clone(), none.clone(), &[]), &["model.pkl"]).scan,
        ScanVerdict::NotScanned
    );
    let with_error = verdict(
        &scan_json(none.clone(), err.clone(), &["model.pkl"]),
        &["model.pkl"],
    );
    assert_eq!(with_error.scan, ScanVerdict::Partial);
    assert_eq!(with_error.errors[0].0, err[0], "errors are kept as found");
    assert_eq!(with_error.errors[0].description(), Some("boom"));
    let clean = verdict(
        &scan_json(
            none.clone(),
            none.clone(),
            &["scanme/model.pkl", "scanme/data/w.pt"],
        ),
        &[
            "MLmodel",
            "conda.yaml",
            "./model.pkl",
            "data/w.pt",
            "requirements.txt",
        ],
    );
    assert_eq!(clean.scan, ScanVerdict::Clean);
    assert!(clean.uncovered_model_files.is_empty());
    let partial = verdict(
        &scan_json(none.clone(), none, &["model.pkl", "other.pkl"]),
        &["model.pkl", "data/w.pt", "xmodel.pkl", "sub/MLmodel"],
    );
    assert_eq!(partial.scan, ScanVerdict::Partial);
    assert_eq!(
        partial.uncovered_model_files,
        ["data/w.pt", "xmodel.pkl", "sub/MLmodel"]
    );
}

#[test]
fn only_paths_inside_the_model_directory_cover_its_files() {
    let none = json!([]);
    for elsewhere in [
        "/etc/other/model.bin",
        "../../x/model.bin",
        "scanme/../model.bin",
        "other/model.bin",
        "/srv/models/other/model.bin",
        "/srv/models/scanme/../model.bin",
    ] {
        let s = verdict(
            &scan_json(none.clone(), none.clone(), &[elsewhere]),
            &["model.bin"],
        );
        assert_eq!(s.scan, ScanVerdict::Partial, "{elsewhere}");
        assert_eq!(s.uncovered_model_files, ["model.bin"], "{elsewhere}");
    }
    for inside in [
        "model.bin",
        "./model.bin",
        "scanme/model.bin",
        "/srv/models/scanme/model.bin",
    ] {
        let s = verdict(
            &scan_json(none.clone(), none.clone(), &[inside]),
            &["model.bin"],
        );
        assert_eq!(s.scan, ScanVerdict::Clean, "{inside}");
    }
}

#[test]
fn summary_counts_alone_mean_findings() {
    let text = br#"{"summary": {"total_issues_by_severity": {"LOW": 2, "INFO": 1}, "scanned": {"total_scanned": 1,
        "scanned_files": ["model.pkl"]}}, "issues": [], "errors": []}"#;
    let s = verdict(text, &["model.pkl"]);
    assert_eq!(s.scan, ScanVerdict::Findings);
    assert_eq!(
        s.severity_counts.ordered(),
        [("CRITICAL", 0), ("HIGH", 0), ("MEDIUM", 0), ("LOW", 2)]
    );
    let json = serde_json::to_string(&s.severity_counts).unwrap();
    assert_eq!(
        json,
        r#"{"critical":0,"high":0,"medium":0,"low":2,"other":{"INFO":1}}"#
    );
}

#[test]
fn scan_without_issue_list_is_an_error() {
    let r = parse_security(SCAN, br#"{"summary": {}, "errors": []}"#, &[]);
    assert!(
        r.error_message()
            .unwrap()
            .contains("missing field `issues`")
    );
}

#[test]
fn plain_string_entries_are_kept() {
    let text = br#"{"summary": {"scanned": {"total_scanned": 0}, "skipped": {"total_skipped": 1,
        "skipped_files": ["a.txt"]}}, "issues": [], "errors": ["old style"]}"#;
    let s = verdict(text, &[]);
    assert_eq!(s.errors[0].description(), Some("old style"));
    assert_eq!(s.skipped.unwrap().skipped_files[0].source(), Some("a.txt"));
}

proptest! {
    #[test]
    fn ranks_are_a_permutation(values in proptest::collection::btree_map("[a-d]{1,3}", -5.0f64..5.0, 0..12)) {
        let e = Explainability { method: "m".into(), global_importance: values.iter().map(|(k, v)| (k.clone(), Num(*v))).collect(), notes: None };
        let rows = compare_importance(&e, Some(&e));
        let mut ranks: Vec<usize> = rows.iter().filter_map(|r| r.candidate_rank).collect();
        prop_assert!(ranks.windows(2).all(|w| w[0] < w[1]));
        ranks.sort_unstable();
        prop_assert_eq!(ranks, (1..=values.len()).collect::<Vec<_>>());
        prop_assert!(rows.iter().all(|r| r.rank_change == Some(0) && r.delta == Some(Num(0.0))));
        for w in rows.windows(2) {
            prop_assert!(w[0].candidate.unwrap().0 >= w[1].candidate.unwrap().0);
        }
    }

    #[test]
    fn valid_json_is_never_rewritten(s in any::<String>(), n in any::<i32>()) {
        let text = json!({"k": s, "NaN": [n, "Infinity", -1.5]}).to_string();
        prop_assert!(quote_bare_non_finite(text.as_bytes()).is_none());
    }
}
