//! Audit integrity (PROTOCOL 12), the pure part: checking every record of a
//! version, in parallel, and naming what is wrong with the record set.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;

use super::checkpoint::Checkpoint;
use super::record::{self, Action, Checked, Location, TAG_PREFIX};
use super::roster::Roster;
use crate::registry::Tags;

/// How bad a finding is; the exit code of `audit verify` is the worst one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Listed, does not change the exit code (legacy versions).
    Info,
    /// Exit 1: a rule of the review process is not met.
    Policy,
    /// Exit 2: the record set itself is damaged or forged.
    Integrity,
}

impl Severity {
    pub fn exit_code(self) -> u8 {
        match self {
            Severity::Info => 0,
            Severity::Policy => 1,
            Severity::Integrity => 2,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub model: String,
    pub version: String,
    pub record: Option<String>,
    pub message: String,
}

/// A record tag to check, with where it was found (borrowed from the
/// versions read: a large registry's records are not copied to be checked).
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    pub model: &'a str,
    pub version: &'a str,
    pub key: &'a str,
    pub value: &'a str,
}

/// The record tags of one version's tag map.
pub fn record_tags<'a>(model: &'a str, version: &'a str, tags: &'a Tags) -> Vec<Found<'a>> {
    tags.iter()
        .filter(|(k, _)| k.starts_with(TAG_PREFIX))
        .map(|(k, v)| Found {
            model,
            version,
            key: k,
            value: v,
        })
        .collect()
}

/// Checks many records, on every core: signature verification dominates.
pub fn check_all(found: &[Found<'_>], registry: &str, roster: &Roster) -> Vec<Checked> {
    check_all_on(found, registry, roster, crate::par::cores())
}

/// [`check_all`] on at most `threads` threads (the bench compares one core).
pub fn check_all_on(
    found: &[Found<'_>],
    registry: &str,
    roster: &Roster,
    threads: usize,
) -> Vec<Checked> {
    let one = |f: &Found<'_>| {
        let at = Location {
            registry,
            model: f.model,
            version: f.version,
        };
        record::check(f.key, f.value, at, roster)
    };
    // A panicking checker thread is a bug; its records are then reported, not lost.
    let failed = |f: &Found<'_>| Checked {
        id: f.key.trim_start_matches(TAG_PREFIX).to_owned(),
        fields: None,
        findings: vec!["the checker failed on this record".into()],
        lapsed: None,
    };
    crate::par::map(found, threads, 64, one, failed)
}

/// Records more than this far in the future are not trusted for time.
pub const FUTURE_SKEW_MS: i64 = 5 * 60 * 1000;
/// A record claiming a time this much before this client first saw it is reported.
pub const BACKDATED_MS: i64 = 24 * 3600 * 1000;

fn ids_of<'a>(f: &'a serde_json::Map<String, Value>, k: &str) -> Vec<&'a str> {
    f.get(k)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Integrity and time findings for one version's checked records.
pub fn version_findings(
    model: &str,
    version: &str,
    checked: &[Checked],
    checkpoint: Option<&Checkpoint>,
    now_ms: i64,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |severity, record: Option<&str>, message: String| {
        out.push(Finding {
            severity,
            model: model.into(),
            version: version.into(),
            record: record.map(str::to_owned),
            message,
        })
    };
    let present: HashSet<&str> = checked.iter().map(|c| c.id.as_str()).collect();
    for c in checked {
        if c.invalid() {
            push(
                Severity::Integrity,
                Some(&c.id),
                format!("invalid record: {}", c.findings.join("; ")),
            );
            continue;
        }
        if let Some(why) = &c.lapsed {
            push(
                Severity::Policy,
                Some(&c.id),
                format!("lapsed record: {why}; it no longer counts"),
            );
        }
        let Some(f) = &c.fields else { continue };
        for p in ids_of(f, "parents") {
            if !present.contains(p) {
                push(
                    Severity::Integrity,
                    Some(&c.id),
                    format!("names parent {p}, which is not on this version: deleted?"),
                );
            }
        }
        if let Some(at) = c
            .at()
            .and_then(record::parse_at)
            .map(|t| t.timestamp_millis())
        {
            if at > now_ms + FUTURE_SKEW_MS {
                push(
                    Severity::Policy,
                    Some(&c.id),
                    format!(
                        "claims a time in the future ({}); its time is not trusted",
                        c.at().unwrap_or("")
                    ),
                );
            } else if let Some(seen) =
                checkpoint.and_then(|cp| cp.first_seen(model, version, &c.id))
                && at + BACKDATED_MS < seen
            {
                push(
                    Severity::Policy,
                    Some(&c.id),
                    format!(
                        "claims {} but was first seen a day or more later; its time is not trusted",
                        c.at().unwrap_or("")
                    ),
                );
            }
        }
        if c.action() == Some(Action::Checkpoint) {
            check_coverage(c, f, checked, &mut push);
        }
    }
    if let Some(cp) = checkpoint {
        let ids: Vec<&str> = present.iter().copied().collect();
        for gone in cp.missing(model, version, &ids) {
            push(
                Severity::Integrity,
                Some(gone),
                "was seen before and is gone from the registry: deleted".into(),
            );
        }
    }
    out
}

