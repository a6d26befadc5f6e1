use super::*;
use proptest::prelude::*;

fn col(name: &str, ty: &str) -> Spec {
    Spec {
        name: Some(name.to_owned()),
        ty: SpecType::Scalar(ty.to_owned()),
        required: true,
    }
}

fn mlmodel(inputs: &str) -> String {
    format!("flavors: {{}}\nsignature:\n  inputs: '{inputs}'\n  outputs: null\n")
}

fn parse_inputs(json: &str) -> Result<Vec<Spec>, String> {
    parse_mlmodel(mlmodel(json).as_bytes())
        .map(|s| s.input_specs.unwrap_or_default())
        .map_err(|e| e.to_string())
}

fn type_of(json: &str) -> String {
    let specs = parse_inputs(json).unwrap();
    specs[0].type_name()
}

#[test]
fn folded_yaml_string_is_unfolded() {
    let text = "signature:\n  inputs: '[{\"type\": \"long\", \"name\": \"a\", \"required\":\n    true}, {\"type\": \"double\", \"name\": \"b\"}]'\n";
    let sig = parse_mlmodel(text.as_bytes()).unwrap();
    assert_eq!(
        sig.inputs.as_deref(),
        Some(
            r#"[{"type": "long", "name": "a", "required": true}, {"type": "double", "name": "b"}]"#
        )
    );
    assert_eq!(
        sig.input_specs.unwrap(),
        vec![col("a", "long"), col("b", "double")]
    );
    assert_eq!(sig.outputs, None);
    assert_eq!(sig.output_specs, None);
}

#[test]
fn no_signature_is_valid() {
    assert_eq!(
        parse_mlmodel(b"flavors: {}\n").unwrap(),
        Signature::default()
    );
    assert_eq!(
        parse_mlmodel(b"signature: null\n").unwrap(),
        Signature::default()
    );
}

