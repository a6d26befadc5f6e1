use super::*;
use serde_json::json;

fn file(text: &str) -> Vec<ChecklistFile> {
    #[derive(Deserialize)]
    struct F {
        checklist: Vec<ChecklistFile>,
    }
    toml::from_str::<F>(text).unwrap().checklist
}

const VALIDATION: &str = r#"
[[checklist]]
id = "validation-v1"
roles = ["validator"]
risks = ["medium", "high", "critical"]
items = [
  { id = "metrics", text = "Metrics reviewed against the baseline, regressions understood" },
  { id = "fairness", text = "Fairness report reviewed for every sensitive feature", allow_na = true },
]
"#;

fn answers(pairs: &[(&str, Answer)]) -> BTreeMap<String, Answer> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

#[test]
fn the_digest_is_the_jcs_of_the_table_with_allow_na_written_out() {
    let c = Checklists::new(&file(VALIDATION)).unwrap();
    let v = &c.all()[0];
    let want = r#"{"id":"validation-v1","items":[{"allow_na":false,"id":"metrics","text":"Metrics reviewed against the baseline, regressions understood"},{"allow_na":true,"id":"fairness","text":"Fairness report reviewed for every sensitive feature"}],"risks":["medium","high","critical"],"roles":["validator"]}"#;
    assert_eq!(
        v.digest,
        format!("sha256:{}", hex::encode(Sha256::digest(want.as_bytes())))
    );
    // Writing the default out changes nothing; changing a text does.
    let explicit = VALIDATION.replace(
        "baseline, regressions understood\" }",
        "baseline, regressions understood\", allow_na = false }",
    );
    assert_ne!(explicit, VALIDATION);
    assert_eq!(
        Checklists::new(&file(&explicit)).unwrap().all()[0].digest,
        v.digest
    );
    let reworded = VALIDATION.replace("every sensitive", "each sensitive");
    assert_ne!(
        Checklists::new(&file(&reworded)).unwrap().all()[0].digest,
        v.digest
    );
}

#[test]
fn at_most_one_checklist_applies_to_a_role_and_risk() {
    let c = Checklists::new(&file(VALIDATION)).unwrap();
    assert_eq!(
        c.applicable("validator", Risk::High).map(|c| c.id.as_str()),
        Some("validation-v1")
    );
    assert!(c.applicable("validator", Risk::Low).is_none());
    assert!(c.applicable("domain", Risk::High).is_none());
    let overlap = format!(
        "{VALIDATION}\n[[checklist]]\nid = \"other\"\nroles = [\"domain\", \"validator\"]\nrisks = [\"critical\"]\nitems = [{{ id = \"x\", text = \"X\" }}]\n"
    );
    let e = Checklists::new(&file(&overlap)).unwrap_err();
    assert_eq!(e.index, 1);
    assert_eq!(
        e.to_string(),
        "checklist[1] (id \"other\"): it overlaps checklist \"validation-v1\": both apply to validator at critical risk, and at most one may"
    );
}

#[test]
fn bad_tables_are_refused_with_the_table_and_the_reason() {
    let one = |id: &str, roles: &str, risks: &str, items: &str| {
        format!(
            "[[checklist]]\nid = \"{id}\"\nroles = [{roles}]\nrisks = [{risks}]\nitems = [{items}]\n"
        )
    };
    let ok_item = r#"{ id = "a", text = "A" }"#;
    for (text, want) in [
        (
            one("Bad Id", "\"validator\"", "\"low\"", ok_item),
            "id \"Bad Id\" is not plain",
        ),
        (
            one("c", "\"boss\"", "\"low\"", ok_item),
            "role \"boss\" is not a reviewer role",
        ),
        (
            one("c", "\"automation\"", "\"low\"", ok_item),
            "not a reviewer role",
        ),
        (one("c", "", "\"low\"", ok_item), "roles is empty"),
        (
            one("c", "\"validator\"", "\"severe\"", ok_item),
            "risk \"severe\"",
        ),
        (one("c", "\"validator\"", "\"low\"", ""), "items is empty"),
        (
            one(
                "c",
                "\"validator\"",
                "\"low\"",
                r#"{ id = "A!", text = "A" }"#,
            ),
            "items[0]: id \"A!\" is not plain",
        ),
        (
            one(
                "c",
                "\"validator\"",
                "\"low\"",
                &format!("{ok_item}, {ok_item}"),
            ),
            "items[1]: the item id \"a\" is used twice",
        ),
        (
            one(
                "c",
                "\"validator\"",
                "\"low\"",
                r#"{ id = "a", text = " " }"#,
            ),
            "text is empty",
        ),
        (
            one("c", "\"validator\"", "\"low\"", &"x".repeat(0))
                + &one("c", "\"domain\"", "\"low\"", ok_item),
            "items is empty",
        ),
    ] {
        let e = Checklists::new(&file(&text)).unwrap_err().to_string();
        assert!(e.contains(want), "{text}\n{e}");
        assert!(e.starts_with("checklist[0]"), "{e}");
    }
    let twice =
        one("c", "\"validator\"", "\"low\"", ok_item) + &one("c", "\"domain\"", "\"low\"", ok_item);
    let e = Checklists::new(&file(&twice)).unwrap_err().to_string();
    assert_eq!(
        e,
        "checklist[1] (id \"c\"): the id is used by an earlier checklist"
    );
    // Unknown keys, in a table or an item.
    let unknown =
        one("c", "\"validator\"", "\"low\"", ok_item).replace("items", "colour = 1\nitems");
    assert!(toml::from_str::<toml::Value>(&unknown).is_ok());
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct F {
        checklist: Vec<ChecklistFile>,
    }
    let e = toml::from_str::<F>(&unknown).unwrap_err().to_string();
    assert!(e.contains("unknown field `colour`"), "{e}");
    let e = toml::from_str::<F>(&one(
        "c",
        "\"validator\"",
        "\"low\"",
        r#"{ id = "a", text = "A", na = true }"#,
    ))
    .unwrap_err()
    .to_string();
    assert!(e.contains("unknown field `na`"), "{e}");
}

