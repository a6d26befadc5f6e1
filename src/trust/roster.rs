//! The roster (PROTOCOL 8): who may sign, with which keys, in which roles. Kept
//! outside the registry; validated strictly at load, since it is the root of trust.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use ssh_key::{HashAlg, PublicKey};

use crate::review::evidence::sha256_tagged;
use crate::review::risk::{MACHINE_ROLES, ROLES};

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

/// Why a roster cannot be used. Each message names the roster file (or the
/// reviewer) so the one who keeps it knows what to fix.
#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error("cannot read the roster {}: {cause}", path.display())]
    Unreadable {
        path: std::path::PathBuf,
        cause: std::io::Error,
    },
    #[error("roster {roster}: not UTF-8 text")]
    NotUtf8 { roster: String },
    #[error("roster {roster}: {cause}")]
    NotToml {
        roster: String,
        cause: toml::de::Error,
    },
    #[error("roster {roster}: {problem}")]
    Invalid {
        roster: String,
        problem: RosterProblem,
    },
    #[error("cannot write the key of {id}: {cause}")]
    KeyLine { id: String, cause: ssh_key::Error },
}

/// What is wrong with one entry of a roster.
#[derive(Debug, thiserror::Error)]
pub enum RosterProblem {
    #[error("id {0:?} is not plain (letters, digits and . _ + - @ only)")]
    IdNotPlain(String),
    #[error("reviewer {id:?}: unknown role {role:?} (roles: {}, {})", ROLES.join(", "), MACHINE_ROLES.join(", "))]
    UnknownRole { id: String, role: String },
    #[error(
        "reviewer {id:?}: {machine} is a machine's role and cannot go with the human role {human} (give the machine its own id)"
    )]
    MachineAndHuman {
        id: String,
        machine: String,
        human: String,
    },
    #[error("key {fingerprint} belongs to both {first:?} and {second:?}")]
    SharedKey {
        fingerprint: String,
        first: String,
        second: String,
    },
    #[error("reviewer {0:?} is listed twice")]
    Twice(String),
    #[error("reviewer {0:?}: key holds a line break")]
    KeyLineBreak(String),
    #[error(
        "reviewer {0:?}: key must be an `ssh-ed25519 AAAA...` public key with no options before it"
    )]
    KeyNotEd25519(String),
    #[error("reviewer {id:?}: key does not parse: {cause}")]
    KeyUnparsable { id: String, cause: ssh_key::Error },
    #[error("reviewer {id:?}: key {field}: {value:?} is not an RFC 3339 time ({cause})")]
    BadTime {
        id: String,
        field: &'static str,
        value: String,
        cause: chrono::ParseError,
    },
    #[error("reviewer {0:?}: key: valid_after is not before valid_before")]
    EmptyWindow(String),
}

fn parse_time(id: &str, field: &'static str, s: &str) -> Result<DateTime<Utc>, RosterProblem> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|cause| RosterProblem::BadTime {
            id: id.to_owned(),
            field,
            value: s.to_owned(),
            cause,
        })
}

fn parse_key(id: &str, raw: &RawKey) -> Result<RosterKey, RosterProblem> {
    if raw.key.contains(['\n', '\r']) {
        return Err(RosterProblem::KeyLineBreak(id.to_owned()));
    }
    // A key line must start with its type: anything before it is an option
    // (cert-authority, namespaces=, ...) that allowed_signers would obey.
    if !raw.key.trim_start().starts_with("ssh-ed25519 ") {
        return Err(RosterProblem::KeyNotEd25519(id.to_owned()));
    }
    let public =
        PublicKey::from_openssh(raw.key.trim()).map_err(|cause| RosterProblem::KeyUnparsable {
            id: id.to_owned(),
            cause,
        })?;
    let valid_after = raw
        .valid_after
        .as_deref()
        .map(|s| parse_time(id, "valid_after", s))
        .transpose()?;
    let valid_before = raw
        .valid_before
        .as_deref()
        .map(|s| parse_time(id, "valid_before", s))
        .transpose()?;
    if let (Some(a), Some(b)) = (valid_after, valid_before)
        && a >= b
    {
        return Err(RosterProblem::EmptyWindow(id.to_owned()));
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
    pub fn parse(source: &str, bytes: &[u8]) -> Result<Roster, RosterError> {
        let text = std::str::from_utf8(bytes).map_err(|_| RosterError::NotUtf8 {
            roster: source.to_owned(),
        })?;
        let raw: RawRoster = toml::from_str(text).map_err(|cause| RosterError::NotToml {
            roster: source.to_owned(),
            cause,
        })?;
        let mut reviewers = BTreeMap::new();
        let mut by_fingerprint: HashMap<String, String> = HashMap::new();
        for r in raw.reviewer {
            let err = |problem: RosterProblem| RosterError::Invalid {
                roster: source.to_owned(),
                problem,
            };
            if !is_plain_id(&r.id) {
                return Err(err(RosterProblem::IdNotPlain(r.id)));
            }
            let known =
                |x: &&String| ROLES.contains(&x.as_str()) || MACHINE_ROLES.contains(&x.as_str());
            if let Some(bad) = r.roles.iter().find(|x| !known(x)) {
                return Err(err(RosterProblem::UnknownRole {
                    id: r.id.clone(),
                    role: bad.clone(),
                }));
            }
            let machine = r.roles.iter().find(|x| MACHINE_ROLES.contains(&x.as_str()));
            let human = r.roles.iter().find(|x| ROLES.contains(&x.as_str()));
            if let (Some(machine), Some(human)) = (machine, human) {
                return Err(err(RosterProblem::MachineAndHuman {
                    id: r.id.clone(),
                    machine: machine.clone(),
                    human: human.clone(),
                }));
            }
            let mut keys = Vec::new();
            for k in &r.keys {
                let key = parse_key(&r.id, k).map_err(err)?;
                if let Some(other) = by_fingerprint.insert(key.fingerprint.clone(), r.id.clone())
                    && other != r.id
                {
                    return Err(err(RosterProblem::SharedKey {
                        fingerprint: key.fingerprint,
                        first: other,
                        second: r.id,
                    }));
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
                return Err(err(RosterProblem::Twice(r.id)));
            }
        }
        Ok(Roster {
            reviewers,
            digest: sha256_tagged(bytes),
            by_fingerprint,
        })
    }

    pub fn load(path: &std::path::Path) -> Result<Roster, RosterError> {
        let bytes = std::fs::read(path).map_err(|cause| RosterError::Unreadable {
            path: path.to_owned(),
            cause,
        })?;
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
    pub fn allowed_signers(&self) -> Result<String, RosterError> {
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
                let key = key.to_openssh().map_err(|cause| RosterError::KeyLine {
                    id: r.id.clone(),
                    cause,
                })?;
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

    fn roster(body: &str) -> Result<Roster, RosterError> {
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
                one("a", "\"automation\", \"validator\"", ka),
                "cannot go with the human role validator",
            ),
            (one("a", "\"sre\", \"monitor\"", ka), "machine's role"),
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
            let e = roster(&body).unwrap_err().to_string();
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
