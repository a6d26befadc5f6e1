//! Keys past their `valid_before` (PROTOCOL 8). A signer claims its own `at`,
//! so a leaked key could sign a record dated inside its window long after the
//! window closed. Once `valid_before` has passed, a record by that key counts
//! only when a trusted time shows it existed before `valid_before`: a first
//! sighting in a checkpoint, or coverage by a `checkpoint` record that another
//! key, valid now, signed before `valid_before`.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::record::{Action, Checked, parse_at};
use super::roster::Roster;

/// The reason such a record is invalid, as PROTOCOL 8 words it.
pub const PAST_VALID_BEFORE: &str =
    "signed by a key past its valid_before, and nothing shows it is older";

fn field<'a>(c: &'a Checked, k: &str) -> Option<&'a str> {
    c.fields.as_ref()?.get(k)?.as_str()
}

fn parents(c: &Checked) -> Vec<&str> {
    c.fields
        .as_ref()
        .and_then(|f| f.get("parents"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// `valid_before` in ms of the record's key, when it has passed at `now_ms`.
fn closed_window(c: &Checked, roster: &Roster, now_ms: i64) -> Option<i64> {
    let fp = field(c, "key")?;
    let key = roster
        .owner_of(fp)?
        .keys
        .iter()
        .find(|k| k.fingerprint == fp)?;
    let before = key.valid_before?.timestamp_millis();
    (before <= now_ms).then_some(before)
}

/// Whether the roster has a key whose window has closed: only then is there
/// anything to prove, and the checkpoints need reading.
pub fn any_closed(roster: &Roster, now_ms: i64) -> bool {
    roster.reviewers.values().flat_map(|r| &r.keys).any(|k| {
        k.valid_before
            .is_some_and(|b| b.timestamp_millis() <= now_ms)
    })
}

/// Marks invalid, on one version's checked records, every valid record by a
/// key whose `valid_before` has passed and that nothing shows to be older.
/// `first_seen` gives a record's earliest sighting in the checkpoints (ms).
pub fn check_closed_keys(
    checked: &mut [Checked],
    roster: &Roster,
    first_seen: &dyn Fn(&str) -> Option<i64>,
    now_ms: i64,
) {
    let needs: Vec<(usize, i64)> = checked
        .iter()
        .enumerate()
        .filter(|(_, c)| c.valid())
        .filter_map(|(i, c)| Some((i, closed_window(c, roster, now_ms)?)))
        .collect();
    if needs.is_empty() {
        return;
    }
    let parents_of: HashMap<&str, Vec<&str>> = checked
        .iter()
        .map(|c| (c.id.as_str(), parents(c)))
        .collect();
    // Checkpoint records by keys valid now: (their key, their time, what they cover).
    let witnesses: Vec<(&str, i64, HashSet<&str>)> = checked
        .iter()
        .filter(|c| c.valid() && c.action() == Some(Action::Checkpoint))
        .filter(|c| closed_window(c, roster, now_ms).is_none())
        .filter_map(|c| {
            let at = parse_at(c.at()?)?.timestamp_millis();
            let mut covered = HashSet::new();
            let mut stack = parents(c);
            while let Some(id) = stack.pop() {
                if covered.insert(id)
                    && let Some(ps) = parents_of.get(id)
                {
                    stack.extend(ps.iter().copied());
                }
            }
            Some((field(c, "key")?, at, covered))
        })
        .collect();
    let mut unproven = Vec::new();
    for (i, before) in needs {
        let c = &checked[i];
        let key = field(c, "key").unwrap_or("");
        let seen = first_seen(&c.id).is_some_and(|t| t < before);
        let covered = witnesses
            .iter()
            .any(|(k, at, cov)| *k != key && *at < before && cov.contains(c.id.as_str()));
        if !seen && !covered {
            unproven.push((i, before));
        }
    }
    for (i, before) in unproven {
        let when = chrono::DateTime::from_timestamp_millis(before)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default();
        let c = &mut checked[i];
        let actor = field(c, "actor").unwrap_or("").to_owned();
        c.findings.push(format!(
            "{PAST_VALID_BEFORE} (the key of {actor} is valid before {when}; no checkpoint saw this record before then)"
        ));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use ssh_key::{HashAlg, PrivateKey};

    use super::*;
    use crate::trust::record::{Location, Signed, check, sign};

    fn key(seed: u8) -> PrivateKey {
        PrivateKey::from(ssh_key::private::Ed25519Keypair::from_seed(&[seed; 32]))
    }

    fn roster() -> Roster {
        let line = |s: u8| key(s).public_key().to_openssh().unwrap();
        let body = format!(
            "[[reviewer]]\nid = \"old\"\nroles = [\"validator\"]\nkeys = [{{ key = \"{}\", valid_before = \"2026-06-01T00:00:00Z\" }}]\n\
             [[reviewer]]\nid = \"cp\"\nroles = [\"compliance\"]\nkeys = [{{ key = \"{}\" }}]\n",
            line(1),
            line(2)
        );
        Roster::parse("r.toml", body.as_bytes()).unwrap()
    }

    fn signed(actor: &str, seed: u8, action: &str, at: &str, parents: &[&str]) -> Signed {
        let mut f = json!({
            "v": 1, "action": action, "registry": "r", "model": "m", "version": "1",
            "actor": actor, "role": if seed == 1 { "validator" } else { "compliance" },
            "at": at, "nonce": "00112233445566778899aabbccddeeff", "parents": parents,
            "roster": roster().digest,
            "key": key(seed).public_key().fingerprint(HashAlg::Sha256).to_string(),
        });
        if action == "checkpoint" {
            f["covers"] = json!({"count": parents.len(), "ids_sha256": "0".repeat(64)});
        }
        sign(f.as_object().unwrap().clone(), &key(seed)).unwrap()
    }

    fn checked(s: &[&Signed]) -> Vec<Checked> {
        let at = Location {
            registry: "r",
            model: "m",
            version: "1",
        };
        s.iter()
            .map(|x| check(&x.tag_key, &x.tag_value, at, &roster()))
            .collect()
    }

    fn ms(s: &str) -> i64 {
        parse_at(s).unwrap().timestamp_millis()
    }

    #[test]
    fn a_closed_key_needs_a_trusted_time() {
        let now = ms("2026-11-19T00:00:00Z");
        let rec = signed("old", 1, "comment", "2026-05-01T00:00:00Z", &[]);
        let run = |extra: &[&Signed], seen: Option<&str>, now: i64| {
            let mut all = vec![&rec];
            all.extend_from_slice(extra);
            let mut c = checked(&all);
            assert!(c.iter().all(Checked::valid), "{c:?}");
            let first = |id: &str| seen.filter(|_| id == rec.id).map(ms);
            check_closed_keys(&mut c, &roster(), &first, now);
            c.remove(0)
        };
        let c = run(&[], None, now);
        assert!(!c.valid());
        assert!(c.findings[0].starts_with(PAST_VALID_BEFORE), "{c:?}");
        // First seen by a checkpoint before the window closed.
        assert!(run(&[], Some("2026-05-02T00:00:00Z"), now).valid());
        assert!(!run(&[], Some("2026-07-01T00:00:00Z"), now).valid());
        // Covered by a checkpoint record another key signed before then.
        let early = signed("cp", 2, "checkpoint", "2026-05-15T00:00:00Z", &[&rec.id]);
        assert!(run(&[&early], None, now).valid());
        let late = signed("cp", 2, "checkpoint", "2026-07-01T00:00:00Z", &[&rec.id]);
        assert!(!run(&[&late], None, now).valid());
        // A checkpoint by the closed key itself proves nothing.
        let own = signed("old", 1, "checkpoint", "2026-05-15T00:00:00Z", &[&rec.id]);
        assert!(!run(&[&own], None, now).valid());
        // Before the window closes nothing needs proving.
        assert!(run(&[], None, ms("2026-05-10T00:00:00Z")).valid());
        assert!(!any_closed(&roster(), ms("2026-05-10T00:00:00Z")));
        assert!(any_closed(&roster(), now));
    }
}
