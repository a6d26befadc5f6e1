use serde_json::{Value, json};

use super::compute::{durations, week};
use super::*;
use crate::review::state::ReviewState;
use crate::trust::checklist::Checklists;
use crate::trust::state::Context;

const EV: &str = "sha256:aaaa";
const H: i64 = 3_600_000;
/// 2026-11-30T00:00:00Z, a Monday (ISO week 2026-W49).
const T0: i64 = 1_795_996_800_000;

fn at(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn rec(id: &str, action: &str, actor: &str, role: &str, ms: i64, extra: Value) -> Checked {
    let mut f =
        json!({"action": action, "actor": actor, "role": role, "at": at(ms), "parents": []});
    if let (Some(m), Some(e)) = (f.as_object_mut(), extra.as_object()) {
        m.extend(e.clone());
    }
    Checked {
        id: id.into(),
        fields: f.as_object().cloned(),
        findings: Vec::new(),
        lapsed: None,
    }
}

fn gates(deny: &[&str]) -> Value {
    json!({"policy": "sha256:p", "deny": deny, "warn": [], "error": null})
}

fn derive(checked: &[Checked], roles: &[String]) -> Derived {
    let ctx = Context {
        evidence: Some(EV),
        risk: Risk::High,
        required_roles: roles,
        submitted_by_tag: None,
        run_authors: &[],
        gate_denies: &[],
        gate_warns: &[],
        gate_error: None,
        automation_risks: &[],
        checklists: Checklists::none(),
        lifetimes: &crate::trust::lifetime::NEVER,
        now: (T0 + 1000 * H) / 1000,
    };
    crate::trust::summary::derive(checked, &ctx)
}

fn facts<'a>(
    model: &'a str,
    checked: &'a [Checked],
    derived: Option<&'a Derived>,
) -> VersionFacts<'a> {
    VersionFacts {
        model,
        version: "1",
        risk: Risk::High,
        sla_hours: 48.0,
        submitted_ms: T0,
        checked,
        derived,
        open: None,
        evidence_stored: vec![EV.into()],
        checklist_missing: Vec::new(),
        production: None,
    }
}

fn approved(submit_ms: i64, approve_ms: [i64; 2]) -> Vec<Checked> {
    let ev = json!({"evidence": EV, "gates": gates(&[])});
    vec![
        rec("s", "submit", "owen", "owner", submit_ms, ev.clone()),
        rec(
            "a1",
            "approve",
            "vic",
            "validator",
            approve_ms[0],
            ev.clone(),
        ),
        rec("a2", "approve", "dom", "domain", approve_ms[1], ev),
    ]
}

fn roles() -> Vec<String> {
    vec!["domain".into(), "validator".into()]
}

#[test]
fn latency_runs_from_the_signed_submit_to_the_approval_that_completed_the_quorum() {
    let a = approved(T0, [T0 + 2 * H, T0 + 5 * H]);
    let b = approved(T0, [T0 + 30 * H, T0 + 10 * H]);
    let (da, db) = (derive(&a, &roles()), derive(&b, &roles()));
    assert_eq!(da.state, ReviewState::Approved);
    let f = [facts("a", &a, Some(&da)), facts("b", &b, Some(&db))];
    let s = compute(&f, &DeployFacts::default(), Period::default(), T0 + 100 * H);
    assert_eq!(s.latency.overall.count, 2);
    assert_eq!(s.latency.overall.p50_seconds, Some(5 * 3600));
    assert_eq!(s.latency.overall.max_seconds, Some(30 * 3600));
    assert_eq!(s.latency.by_risk[&Risk::High].count, 2);
    assert_eq!(s.latency.by_week["2026-W49"].count, 2);
    assert_eq!(s.throughput["2026-W49"].approvals, 2);
    assert_eq!(s.approved_versions, 2);
    assert_eq!(s.audit.complete, Rate::new(2, 2));
    // b was decided after its 48 h deadline? No: 30 h. Both on time.
    assert_eq!(s.sla.on_time, Rate::new(2, 2));
    // A period that ends before b's quorum leaves b out of latency.
    let p = Period::new(None, Some(&at(T0 + 20 * H)), T0).unwrap();
    let s = compute(&f, &DeployFacts::default(), p, T0 + 100 * H);
    assert_eq!(s.latency.overall.count, 1);
    assert_eq!(s.latency.overall.p50_seconds, Some(5 * 3600));
}

