//! Continuous approval through the real binary on both registries
//! (PROTOCOL 9.5, 11, 15): a reopen sends an approved version to
//! revalidation, `check`, `show` and the queue say why, a new approval
//! brings it back, and every bad reopen is refused with nothing written.

use serde_json::Value;

use crate::on_both;
use crate::signing::{Demo, approved_demo};

on_both!(
    a_reopen_sends_an_approved_version_to_revalidation_until_it_is_approved_again,
    bad_reopens_are_refused_and_write_nothing,
    a_reopen_on_a_version_never_approved_keeps_it_pending,
);

const MONITOR: &str = "drift.monitor";

fn reopen(m: &str, v: &str, trigger: &str) -> Vec<String> {
    [
        "reopen",
        m,
        v,
        "--trigger",
        trigger,
        "--reason",
        "psi 0.31 on basket_size since Monday",
    ]
    .map(str::to_owned)
    .to_vec()
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn queue_item(d: &Demo, m: &str, v: &str) -> Option<Value> {
    let q = d.json(None, &["queue"]);
    q.as_array()
        .unwrap()
        .iter()
        .find(|i| i["model"] == m && i["version"] == v)
        .cloned()
}

fn a_reopen_sends_an_approved_version_to_revalidation_until_it_is_approved_again(
    b: crate::signing::Backend,
) {
    let (d, m) = approved_demo(b);
    let r = reopen(&m, "7", "drift");
    let out = d.json(Some(MONITOR), &args(&r));
    assert_eq!(out["state"], "revalidation", "{out}");
    assert_eq!(out["written"], true, "{out}");

    // A retry writes nothing.
    let before = d.everything();
    let again = d.json(Some(MONITOR), &args(&r));
    assert_eq!(again["written"], false, "{again}");
    assert_eq!(again["id"], out["id"]);
    assert_eq!(d.everything(), before);

    let shown = d.show(&m, "7");
    assert_eq!(shown["state"], "revalidation");
    let reval = &shown["revalidation"];
    let t = &reval["triggers"][0];
    assert_eq!(t["trigger"], "drift", "{reval}");
    assert_eq!(t["by"], "drift.monitor@demo.modelgate");
    assert_eq!(t["reason"], "psi 0.31 on basket_size since Monday");
    assert_eq!(t["record"], out["id"]);
    assert_eq!(t["report"], Value::Null);
    assert!(reval["approved_at"].is_string(), "{reval}");
    // Low risk never expires by default.
    assert_eq!(reval["expires_at"], Value::Null);
    assert_eq!(reval["renewal_from"], Value::Null);

    // check: exit 1, naming the trigger, in text and JSON.
    let (code, j) = d.code_json(None, &["check", &m, "7", "--json"]);
    assert_eq!(code, 1, "{j}");
    assert_eq!(j["state"], "revalidation");
    assert_eq!(j["triggers"][0]["trigger"], "drift");
    let text = d.cmd(None).args(["check", &m, "7"]).output().unwrap();
    assert_eq!(text.status.code(), Some(1));
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("revalidation: must not ship"), "{text}");
    assert!(
        text.contains("in revalidation: drift (reopened by drift.monitor@demo.modelgate"),
        "{text}"
    );

    // The queue lists it as a revalidation, with its trigger and a deadline
    // from the reopen (PROTOCOL 10).
    let item = queue_item(&d, &m, "7").expect("the revalidation is in the queue");
    assert_eq!(item["kind"], "revalidation", "{item}");
    assert_eq!(item["triggers"], serde_json::json!(["drift"]));
    assert!(item["deadline"].is_string(), "{item}");
    assert_ne!(item["sla_state"], "stopped");

    // The approval before the reopen does not count; a new one does.
    assert!(
        shown["state_reasons"]
            .to_string()
            .contains("signed before the version was reopened"),
        "{shown}"
    );
    d.stdout(Some("ben.validator"), &["approve", &m, "7"]);
    assert_eq!(d.check(&m, "7"), 0);
    assert_eq!(d.show(&m, "7")["state"], "approved");
    assert!(
        queue_item(&d, &m, "7").is_none(),
        "approved again: off the queue"
    );
}

fn bad_reopens_are_refused_and_write_nothing(b: crate::signing::Backend) {
    let (d, m) = approved_demo(b);
    let before = d.everything();
    let r = reopen(&m, "7", "drift");
    let err = d.refusal("ana.owner", &args(&r));
    assert!(
        err.contains("reopen must be signed as monitor or validator or domain or compliance or sre, not owner")
            || err.contains("needs the role monitor or validator"),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    let err = d.refusal("ci.automation", &args(&r));
    assert!(err.contains("reopen"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");

    let mut unknown = reopen(&m, "7", "vibes");
    let out = d.cmd(Some(MONITOR)).args(args(&unknown)).output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"vibes\" is not a trigger; use one of drift,"),
        "{err}"
    );

    // A report over the cap is refused before anything is signed.
    let big = d.home.join("big.json");
    std::fs::write(&big, vec![b' '; 16 * 1024 * 1024 + 1]).unwrap();
    unknown = reopen(&m, "7", "drift");
    unknown.extend(["--report".into(), big.display().to_string()]);
    let out = d.cmd(Some(MONITOR)).args(args(&unknown)).output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is over 16 MiB"), "{err}");

    // No key for the identity: nothing signed.
    let out = d
        .cmd(None)
        .args(["--identity", "drift.monitor@demo.modelgate", "--key-file"])
        .arg(d.home.join("no-such-key"))
        .args(args(&r))
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(d.everything(), before, "no refusal may write");
    assert_eq!(d.check(&m, "7"), 0);
}

fn a_reopen_on_a_version_never_approved_keeps_it_pending(b: crate::signing::Backend) {
    let (d, m) = approved_demo(b);
    d.stdout(Some("ana.owner"), &["submit", &m, "6"]);
    let mut r = reopen(&m, "6", "incident");
    let report = d.home.join("incident.txt");
    std::fs::write(&report, "INC-4411: wrong prices shown to 3% of users\n").unwrap();
    r.extend(["--report".into(), report.display().to_string()]);
    let out = d.json(Some("ben.validator"), &args(&r));
    assert_eq!(out["state"], "pending", "{out}");
    let shown = d.show(&m, "6");
    assert_eq!(shown["state"], "pending");
    let t = &shown["revalidation"]["triggers"][0];
    assert_eq!(t["trigger"], "incident", "{shown}");
    let digest = t["report"]["digest"].as_str().unwrap();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );
    assert_eq!(t["report"]["summary"]["file"], "incident.txt");
    let item = queue_item(&d, &m, "6").unwrap();
    assert_eq!(item["kind"], "review");
}
