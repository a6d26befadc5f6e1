use super::*;
use crate::policy::Gates;
use crate::policy::bundle::{BundleFile, Origin};
use crate::review::gates::GateResult;

fn bundle(files: &[(&str, &str)]) -> Bundle {
    let mut files: Vec<BundleFile> = files
        .iter()
        .map(|(p, t)| BundleFile {
            path: (*p).to_owned(),
            bytes: t.as_bytes().to_vec(),
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Bundle {
        origin: Origin::Dir("/bundles/team".into()),
        files,
    }
}

/// The default bundle with one file replaced (or removed with `None`).
fn default_with(path: &str, text: Option<&str>) -> Bundle {
    let mut b = Bundle::embedded();
    b.files.retain(|f| f.path != path);
    if let Some(t) = text {
        b.files.push(BundleFile {
            path: path.to_owned(),
            bytes: t.as_bytes().to_vec(),
        });
    }
    b.files.sort_by(|a, b| a.path.cmp(&b.path));
    b
}

fn fixture(name: &str) -> Json {
    let b = Bundle::embedded();
    let f = b.file("fixtures/data.json").unwrap();
    let all: Json = serde_json::from_slice(&f.bytes).unwrap();
    all[name].clone()
}

fn error_of(r: &GateReport) -> &str {
    r.result.error.as_deref().unwrap_or_else(|| {
        panic!("expected an error, got {:?}", r.result);
    })
}

#[test]
fn default_bundle_passes_its_own_rego_tests() {
    let outcomes = run_tests(&Bundle::embedded()).unwrap();
    assert!(outcomes.len() >= 50, "only {} tests found", outcomes.len());
    let failed: Vec<_> = outcomes
        .iter()
        .filter(|o| o.result != TestResult::Pass)
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    for concern in [
        "fairness",
        "regression",
        "schema",
        "security",
        "broken_evidence",
        "required_evidence",
        "settings",
    ] {
        let prefix = format!("modelgate.{concern}.test_");
        assert!(
            outcomes.iter().any(|o| o.test.starts_with(&prefix)),
            "no tests for {concern}"
        );
    }
}

#[test]
fn a_failing_rego_test_is_reported_as_failed_and_an_erroring_one_as_error() {
    let b = bundle(&[
        ("data.json", "{}"),
        (
            "p.rego",
            "package modelgate\n\ndeny contains \"x\" if input.bad\n",
        ),
        (
            "p_test.rego",
            "package modelgate\n\ntest_ok if {\n\tcount(deny) == 1 with input as {\"bad\": true}\n}\n\ntest_wrong if {\n\tprint(\"looking\")\n\tcount(deny) == 1 with input as {}\n}\n\ntest_boom if {\n\tx := 1 / 0\n\tx > 0\n}\n",
        ),
    ]);
    let outcomes = run_tests(&b).unwrap();
    let by: BTreeMap<&str, &TestOutcome> = outcomes.iter().map(|o| (o.test.as_str(), o)).collect();
    assert_eq!(by["modelgate.test_ok"].result, TestResult::Pass);
    assert_eq!(by["modelgate.test_wrong"].result, TestResult::Fail);
    assert_eq!(by["modelgate.test_wrong"].output.len(), 1);
    match &by["modelgate.test_boom"].result {
        TestResult::Error { error } => {
            assert!(error.contains("p_test.rego:13"), "{error}");
            assert!(error.contains("test_boom"), "{error}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn default_bundle_attributes_every_message() {
    let p = Policy::prepare(&Bundle::embedded()).unwrap();
    let r = p.evaluate(fixture("critical_removed_column"));
    assert_eq!(r.result.error, None);
    assert_eq!(r.result.policy, Bundle::embedded().digest());
    assert_eq!(r.result.deny.len(), 3, "{:?}", r.result.deny);
    let rules: BTreeSet<&str> = r
        .messages
        .iter()
        .flat_map(|m| m.rules.iter().map(|s| s.rule.as_str()))
        .collect();
    assert_eq!(
        rules,
        BTreeSet::from(["modelgate.regression.deny", "modelgate.schema.deny"])
    );
    for m in &r.messages {
        assert!(!m.looked_at.is_empty(), "{m:?}");
        assert_eq!(m.rules.len(), 1);
    }
    let schema = r
        .messages
        .iter()
        .find(|m| m.rules[0].rule == "modelgate.schema.deny")
        .unwrap();
    assert_eq!(schema.rules[0].files, ["modelgate/schema.rego"]);
    assert_eq!(
        schema.looked_at["input.schema.inputs.removed[_] (required)"][0]["name"],
        "device_risk_score"
    );
    let clean = p.evaluate(fixture("clean_high"));
    assert!(clean.result.passes(), "{:?}", clean.result);
    assert!(clean.messages.is_empty());
}

#[test]
fn messages_from_two_packages_or_the_root_are_attributed_to_each() {
    let b = bundle(&[
        ("data.json", "{}"),
        (
            "modelgate.rego",
            "package modelgate\n\nimport data.modelgate.a\nimport data.modelgate.b\n\ndeny contains m if some m in a.deny\n\ndeny contains m if some m in b.deny\n\ndeny contains \"root says no\" if true\n",
        ),
        (
            "modelgate/a.rego",
            "package modelgate.a\n\ndeny contains \"shared\" if true\n",
        ),
        (
            "modelgate/b.rego",
            "package modelgate.b\n\ndeny contains \"shared\" if true\n\nfindings contains {\"msg\": \"shared\", \"looked_at\": {\"input.x\": 1}} if true\n",
        ),
    ]);
    let r = Policy::prepare(&b).unwrap().evaluate(serde_json::json!({}));
    assert_eq!(r.result.deny, ["root says no", "shared"]);
    let shared = r.messages.iter().find(|m| m.message == "shared").unwrap();
    let rules: Vec<&str> = shared.rules.iter().map(|s| s.rule.as_str()).collect();
    assert_eq!(rules, ["modelgate.a.deny", "modelgate.b.deny"]);
    assert_eq!(shared.looked_at["input.x"], 1);
    let root = r
        .messages
        .iter()
        .find(|m| m.message == "root says no")
        .unwrap();
    assert_eq!(root.rules[0].rule, "modelgate.deny");
    assert_eq!(root.rules[0].files, ["modelgate.rego"]);
}

#[test]
fn syntax_error_names_file_line_and_rule() {
    let b = default_with(
        "modelgate/fairness.rego",
        Some("package modelgate.fairness\n\ndeny contains msg if {\n\tmsg := \n}\n"),
    );
    let e = Policy::prepare(&b).unwrap_err();
    assert!(e.contains("modelgate/fairness.rego:4:"), "{e}");
    assert!(e.contains("does not parse"), "{e}");
    assert!(e.contains("rule modelgate.fairness.deny"), "{e}");
    // Through Gates: every evaluation fails closed with that message.
    let g = Gates::from_bundle(&b);
    assert_eq!(g.error(), Some(e.as_str()));
    let r = g.evaluate_json(fixture("clean_high"));
    assert_eq!(error_of(&r), e);
    assert_eq!(r.result.policy, b.digest());
    assert_eq!(r.result.counts().deny, 1, "an error counts as a deny");
    assert!(!r.result.passes());
}

#[test]
fn non_string_message_names_rule_and_file() {
    let b = default_with(
        "modelgate/fairness.rego",
        Some(
            "package modelgate.fairness\n\ndeny contains 42 if true\n\nwarn contains \"fine\" if false\n",
        ),
    );
    let r = Policy::prepare(&b).unwrap().evaluate(fixture("clean_high"));
    let e = error_of(&r);
    assert!(e.contains("rule modelgate.fairness.deny"), "{e}");
    assert!(e.contains("modelgate/fairness.rego"), "{e}");
    assert!(e.contains("not a string: 42"), "{e}");
    assert!(r.result.deny.is_empty() && r.messages.is_empty());

    let root = bundle(&[
        ("data.json", "{}"),
        (
            "m.rego",
            "package modelgate\n\ndeny contains {\"a\": 1} if true\n",
        ),
    ]);
    let r = Policy::prepare(&root)
        .unwrap()
        .evaluate(serde_json::json!({}));
    let e = error_of(&r);
    assert!(e.contains("rule modelgate.deny (m.rego)"), "{e}");
}

#[test]
fn runtime_error_names_file_line_and_rule() {
    let b = bundle(&[
        ("data.json", "{}"),
        (
            "m.rego",
            "package modelgate\n\ndeny contains msg if {\n\tx := 1 / input.zero\n\tmsg := sprintf(\"%v\", [x])\n}\n",
        ),
    ]);
    let r = Policy::prepare(&b)
        .unwrap()
        .evaluate(serde_json::json!({"zero": 0}));
    let e = error_of(&r);
    assert!(e.contains("m.rego:4:"), "{e}");
    assert!(e.contains("rule modelgate.deny"), "{e}");
    assert!(e.contains("divide by zero"), "{e}");
}

#[test]
fn missing_data_file_fails_closed() {
    let b = default_with("data.json", None);
    let e = Policy::prepare(&b).unwrap_err();
    assert!(e.contains("data.json is missing"), "{e}");
    assert!(
        e.contains("/bundles/team") || e.contains("default bundle"),
        "{e}"
    );
    let r = Gates::from_bundle(&b).evaluate_json(fixture("clean_high"));
    assert!(error_of(&r).contains("data.json"));
}

#[test]
fn a_threshold_missing_from_data_fails_closed() {
    let b = default_with(
        "data.json",
        Some(
            r#"{"thresholds": {"strict_risks": ["high", "critical"], "regression": {"max_relative_worsening": 0.05}, "evidence": {"deny_when_missing": {}, "warn_when_missing": {}}}}"#,
        ),
    );
    let r = Policy::prepare(&b)
        .unwrap()
        .evaluate(fixture("fairness_breach_critical"));
    let e = error_of(&r);
    assert!(
        e.contains("modelgate.settings.errors (modelgate/settings.rego)"),
        "{e}"
    );
    assert!(
        e.contains("thresholds.fairness.min_disparate_impact_ratio must be a number"),
        "{e}"
    );
}

#[test]
fn data_files_that_are_not_json_objects_are_named() {
    let b = default_with("data.json", Some("{\"thresholds\": "));
    let e = Policy::prepare(&b).unwrap_err();
    assert!(e.contains("data.json") && e.contains("line 1"), "{e}");
    let b = default_with("data.json", Some("[1]"));
    assert!(
        Policy::prepare(&b)
            .unwrap_err()
            .contains("must hold a JSON object")
    );
}

#[test]
fn nan_metrics_are_strings_that_deny_for_critical() {
    let mut doc = fixture("critical_removed_column");
    for (_, m) in doc["metrics"].as_object_mut().unwrap() {
        m["candidate"] = "NaN".into();
        m["delta"] = "NaN".into();
        m["relative_delta"] = "NaN".into();
    }
    let r = Policy::prepare(&Bundle::embedded()).unwrap().evaluate(doc);
    assert_eq!(r.result.error, None);
    let nan: Vec<&String> = r
        .result
        .deny
        .iter()
        .filter(|m| m.starts_with("regression:") && m.contains(" is NaN "))
        .collect();
    let metrics = fixture("critical_removed_column")["metrics"]
        .as_object()
        .unwrap()
        .len();
    assert!(metrics >= 4);
    assert_eq!(nan.len(), metrics, "{:?}", r.result.deny);
}

#[test]
fn ten_thousand_column_schema_evaluates() {
    let mut doc = fixture("critical_removed_column");
    let cols: Vec<Json> = (0..10_000)
        .map(|i| serde_json::json!({"name": format!("f{i}"), "type": "double", "required": true}))
        .collect();
    doc["schema"]["candidate"]["inputs"] = Json::Array(cols.clone());
    doc["schema"]["inputs"]["removed"] = Json::Array(cols);
    let r = Policy::prepare(&Bundle::embedded()).unwrap().evaluate(doc);
    assert_eq!(r.result.error, None);
    let removed: Vec<&String> = r
        .result
        .deny
        .iter()
        .filter(|m| m.starts_with("schema: "))
        .collect();
    assert_eq!(
        removed,
        [
            "schema: 10000 required input columns were removed: f0 (double), f1 (double), f2 (double), f3 (double), f4 (double), f5 (double), f6 (double), f7 (double), f8 (double), f9 (double) and 9990 more, for critical risk"
        ]
    );
    let m = r
        .messages
        .iter()
        .find(|m| m.message == *removed[0])
        .unwrap();
    assert_eq!(
        m.looked_at["input.schema.inputs.removed[_] (required)"]
            .as_array()
            .unwrap()
            .len(),
        10_000
    );
}

#[test]
fn evaluation_past_the_time_limit_fails_closed() {
    let b = bundle(&[
        ("data.json", "{}"),
        (
            "slow.rego",
            "package modelgate\n\ndeny contains \"never\" if {\n\tsome i in numbers.range(1, 4000)\n\tsome j in numbers.range(1, 4000)\n\ti * j < 0\n}\n",
        ),
    ]);
    let p = Policy::prepare_with_limit(&b, Duration::from_millis(1)).unwrap();
    let r = p.evaluate(serde_json::json!({}));
    let e = error_of(&r);
    assert!(
        e.contains("package modelgate ran past the time limit of 1 ms"),
        "{e}"
    );
}

#[test]
fn recursive_functions_are_refused_before_evaluation() {
    // Each would recurse until the stack overflows if evaluated.
    for (what, files) in [
        (
            "direct",
            vec![(
                "x.rego",
                "package modelgate\n\nf(x) := f(x)\n\ndeny contains \"d\" if f(1)\n",
            )],
        ),
        (
            "mutual, through another package",
            vec![
                (
                    "x.rego",
                    "package modelgate\n\nimport data.modelgate.helpers\n\ng(x) := helpers.h(x)\n\ndeny contains \"d\" if g(1)\n",
                ),
                (
                    "helpers.rego",
                    "package modelgate.helpers\n\nh(x) := y if {\n\ty := [v | v := data.modelgate.g(x)]\n}\n",
                ),
            ],
        ),
    ] {
        let mut all = vec![("data.json", "{}")];
        all.extend(files);
        let e = Policy::prepare(&bundle(&all)).unwrap_err();
        assert!(e.contains("recursion is not allowed"), "{what}: {e}");
        assert!(e.contains("calls"), "{what}: {e}");
    }
    // Calling another function, or one of the same name in another
    // package, is not recursion.
    let b = bundle(&[
        ("data.json", "{}"),
        (
            "x.rego",
            "package modelgate\n\nimport data.modelgate.other\n\nf(x) := other.f(x)\n\ndeny contains \"d\" if f(1) == 2\n",
        ),
        ("o.rego", "package modelgate.other\n\nf(x) := x + 1\n"),
    ]);
    let r = Policy::prepare(&b).unwrap().evaluate(serde_json::json!({}));
    assert_eq!(r.result.deny, vec!["d".to_owned()]);
}

#[test]
fn a_bundle_without_the_gate_is_refused() {
    let b = bundle(&[
        ("data.json", "{}"),
        ("x.rego", "package other\n\nallow := true\n"),
    ]);
    assert!(
        Policy::prepare(&b)
            .unwrap_err()
            .contains("package modelgate")
    );
    let b = bundle(&[
        ("data.json", "{}"),
        (
            "x.rego",
            "package modelgate\n\nwarn contains \"w\" if true\n",
        ),
    ]);
    let r = Policy::prepare(&b).unwrap().evaluate(serde_json::json!({}));
    assert!(error_of(&r).contains("no `deny` rule"));
    let b = bundle(&[
        ("data.json", "{}"),
        ("x.rego", "package modelgate\n\ndeny := \"no\"\n"),
    ]);
    let r = Policy::prepare(&b).unwrap().evaluate(serde_json::json!({}));
    assert!(error_of(&r).contains("not a set of strings"));
}

#[test]
fn print_in_a_policy_does_not_break_evaluation() {
    let b = bundle(&[
        ("data.json", "{}"),
        (
            "x.rego",
            "package modelgate\n\ndeny contains \"d\" if {\n\tprint(\"hello\")\n}\n",
        ),
    ]);
    let r = Policy::prepare(&b).unwrap().evaluate(serde_json::json!({}));
    assert_eq!(
        r.result,
        GateResult {
            policy: b.digest(),
            deny: vec!["d".into()],
            warn: vec![],
            error: None
        }
    );
}

#[test]
fn error_text_is_reduced_to_one_line() {
    let texts = BTreeMap::from([(
        "a.rego".to_owned(),
        "package p.q\n\nimport rego.v1\n\ndefault allow := false\n\nallow if {\n\tx := 1\n}\n"
            .to_owned(),
    )]);
    let text = "\n--> a.rego:8:7\n  |\n8 |   x := 1\n  |       ^\nerror: boom";
    assert_eq!(
        describe_error(text, &texts),
        "a.rego:8:7 in rule p.q.allow: boom"
    );
    assert_eq!(
        rule_at(&texts, "a.rego", 5).as_deref(),
        Some("rule p.q.allow")
    );
    assert_eq!(rule_at(&texts, "a.rego", 3), None);
    assert_eq!(describe_error("plain\n  text", &texts), "plain text");
    assert_eq!(
        rule_path(&["modelgate".into(), "a-b".into()], "test_x"),
        "data.modelgate[\"a-b\"].test_x"
    );
}
