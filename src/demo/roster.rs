//! The demo roster (PROTOCOL 8) and its private keys. Keys are derived from
//! the seed and the id, so anyone with the seed can recreate them: demo only.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};
use ssh_key::private::{Ed25519Keypair, KeypairData};
use ssh_key::{LineEnding, PrivateKey};

/// File name of the roster inside the demo directory.
pub const ROSTER_FILE: &str = "roster.toml";

/// Start of every key's validity window: before any demo record time.
const VALID_AFTER: &str = "2020-01-01T00:00:00Z";

/// One person of the demo roster.
#[derive(Debug, Clone, Copy)]
pub struct Identity {
    pub id: &'static str,
    pub name: &'static str,
    pub roles: &'static [&'static str],
    /// The `mlflow.user` values of runs this person logged.
    pub mlflow_users: &'static [&'static str],
}

/// Every role once, plus a second owner, validator and sre: authors cannot
/// approve their own work and a rollback needs a second person to ratify it.
/// Last, two machines' ids (PROTOCOL 8): the CI pipeline, approving low-risk
/// versions whose gates are quiet (PROTOCOL 14), and the monitoring job,
/// reopening approvals when production data drifts (PROTOCOL 15).
pub const IDENTITIES: &[Identity] = &[
    Identity {
        id: "ana.owner@demo.modelgate",
        name: "Ana Ruiz",
        roles: &["owner"],
        mlflow_users: &["ana.ruiz"],
    },
    Identity {
        id: "kai.owner@demo.modelgate",
        name: "Kai Tanaka",
        roles: &["owner"],
        mlflow_users: &["kai.tanaka"],
    },
    Identity {
        id: "ben.validator@demo.modelgate",
        name: "Ben Okafor",
        roles: &["validator"],
        mlflow_users: &["ben.okafor"],
    },
    Identity {
        id: "chloe.validator@demo.modelgate",
        name: "Chloé Martin",
        roles: &["validator"],
        mlflow_users: &["chloe.martin"],
    },
    Identity {
        id: "dev.domain@demo.modelgate",
        name: "Dev Patel",
        roles: &["domain"],
        mlflow_users: &["dev.patel"],
    },
    Identity {
        id: "eli.compliance@demo.modelgate",
        name: "Eli Nakamura",
        roles: &["compliance"],
        mlflow_users: &["eli.nakamura"],
    },
    Identity {
        id: "fay.sre@demo.modelgate",
        name: "Fay Lindqvist",
        roles: &["sre"],
        mlflow_users: &["fay.lindqvist"],
    },
    Identity {
        id: "gus.sre@demo.modelgate",
        name: "Gus Moreau",
        roles: &["sre"],
        mlflow_users: &["gus.moreau"],
    },
    Identity {
        id: AUTOMATION,
        name: "CI pipeline",
        roles: &["automation"],
        // The service account CI logs runs as; no demo run is its own.
        mlflow_users: &["ci-pipeline"],
    },
    Identity {
        id: MONITOR,
        name: "Drift monitor",
        roles: &["monitor"],
        // The service account the monitoring job runs as.
        mlflow_users: &["drift-monitor"],
    },
];

/// The demo's monitoring job (role `monitor`).
pub const MONITOR: &str = "drift.monitor@demo.modelgate";

/// The demo's pipeline identity (role `automation`).
pub const AUTOMATION: &str = "ci.automation@demo.modelgate";

/// Where `write_roster` puts the private key of `id`.
pub fn key_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.key"))
}

/// The Ed25519 key of `id`: SHA-256 of a domain label, the seed and the id.
pub fn signing_key(seed: u64, id: &str) -> anyhow::Result<PrivateKey> {
    let mut hasher = Sha256::new();
    hasher.update(b"modelgate-demo-key\0");
    hasher.update(seed.to_le_bytes());
    hasher.update(id.as_bytes());
    let bytes: [u8; 32] = hasher.finalize().into();
    let keypair = Ed25519Keypair::from_seed(&bytes);
    PrivateKey::new(KeypairData::from(keypair), id)
        .with_context(|| format!("building the demo key of {id}"))
}

/// A TOML basic string. Our values are plain, but quoting stays correct anyway.
fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn toml_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| toml_str(s)).collect();
    format!("[{}]", quoted.join(", "))
}

fn reviewer_entry(who: &Identity, public_key: &str) -> String {
    format!(
        "# private key: {key_file}\n[[reviewer]]\nid = {id}\nname = {name}\nroles = {roles}\nmlflow_users = {users}\nkeys = [{{ key = {key}, valid_after = {after} }}]\n",
        key_file = key_path(Path::new(""), who.id).display(),
        id = toml_str(who.id),
        name = toml_str(who.name),
        roles = toml_list(who.roles),
        users = toml_list(who.mlflow_users),
        key = toml_str(public_key),
        after = toml_str(VALID_AFTER),
    )
}

/// Writes `bytes` readable by the owner only, also when the file existed.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        // An existing file keeps its mode on open: tighten it before writing.
        if path.exists() {
            fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
        }
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

/// The demo roster's TOML: every identity with its derived public key.
pub fn roster_toml(seed: u64) -> anyhow::Result<String> {
    let mut toml = format!(
        "# modelgate demo roster: DEMO ONLY.\n\
         # Every key below is derived from the public demo seed {seed}: anyone can\n\
         # recreate it. Never use this roster or these keys for real reviews.\n"
    );
    for who in IDENTITIES {
        let public = signing_key(seed, who.id)?
            .public_key()
            .to_openssh()
            .with_context(|| format!("encoding the public key of {}", who.id))?;
        toml.push('\n');
        toml.push_str(&reviewer_entry(who, &public));
    }
    Ok(toml)
}

/// Writes `roster.toml` and one OpenSSH private key file per identity into
/// `dir` (created when missing); returns the roster path.
pub fn write_roster(dir: &Path, seed: u64) -> anyhow::Result<PathBuf> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for who in IDENTITIES {
        let pem = signing_key(seed, who.id)?
            .to_openssh(LineEnding::LF)
            .with_context(|| format!("encoding the key of {}", who.id))?;
        let path = key_path(dir, who.id);
        write_private(&path, pem.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let roster = dir.join(ROSTER_FILE);
    fs::write(&roster, roster_toml(seed)?)
        .with_context(|| format!("writing {}", roster.display()))?;
    Ok(roster)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_depend_on_seed_and_id() {
        let a = signing_key(1, "a@x").unwrap();
        assert_eq!(a.public_key(), signing_key(1, "a@x").unwrap().public_key());
        assert_ne!(
            a.public_key().key_data(),
            signing_key(2, "a@x").unwrap().public_key().key_data()
        );
        assert_ne!(
            a.public_key().key_data(),
            signing_key(1, "b@x").unwrap().public_key().key_data()
        );
        assert_eq!(a.comment(), "a@x");
    }

    #[test]
    fn toml_strings_are_escaped() {
        assert_eq!(toml_str("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000A\"");
    }

    #[test]
    fn every_role_is_covered() {
        for role in [
            "owner",
            "validator",
            "domain",
            "compliance",
            "sre",
            "automation",
        ] {
            assert!(IDENTITIES.iter().any(|i| i.roles.contains(&role)), "{role}");
        }
        assert!(
            IDENTITIES
                .iter()
                .filter(|i| i.roles.contains(&"validator"))
                .count()
                >= 2
        );
        assert!(
            IDENTITIES
                .iter()
                .filter(|i| i.roles.contains(&"sre"))
                .count()
                >= 2
        );
    }
}
