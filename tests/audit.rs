//! Audit through the real binary: listing, verify exit codes against tampering
//! and deletion, and the ssh-keygen export checked by the real ssh-keygen.

mod signing;

use serde_json::Value;
use signing::{Demo, demo};

impl Demo {
    fn decide(&self, who: &str, args: &[&str]) {
        self.stdout(Some(who), args);
    }

    fn verify(&self) -> (i32, Value) {
        let out = self
            .cmd(None)
            .args(["audit", "verify", "--json"])
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code().unwrap(), v)
    }
}

fn messages(v: &Value) -> String {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}", f["severity"], f["message"]))
        .collect::<Vec<_>>()
        .join("\n")
}

fn approved_demo() -> Demo {
    let d = demo();
    d.decide("ana.owner", &["submit", "product-recommender", "7"]);
    d.decide("ben.validator", &["approve", "product-recommender", "7"]);
    d
}

#[test]
fn audit_lists_records_with_validity() {
    let d = approved_demo();
    let out = d.cmd(None).args(["audit", "--json"]).output().unwrap();
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    for r in list {
        for k in [
            "id", "model", "version", "action", "actor", "role", "at", "valid", "findings",
            "record",
        ] {
            assert!(r.get(k).is_some(), "{k} missing: {r}");
        }
        assert_eq!(r["valid"], true);
        assert_eq!(r["id"].as_str().unwrap().len(), 64);
    }
    let out = d
        .cmd(None)
        .args(["audit", "--action", "approve", "--json"])
        .output()
        .unwrap();
    let only: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(only.as_array().unwrap().len(), 1);
    let csv = d
        .cmd(None)
        .args(["audit", "export", "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&csv.stdout).lines().count(),
        3,
        "header and two rows"
    );
}

#[test]
fn verify_reports_policy_findings_with_exit_1() {
    let d = approved_demo();
    let (code, v) = d.verify();
    // The demo's other pending reviews were submitted by tag only.
    assert_eq!(code, 1, "{}", messages(&v));
    assert!(messages(&v).contains("unsigned submission"));
    assert!(
        !v["legacy"].as_array().unwrap().is_empty(),
        "versions approved before modelgate are listed"
    );
    assert!(v["note"].as_str().unwrap().contains("checkpoint"));
}

#[test]
fn a_tampered_record_is_an_integrity_failure() {
    let d = approved_demo();
    // Whitespace only: the value is no longer canonical.
    let n = d.sql("UPDATE version_tags SET value = replace(value, '\"action\":\"approve\"', '\"action\": \"approve\"') WHERE key LIKE 'modelgate.record.%'");
    assert_eq!(n, 2);
    let (code, v) = d.verify();
    assert_eq!(code, 2, "{}", messages(&v));
    assert!(messages(&v).contains("canonical"), "{}", messages(&v));
    // The approval no longer counts anywhere.
    let out = d
        .cmd(None)
        .args(["show", "product-recommender", "7", "--json"])
        .output()
        .unwrap();
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["state"], "pending");
}

#[test]
fn a_deleted_newest_record_is_caught_by_the_checkpoint() {
    let d = approved_demo();
    // A read (verify, show) records every id in the local checkpoint.
    let (first, _) = d.verify();
    assert_eq!(first, 1);
    let n = d.sql(
        "DELETE FROM version_tags WHERE key IN (SELECT key FROM version_tags WHERE key LIKE 'modelgate.record.%' \
         AND value LIKE '%\"action\":\"approve\"%')",
    );
    assert_eq!(n, 1);
    let (code, v) = d.verify();
    assert_eq!(code, 2, "{}", messages(&v));
    assert!(
        messages(&v).contains("gone from the registry"),
        "{}",
        messages(&v)
    );
    // A fresh client (no checkpoint) cannot tell, and says so.
    let fresh = d
        .cmd(None)
        .env("XDG_STATE_HOME", d.home.join("other-state"))
        .args(["audit", "verify", "--json"])
        .output()
        .unwrap();
    assert_eq!(fresh.status.code(), Some(1));
}

#[test]
fn ssh_keygen_export_verifies_with_openssh_only() {
    let d = approved_demo();
    // A hostile record tag key, written behind modelgate's back.
    d.sql(
        "INSERT INTO version_tags (version_id, key, value) SELECT version_id, 'modelgate.record.../../$(touch pwned)', '{}' \
         FROM version_tags LIMIT 1",
    );
    let out_dir = d.home.join("export");
    let out = d
        .cmd(None)
        .args(["audit", "export", "--ssh-keygen"])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = std::process::Command::new(out_dir.join("verify.sh"))
        .current_dir(&d.home)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(text.matches("ok   ").count(), 2, "{text}");
    assert!(!d.home.join("pwned").exists() && !out_dir.join("pwned").exists());
    let names: Vec<String> = std::fs::read_dir(out_dir.join("records"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| n
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == '.' || c.is_ascii_lowercase())),
        "{names:?}"
    );
    // Tampering with an exported record fails the script.
    let rec = out_dir
        .join("records")
        .join(names.iter().find(|n| n.ends_with(".json")).unwrap());
    let mut bytes = std::fs::read(&rec).unwrap();
    bytes.push(b' ');
    std::fs::write(&rec, bytes).unwrap();
    let run = std::process::Command::new(out_dir.join("verify.sh"))
        .output()
        .unwrap();
    assert!(!run.status.success());
}

#[test]
fn a_signed_checkpoint_catches_a_deleted_record_without_any_local_state() {
    let d = approved_demo();
    d.decide("eli.compliance", &["audit", "checkpoint"]);
    let n = d.sql(
        "DELETE FROM version_tags WHERE key IN (SELECT key FROM version_tags WHERE key LIKE 'modelgate.record.%' \
         AND value LIKE '%\"action\":\"submit\"%')",
    );
    assert_eq!(n, 1);
    let out = d
        .cmd(None)
        .env("XDG_STATE_HOME", d.home.join("fresh"))
        .args(["audit", "verify", "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", messages(&v));
    assert!(
        messages(&v).contains("checkpoint covered 2"),
        "{}",
        messages(&v)
    );
}
