//! Many processes of the real binary deciding on one version at once, on the
//! embedded registry and the real MLflow server. After every round the review
//! tag equals the derived state, no decision is lost (each process either
//! wrote its record or was refused with nothing written), and the same person
//! approving twice at once counts once.

use std::process::{Child, Output};

use serde_json::Value;

use crate::on_both;
use crate::signing::{Backend, Demo, demo};

const M: &str = "product-recommender";
const ROUNDS: usize = 20;

impl Demo {
    /// The binary with every directory it could read or write under this
    /// test's home, signing as `who`.
    fn hermetic(&self, who: Option<&str>) -> std::process::Command {
        self.std_cmd(who)
    }

    fn spawn(&self, who: &str, args: &[&str]) -> Child {
        self.hermetic(Some(who))
            .args(args)
            .arg("--json")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn tag(&self, m: &str, v: &str) -> Option<String> {
        self.everything().into_iter().find_map(|t| {
            t.strip_prefix(&format!("{m} {v} modelgate.review="))
                .map(str::to_owned)
        })
    }

    fn fresh_version(&self, m: &str) -> String {
        self.new_version(m, &[("ndcg_at_10", 0.5), ("latency_p95_ms", 20.0)])
    }
}

/// What one process did: its record id when it succeeded, or its refusal.
#[derive(Debug)]
enum Did {
    Recorded {
        id: String,
        state: String,
        json: Value,
    },
    Refused(#[allow(dead_code)] String),
    Failed(String),
}

fn did(out: Output) -> Did {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    match out.status.code() {
        Some(0) => {
            let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
                panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout))
            });
            Did::Recorded {
                id: json["id"].as_str().unwrap_or_default().to_owned(),
                state: json["state"].as_str().unwrap_or_default().to_owned(),
                json,
            }
        }
        Some(1) if stderr.contains("nothing was written") => Did::Refused(stderr),
        _ => Did::Failed(format!("exit {:?}: {stderr}", out.status.code())),
    }
}

fn record_ids(show: &Value) -> Vec<String> {
    show["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

on_both!(
    approve_and_reject_at_once,
    the_same_person_approving_twice_at_once
);

/// An approve and a reject started at the same moment, `ROUNDS` times, each
/// on a fresh pending version with no evidence tag yet (both create it).
fn approve_and_reject_at_once(b: Backend) {
    let d = demo(b);
    let m = &d.m(M);
    let mut problems = Vec::new();
    let mut both_landed = 0;
    for round in 0..ROUNDS {
        let v = d.fresh_version(m);
        let approve = d.spawn("ben.validator", &["approve", m, &v]);
        let reject = d.spawn(
            "chloe.validator",
            &[
                "reject",
                m,
                &v,
                "--reason",
                "latency regression",
                "--category",
                "performance",
            ],
        );
        let (a, r) = (
            did(approve.wait_with_output().unwrap()),
            did(reject.wait_with_output().unwrap()),
        );
        let show = d.show(m, &v);
        let state = show["state"].as_str().unwrap().to_owned();
        let tag = d.tag(m, &v);
        let ids = record_ids(&show);
        if tag.as_deref() != Some(state.as_str()) {
            problems.push(format!("round {round}: tag {tag:?} but derived {state}"));
        }
        for (who, x) in [("approve", &a), ("reject", &r)] {
            match x {
                Did::Recorded { id, .. } if !ids.contains(id) => problems.push(format!(
                    "round {round}: {who} said {id} but it is not there"
                )),
                Did::Failed(e) => problems.push(format!("round {round}: {who} lost: {e}")),
                _ => {}
            }
        }
        if matches!((&a, &r), (Did::Recorded { .. }, Did::Recorded { .. })) {
            both_landed += 1;
            if state != "rejected" {
                problems.push(format!(
                    "round {round}: both landed but the state is {state}"
                ));
            }
        }
        // Whoever finished last read every record: its answer is the final state.
        if let (Did::Recorded { state: said, .. }, Did::Refused(_))
        | (Did::Refused(_), Did::Recorded { state: said, .. }) = (&a, &r)
            && said != &state
        {
            problems.push(format!("round {round}: told {said}, derived {state}"));
        }
    }
    eprintln!(
        "{b:?}: {ROUNDS} rounds, both decisions landed in {both_landed}, {} inconsistencies",
        problems.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// One person approving twice at the same moment: one counted approval, a
/// truthful answer to both processes, and a third approve writes nothing.
fn the_same_person_approving_twice_at_once(b: Backend) {
    let d = demo(b);
    let m = &d.m(M);
    let mut problems = Vec::new();
    let mut twins = 0;
    for round in 0..ROUNDS / 2 {
        let v = d.fresh_version(m);
        let first = d.spawn("ben.validator", &["approve", m, &v]);
        let second = d.spawn("ben.validator", &["approve", m, &v]);
        let outs = [
            did(first.wait_with_output().unwrap()),
            did(second.wait_with_output().unwrap()),
        ];
        let show = d.show(m, &v);
        let state = show["state"].as_str().unwrap();
        if state != "approved" || d.tag(m, &v).as_deref() != Some("approved") {
            problems.push(format!(
                "round {round}: state {state}, tag {:?}",
                d.tag(m, &v)
            ));
        }
        let approves = d
            .records(m, &v)
            .iter()
            .filter(|(_, val)| val.contains("\"action\":\"approve\""))
            .count();
        let counted = show["approvals"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["actor"] == "ben.validator@demo.modelgate")
            .count();
        if approves > 1 {
            twins += 1;
            // Both landed within one request of each other: the process
            // that wrote second read the first one's record, and says so.
            let told = outs.iter().any(|o| match o {
                Did::Recorded { json, .. } => json["also_recorded"]
                    .as_array()
                    .is_some_and(|a| !a.is_empty()),
                _ => false,
            });
            if !told {
                problems.push(format!(
                    "round {round}: two records, neither reported: {outs:?}"
                ));
            }
        }
        if counted != 1 || approves == 0 || approves > 2 {
            problems.push(format!(
                "round {round}: {approves} records, {counted} shown"
            ));
        }
        for o in &outs {
            if !matches!(o, Did::Recorded { .. }) {
                problems.push(format!("round {round}: {o:?}"));
            }
        }
        let before = d.everything();
        let again = d.json(Some("ben.validator"), &["approve", m, &v]);
        assert_eq!(again["written"], false, "{again}");
        assert_eq!(d.everything(), before, "a third approve writes nothing");
    }
    eprintln!(
        "{b:?}: {} rounds, two approve records in {twins}, {} inconsistencies",
        ROUNDS / 2,
        problems.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
