//! Deployments through the real binary on a demo registry (PROTOCOL 11):
//! promote, rollback, ratify, `check` exit codes, and what audit verify flags.

mod signing;

use serde_json::Value;
use signing::{Demo, demo};

const M: &str = "product-recommender";

impl Demo {
    fn ok(&self, who: &str, args: &[&str]) -> String {
        self.stdout(Some(who), args)
    }

    fn refused(&self, who: &str, args: &[&str]) -> String {
        self.refusal(who, args)
    }

    fn check(&self, version: &str) -> i32 {
        self.cmd(None)
            .args(["check", M, version])
            .output()
            .unwrap()
            .status
            .code()
            .unwrap()
    }

    fn champion(&self) -> String {
        let c = rusqlite::Connection::open(&self.db).unwrap();
        c.query_row(
            "SELECT v.version FROM aliases a JOIN model_versions v ON v.version_id = a.version_id \
             JOIN registered_models m ON m.model_id = a.model_id WHERE m.name = ?1 AND a.alias = 'champion'",
            [M],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
        .to_string()
    }

    fn verify(&self) -> String {
        let out = self
            .cmd(None)
            .args(["audit", "verify", "--json"])
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {} {}", f["version"], f["severity"], f["message"]))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Registers version 8 of the model, submits and approves it.
    fn approved_v8(&self) {
        let metrics = self.home.join("m.json");
        std::fs::write(&metrics, r#"{"ndcg_at_10": 0.5, "latency_p95_ms": 20}"#).unwrap();
        let out = self
            .cmd(None)
            .args(["register", M, "--run-metrics"])
            .arg(&metrics)
            .args(["--tag", "modelgate.review=pending"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.ok("ana.owner", &["submit", M, "8"]);
        self.ok("ben.validator", &["approve", M, "8"]);
    }
}

#[test]
fn promote_rollback_ratify_and_check() {
    let d = demo();
    // check: pending is 1; approved is 0.
    assert_eq!(d.check("7"), 1);
    d.ok("ana.owner", &["submit", M, "7"]);
    d.ok("ben.validator", &["approve", M, "7"]);
    assert_eq!(d.check("7"), 0);
    // Promote needs an approved version and the owner or sre role.
    assert!(
        d.refused("ana.owner", &["promote", M, "6"])
            .contains("not approved")
    );
    assert!(
        d.refused("ben.validator", &["promote", M, "7"])
            .contains("owner or sre")
    );
    d.ok("ana.owner", &["promote", M, "7"]);
    assert_eq!(d.champion(), "7");
    d.approved_v8();
    d.ok("fay.sre", &["promote", M, "8"]);
    assert_eq!(d.champion(), "8");

    // Rollback: --confirm, the sre role, an earlier approved target.
    let roll = |who: &str, to: &str, extra: &[&str]| {
        let mut args = vec![
            "rollback",
            M,
            "--to",
            to,
            "--reason",
            "p99 latency alarm",
            "--incident",
            "INC-42",
        ];
        args.extend_from_slice(extra);
        (
            who.to_owned(),
            args.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
    };
    let run_refused = |(who, args): (String, Vec<String>)| {
        d.refused(&who, &args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    assert!(run_refused(roll("fay.sre", "7", &[])).contains("--confirm"));
    assert!(run_refused(roll("ben.validator", "7", &["--confirm", M])).contains("sre"));
    assert!(
        run_refused(roll("fay.sre", "5", &["--confirm", M])).contains("--break-glass"),
        "legacy 5 is not approved"
    );
    assert!(
        run_refused(roll("fay.sre", "5", &["--confirm", M, "--break-glass"])).contains("never did"),
        "5 never held it by a record"
    );
    let dry = d.ok(
        "fay.sre",
        &[
            "rollback",
            M,
            "--to",
            "7",
            "--reason",
            "r",
            "--incident",
            "I",
            "--dry-run",
        ],
    );
    assert!(dry.contains("dry run") && d.champion() == "8", "{dry}");
    let out = d.ok(
        "fay.sre",
        &[
            "rollback",
            M,
            "--to",
            "7",
            "--reason",
            "p99 latency alarm",
            "--incident",
            "INC-42",
            "--confirm",
            M,
        ],
    );
    assert_eq!(d.champion(), "7", "{out}");
    assert!(
        d.verify().contains("waiting for ratification"),
        "{}",
        d.verify()
    );

    // Ratify: a second person only.
    let list = d
        .cmd(None)
        .args(["audit", "--action", "rollback", "--json"])
        .output()
        .unwrap();
    let list: Value = serde_json::from_slice(&list.stdout).unwrap();
    let id = list[0]["id"].as_str().unwrap().to_owned();
    assert!(
        d.refused("fay.sre", &["ratify", M, "--record", &id])
            .contains("second person")
    );
    d.ok("gus.sre", &["ratify", M, "--record", &id]);
    assert!(!d.verify().contains("waiting for ratification"));
}

#[test]
fn an_alias_moved_by_hand_is_reported_and_a_tampered_approval_cannot_ship() {
    let d = demo();
    d.ok("ana.owner", &["submit", M, "7"]);
    d.ok("ben.validator", &["approve", M, "7"]);
    d.ok("ana.owner", &["promote", M, "7"]);
    assert!(
        !d.verify().contains("\"7\" \"policy\" \"holds champion"),
        "{}",
        d.verify()
    );
    // Someone moves the alias straight in the registry.
    let c = rusqlite::Connection::open(&d.db).unwrap();
    c.execute(
        "UPDATE aliases SET version_id = (SELECT version_id FROM model_versions v JOIN registered_models m ON m.model_id = v.model_id \
         WHERE m.name = ?1 AND v.version = 6) WHERE alias = 'champion' AND model_id = (SELECT model_id FROM registered_models WHERE name = ?1)",
        [M],
    )
    .unwrap();
    let v = d.verify();
    assert!(
        v.contains("no valid promote or rollback record explains it"),
        "{v}"
    );
    assert!(
        v.contains("\"6\" \"policy\" \"holds a production alias but is pending"),
        "{v}"
    );
    // A tampered approval: check cannot tell (exit 2), never 0.
    c.execute("UPDATE version_tags SET value = replace(value, '\"role\":\"validator\"', '\"role\":\"domain\"') WHERE key LIKE 'modelgate.record.%' AND value LIKE '%\"action\":\"approve\"%'", []).unwrap();
    assert_eq!(d.check("7"), 2);
    // A rejected version is 1.
    d.ok("ana.owner", &["submit", M, "6"]);
    d.ok(
        "ben.validator",
        &["reject", M, "6", "--reason", "HIGH modelscan finding"],
    );
    assert_eq!(d.check("6"), 1);
}
