//! Approval cycles, lifetimes and revalidation (PROTOCOL 9.5, 15), with
//! `now` as a parameter.

use super::tests::{R, recs};
use super::*;
use crate::trust::checklist::Checklists;
use proptest::prelude::*;
use serde_json::json;

const EV: &str = "sha256:aaaa";
const DAY: i64 = 86_400;
/// 2026-01-01T00:00:00Z
const T0: i64 = 1_767_225_600;

fn at(s: i64) -> String {
    rfc3339(s)
}

fn rec(id: &str, action: &str, actor: &str, role: &str, when: i64, extra: Value) -> R {
    let mut f = json!({"action": action, "actor": actor, "role": role, "at": at(when), "parents": [],
        "evidence": EV, "risk": "high", "required_roles": ["domain", "validator"],
        "gates": {"policy": "sha256:pp", "deny": [], "warn": [], "error": null}});
    if let (Some(o), Some(e)) = (f.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    R {
        id: id.to_owned(),
        fields: f.as_object().cloned().unwrap(),
    }
}

fn lifetimes() -> Lifetimes {
    Lifetimes {
        valid: [(Risk::High, 10 * DAY)].into_iter().collect(),
        window: 2 * DAY,
    }
}

struct World {
    roles: Vec<String>,
    denies: Vec<String>,
    lifetimes: Lifetimes,
    evidence: &'static str,
}

impl World {
    fn new() -> World {
        World {
            roles: vec!["domain".into(), "validator".into()],
            denies: vec![],
            lifetimes: lifetimes(),
            evidence: EV,
        }
    }

    fn at(&self, rs: &[R], now: i64) -> Derived {
        let ctx = Context {
            evidence: Some(self.evidence),
            risk: Risk::High,
            required_roles: &self.roles,
            submitted_by_tag: None,
            run_authors: &[],
            gate_denies: &self.denies,
            gate_warns: &[],
            gate_error: None,
            automation_risks: &[],
            checklists: Checklists::none(),
            lifetimes: &self.lifetimes,
            now,
        };
        derive(&recs(rs), &ctx)
    }
}

fn submit(when: i64) -> R {
    rec("s", "submit", "owen", "owner", when, json!({}))
}
fn approve(id: &str, actor: &str, role: &str, when: i64) -> R {
    rec(id, "approve", actor, role, when, json!({}))
}
fn reopen(id: &str, trigger: &str, when: i64) -> R {
    rec(
        id,
        "reopen",
        "mona",
        "monitor",
        when,
        json!({"trigger": trigger, "reason": "psi 0.4 on amount"}),
    )
}

/// Submitted at T0, approved by both roles: the quorum completes at T0+2h.
fn approved() -> Vec<R> {
    vec![
        submit(T0),
        approve("a1", "val", "validator", T0 + 3600),
        approve("a2", "dom", "domain", T0 + 7200),
    ]
}
const Q: i64 = T0 + 7200;
const E: i64 = Q + 10 * DAY;

fn names(d: &Derived) -> Vec<&str> {
    d.triggers.iter().map(|t| t.trigger.as_str()).collect()
}

#[test]
fn an_approval_lasts_its_tiers_days_and_is_due_for_renewal_inside_the_window() {
    let w = World::new();
    let d = w.at(&approved(), Q + DAY);
    assert_eq!(d.state, ReviewState::Approved, "{:?}", d.findings);
    assert_eq!(
        d.decided_at.as_deref(),
        Some(at(Q).as_str()),
        "Q is the completing approval"
    );
    let l = d.lifetime.clone().unwrap();
    assert_eq!(l.expires_at, Some(at(E)));
    assert_eq!(l.renewal_from, Some(at(E - 2 * DAY)));
    assert!(!l.renewal_due);
    let due = w.at(&approved(), E - DAY);
    assert_eq!(due.state, ReviewState::Approved);
    assert!(due.lifetime.unwrap().renewal_due);
    let at_e = w.at(&approved(), E);
    assert_eq!(
        at_e.state,
        ReviewState::Approved,
        "at E exactly it still stands"
    );
    let past = w.at(&approved(), E + 1);
    assert_eq!(past.state, ReviewState::Revalidation);
    assert_eq!(names(&past), ["periodic"]);
    assert!(past.triggers[0].record.is_none());
}

#[test]
fn a_renewal_one_second_before_expiry_keeps_it_approved_one_second_after_does_not() {
    let w = World::new();
    let mut before = approved();
    before.push(approve("r1", "val", "validator", E - DAY));
    before.push(approve("r2", "dom", "domain", E - 1));
    for now in [E - 1, E, E + 1, E + 5 * DAY] {
        let d = w.at(&before, now);
        assert_eq!(d.state, ReviewState::Approved, "at {now}: {:?}", d.findings);
    }
    let d = w.at(&before, E + 1);
    assert_eq!(d.decided_at, Some(at(E - 1)));
    assert_eq!(d.lifetime.unwrap().expires_at, Some(at(E - 1 + 10 * DAY)));

    let mut after = approved();
    after.push(approve("r1", "val", "validator", E - DAY));
    after.push(approve("r2", "dom", "domain", E + 1));
    // Between the expiry and the renewal's completion: revalidation.
    let gap = w.at(&after[..after.len() - 1], E + 1);
    assert_eq!(gap.state, ReviewState::Revalidation);
    assert_eq!(names(&gap), ["periodic"]);
    // The expired version, renewed, leaves revalidation.
    let renewed = w.at(&after, E + 2);
    assert_eq!(
        renewed.state,
        ReviewState::Approved,
        "{:?}",
        renewed.findings
    );
    assert_eq!(renewed.decided_at, Some(at(E + 1)));
}

#[test]
fn approvals_before_the_window_do_not_renew() {
    let w = World::new();
    let mut early = approved();
    // Signed again, but before the renewal window opened: no renewal.
    early.push(approve("r1", "val", "validator", E - 3 * DAY));
    early.push(approve("r2", "dom", "domain", E - 3 * DAY));
    assert_eq!(w.at(&early, E + 1).state, ReviewState::Revalidation);
}

#[test]
fn approvals_before_a_reopen_never_count_again() {
    let w = World::new();
    let mut rs = approved();
    rs.push(reopen("o1", "drift", Q + DAY));
    let d = w.at(&rs, Q + 2 * DAY);
    assert_eq!(d.state, ReviewState::Revalidation);
    assert_eq!(names(&d), ["drift"]);
    let t = &d.triggers[0];
    assert_eq!(t.by.as_deref(), Some("mona"));
    assert_eq!(t.reason.as_deref(), Some("psi 0.4 on amount"));
    assert_eq!(t.record.as_deref(), Some("o1"));
    assert!(d.approvals.iter().all(|a| a.before_reopen));
    // One approver signing again is not enough; both are.
    rs.push(approve("b1", "val", "validator", Q + 3 * DAY));
    assert_eq!(w.at(&rs, Q + 4 * DAY).state, ReviewState::Revalidation);
    rs.push(approve("b2", "dom", "domain", Q + 3 * DAY + 60));
    let d = w.at(&rs, Q + 4 * DAY);
    assert_eq!(d.state, ReviewState::Approved, "{:?}", d.findings);
    assert!(d.triggers.is_empty());
    assert_eq!(
        d.decided_at,
        Some(at(Q + 3 * DAY + 60)),
        "a new lifetime starts"
    );
}

#[test]
fn a_reject_after_a_reopen_stands() {
    let w = World::new();
    let mut rs = approved();
    rs.push(reopen("o1", "incident", Q + DAY));
    rs.push(rec(
        "x1",
        "reject",
        "val",
        "validator",
        Q + 2 * DAY,
        json!({"reason": "drifted", "category": "data"}),
    ));
    assert_eq!(w.at(&rs, Q + 3 * DAY).state, ReviewState::Rejected);
}

#[test]
fn a_reopen_on_a_version_never_approved_keeps_it_pending_and_is_shown() {
    let w = World::new();
    let rs = vec![
        submit(T0),
        approve("a1", "val", "validator", T0 + 60),
        reopen("o1", "schema", T0 + 120),
    ];
    let d = w.at(&rs, T0 + 180);
    assert_eq!(d.state, ReviewState::Pending);
    assert_eq!(names(&d), ["schema"]);
}

#[test]
fn policy_evidence_and_roster_triggers_need_no_record() {
    let mut w = World::new();
    w.denies = vec!["drift: share 0.4 >= 0.2".into()];
    let d = w.at(&approved(), Q + 60);
    assert_eq!(d.state, ReviewState::Revalidation);
    assert_eq!(names(&d), ["policy"]);

    let mut w = World::new();
    w.evidence = "sha256:bbbb";
    let d = w.at(&approved(), Q + 60);
    assert_eq!(names(&d), ["evidence"]);

    let w = World::new();
    let mut rs = approved();
    rs[1].fields.insert("lapsed".into(), json!(true));
    let d = w.at(&rs, Q + 60);
    assert_eq!(d.state, ReviewState::Revalidation);
    assert_eq!(names(&d), ["roster"]);

    // A deny the approvals saw and an override waived is no new trigger.
    let mut w = World::new();
    w.denies = vec!["fairness: DI 0.7".into()];
    let mut rs = vec![submit(T0)];
    for (id, actor, role) in [("a1", "val", "validator"), ("a2", "dom", "domain")] {
        let mut a = approve(id, actor, role, T0 + 60);
        a.fields.insert(
            "gates".into(),
            json!({"policy": "sha256:pp", "deny": ["fairness: DI 0.7"], "warn": [], "error": null}),
        );
        rs.push(a);
    }
    rs.push(rec(
        "w1",
        "override",
        "cara",
        "compliance",
        T0 + 120,
        json!({"waives": ["fairness: DI 0.7"], "reason": "accepted"}),
    ));
    assert_eq!(w.at(&rs, T0 + 180).state, ReviewState::Approved);
    w.denies.push("drift: share 0.4 >= 0.2".into());
    let d = w.at(&rs, T0 + 180);
    assert_eq!(names(&d), ["policy"]);
}

#[test]
fn a_recorded_trigger_is_not_repeated_as_implicit() {
    let w = World::new();
    let mut rs = approved();
    rs.push(reopen("o1", "periodic", E + 60));
    let d = w.at(&rs, E + 120);
    assert_eq!(names(&d), ["periodic"]);
    assert_eq!(d.triggers[0].record.as_deref(), Some("o1"));
}

proptest! {
    /// Whatever the renewal's timing, the version is approved until E, in
    /// revalidation from E until a renewal completes, approved after it.
    #[test]
    fn renewal_timing(first in -(2 * DAY)..(3 * DAY), gap in 0i64..DAY, now in (E - DAY)..(E + 5 * DAY)) {
        let w = World::new();
        let r1 = E + first;
        let r2 = r1 + gap;
        let mut rs = approved();
        rs.push(approve("r1", "val", "validator", r1));
        rs.push(approve("r2", "dom", "domain", r2));
        let shown: Vec<R> = rs
            .into_iter()
            .filter(|r| secs(r.fields["at"].as_str().unwrap()).unwrap() <= now)
            .collect();
        let d = w.at(&shown, now);
        let renewed = r2 <= now;
        let want = if now <= E || (renewed && (r2 <= E || now >= r2)) {
            ReviewState::Approved
        } else {
            ReviewState::Revalidation
        };
        prop_assert_eq!(d.state, want, "r1 {} r2 {} now {}: {:?}", r1 - E, r2 - E, now - E, d.findings);
    }

    /// Approvals signed before the latest reopen never count, in any order
    /// of other approvals after it.
    #[test]
    fn a_reopen_cuts_every_earlier_approval(after in proptest::collection::vec(0usize..3, 0..4)) {
        let w = World::new();
        let mut rs = approved();
        rs.push(reopen("o1", "drift", Q + 60));
        let who = [("val", "validator"), ("dom", "domain"), ("dee", "domain")];
        for (i, k) in after.iter().enumerate() {
            let (actor, role) = who[*k];
            rs.push(approve(&format!("n{i}"), actor, role, Q + 120 + i as i64));
        }
        let d = w.at(&rs, Q + DAY);
        let val = after.contains(&0);
        let dom = after.contains(&1) || after.contains(&2);
        let want = if val && dom { ReviewState::Approved } else { ReviewState::Revalidation };
        prop_assert_eq!(d.state, want);
        prop_assert!(d.covered_roles.values().all(|a| rs.iter().any(|r| r.fields["actor"] == *a.as_str() && r.id.starts_with('n'))) || d.state != ReviewState::Approved);
    }
}