#[test]
fn a_late_decision_misses_its_sla_and_an_invalid_record_counts_for_nothing_but_is_counted() {
    let mut a = approved(T0, [T0 + H, T0 + 60 * H]);
    let mut forged = rec("x", "reject", "eve", "validator", T0 + 2 * H, json!({}));
    forged.findings.push("the signature does not verify".into());
    a.push(forged);
    let d = derive(&a, &roles());
    let f = [facts("a", &a, Some(&d))];
    let s = compute(&f, &DeployFacts::default(), Period::default(), T0 + 100 * H);
    assert_eq!(s.sla.on_time, Rate::new(0, 1));
    assert_eq!((s.records, s.invalid_records), (3, 1));
    assert!(
        s.decisions.by_category.is_empty(),
        "the forged reject is left out"
    );
    assert_eq!(s.audit.complete, Rate::new(0, 1));
    assert_eq!(s.audit.incomplete[0].missing, ["1 invalid record(s)"]);
}

#[test]
fn gate_outcomes_categories_rollbacks_and_reopens_are_counted_from_records() {
    let c = vec![
        rec(
            "s1",
            "submit",
            "o",
            "owner",
            T0,
            json!({"gates": gates(&["no card"])}),
        ),
        rec(
            "s2",
            "submit",
            "o",
            "owner",
            T0 + H,
            json!({"gates": {"policy": "p", "deny": [], "warn": [], "error": "boom"}}),
        ),
        rec(
            "s3",
            "submit",
            "o",
            "owner",
            T0 + 2 * H,
            json!({"gates": gates(&[])}),
        ),
        rec(
            "r1",
            "reject",
            "v",
            "validator",
            T0 + 3 * H,
            json!({"category": "fairness"}),
        ),
        rec(
            "r2",
            "request_changes",
            "v",
            "validator",
            T0 + 3 * H,
            json!({}),
        ),
        rec("p1", "promote", "o", "owner", T0 + 4 * H, json!({})),
        rec(
            "b1",
            "rollback",
            "s",
            "sre",
            T0 + 5 * H,
            json!({"break_glass": true}),
        ),
        rec(
            "k1",
            "ratify",
            "t",
            "sre",
            T0 + 9 * H,
            json!({"ratifies": "b1"}),
        ),
        rec(
            "o1",
            "reopen",
            "m",
            "monitor",
            T0 + 6 * H,
            json!({"trigger": "drift"}),
        ),
    ];
    let f = [facts("m", &c, None)];
    let deploy = DeployFacts {
        unratified: 1,
        overdue: 1,
        unexplained: vec!["m".into()],
    };
    let s = compute(&f, &deploy, Period::default(), T0 + 100 * H);
    assert_eq!(s.gates.pass, Rate::new(1, 3));
    assert_eq!(s.gates.results[&Risk::High]["deny"], 1);
    assert_eq!(s.gates.results[&Risk::High]["error"], 1);
    assert_eq!(s.decisions.by_category["fairness"], 1);
    assert_eq!(
        s.decisions.by_category[crate::trust::category::UNCATEGORIZED],
        1
    );
    assert_eq!(s.decisions.by_action["reject"]["fairness"], 1);
    assert_eq!(s.decisions.by_action["reopen"]["none"], 1);
    assert_eq!(s.throughput["2026-W49"].rejections, 1);
    let r = &s.rollbacks;
    assert_eq!((r.promotes, r.rollbacks, r.break_glass), (1, 1, 1));
    assert_eq!(r.rate, Rate::new(1, 2));
    assert_eq!(r.median_ratify_seconds, Some(4 * 3600));
    assert_eq!((r.unratified, r.overdue), (1, 1));
    assert_eq!(s.revalidation.reopens_by_trigger["drift"], 1);
    assert_eq!(s.unexplained_aliases, ["m"]);
    assert_eq!(s.load.decisions_by_actor["v"], 2);
    // A period after every record counts none of them.
    let p = Period::new(Some(&at(T0 + 50 * H)), None, T0 + 100 * H).unwrap();
    let s = compute(&f, &deploy, p, T0 + 100 * H);
    assert_eq!(s.gates.pass, Rate::new(0, 0));
    assert!(s.decisions.by_action.is_empty());
}