#[test]
fn answers_are_checked_item_by_item() {
    let cs = Checklists::new(&file(VALIDATION)).unwrap();
    let c = &cs.all()[0];
    use Answer::*;
    assert!(
        c.check_answers(
            Action::Approve,
            &answers(&[("metrics", Yes), ("fairness", NotApplicable)])
        )
        .is_ok()
    );
    let e = c
        .check_answers(Action::Approve, &answers(&[("metrics", Yes)]))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "checklist item fairness is not answered: \"Fairness report reviewed for every sensitive feature\" (--answer fairness=yes|no|n/a)"
    );
    let e = c
        .check_answers(
            Action::Approve,
            &answers(&[("metrics", No), ("fairness", Yes)]),
        )
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("an approve needs yes to checklist item metrics"),
        "{e}"
    );
    // A reject may answer no; n/a stays limited to the items that allow it.
    assert!(
        c.check_answers(
            Action::Reject,
            &answers(&[("metrics", No), ("fairness", No)])
        )
        .is_ok()
    );
    let e = c
        .check_answers(
            Action::Reject,
            &answers(&[("metrics", NotApplicable), ("fairness", No)]),
        )
        .unwrap_err();
    assert!(
        e.to_string().contains("metrics cannot be answered n/a"),
        "{e}"
    );
    let e = c
        .check_answers(
            Action::Approve,
            &answers(&[("metrics", Yes), ("fairness", Yes), ("extra", Yes)]),
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "checklist validation-v1 has no item \"extra\"; its items: metrics, fairness"
    );
}

#[test]
fn the_console_cycles_yes_no_and_n_a_only_where_allowed() {
    assert_eq!(Answer::next(None, false), Answer::Yes);
    assert_eq!(Answer::next(Some(Answer::Yes), false), Answer::No);
    assert_eq!(Answer::next(Some(Answer::No), false), Answer::Yes);
    assert_eq!(Answer::next(Some(Answer::No), true), Answer::NotApplicable);
    assert_eq!(Answer::next(Some(Answer::NotApplicable), true), Answer::Yes);
    for a in [Answer::Yes, Answer::No, Answer::NotApplicable] {
        assert_eq!(Answer::parse(a.as_str()), Some(a));
        assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
    }
}

#[test]
fn a_record_stands_current_older_incomplete_or_unanswered() {
    let cs = Checklists::new(&file(VALIDATION)).unwrap();
    let c = &cs.all()[0];
    let rec = |role: &str, risk: &str, checklist: Option<Value>| {
        let mut v = json!({"action": "approve", "role": role, "risk": risk});
        if let Some(cl) = checklist {
            v["checklist"] = cl;
        }
        v.as_object().unwrap().clone()
    };
    let good = c.record_value(&answers(&[
        ("metrics", Answer::Yes),
        ("fairness", Answer::Yes),
    ]));
    assert!(matches!(
        cs.standing(&rec("validator", "high", Some(good.clone()))),
        Standing::Current(_)
    ));
    assert_eq!(
        cs.standing(&rec("validator", "low", None)),
        Standing::NotAsked
    );
    let s = cs.standing(&rec("validator", "high", None));
    assert_eq!(
        s.refusal().unwrap(),
        "it answers no checklist, and checklist validation-v1 applies to its role and risk"
    );
    let mut older = good.clone();
    older["digest"] = json!(format!("sha256:{}", "0".repeat(64)));
    let s = cs.standing(&rec("validator", "high", Some(older)));
    assert!(
        matches!(s, Standing::Older(_)) && s.refusal().is_none(),
        "{s:?}"
    );
    // Answered where none applies (any more): older, still counts.
    assert!(matches!(
        cs.standing(&rec("validator", "low", Some(good))),
        Standing::Older(_)
    ));
    let gap = c.record_value(&answers(&[
        ("metrics", Answer::Yes),
        ("fairness", Answer::No),
    ]));
    let s = cs.standing(&rec("validator", "high", Some(gap)));
    assert!(s.refusal().unwrap().contains("fairness"), "{s:?}");
}
