//! Demo personas: the people of the demo roster (public demo material, their
//! keys derived from the demo seed), picked with `--as NAME` or `:as NAME` to
//! act in the demo. Only the demo registry accepts them.

use std::path::{Path, PathBuf};

use super::roster::{IDENTITIES, Identity, key_path};

/// One person of the demo roster, with the key file the demo wrote for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Persona {
    pub id: String,
    pub name: String,
    pub roles: Vec<String>,
    pub key_file: PathBuf,
}

impl Persona {
    /// The part of the id before the first `.`: `ben` for `ben.validator@...`.
    pub fn short(&self) -> &str {
        short(&self.id)
    }

    /// What the persona's roles let them sign, in words.
    pub fn can(&self) -> String {
        let mut out: Vec<&str> = Vec::new();
        for role in &self.roles {
            for what in can_do(role) {
                if !out.contains(what) {
                    out.push(what);
                }
            }
        }
        out.join(", ")
    }
}

fn short(id: &str) -> &str {
    id.split('.').next().unwrap_or(id)
}

/// What a role signs in the demo (PROTOCOL 6 and 8; `Action::allowed_roles`).
pub fn can_do(role: &str) -> &'static [&'static str] {
    match role {
        "owner" => &["submit", "withdraw", "promote"],
        "validator" | "domain" => &["approve", "reject", "request changes"],
        "compliance" => &["approve", "reject", "override", "ratify"],
        "sre" => &["promote", "rollback", "ratify"],
        "automation" => &["approve (low risk, quiet gates)"],
        _ => &["comment"],
    }
}

fn persona(who: &Identity, roster_dir: &Path) -> Persona {
    Persona {
        id: who.id.to_owned(),
        name: who.name.to_owned(),
        roles: who.roles.iter().map(|r| (*r).to_owned()).collect(),
        key_file: key_path(roster_dir, who.id),
    }
}

/// Every persona, in roster order, with key files in `roster_dir`.
pub fn personas(roster_dir: &Path) -> Vec<Persona> {
    IDENTITIES.iter().map(|w| persona(w, roster_dir)).collect()
}

/// The persona `name` stands for: a roster id, or its short name (`ben`);
/// otherwise the error lists every persona.
pub fn find(name: &str, roster_dir: &Path) -> Result<Persona, String> {
    let name = name.trim();
    IDENTITIES
        .iter()
        .find(|w| w.id == name || short(w.id) == name)
        .map(|w| persona(w, roster_dir))
        .ok_or_else(|| {
            format!(
                "{name:?} is not a demo persona; personas: {}",
                listing(&personas(roster_dir))
            )
        })
}

/// `ben (validator), ...`: the personas in one line.
pub fn listing(all: &[Persona]) -> String {
    all.iter()
        .map(|p| format!("{} ({})", p.short(), p.roles.join(", ")))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_persona_is_found_by_id_or_short_name_and_others_are_listed() {
        let dir = Path::new("/d/demo-roster");
        let ben = find("ben", dir).unwrap();
        assert_eq!(ben.id, "ben.validator@demo.modelgate");
        assert_eq!(ben.key_file, key_path(dir, &ben.id));
        assert_eq!(find("ben.validator@demo.modelgate", dir).unwrap(), ben);
        assert_eq!(ben.can(), "approve, reject, request changes");
        let err = find("nobody", dir).unwrap_err();
        assert!(err.contains("\"nobody\" is not a demo persona"), "{err}");
        for p in personas(dir) {
            assert!(err.contains(&format!("{} (", p.short())), "{err}");
            assert!(!p.can().is_empty(), "{}", p.id);
        }
    }

    #[test]
    fn short_names_are_unique() {
        let all = personas(Path::new("."));
        for p in &all {
            assert_eq!(all.iter().filter(|q| q.short() == p.short()).count(), 1);
        }
    }
}
