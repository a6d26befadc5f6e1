//! The roster (PROTOCOL 8): who may sign, with which keys, in which roles. Kept
//! outside the registry; validated strictly at load, since it is the root of trust.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use ssh_key::{HashAlg, PublicKey};

use crate::review::evidence::sha256_tagged;
use crate::review::risk::ROLES;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoster {
    #[serde(default)]
    reviewer: Vec<RawReviewer>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReviewer {
    id: String,
    #[serde(default)]
    name: Option<String>,
    roles: Vec<String>,
    #[serde(default)]
    mlflow_users: Vec<String>,
    keys: Vec<RawKey>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKey {
    key: String,
    valid_after: Option<String>,
    valid_before: Option<String>,
}

/// One signing key of a reviewer, with its validity window.
#[derive(Debug, Clone)]
pub struct RosterKey {
    pub public: PublicKey,
    /// `SHA256:<base64>`, as records name it.
    pub fingerprint: String,
    pub valid_after: Option<DateTime<Utc>>,
    pub valid_before: Option<DateTime<Utc>>,
}

impl RosterKey {
    /// Whether a signature claiming time `at` falls inside the key's window.
    pub fn valid_at(&self, at: DateTime<Utc>) -> bool {
        self.valid_after.is_none_or(|a| at >= a) && self.valid_before.is_none_or(|b| at < b)
    }
}

#[derive(Debug, Clone)]
pub struct Reviewer {
    pub id: String,
    pub name: Option<String>,
    pub roles: Vec<String>,
    pub mlflow_users: Vec<String>,
    pub keys: Vec<RosterKey>,
}

impl Reviewer {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// A validated roster and the digest records carry (`roster` field).
#[derive(Debug, Clone)]
pub struct Roster {
    pub reviewers: BTreeMap<String, Reviewer>,
    /// `sha256:<hex>` of the roster file's bytes.
    pub digest: String,
    by_fingerprint: HashMap<String, String>,
}

/// Ids are plain so they can stand in an allowed_signers file unquoted and can
/// never be a pattern (`*`, `?`, `!`, `,`).
pub fn is_plain_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._+-@".contains(c))
}

fn parse_time(what: &str, s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{what}: {s:?} is not an RFC 3339 time ({e})"))
}

fn parse_key(id: &str, raw: &RawKey) -> Result<RosterKey, String> {
    let what = format!("reviewer {id:?}: key");
    if raw.key.contains(['\n', '\r']) {
        return Err(format!("{what} holds a line break"));
    }
    // A key line must start with its type: anything before it is an option
    // (cert-authority, namespaces=, ...) that allowed_signers would obey.
    if !raw.key.trim_start().starts_with("ssh-ed25519 ") {
        return Err(format!(
            "{what} must be an `ssh-ed25519 AAAA...` public key with no options before it"
        ));
    }
    let public = PublicKey::from_openssh(raw.key.trim())
        .map_err(|e| format!("{what} does not parse: {e}"))?;
    let valid_after = raw
        .valid_after
        .as_deref()
        .map(|s| parse_time(&format!("{what} valid_after"), s))
        .transpose()?;
    let valid_before = raw
        .valid_before
        .as_deref()
        .map(|s| parse_time(&format!("{what} valid_before"), s))
        .transpose()?;
    if let (Some(a), Some(b)) = (valid_after, valid_before)
        && a >= b
    {
        return Err(format!("{what}: valid_after is not before valid_before"));
    }
    Ok(RosterKey {
        fingerprint: public.fingerprint(HashAlg::Sha256).to_string(),
        public,
        valid_after,
        valid_before,
    })
}

impl Roster {
    /// Parses and validates a roster file's bytes; `source` names it in messages.
    pub fn parse(source: &str, bytes: &[u8]) -> Result<Roster, String> {
        let text =
            std::str::from_utf8(bytes).map_err(|_| format!("roster {source}: not UTF-8 text"))?;
        let raw: RawRoster = toml::from_str(text).map_err(|e| format!("roster {source}: {e}"))?;
        let mut reviewers = BTreeMap::new();
        let mut by_fingerprint: HashMap<String, String> = HashMap::new();
        for r in raw.reviewer {
            let err = |m: String| format!("roster {source}: {m}");
            if !is_plain_id(&r.id) {
                return Err(err(format!(
                    "id {:?} is not plain (letters, digits and . _ + - @ only)",
                    r.id
                )));
            }
            if let Some(bad) = r.roles.iter().find(|x| !ROLES.contains(&x.as_str())) {
                return Err(err(format!(
                    "reviewer {:?}: unknown role {bad:?} (roles: {})",
                    r.id,
                    ROLES.join(", ")
                )));
            }
            let mut keys = Vec::new();
            for k in &r.keys {
                let key = parse_key(&r.id, k).map_err(err)?;
                if let Some(other) = by_fingerprint.insert(key.fingerprint.clone(), r.id.clone())
                    && other != r.id
                {
                    return Err(err(format!(
                        "key {} belongs to both {other:?} and {:?}",
                        key.fingerprint, r.id
                    )));
                }
                keys.push(key);
            }
            let reviewer = Reviewer {
                id: r.id.clone(),
                name: r.name,
                roles: r.roles,
                mlflow_users: r.mlflow_users,
                keys,
            };
            if reviewers.insert(r.id.clone(), reviewer).is_some() {
                return Err(err(format!("reviewer {:?} is listed twice", r.id)));
            }
        }
        Ok(Roster {
            reviewers,
            digest: sha256_tagged(bytes),
            by_fingerprint,
        })
    }

    pub fn load(path: &std::path::Path) -> Result<Roster, String> {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("cannot read the roster {}: {e}", path.display()))?;
        Self::parse(&path.display().to_string(), &bytes)
    }

    pub fn get(&self, id: &str) -> Option<&Reviewer> {
        self.reviewers.get(id)
    }

    /// The reviewer a key fingerprint belongs to.
    pub fn owner_of(&self, fingerprint: &str) -> Option<&Reviewer> {
        self.by_fingerprint
            .get(fingerprint)
            .and_then(|id| self.reviewers.get(id))
    }

    /// Roster ids whose `mlflow_users` hold this run author.
    pub fn ids_for_mlflow_user(&self, user: &str) -> Vec<&str> {
        self.reviewers
            .values()
            .filter(|r| r.mlflow_users.iter().any(|u| u == user))
            .map(|r| r.id.as_str())
            .collect()
    }

    /// The OpenSSH `allowed_signers` file: every key, namespace `modelgate`,
    /// with its window, so `ssh-keygen -Y verify` checks records unaided.
    pub fn allowed_signers(&self) -> Result<String, String> {
        let mut out = String::new();
        for r in self.reviewers.values() {
            for k in &r.keys {
                let mut opts = vec!["namespaces=\"modelgate\"".to_owned()];
                if let Some(a) = k.valid_after {
                    opts.push(format!("valid-after=\"{}\"", a.format("%Y%m%d%H%M%SZ")));
                }
                if let Some(b) = k.valid_before {
                    opts.push(format!("valid-before=\"{}\"", b.format("%Y%m%d%H%M%SZ")));
                }
                // The key without its comment: comments are free text.
                let key = ssh_key::PublicKey::new(k.public.key_data().clone(), "");
                let key = key
                    .to_openssh()
                    .map_err(|e| format!("cannot write the key of {}: {e}", r.id))?;
                out.push_str(&format!("{} {} {}\n", r.id, opts.join(","), key.trim()));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A public key line made from a fixed seed, with a comment.
    pub fn key_line(seed: u8) -> String {
        let pair = ssh_key::private::Ed25519Keypair::from_seed(&[seed; 32]);
        let private = ssh_key::PrivateKey::from(pair);
        format!("{} laptop", private.public_key().to_openssh().unwrap())
    }

    fn roster(body: &str) -> Result<Roster, String> {
        Roster::parse("r.toml", body.as_bytes())
    }

    fn one(id: &str, roles: &str, key: &str) -> String {
        format!(
            "[[reviewer]]\nid = \"{id}\"\nroles = [{roles}]\nkeys = [{{ key = \"{key}\", valid_after = \"2026-01-01T00:00:00Z\" }}]\n"
        )
    }

    #[test]
    fn valid_roster_and_allowed_signers() {
        let (key_a, key_b) = (key_line(1), key_line(2));
        let r = roster(
            &(one("alice@example.com", "\"validator\", \"compliance\"", &key_a)
                + &one("bob", "\"sre\"", &key_b)),
        )
        .unwrap();
        assert!(r.digest.starts_with("sha256:"));
        let alice = r.get("alice@example.com").unwrap();
        assert!(alice.has_role("compliance") && !alice.has_role("sre"));
        assert_eq!(
            r.owner_of(&alice.keys[0].fingerprint).unwrap().id,
            "alice@example.com"
        );
        let signers = r.allowed_signers().unwrap();
        let first = signers.lines().next().unwrap();
        assert!(first.starts_with("alice@example.com namespaces=\"modelgate\",valid-after=\"20260101000000Z\" ssh-ed25519 AAAA"), "{first}");
        assert!(!signers.contains("laptop"), "comments are not copied");
    }

    #[test]
    fn refusals() {
        let (key_a, key_b) = (key_line(1), key_line(2));
        let (ka, kb) = (key_a.as_str(), key_b.as_str());
        let cases = [
            (one("*", "\"validator\"", ka), "not plain"),
            (one("a b", "\"validator\"", ka), "not plain"),
            (one("a", "\"boss\"", ka), "unknown role"),
            (
                one("a", "\"validator\"", &format!("cert-authority {ka}")),
                "no options",
            ),
            (
                one("a", "\"validator\"", "ssh-ed25519 AAAA\\nssh-ed25519 BBBB"),
                "line break",
            ),
            (
                one("a", "\"validator\"", "ssh-ed25519 notbase64"),
                "does not parse",
            ),
            (
                one("a", "\"validator\"", ka) + &one("b", "\"sre\"", ka),
                "belongs to both",
            ),
            (
                one("a", "\"validator\"", ka) + &one("a", "\"sre\"", kb),
                "listed twice",
            ),
        ];
        for (body, want) in cases {
            let e = roster(&body).unwrap_err();
            assert!(
                e.contains(want) && e.starts_with("roster r.toml"),
                "{want}: {e}"
            );
        }
    }

    #[test]
    fn key_windows() {
        let key_a = key_line(1);
        let body = format!(
            "[[reviewer]]\nid = \"a\"\nroles = [\"sre\"]\nkeys = [{{ key = \"{key_a}\", valid_after = \"2026-01-01T00:00:00Z\", valid_before = \"2026-06-01T00:00:00Z\" }}]\n"
        );
        let r = roster(&body).unwrap();
        let k = &r.get("a").unwrap().keys[0];
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert!(!k.valid_at(t("2025-12-31T23:59:59Z")));
        assert!(k.valid_at(t("2026-01-01T00:00:00Z")));
        assert!(!k.valid_at(t("2026-06-01T00:00:00Z")));
        assert!(
            r.allowed_signers()
                .unwrap()
                .contains("valid-before=\"20260601000000Z\"")
        );
    }
}
