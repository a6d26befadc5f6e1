use super::*;
use crate::trust::checklist::Checklists;
use serde_json::json;

const EV: &str = "sha256:aaaa";
const EV2: &str = "sha256:bbbb";

#[derive(Clone)]
pub(super) struct R {
    pub(super) id: String,
    pub(super) fields: serde_json::Map<String, Value>,
}

fn rec(id: &str, action: &str, actor: &str, role: &str, at: &str, extra: Value) -> R {
    let mut f = json!({"action": action, "actor": actor, "role": role, "at": at, "parents": []});
    if let (Some(o), Some(e)) = (f.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    R {
        id: id.to_owned(),
        fields: f.as_object().cloned().unwrap(),
    }
}

pub(super) fn recs(rs: &[R]) -> Vec<Rec<'_>> {
    rs.iter()
        .map(|r| {
            let s = |k: &str| r.fields.get(k).and_then(Value::as_str).unwrap_or("");
            Rec {
                id: &r.id,
                action: Action::parse(s("action")).unwrap(),
                actor: s("actor"),
                role: s("role"),
                at: s("at"),
                evidence: r.fields.get("evidence").and_then(Value::as_str),
                parents: r.fields["parents"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(Value::as_str)
                    .collect(),
                fields: &r.fields,
                lapsed: r.fields.get("lapsed").is_some_and(|l| l == true),
            }
        })
        .collect()
}

fn ctx<'a>(roles: &'a [String], denies: &'a [String]) -> Context<'a> {
    Context {
        evidence: Some(EV),
        risk: Risk::High,
        required_roles: roles,
        submitted_by_tag: None,
        run_authors: &[],
        gate_denies: denies,
        gate_warns: &[],
        gate_error: None,
        automation_risks: &[],
        checklists: Checklists::none(),
        lifetimes: &crate::trust::lifetime::NEVER,
        now: 0,
    }
}

fn roles() -> Vec<String> {
    vec!["domain".into(), "validator".into()]
}

fn submit(at: &str) -> R {
    rec("s1", "submit", "owen", "owner", at, json!({"evidence": EV}))
}

#[test]
fn the_latest_signed_submit_names_the_baseline() {
    let t = |at: &str| format!("2026-01-01T0{at}:00:00Z");
    assert_eq!(
        submitted_baseline(&[]),
        None,
        "no submit: the tag or alias decide"
    );
    let first = rec(
        "a",
        "submit",
        "owen",
        "owner",
        &t("1"),
        json!({"baseline": "3"}),
    );
    let none = rec(
        "b",
        "submit",
        "owen",
        "owner",
        &t("2"),
        json!({"baseline": null}),
    );
    let comment = rec("c", "comment", "vic", "validator", &t("3"), json!({}));
    assert_eq!(
        submitted_baseline(&recs(&[first.clone(), comment.clone()])),
        Some(Some("3".into()))
    );
    assert_eq!(
        submitted_baseline(&recs(&[none, first, comment])),
        Some(None),
        "the newer submit compares against nothing"
    );
}

fn approve(id: &str, actor: &str, role: &str, ev: &str) -> R {
    rec(
        id,
        "approve",
        actor,
        role,
        "2026-01-02T00:00:00Z",
        json!({"evidence": ev, "required_roles": ["domain", "validator"], "risk": "high"}),
    )
}

#[test]
fn approved_needs_every_role_by_distinct_non_authors() {
    let r = roles();
    let rs = [
        submit("2026-01-01T00:00:00Z"),
        approve("a1", "val", "validator", EV),
        approve("a2", "dom", "domain", EV),
    ];
    let d = derive(&recs(&rs), &ctx(&r, &[]));
    assert_eq!(d.state, ReviewState::Approved, "{:?}", d.findings);
    // One person cannot fill two roles.
    let rs = [
        submit("2026-01-01T00:00:00Z"),
        approve("a1", "val", "validator", EV),
        approve("a2", "val", "domain", EV),
    ];
    assert_eq!(
        derive(&recs(&rs), &ctx(&r, &[])).state,
        ReviewState::Pending
    );
    // The submitter approving does not count.
    let rs = [
        submit("2026-01-01T00:00:00Z"),
        approve("a1", "owen", "validator", EV),
        approve("a2", "dom", "domain", EV),
    ];
    let d = derive(&recs(&rs), &ctx(&r, &[]));
    assert_eq!(d.state, ReviewState::Pending);
    assert!(
        d.findings.iter().any(|f| f.contains("author")),
        "{:?}",
        d.findings
    );
    // A run author approving does not count either.
    let authors = vec!["val".to_owned()];
    let rs = [
        submit("2026-01-01T00:00:00Z"),
        approve("a1", "val", "validator", EV),
        approve("a2", "dom", "domain", EV),
    ];
    let mut c = ctx(&r, &[]);
    c.run_authors = &authors;
    assert_eq!(derive(&recs(&rs), &c).state, ReviewState::Pending);
}

#[test]
fn stale_revoked_and_unsigned() {
    let r = roles();
    let rs = [
        submit("2026-01-01T00:00:00Z"),
        approve("a1", "val", "validator", EV2),
        approve("a2", "dom", "domain", EV),
    ];
    let d = derive(&recs(&rs), &ctx(&r, &[]));
    assert_eq!(d.state, ReviewState::Pending);
    assert!(d.approvals.iter().any(|a| a.stale));
    let rs = [
        submit("2026-01-01T00:00:00Z"),
        approve("a1", "val", "validator", EV),
        approve("a2", "dom", "domain", EV),
        rec(
            "rv",
            "revoke",
            "val",
            "validator",
            "2026-01-03T00:00:00Z",
            json!({"revokes": "a1", "reason": "oops"}),
        ),
    ];
    assert_eq!(
        derive(&recs(&rs), &ctx(&r, &[])).state,
        ReviewState::Pending
    );
    // A revoke naming someone else's approval cancels nothing of theirs; it
    // cancels its own actor's approvals (PROTOCOL 9, 1.1).
    let rs = [
        submit("2026-01-01T00:00:00Z"),
        approve("a1", "val", "validator", EV),
        approve("a2", "dom", "domain", EV),
        rec(
            "rv",
            "revoke",
            "dom",
            "domain",
            "2026-01-03T00:00:00Z",
            json!({"revokes": "a1", "reason": "x"}),
        ),
    ];
    let d = derive(&recs(&rs), &ctx(&r, &[]));
    assert_eq!(d.state, ReviewState::Pending);
    assert_eq!(d.missing_roles, ["domain"]);
    assert!(
        d.approvals.iter().all(|a| a.revoked == (a.actor == "dom")),
        "{:?}",
        d.approvals
    );
    // High risk without a signed submit stays pending, and says why.
    let rs = [
        approve("a1", "val", "validator", EV),
        approve("a2", "dom", "domain", EV),
    ];
    let mut c = ctx(&r, &[]);
    c.submitted_by_tag = Some("owen");
    let d = derive(&recs(&rs), &c);
    assert_eq!(d.state, ReviewState::Pending);
    assert!(d.findings.iter().any(|f| f.contains("unsigned submission")));
    assert!(d.findings.iter().any(|f| f.contains("signed submit")));
    c.risk = Risk::Low;
    assert_eq!(
        derive(&recs(&rs), &c).state,
        ReviewState::Pending,
        "the approvals recorded high risk: still stricter"
    );
    let low = |id: &str, actor: &str, role: &str| {
        rec(
            id,
            "approve",
            actor,
            role,
            "2026-01-02T00:00:00Z",
            json!({"evidence": EV, "required_roles": ["domain", "validator"], "risk": "low"}),
        )
    };
    let rs = [low("a1", "val", "validator"), low("a2", "dom", "domain")];
    assert_eq!(
        derive(&recs(&rs), &c).state,
        ReviewState::Approved,
        "low risk needs no signed submit"
    );
}

#[test]
fn recorded_roles_and_risk_only_add() {
    let r = vec!["validator".to_owned()];
    let rs = [
        submit("2026-01-01T00:00:00Z"),
        approve("a1", "val", "validator", EV),
    ];
    // The approval recorded that domain was required too: still needed.
    let d = derive(&recs(&rs), &ctx(&r, &[]));
    assert_eq!(d.state, ReviewState::Pending);
    assert_eq!(d.missing_roles, ["domain"]);
}

#[test]
fn gates_and_overrides() {
    let r = roles();
    let denies = vec!["fairness: DI 0.7 < 0.8".to_owned()];
    // The approvals were signed on the deny they saw.
    let saw = |mut r: R| {
        r.fields.insert(
            "gates".into(),
            json!({"policy": "sha256:pp", "deny": denies, "warn": [], "error": null}),
        );
        r
    };
    let base = [
        submit("2026-01-01T00:00:00Z"),
        saw(approve("a1", "val", "validator", EV)),
        saw(approve("a2", "dom", "domain", EV)),
    ];
    assert_eq!(
        derive(&recs(&base), &ctx(&r, &denies)).state,
        ReviewState::Pending
    );
    let waive = |actor: &str| {
        rec(
            "o1",
            "override",
            actor,
            "compliance",
            "2026-01-03T00:00:00Z",
            json!({"evidence": EV, "waives": [denies[0]], "reason": "accepted"}),
        )
    };
    let mut rs: Vec<R> = base
        .iter()
        .map(|x| R {
            id: x.id.clone(),
            fields: x.fields.clone(),
        })
        .collect();
    rs.push(waive("comp"));
    let d = derive(&recs(&rs), &ctx(&r, &denies));
    assert_eq!(d.state, ReviewState::Approved, "{:?}", d.findings);
    assert_eq!(d.waived, denies);
    // An approver cannot waive.
    rs.pop();
    rs.push(waive("val"));
    assert_eq!(
        derive(&recs(&rs), &ctx(&r, &denies)).state,
        ReviewState::Pending
    );
    // A policy error is never waivable.
    let mut c = ctx(&r, &[]);
    c.gate_error = Some("timeout");
    assert_eq!(derive(&recs(&base), &c).state, ReviewState::Pending);
}

#[test]
fn reject_changes_withdraw_and_carry_over() {
    let r = roles();
    let reject = rec(
        "rj",
        "reject",
        "val",
        "validator",
        "2026-01-02T00:00:00Z",
        json!({"evidence": EV, "reason": "no"}),
    );
    let rs = [submit("2026-01-01T00:00:00Z"), reject];
    assert_eq!(
        derive(&recs(&rs), &ctx(&r, &[])).state,
        ReviewState::Rejected
    );
    // A new submit on the same evidence carries the rejection over.
    let again = rec(
        "s2",
        "submit",
        "owen",
        "owner",
        "2026-01-03T00:00:00Z",
        json!({"evidence": EV, "parents": ["rj"]}),
    );
    let rs = [
        submit("2026-01-01T00:00:00Z"),
        rec(
            "rj",
            "reject",
            "val",
            "validator",
            "2026-01-02T00:00:00Z",
            json!({"evidence": EV, "reason": "no"}),
        ),
        again,
    ];
    assert_eq!(
        derive(&recs(&rs), &ctx(&r, &[])).state,
        ReviewState::Rejected
    );
    // A new submit on new evidence clears it.
    let mut c = ctx(&r, &[]);
    c.evidence = Some(EV2);
    let fresh = rec(
        "s2",
        "submit",
        "owen",
        "owner",
        "2026-01-03T00:00:00Z",
        json!({"evidence": EV2}),
    );
    let rs = [
        submit("2026-01-01T00:00:00Z"),
        rec(
            "rj",
            "reject",
            "val",
            "validator",
            "2026-01-02T00:00:00Z",
            json!({"evidence": EV, "reason": "no"}),
        ),
        fresh,
    ];
    assert_eq!(derive(&recs(&rs), &c).state, ReviewState::Pending);
    // Changes requested, and a withdraw by the submitter.
    let rs = [
        submit("2026-01-01T00:00:00Z"),
        rec(
            "rc",
            "request_changes",
            "dom",
            "domain",
            "2026-01-02T00:00:00Z",
            json!({"evidence": EV, "reason": "docs"}),
        ),
    ];
    assert_eq!(
        derive(&recs(&rs), &ctx(&r, &[])).state,
        ReviewState::ChangesRequested
    );
    let rs = [
        submit("2026-01-01T00:00:00Z"),
        rec(
            "w",
            "withdraw",
            "owen",
            "owner",
            "2026-01-02T00:00:00Z",
            json!({}),
        ),
    ];
    assert_eq!(
        derive(&recs(&rs), &ctx(&r, &[])).state,
        ReviewState::Withdrawn
    );
    let rs = [
        submit("2026-01-01T00:00:00Z"),
        rec(
            "w",
            "withdraw",
            "val",
            "validator",
            "2026-01-02T00:00:00Z",
            json!({}),
        ),
    ];
    assert_eq!(
        derive(&recs(&rs), &ctx(&r, &[])).state,
        ReviewState::Pending,
        "only the submitter withdraws"
    );
}

#[test]
fn order_follows_parents_then_time_then_id() {
    let a = rec(
        "a",
        "comment",
        "x",
        "validator",
        "2026-01-05T00:00:00Z",
        json!({}),
    );
    let b = rec(
        "b",
        "comment",
        "x",
        "validator",
        "2026-01-01T00:00:00Z",
        json!({"parents": ["a"]}),
    );
    let c = rec(
        "c",
        "comment",
        "x",
        "validator",
        "2026-01-01T00:00:00Z",
        json!({}),
    );
    let rs = [b, a, c];
    let ids: Vec<&str> = order(&recs(&rs)).iter().map(|r| r.id).collect();
    // b claims an earlier time than its parent a, but comes after it.
    assert_eq!(ids, ["c", "a", "b"]);
}

fn at(id: &str, action: &str, actor: &str, role: &str, at: &str, extra: Value) -> R {
    rec(id, action, actor, role, at, extra)
}

#[test]
fn one_revoke_cancels_every_earlier_approval_by_its_actor() {
    let r = vec!["validator".to_owned()];
    let low = |id: &str, when: &str| {
        at(
            id,
            "approve",
            "val",
            "validator",
            when,
            json!({"evidence": EV, "required_roles": ["validator"], "risk": "low"}),
        )
    };
    let revoke = at(
        "rv",
        "revoke",
        "val",
        "validator",
        "2026-01-03T00:00:00Z",
        json!({"revokes": "a2", "reason": "found a leak"}),
    );
    let mut c = ctx(&r, &[]);
    c.risk = Risk::Low;
    // Two approvals raced (same parents); the revoke names only the second.
    let rs = [
        submit("2026-01-01T00:00:00Z"),
        low("a1", "2026-01-02T00:00:00Z"),
        low("a2", "2026-01-02T00:00:00Z"),
        revoke.clone(),
    ];
    let d = derive(&recs(&rs), &c);
    assert_eq!(d.state, ReviewState::Pending, "{:?}", d.findings);
    assert!(d.approvals.iter().all(|a| a.revoked), "{:?}", d.approvals);
    // An approval signed after the revoke counts again.
    let mut again = low("a3", "2026-01-04T00:00:00Z");
    again.fields.insert("parents".into(), json!(["rv"]));
    let rs = [
        submit("2026-01-01T00:00:00Z"),
        low("a1", "2026-01-02T00:00:00Z"),
        low("a2", "2026-01-02T00:00:00Z"),
        revoke,
        again,
    ];
    assert_eq!(derive(&recs(&rs), &c).state, ReviewState::Approved);
}

#[test]
fn a_lowered_tag_does_not_silence_a_signed_reject() {
    // The configuration and the current tag say low: validator only.
    let r = vec!["validator".to_owned()];
    let mut c = ctx(&r, &[]);
    c.risk = Risk::Low;
    let high = json!({"evidence": EV, "required_roles": ["domain", "validator"], "risk": "high"});
    let submit_high = at("s1", "submit", "owen", "owner", "2026-01-01T00:00:00Z", {
        let mut h = high.clone();
        h["baseline"] = Value::Null;
        h
    });
    let reject = at("rj", "reject", "dom", "domain", "2026-01-02T00:00:00Z", {
        let mut h = high.clone();
        h["reason"] = json!("unsafe for this segment");
        h
    });
    let rs = [
        submit_high.clone(),
        reject,
        approve("a1", "val", "validator", EV),
    ];
    let d = derive(&recs(&rs), &c);
    assert_eq!(d.state, ReviewState::Rejected, "{:?}", d.findings);
    assert_eq!(d.risk, Risk::High);
    assert_eq!(d.required_roles, ["domain", "validator"]);
    // The signed submit alone keeps the roles it was told: one validator is not enough.
    let low_ok = at(
        "a1",
        "approve",
        "val",
        "validator",
        "2026-01-02T00:00:00Z",
        json!({"evidence": EV, "required_roles": ["validator"], "risk": "low"}),
    );
    let d = derive(&recs(&[submit_high, low_ok]), &c);
    assert_eq!(d.state, ReviewState::Pending);
    assert_eq!(d.missing_roles, ["domain"]);
    assert_eq!(d.risk, Risk::High);
}

/// A low-risk review where only a validator is required, as PROTOCOL 14 sees it.
fn automated(id: &str, risk: &str, gates: Value) -> R {
    rec(
        id,
        "approve",
        "ci",
        "automation",
        "2026-01-02T00:00:00Z",
        json!({"evidence": EV, "required_roles": ["validator"], "risk": risk, "gates": gates}),
    )
}

fn quiet() -> Value {
    json!({"policy": "sha256:pp", "deny": [], "warn": [], "error": null})
}

fn low_ctx<'a>(roles: &'a [String], automation: &'a [Risk]) -> Context<'a> {
    Context {
        risk: Risk::Low,
        automation_risks: automation,
        ..ctx(roles, &[])
    }
}

#[test]
fn an_automated_approval_stands_in_for_the_validator_at_a_listed_tier() {
    let validator = vec!["validator".to_owned()];
    let rs = [automated("a1", "low", quiet())];
    let d = derive(&recs(&rs), &low_ctx(&validator, &[Risk::Low]));
    assert_eq!(d.state, ReviewState::Approved, "{:?}", d.findings);
    assert_eq!(d.covered_roles["validator"], "ci");
    assert!(d.approvals[0].automated);
    // Not listed: it does not count, and says why.
    let d = derive(&recs(&rs), &low_ctx(&validator, &[]));
    assert_eq!(d.state, ReviewState::Pending);
    assert!(
        d.findings
            .iter()
            .any(|f| f.contains("an automated approval does not count at low risk")),
        "{:?}",
        d.findings
    );
}

#[test]
fn a_raised_risk_stops_an_automated_approval_counting() {
    let validator = vec!["validator".to_owned()];
    let rs = [automated("a1", "low", quiet())];
    // The tag raised to medium while only low is listed.
    let medium = Context {
        risk: Risk::Medium,
        ..low_ctx(&validator, &[Risk::Low])
    };
    assert_eq!(derive(&recs(&rs), &medium).state, ReviewState::Pending);
    // Never at high, however it came to be: here a record of the round says so.
    let raised = [
        automated("a1", "low", quiet()),
        rec(
            "c1",
            "comment",
            "vic",
            "validator",
            "2026-01-03T00:00:00Z",
            json!({"risk": "high"}),
        ),
    ];
    let all = [Risk::Low, Risk::Medium, Risk::High];
    let d = derive(&recs(&raised), &low_ctx(&validator, &all));
    assert_eq!((d.risk, d.state), (Risk::High, ReviewState::Pending));
}

#[test]
fn an_automated_approval_needs_quiet_gates_when_signed_and_now() {
    let validator = vec!["validator".to_owned()];
    for gates in [
        json!({"policy": "sha256:pp", "deny": [], "warn": ["drifting"], "error": null}),
        json!({"policy": "sha256:pp", "deny": ["no card"], "warn": [], "error": null}),
        json!({"policy": "sha256:pp", "deny": [], "warn": [], "error": "timeout"}),
    ] {
        let rs = [automated("a1", "low", gates.clone())];
        let d = derive(&recs(&rs), &low_ctx(&validator, &[Risk::Low]));
        assert_eq!(d.state, ReviewState::Pending, "{gates}");
    }
    let rs = [automated("a1", "low", quiet())];
    let warns = vec!["drifting".to_owned()];
    let now_warns = Context {
        gate_warns: &warns,
        ..low_ctx(&validator, &[Risk::Low])
    };
    let d = derive(&recs(&rs), &now_warns);
    assert_eq!(d.state, ReviewState::Pending);
    assert!(
        d.findings.iter().any(|f| f.contains("has some now")),
        "{:?}",
        d.findings
    );
}

#[test]
fn an_automated_approval_never_fills_domain_and_a_human_reject_stands_over_it() {
    let two = vec!["domain".to_owned(), "validator".to_owned()];
    let rs = [automated("a1", "low", quiet())];
    let d = derive(&recs(&rs), &low_ctx(&two, &[Risk::Low]));
    assert_eq!(d.state, ReviewState::Pending);
    assert_eq!(d.missing_roles, ["domain"]);
    let compliance = vec!["compliance".to_owned()];
    let d = derive(&recs(&rs), &low_ctx(&compliance, &[Risk::Low]));
    assert_eq!(d.missing_roles, ["compliance"]);
    let validator = vec!["validator".to_owned()];
    let rejected = [
        automated("a1", "low", quiet()),
        rec(
            "r1",
            "reject",
            "vic",
            "validator",
            "2026-01-03T00:00:00Z",
            json!({"evidence": EV, "reason": "no"}),
        ),
    ];
    let d = derive(&recs(&rejected), &low_ctx(&validator, &[Risk::Low]));
    assert_eq!(d.state, ReviewState::Rejected);
}

#[test]
fn an_approval_that_skips_the_configured_checklist_does_not_count() {
    let checklists: crate::trust::checklist::Checklists = {
        #[derive(serde::Deserialize)]
        struct F {
            checklist: Vec<crate::trust::checklist::ChecklistFile>,
        }
        let f: F = toml::from_str(
            "[[checklist]]\nid = \"v1\"\nroles = [\"validator\"]\nrisks = [\"high\"]\nitems = [{ id = \"metrics\", text = \"Metrics\" }]\n",
        )
        .unwrap();
        Checklists::new(&f.checklist).unwrap()
    };
    let r = roles();
    let with = |rs: &[R]| {
        derive(
            &recs(rs),
            &Context {
                checklists: &checklists,
                ..ctx(&r, &[])
            },
        )
    };
    let bare = [
        submit("2026-01-01T00:00:00Z"),
        approve("a1", "val", "validator", EV),
        approve("a2", "dom", "domain", EV),
    ];
    let d = with(&bare);
    assert_eq!(d.state, ReviewState::Pending);
    assert_eq!(d.missing_roles, ["validator"]);
    assert!(
        d.approvals[0]
            .held_back
            .as_deref()
            .unwrap()
            .contains("checklist v1"),
        "{:?}",
        d.approvals
    );
    let mut answered = approve("a1", "val", "validator", EV);
    let c = &checklists.all()[0];
    answered.fields.insert(
        "checklist".into(),
        c.record_value(&[("metrics".to_owned(), crate::trust::checklist::Answer::Yes)].into()),
    );
    let d = with(&[bare[0].clone(), answered, bare[2].clone()]);
    assert_eq!(d.state, ReviewState::Approved, "{:?}", d.findings);
}