#[test]
fn open_entries_coverage_and_load() {
    let none: Vec<Checked> = Vec::new();
    let mut a = facts("a", &none, None);
    a.open = Some(OpenEntry {
        kind: Kind::Review,
        sla: SlaState::Breached,
        deadline_ms: Some(T0),
        roles: roles(),
    });
    a.production = Some(Production {
        explainability: true,
        model_card: true,
        ..Production::default()
    });
    let mut b = facts("b", &none, None);
    b.open = Some(OpenEntry {
        kind: Kind::Renewal,
        sla: SlaState::AtRisk,
        deadline_ms: Some(T0 + H),
        roles: vec!["validator".into()],
    });
    b.production = Some(Production {
        explainability: true,
        fairness: true,
        model_card: true,
        security_scan_clean: true,
        expired: true,
    });
    let s = compute(&[a, b], &DeployFacts::default(), Period::default(), T0);
    assert_eq!((s.sla.breached, s.sla.at_risk), (1, 1));
    assert_eq!(s.sla.next_deadline.as_deref(), Some("2026-11-30T00:00:00Z"));
    assert_eq!(s.revalidation.renewals_due, 1);
    assert_eq!(s.revalidation.expired_in_production, 1);
    assert_eq!(s.coverage.production, 2);
    assert_eq!(s.coverage.explainability, Rate::new(2, 2));
    assert_eq!(s.coverage.fairness, Rate::new(1, 2));
    assert_eq!(s.coverage.security_scan_clean, Rate::new(1, 2));
    assert_eq!(s.load.open_by_role["validator"], 2);
    assert_eq!(s.load.open_by_role["domain"], 1);
    let text = exposition::render(&s);
    assert!(
        text.contains("modelgate_open_reviews{kind=\"review\",risk=\"high\",sla=\"breached\"} 1\n")
    );
    assert!(text.contains("modelgate_coverage_ratio{report=\"fairness\"} 0.5\n"));
    assert!(text.contains("modelgate_production_expired 1\n"));
}

#[test]
fn percentiles_are_nearest_rank_and_weeks_are_iso() {
    let d = durations(&[5, 1, 4, 2, 3, 10, 9, 8, 7, 6]);
    assert_eq!(
        (d.count, d.p50_seconds, d.p90_seconds, d.max_seconds),
        (10, Some(5), Some(9), Some(10))
    );
    assert_eq!(durations(&[]).p50_seconds, None);
    assert_eq!(durations(&[7]).p90_seconds, Some(7));
    // 2027-01-01 is a Friday of ISO week 2026-W53.
    assert_eq!(week(1_798_761_600_000), "2026-W53");
    assert_eq!(week(T0), "2026-W49");
}

#[test]
fn periods_read_times_dates_and_ages_and_refuse_the_rest() {
    let now = T0;
    assert_eq!(parse_instant("2026-11-30T00:00:00Z", now), Ok(T0));
    assert_eq!(parse_instant("2026-11-30", now), Ok(T0));
    assert_eq!(parse_instant("2d", now), Ok(T0 - 48 * H));
    assert_eq!(parse_instant("1w", now), Ok(T0 - 168 * H));
    for bad in ["yesterday", "-3d", "3x", "", "99999999999999999w"] {
        let e = parse_instant(bad, now).unwrap_err();
        assert!(e.contains("RFC 3339"), "{bad}: {e}");
    }
    let e = Period::new(Some("1d"), Some("2d"), now).unwrap_err();
    assert!(e.contains("not before --until"), "{e}");
    let e = Period::new(Some("soon"), None, now).unwrap_err();
    assert!(e.starts_with("--since \"soon\""), "{e}");
    let p = Period::new(Some("2026-11-30"), Some("2026-12-01"), now).unwrap();
    assert!(p.contains(T0) && !p.contains(T0 + 24 * H) && !p.contains(T0 - 1));
}

#[test]
fn the_exposition_escapes_label_values_and_says_when_the_exporter_is_down() {
    let s = Stats {
        unexplained_aliases: vec!["we\"ird\\model\nname".into()],
        ..Stats::default()
    };
    let text = exposition::render(&s);
    assert!(
        text.contains(r#"modelgate_unexplained_aliases{model="we\"ird\\model\nname"} 1"#),
        "{text}"
    );
    let down = exposition::status(false, None, None);
    assert!(down.contains("modelgate_up 0\n"));
    assert!(!down.contains("modelgate_last_refresh_timestamp_seconds"));
    // Every sample line belongs to a family declared above it.
    let mut declared = std::collections::HashSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            declared.insert(rest.split(' ').next().unwrap_or("").to_owned());
        } else if !line.starts_with('#') {
            let name = line.split(['{', ' ']).next().unwrap_or("");
            let base = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| name.strip_suffix(s).filter(|b| declared.contains(*b)))
                .unwrap_or(name);
            assert!(declared.contains(base), "{line}");
        }
    }
}