#[test]
fn complex_type_names() {
    assert_eq!(
        type_of(r#"[{"type": "array", "items": {"type": "double"}, "name": "a"}]"#),
        "array<double>"
    );
    assert_eq!(
        type_of(r#"[{"type": "map", "values": {"type": "string"}, "name": "m"}]"#),
        "map<string>"
    );
    assert_eq!(
        type_of(
            r#"[{"type": "object", "name": "o", "properties": {"b": {"type": "string", "required": false}, "a": {"type": "long", "required": true}}}]"#
        ),
        "object{a: long, b?: string}"
    );
    assert_eq!(
        type_of(
            r#"[{"type": "array", "name": "n", "items": {"type": "map", "values": {"type": "array", "items": {"type": "any"}}}}]"#
        ),
        "array<map<array<any>>>"
    );
}

#[test]
fn tensor_type_name_has_no_spaces() {
    let specs = parse_inputs(
        r#"[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]"#,
    )
    .unwrap();
    assert_eq!(specs[0].type_name(), "tensor(float32,[-1,4])");
    assert_eq!(specs[0].column_name(0), "#0");
    assert!(specs[0].required);
    let named = parse_inputs(
        r#"[{"type": "tensor", "name": "img", "tensor-spec": {"dtype": "uint8", "shape": []}}]"#,
    )
    .unwrap();
    assert_eq!(named[0].column_name(0), "img");
    assert_eq!(named[0].type_name(), "tensor(uint8,[])");
}

#[test]
fn required_defaults_to_true() {
    let specs = parse_inputs(
        r#"[{"type": "long", "name": "a"}, {"type": "long", "name": "b", "required": false}]"#,
    )
    .unwrap();
    assert!(specs[0].required);
    assert!(!specs[1].required);
}

#[test]
fn malformed_inputs_name_the_part() {
    let err = parse_mlmodel(b"signature: [\n").unwrap_err().to_string();
    assert!(err.starts_with("MLmodel: not valid YAML: "), "{err}");
    // A second `signature` key must not silently replace the first.
    let err = parse_mlmodel(b"signature:\n  inputs: '[]'\nsignature: null\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("duplicate entry with key \"signature\""),
        "{err}"
    );
    let err = parse_mlmodel(b"- a\n- b\n").unwrap_err().to_string();
    assert_eq!(err, "MLmodel: expected a mapping at the top level");
    let err = parse_mlmodel(b"signature: 3\n").unwrap_err().to_string();
    assert_eq!(err, "MLmodel: signature is not a mapping");
    let err = parse_mlmodel(b"signature:\n  outputs: [1]\n")
        .unwrap_err()
        .to_string();
    assert_eq!(err, "MLmodel: signature.outputs is not a string");
    let err = parse_inputs("[{").unwrap_err();
    assert!(
        err.starts_with("MLmodel: signature.inputs is not valid JSON: "),
        "{err}"
    );
    let err = parse_inputs(r#"{"type": "long"}"#).unwrap_err();
    assert_eq!(err, "MLmodel: signature.inputs is not a JSON list of specs");
}

#[test]
fn unknown_spec_shapes_are_errors() {
    let cases = [
        (r#"[3]"#, "[0]: expected an object"),
        (r#"[{"name": "a"}]"#, "[0]: no \"type\""),
        (
            r#"[{"type": 5}]"#,
            "[0]: \"type\" is not a non-empty string",
        ),
        (
            r#"[{"type": "long", "name": 5}]"#,
            "[0]: \"name\" is not a string",
        ),
        (
            r#"[{"type": "long", "required": "yes"}]"#,
            "[0]: \"required\" is not a boolean",
        ),
        (r#"[{"type": "array"}]"#, "[0]: array without \"items\""),
        (
            r#"[{"type": "map", "values": "string"}]"#,
            "[0]: map \"values\" is not an object",
        ),
        (
            r#"[{"type": "object"}]"#,
            "[0]: object without a \"properties\" object",
        ),
        (
            r#"[{"type": "array", "items": {"type": "tensor"}}]"#,
            "[0]: items: a tensor can only be a top-level spec",
        ),
        (
            r#"[{"type": "tensor"}]"#,
            "[0]: tensor without a \"tensor-spec\" object",
        ),
        (
            r#"[{"type": "tensor", "tensor-spec": {"shape": [1]}}]"#,
            "[0]: tensor-spec without a \"dtype\" string",
        ),
        (
            r#"[{"type": "tensor", "tensor-spec": {"dtype": "int8"}}]"#,
            "[0]: tensor-spec without a \"shape\" list",
        ),
        (
            r#"[{"type": "tensor", "tensor-spec": {"dtype": "int8", "shape": [1.5]}}]"#,
            "[0]: tensor-spec \"shape\" holds a non-integer",
        ),
        (
            r#"[{"type": "object", "properties": {"p": {"type": "array"}}}]"#,
            "[0]: property \"p\": array without \"items\"",
        ),
    ];
    for (json, suffix) in cases {
        let err = parse_inputs(json).unwrap_err();
        assert_eq!(err, format!("MLmodel: signature.inputs{suffix}"), "{json}");
    }
}

#[test]
fn duplicate_names_are_errors() {
    let err = parse_inputs(r#"[{"type": "long", "name": "x"}, {"type": "double", "name": "x"}]"#)
        .unwrap_err();
    assert_eq!(err, "MLmodel: signature.inputs has the column \"x\" twice");
    // An explicit "#1" collides with the implicit name of the unnamed column 1.
    let err = parse_inputs(r##"[{"type": "long", "name": "#1"}, {"type": "long"}]"##).unwrap_err();
    assert_eq!(err, "MLmodel: signature.inputs has the column \"#1\" twice");
}

#[test]
fn diff_reports_added_removed_changed_in_order() {
    let base = vec![
        col("a", "long"),
        col("b", "long"),
        col("c", "string"),
        col("d", "double"),
    ];
    let mut cand = vec![
        col("z", "long"),
        col("c", "string"),
        col("a", "double"),
        col("y", "long"),
    ];
    cand[1].required = false;
    let d = diff(Some(&cand), Some(&base));
    assert_eq!(d.added, ["z", "y"]);
    assert_eq!(d.removed, ["b", "d"]);
    assert_eq!(
        d.changed,
        vec![
            Change {
                name: "c".into(),
                change: ChangeKind::Required,
                from: "required".into(),
                to: "optional".into()
            },
            Change {
                name: "a".into(),
                change: ChangeKind::Type,
                from: "long".into(),
                to: "double".into()
            },
        ]
    );
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(
        json["changed"][0],
        serde_json::json!({"name": "c", "change": "required", "from": "required", "to": "optional"})
    );
    assert_eq!(json["changed"][1]["change"], "type");
}

#[test]
fn no_baseline_is_an_empty_diff_but_no_signature_is_an_empty_list() {
    let cand = vec![col("a", "long")];
    assert!(diff(Some(&cand), None).is_empty());
    let with_sig = Signature {
        input_specs: Some(cand),
        ..Signature::default()
    };
    let d = schema_diff(&with_sig, &Signature::default());
    assert_eq!(d.inputs.added, ["a"]);
    assert!(d.outputs.is_empty());
    let back = schema_diff(&Signature::default(), &with_sig);
    assert_eq!(back.inputs.removed, ["a"]);
}

#[test]
fn unnamed_columns_diff_by_position() {
    let t = |dtype: &str, n: i64| Spec {
        name: None,
        ty: SpecType::Tensor {
            dtype: dtype.into(),
            shape: vec![-1, n],
        },
        required: true,
    };
    let d = diff(
        Some(&[t("float32", 8)]),
        Some(&[t("float32", 4), t("int64", 1)]),
    );
    assert_eq!(d.removed, ["#1"]);
    assert_eq!(d.changed[0].from, "tensor(float32,[-1,4])");
    assert_eq!(d.changed[0].to, "tensor(float32,[-1,8])");
}

#[test]
fn spec_serializes_rendered_type() {
    let json = serde_json::to_value(col("a", "long")).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"name": "a", "type": "long", "required": true})
    );
}

#[test]
fn pretty_keeps_key_order() {
    let raw = r#"[{"type": "long", "name": "a", "x": {}, "y": [ ], "s": "q\"{,:}"}]"#;
    assert_eq!(
        pretty(raw),
        "[\n  {\n    \"type\": \"long\",\n    \"name\": \"a\",\n    \"x\": {},\n    \"y\": [],\n    \"s\": \"q\\\"{,:}\"\n  }\n]"
    );
    assert_eq!(pretty("not json ["), "not json [");
}

fn scalar_type() -> impl Strategy<Value = SpecType> {
    prop_oneof![
        Just(SpecType::Scalar("long".into())),
        Just(SpecType::Scalar("double".into())),
        Just(SpecType::Scalar("string".into())),
        Just(SpecType::Array(Box::new(SpecType::Scalar("long".into())))),
    ]
}

/// Lists with unique names drawn from a small pool, so sides overlap.
fn spec_list() -> impl Strategy<Value = Vec<Spec>> {
    proptest::collection::btree_map(0u8..24, (scalar_type(), any::<bool>()), 0..16).prop_flat_map(
        |cols| {
            let specs: Vec<Spec> = cols
                .into_iter()
                .map(|(n, (ty, required))| Spec {
                    name: Some(format!("c{n}")),
                    ty,
                    required,
                })
                .collect();
            Just(specs).prop_shuffle()
        },
    )
}

fn names(specs: &[Spec]) -> Vec<String> {
    specs
        .iter()
        .enumerate()
        .map(|(i, s)| s.column_name(i).into_owned())
        .collect()
}

proptest! {
    #[test]
    fn diff_with_itself_is_empty(a in spec_list()) {
        prop_assert!(diff(Some(&a), Some(&a)).is_empty());
    }

    #[test]
    fn added_and_removed_are_the_set_differences(a in spec_list(), b in spec_list()) {
        let d = diff(Some(&a), Some(&b));
        let (na, nb) = (names(&a), names(&b));
        let added: Vec<String> = na.iter().filter(|n| !nb.contains(n)).cloned().collect();
        let removed: Vec<String> = nb.iter().filter(|n| !na.contains(n)).cloned().collect();
        prop_assert_eq!(&d.added, &added);
        prop_assert_eq!(&d.removed, &removed);
        for c in &d.changed {
            prop_assert!(na.contains(&c.name) && nb.contains(&c.name));
            prop_assert_ne!(&c.from, &c.to);
        }
        let back = diff(Some(&b), Some(&a));
        prop_assert_eq!(back.added, d.removed);
        prop_assert_eq!(back.changed.len(), d.changed.len());
    }

    #[test]
    fn parse_reads_back_what_was_written(a in spec_list()) {
        let items: Vec<Json> = a.iter().map(|s| {
            let mut obj = match &s.ty {
                SpecType::Array(items) => serde_json::json!({"type": "array", "items": {"type": items.to_string()}}),
                other => serde_json::json!({"type": other.to_string()}),
            };
            obj["name"] = Json::from(s.name.clone());
            obj["required"] = Json::from(s.required);
            obj
        }).collect();
        let json = serde_json::to_string(&items).unwrap();
        let yaml = serde_norway::to_string(&serde_json::json!({"signature": {"inputs": json}})).unwrap();
        let sig = parse_mlmodel(yaml.as_bytes()).unwrap();
        prop_assert_eq!(sig.inputs.as_deref(), Some(json.as_str()));
        prop_assert_eq!(sig.input_specs, Some(a));
    }

    #[test]
    fn pretty_matches_serde_on_sorted_json(a in spec_list()) {
        let value = serde_json::to_value(&a).unwrap();
        let compact = serde_json::to_string(&value).unwrap();
        prop_assert_eq!(pretty(&compact), serde_json::to_string_pretty(&value).unwrap());
    }
}