/// A signed checkpoint covers the ancestors of its parents: they must all be there.
fn check_coverage(
    c: &Checked,
    f: &serde_json::Map<String, Value>,
    checked: &[Checked],
    push: &mut impl FnMut(Severity, Option<&str>, String),
) {
    let parents_of: HashMap<&str, Vec<&str>> = checked
        .iter()
        .filter_map(|x| Some((x.id.as_str(), ids_of(x.fields.as_ref()?, "parents"))))
        .collect();
    let mut covered: BTreeSet<&str> = BTreeSet::new();
    let mut stack: Vec<&str> = ids_of(f, "parents");
    while let Some(id) = stack.pop() {
        if covered.insert(id)
            && let Some(ps) = parents_of.get(id)
        {
            stack.extend(ps.iter().copied());
        }
    }
    let present: Vec<&str> = covered
        .iter()
        .copied()
        .filter(|id| parents_of.contains_key(id))
        .collect();
    let count = f
        .get("covers")
        .and_then(|v| v.get("count"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let want = f
        .get("covers")
        .and_then(|v| v.get("ids_sha256"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let got = record::hex_sha256(present.join("\n").as_bytes());
    if present.len() as u64 != count || got != want {
        push(
            Severity::Integrity,
            Some(&c.id),
            format!(
                "checkpoint covered {count} records; {} of them are here: records were deleted",
                present.len()
            ),
        );
    }
}

/// Why the production `alias` on a version is flagged (PROTOCOL 11, 12,
/// 1.1): the version is in revalidation (its `triggers` say why), or it is
/// approved and its approval expires at `renewal_due_by`, inside the renewal
/// window. `None` when neither: other states have their own finding.
pub fn production_flag(
    alias: &str,
    state: crate::review::state::ReviewState,
    triggers: &[String],
    renewal_due_by: Option<&str>,
) -> Option<String> {
    use crate::review::state::ReviewState;
    match (state, renewal_due_by) {
        (ReviewState::Revalidation, _) => Some(format!(
            "holds {alias} but is in revalidation ({}): its approval is being re-examined; whether to roll back is the on-call engineer's call",
            if triggers.is_empty() {
                "no trigger named".to_owned()
            } else {
                triggers.join(", ")
            }
        )),
        (ReviewState::Approved, Some(expires)) => Some(format!(
            "holds {alias} and its approval expires at {expires}: inside the renewal window, a renewal is due"
        )),
        _ => None,
    }
}

/// The worst severity among findings: the exit code of `audit verify`.
pub fn exit_code(findings: &[Finding], strict: bool) -> u8 {
    findings
        .iter()
        .map(|f| {
            if strict && f.severity == Severity::Info {
                Severity::Policy
            } else {
                f.severity
            }
        })
        .max()
        .map(Severity::exit_code)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use ssh_key::{HashAlg, PrivateKey};

    fn key() -> PrivateKey {
        PrivateKey::from(ssh_key::private::Ed25519Keypair::from_seed(&[3; 32]))
    }

    #[test]
    fn a_production_alias_is_flagged_in_revalidation_and_in_the_renewal_window() {
        use crate::review::state::ReviewState as S;
        let t = ["drift".to_owned(), "periodic".to_owned()];
        let f = production_flag("champion", S::Revalidation, &t, None).unwrap();
        assert!(
            f.contains("champion but is in revalidation (drift, periodic)"),
            "{f}"
        );
        let f =
            production_flag("champion", S::Approved, &[], Some("2027-01-01T00:00:00Z")).unwrap();
        assert!(f.contains("expires at 2027-01-01T00:00:00Z"), "{f}");
        assert_eq!(production_flag("champion", S::Approved, &[], None), None);
        assert_eq!(
            production_flag("champion", S::Pending, &[], Some("x")),
            None
        );
    }

    fn roster() -> Roster {
        let body = format!(
            "[[reviewer]]\nid = \"c\"\nroles = [\"compliance\", \"validator\"]\nkeys = [{{ key = \"{}\" }}]\n",
            key().public_key().to_openssh().unwrap()
        );
        Roster::parse("r.toml", body.as_bytes()).unwrap()
    }

    fn signed(action: &str, at: &str, parents: &[&str], extra: Value) -> record::Signed {
        let mut parents: Vec<&str> = parents.to_vec();
        parents.sort();
        let mut v = json!({
            "v": 1, "action": action, "registry": "r", "model": "m", "version": "1", "actor": "c",
            "role": "validator", "at": at, "nonce": "00112233445566778899aabbccddeeff", "parents": parents,
            "roster": roster().digest, "key": key().public_key().fingerprint(HashAlg::Sha256).to_string(),
        });
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        record::sign(v.as_object().unwrap().clone(), &key()).unwrap()
    }

    fn found<'a>(s: &[&'a record::Signed]) -> Vec<Found<'a>> {
        s.iter()
            .map(|r| Found {
                model: "m",
                version: "1",
                key: &r.tag_key,
                value: &r.tag_value,
            })
            .collect()
    }

    const NOW: i64 = 1_795_000_000_000; // 2026-11-19

    #[test]
    fn a_clean_chain_has_no_findings_and_parallel_checking_agrees() {
        let a = signed("comment", "2026-11-01T00:00:00Z", &[], json!({}));
        let b = signed("comment", "2026-11-02T00:00:00Z", &[&a.id], json!({}));
        let checked = check_all(&found(&[&a, &b]), "r", &roster());
        assert!(version_findings("m", "1", &checked, None, NOW).is_empty());
        let many: Vec<Found> = (0..100).flat_map(|_| found(&[&a, &b])).collect();
        assert!(check_all(&many, "r", &roster()).iter().all(Checked::valid));
    }

    #[test]
    fn deletions_are_caught_by_parents_checkpoints_and_checkpoint_records() {
        let a = signed("comment", "2026-11-01T00:00:00Z", &[], json!({}));
        let b = signed("comment", "2026-11-02T00:00:00Z", &[&a.id], json!({}));
        let cover = |ids: &[&str]| {
            let mut ids = ids.to_vec();
            ids.sort();
            json!({"covers": {"count": ids.len(), "ids_sha256": record::hex_sha256(ids.join("\n").as_bytes())}})
        };
        let cp = signed(
            "checkpoint",
            "2026-11-03T00:00:00Z",
            &[&b.id],
            cover(&[&a.id, &b.id]),
        );
        let all = check_all(&found(&[&a, &b, &cp]), "r", &roster());
        assert!(
            version_findings("m", "1", &all, None, NOW).is_empty(),
            "{:?}",
            version_findings("m", "1", &all, None, NOW)
        );
        // Delete a: b's parent is missing, and the checkpoint record sees it.
        let without_a = check_all(&found(&[&b, &cp]), "r", &roster());
        let f = version_findings("m", "1", &without_a, None, NOW);
        assert!(f.iter().any(|x| x.message.contains("not on this version")));
        assert!(f.iter().any(|x| x.message.contains("checkpoint covered 2")));
        assert_eq!(exit_code(&f, false), 2);
        // Delete the newest record (b, the head): only a checkpoint can tell.
        let only_a = check_all(&found(&[&a]), "r", &roster());
        assert!(version_findings("m", "1", &only_a, None, NOW).is_empty());
        let mut local = Checkpoint::default();
        local.observe("m", "1", &[&a.id, &b.id], NOW).unwrap();
        let f = version_findings("m", "1", &only_a, Some(&local), NOW);
        let gone: Vec<_> = f.iter().filter(|x| x.message.contains("gone")).collect();
        assert_eq!(gone.len(), 1, "{f:?}");
        assert_eq!(gone[0].record.as_deref(), Some(b.id.as_str()));
        assert_eq!(exit_code(&f, false), 2);
    }

    #[test]
    fn untrusted_times_and_invalid_records() {
        let future = signed("comment", "2026-11-19T08:00:00Z", &[], json!({}));
        let f = version_findings(
            "m",
            "1",
            &check_all(&found(&[&future]), "r", &roster()),
            None,
            NOW,
        );
        assert!(
            f[0].message.contains("future") && f[0].severity == Severity::Policy,
            "{f:?}"
        );
        let old = signed("comment", "2026-10-01T00:00:00Z", &[], json!({}));
        let mut cp = Checkpoint::default();
        cp.observe("m", "1", &[&old.id], NOW).unwrap();
        let f = version_findings(
            "m",
            "1",
            &check_all(&found(&[&old]), "r", &roster()),
            Some(&cp),
            NOW,
        );
        assert!(f[0].message.contains("first seen"), "{f:?}");
        let mut bad = found(&[&old]);
        let edited = bad[0].value.replace("comment", "approve");
        bad[0].value = &edited;
        let f = version_findings("m", "1", &check_all(&bad, "r", &roster()), None, NOW);
        assert_eq!(exit_code(&f, false), 2);
        assert!(f[0].message.starts_with("invalid record"));
    }
}
