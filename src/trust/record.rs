//! Signed records (PROTOCOL 6): canonical JSON, content-addressed tag keys,
//! SSHSIG signatures, and the checks that make a record valid.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use ssh_key::{HashAlg, LineEnding, PrivateKey, SshSig};

pub use super::action::Action;
use super::roster::Roster;

pub const NAMESPACE: &str = "modelgate";
pub const TAG_PREFIX: &str = "modelgate.record.";
const REASON_MAX: usize = 4000;

/// A record's fields, with or without `sig`.
pub type Fields = Map<String, Value>;

/// RFC 8785 bytes of the record without `sig`: what is signed and hashed.
pub fn signed_bytes(fields: &Fields) -> Result<Vec<u8>, String> {
    super::jcs::object_without(fields, Some("sig")).map(String::into_bytes)
}

/// Lowercase hex SHA-256: a record's id.
pub fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A signed record ready to store as a tag.
#[derive(Debug, Clone, PartialEq)]
pub struct Signed {
    pub id: String,
    pub tag_key: String,
    pub tag_value: String,
    pub fields: Fields,
}

/// Signs `fields` (without `sig`) and returns the tag to write.
pub fn sign(fields: Fields, key: &PrivateKey) -> Result<Signed, String> {
    let bytes = signed_bytes(&fields)?;
    let sig = key
        .sign(NAMESPACE, HashAlg::Sha512, &bytes)
        .map_err(|e| format!("cannot sign: {e}"))?;
    let armored = sig
        .to_pem(LineEnding::LF)
        .map_err(|e| format!("cannot armor the signature: {e}"))?;
    let mut full = fields;
    full.insert("sig".into(), Value::String(armored));
    let value = super::jcs::object_without(&full, None)?;
    let id = hex_sha256(&bytes);
    Ok(Signed {
        tag_key: format!("{TAG_PREFIX}{id}"),
        id,
        tag_value: value,
        fields: full,
    })
}

/// Where a record was found.
#[derive(Debug, Clone, Copy)]
pub struct Location<'a> {
    pub registry: &'a str,
    pub model: &'a str,
    pub version: &'a str,
}

/// A record as found in a tag, and what checking it found.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The id from the tag key (for an invalid key: the key's tail).
    pub id: String,
    pub fields: Option<Fields>,
    pub findings: Vec<String>,
    /// Sound in every way but one: the roster no longer gives the actor the
    /// role it signed in. It no longer counts, but it is not tampering: a
    /// policy finding, and the `roster` trigger of a revalidation.
    pub lapsed: Option<String>,
}

impl Checked {
    /// Counts: sound, and backed by the current roster.
    pub fn valid(&self) -> bool {
        !self.invalid() && self.lapsed.is_none()
    }

    /// An integrity finding: broken, forged, tampered or misplaced.
    pub fn invalid(&self) -> bool {
        !self.findings.is_empty() || self.fields.is_none()
    }

    fn str(&self, k: &str) -> Option<&str> {
        self.fields.as_ref()?.get(k)?.as_str()
    }

    /// The record's action when it is one the protocol knows.
    pub fn action(&self) -> Option<Action> {
        self.action_text().and_then(Action::parse)
    }
    /// The action as written, known or not: what listings show.
    pub fn action_text(&self) -> Option<&str> {
        self.str("action")
    }
    pub fn actor(&self) -> Option<&str> {
        self.str("actor")
    }
    pub fn role(&self) -> Option<&str> {
        self.str("role")
    }
    pub fn at(&self) -> Option<&str> {
        self.str("at")
    }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn is_sha256_tagged(s: &str) -> bool {
    s.strip_prefix("sha256:").is_some_and(|h| is_hex(h, 64))
}

/// RFC 3339 UTC with seconds and a `Z`, as records write it.
pub fn parse_at(s: &str) -> Option<DateTime<Utc>> {
    let shape = s.len() == 20 && s.ends_with('Z') && s.as_bytes().get(10) == Some(&b'T');
    if !shape {
        return None;
    }
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Which actions need which fields (PROTOCOL 6), checked for shape.
/// Records a finding when field `k` is missing or fails `ok`.
fn need(f: &Fields, findings: &mut Vec<String>, k: &str, ok: &dyn Fn(&Value) -> bool, what: &str) {
    match f.get(k) {
        None => findings.push(format!("field {k} is missing")),
        Some(v) if !ok(v) => findings.push(format!("field {k} is not {what}")),
        Some(_) => {}
    }
}

fn check_fields(f: &Fields, findings: &mut Vec<String>) {
    let string = |v: &Value| v.as_str().is_some_and(|s| !s.is_empty());
    need(f, findings, "v", &|v| v.as_u64() == Some(1), "1");
    need(
        f,
        findings,
        "action",
        &|v| v.as_str().and_then(Action::parse).is_some(),
        "a known action",
    );
    for k in ["registry", "model", "version", "actor", "role"] {
        need(f, findings, k, &string, "a non-empty string");
    }
    need(
        f,
        findings,
        "at",
        &|v| v.as_str().and_then(parse_at).is_some(),
        "an RFC 3339 UTC time with seconds (YYYY-MM-DDTHH:MM:SSZ)",
    );
    need(
        f,
        findings,
        "nonce",
        &|v| v.as_str().is_some_and(|s| is_hex(s, 32)),
        "16 bytes of lowercase hex",
    );
    need(
        f,
        findings,
        "parents",
        &|v| {
            v.as_array().is_some_and(|a| {
                let ids: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
                ids.len() == a.len()
                    && ids.iter().all(|i| is_hex(i, 64))
                    && ids.windows(2).all(|w| w[0] < w[1])
            })
        },
        "a sorted list of distinct record ids",
    );
    need(
        f,
        findings,
        "roster",
        &|v| v.as_str().is_some_and(is_sha256_tagged),
        "sha256:<hex>",
    );
    need(
        f,
        findings,
        "key",
        &|v| {
            v.as_str()
                .is_some_and(|s| s.starts_with("SHA256:") && s.len() > 7)
        },
        "SHA256:<base64>",
    );
    need(f, findings, "sig", &string, "an armored signature");

    let action_text = f.get("action").and_then(Value::as_str).unwrap_or("");
    let action = Action::parse(action_text);
    let reason_required = action.is_some_and(Action::needs_reason);
    match f.get("reason") {
        None if reason_required => {
            findings.push(format!("field reason is required for {action_text}"))
        }
        None => {}
        Some(v) => match v.as_str() {
            Some(r) if r.chars().count() > REASON_MAX => {
                findings.push(format!("field reason is over {REASON_MAX} characters"))
            }
            Some(r) if reason_required && r.trim().is_empty() => {
                findings.push(format!("field reason is empty for {action_text}"))
            }
            Some(_) => {}
            None => findings.push("field reason is not text".into()),
        },
    }
    if action.is_some_and(Action::carries_evidence) {
        need(
            f,
            findings,
            "evidence",
            &|v| v.as_str().is_some_and(is_sha256_tagged),
            "sha256:<hex>",
        );
        need(
            f,
            findings,
            "gates",
            &|v| gates_shape(v),
            "{policy, deny, warn, error}",
        );
        need(
            f,
            findings,
            "risk",
            &|v| {
                v.as_str()
                    .is_some_and(|r| crate::review::risk::Risk::parse(r).is_some())
            },
            "a risk tier",
        );
        need(
            f,
            findings,
            "required_roles",
            &|v| {
                v.as_array().is_some_and(|a| {
                    a.iter().all(|r| {
                        r.as_str()
                            .is_some_and(|r| crate::review::risk::ROLES.contains(&r))
                    })
                })
            },
            "a list of roles",
        );
    }
    match action {
        Some(Action::Submit) => need(
            f,
            findings,
            "baseline",
            &|v| v.is_null() || v.as_str().is_some_and(|s| !s.is_empty()),
            "a version or null",
        ),
        Some(Action::Override) => need(
            f,
            findings,
            "waives",
            &|v| {
                v.as_array()
                    .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_string))
            },
            "a non-empty list of deny messages",
        ),
        Some(Action::Revoke) => need(
            f,
            findings,
            "revokes",
            &|v| v.as_str().is_some_and(|s| is_hex(s, 64)),
            "a record id",
        ),
        Some(a @ (Action::Promote | Action::Rollback)) => {
            need(f, findings, "alias", &string, "an alias");
            need(
                f,
                findings,
                "from_version",
                &|v| v.is_null() || string(v),
                "a version or null",
            );
            if a == Action::Rollback {
                need(f, findings, "incident", &string, "an incident id");
                if let Some(b) = f.get("break_glass")
                    && !b.is_boolean()
                {
                    findings.push("field break_glass is not true or false".into());
                }
            }
        }
        Some(Action::Ratify) => need(
            f,
            findings,
            "ratifies",
            &|v| v.as_str().is_some_and(|s| is_hex(s, 64)),
            "a record id",
        ),
        Some(Action::Reopen) => {
            need(
                f,
                findings,
                "trigger",
                &|v| {
                    v.as_str()
                        .and_then(crate::review::revalidation::Trigger::parse)
                        .is_some()
                },
                "a trigger",
            );
            if let Some(e) = f.get("evidence")
                && !e.as_str().is_some_and(is_sha256_tagged)
            {
                findings.push("field evidence is not sha256:<hex>".into());
            }
            if let Some(r) = f.get("report")
                && let Err(why) = report_shape(r)
            {
                findings.push(format!("field report {why}"));
            }
        }
        Some(Action::Checkpoint) => need(
            f,
            findings,
            "covers",
            &|v| {
                v.get("count").is_some_and(Value::is_u64)
                    && v.get("ids_sha256")
                        .and_then(Value::as_str)
                        .is_some_and(|h| is_hex(h, 64))
            },
            "{count, ids_sha256}",
        ),
        _ => {}
    }
    // `run_user` (1.1, submit): the run's mlflow.user at signing, or null. A
    // submit signed before 1.1 lacks it and stays valid; its authors then
    // rest on the tag and the checkpoints (PROTOCOL 9).
    if let Some(u) = f.get("run_user")
        && !(u.is_null() || u.as_str().is_some_and(|s| !s.is_empty()))
    {
        findings.push("field run_user is not a user name or null".into());
    }
    if f.contains_key("run_user") && action != Some(Action::Submit) {
        findings.push(format!(
            "field run_user belongs to submit, not {action_text}"
        ));
    }
    for k in ["trigger", "report"] {
        if f.contains_key(k) && action != Some(Action::Reopen) {
            findings.push(format!("field {k} belongs to reopen, not {action_text}"));
        }
    }
    check_structured(f, action, action_text, findings);
    const KNOWN: [&str; 30] = [
        "v",
        "action",
        "registry",
        "model",
        "version",
        "actor",
        "role",
        "at",
        "nonce",
        "parents",
        "roster",
        "key",
        "reason",
        "evidence",
        "gates",
        "risk",
        "required_roles",
        "baseline",
        "waives",
        "revokes",
        "alias",
        "from_version",
        "incident",
        "break_glass",
        "ratifies",
        "run_user",
        "category",
        "checklist",
        "trigger",
        "report",
    ];
    for k in f.keys() {
        if !KNOWN.contains(&k.as_str()) && k != "covers" && k != "sig" {
            findings.push(format!("field {k} is not part of protocol version 1.1"));
        }
    }
}

/// `category` and `checklist` (PROTOCOL 13), for shape: whether the
/// category is configured and the answers complete is the configuration's
/// business, read when the state is derived.
fn check_structured(
    f: &Fields,
    action: Option<Action>,
    action_text: &str,
    findings: &mut Vec<String>,
) {
    use super::checklist::{Answer, plain_id};
    if let Some(c) = f.get("category") {
        if !action.is_some_and(Action::carries_category) {
            findings.push(format!(
                "field category belongs to reject and request_changes, not {action_text}"
            ));
        } else if !c.as_str().is_some_and(plain_id) {
            findings.push("field category is not a plain category name".into());
        }
    }
    let Some(c) = f.get("checklist") else { return };
    if !action.is_some_and(Action::answers_checklist) {
        findings.push(format!(
            "field checklist belongs to approve, reject, request_changes and override, not {action_text}"
        ));
        return;
    }
    let shape = c.as_object().is_some_and(|o| {
        o.len() == 3
            && o.get("id").and_then(Value::as_str).is_some_and(plain_id)
            && o.get("digest")
                .and_then(Value::as_str)
                .is_some_and(is_sha256_tagged)
            && o.get("answers")
                .and_then(Value::as_object)
                .is_some_and(|a| {
                    !a.is_empty()
                        && a.iter().all(|(k, v)| {
                            plain_id(k)
                                && v.as_str()
                                    .and_then(Answer::parse)
                                    .is_some_and(|x| Some(x.as_str()) == v.as_str())
                        })
                })
    });
    if !shape {
        findings.push(
            "field checklist is not {id, digest: sha256:<hex>, answers: {item: yes, no or n/a}}"
                .into(),
        );
        return;
    }
    // An approve is valid only with every answer acceptable (PROTOCOL 13);
    // a `no` is never one.
    if action == Some(Action::Approve)
        && let Some((item, _)) = c["answers"]
            .as_object()
            .and_then(|a| a.iter().find(|(_, v)| v.as_str() == Some("no")))
    {
        findings.push(format!("an approve answered no to checklist item {item}"));
    }
}

/// The most a reopen's report summary may weigh, as JCS (PROTOCOL 16).
pub const REPORT_SUMMARY_MAX: usize = 8 * 1024;

/// A reopen's `report`: `{kind, digest: sha256:<hex>, summary: {...}}`.
fn report_shape(v: &Value) -> Result<(), String> {
    let o = v.as_object().ok_or("is not an object")?;
    let kind_ok = o
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(super::checklist::plain_id);
    let digest_ok = o
        .get("digest")
        .and_then(Value::as_str)
        .is_some_and(is_sha256_tagged);
    let summary = o.get("summary").filter(|s| s.is_object());
    if o.len() != 3 || !kind_ok || !digest_ok || summary.is_none() {
        return Err("is not {kind, digest: sha256:<hex>, summary: {...}}".into());
    }
    let size = summary
        .and_then(|s| s.as_object())
        .map(|m| super::jcs::object_without(m, None).map(|t| t.len()))
        .transpose()?
        .unwrap_or(0);
    if size > REPORT_SUMMARY_MAX {
        return Err(format!(
            "has a summary of {size} bytes, over the {REPORT_SUMMARY_MAX} allowed"
        ));
    }
    Ok(())
}

fn gates_shape(v: &Value) -> bool {
    let list = |k: &str| {
        v.get(k)
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().all(Value::is_string))
    };
    v.get("policy")
        .and_then(Value::as_str)
        .is_some_and(is_sha256_tagged)
        && list("deny")
        && list("warn")
        && v.get("error").is_some_and(|e| e.is_null() || e.is_string())
}

/// Checks one record tag completely (PROTOCOL 6 "valid"): key, canonical value,
/// fields, location, roster (key, window, role) and signature.
pub fn check(tag_key: &str, tag_value: &str, at: Location<'_>, roster: &Roster) -> Checked {
    let key_id = tag_key
        .strip_prefix(TAG_PREFIX)
        .unwrap_or(tag_key)
        .to_owned();
    let mut c = Checked {
        id: key_id.clone(),
        fields: None,
        findings: Vec::new(),
        lapsed: None,
    };
    if !is_hex(&key_id, 64) {
        c.findings.push(format!(
            "tag key {tag_key:?} is not {TAG_PREFIX}<64 lowercase hex>"
        ));
    }
    let fields: Fields = match serde_json::from_str::<Value>(tag_value) {
        Ok(Value::Object(m)) => m,
        Ok(_) => {
            c.findings.push("value is not a JSON object".into());
            return c;
        }
        Err(e) => {
            c.findings.push(format!("value is not JSON: {e}"));
            return c;
        }
    };
    // What the canonical form, the content hash and the signature come to
    // depends on nothing else: a triple that passed once passes again.
    let fingerprint = fields.get("key").and_then(Value::as_str).unwrap_or("");
    let memo = super::verified::entry(tag_key, tag_value, fingerprint);
    let signed = if super::verified::known(&memo) {
        None
    } else {
        match super::jcs::object_without(&fields, None) {
            Ok(canon) if canon == tag_value => {}
            Ok(_) => c.findings.push(
                "value is not in canonical form (RFC 8785): it was edited or written by hand"
                    .into(),
            ),
            Err(e) => c
                .findings
                .push(format!("value cannot be canonicalised: {e}")),
        }
        let signed = match signed_bytes(&fields) {
            Ok(b) => b,
            Err(e) => {
                c.findings.push(e);
                c.fields = Some(fields);
                return c;
            }
        };
        if hex_sha256(&signed) != key_id {
            c.findings.push("tag key does not match the record's content: it was edited or copied under another key".into());
        }
        Some(signed)
    };
    let sound_so_far = c.findings.is_empty();
    check_fields(&fields, &mut c.findings);
    let s = |k: &str| fields.get(k).and_then(Value::as_str).unwrap_or("");
    for (field, want) in [
        ("registry", at.registry),
        ("model", at.model),
        ("version", at.version),
    ] {
        if s(field) != want {
            c.findings.push(format!(
                "record names {field} {:?} but was found in {want:?}: copied from elsewhere",
                s(field)
            ));
        }
    }
    let (role_gone, verified) = check_signer(&fields, signed.as_deref(), roster, &mut c.findings);
    if verified && sound_so_far && signed.is_some() {
        super::verified::remember(memo);
    }
    match role_gone {
        Some(why) if c.findings.is_empty() => c.lapsed = Some(why),
        Some(why) => c.findings.push(why),
        None => {}
    }
    c.fields = Some(fields);
    c
}

/// Pushes every problem with the signer but one: a role the roster does not
/// (or no longer) give the actor comes back, so that a record sound in every
/// other way can be told apart as lapsed. With `signed`, the signature is
/// verified over it (the second value says it did); without, it passed before.
fn check_signer(
    f: &Fields,
    signed: Option<&[u8]>,
    roster: &Roster,
    findings: &mut Vec<String>,
) -> (Option<String>, bool) {
    let s = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or("");
    let (actor, role, action, fingerprint) = (s("actor"), s("role"), s("action"), s("key"));
    let Some(reviewer) = roster.get(actor) else {
        findings.push(format!("actor {actor:?} is not in the roster"));
        return (None, false);
    };
    let Some(key) = reviewer.keys.iter().find(|k| k.fingerprint == fingerprint) else {
        findings.push(format!(
            "key {fingerprint} is not a key of {actor} in the roster"
        ));
        return (None, false);
    };
    if let Some(at) = parse_at(s("at"))
        && !key.valid_at(at)
    {
        findings.push(format!(
            "key {fingerprint} of {actor} is not valid at {}",
            s("at")
        ));
    }
    let role_gone = (!reviewer.has_role(role))
        .then(|| format!("the roster does not give {actor} the role {role}"));
    if let Some(Err(why)) = Action::parse(action).map(|a| a.signable_as(role)) {
        findings.push(why);
    }
    let Some(signed) = signed else {
        return (role_gone, false);
    };
    let sig = match SshSig::from_pem(s("sig")) {
        Ok(sig) => sig,
        Err(e) => {
            findings.push(format!("signature does not parse: {e}"));
            return (role_gone, false);
        }
    };
    let sha512 = sig.hash_alg() == HashAlg::Sha512;
    if !sha512 {
        findings.push("signature does not use sha512".into());
    }
    match key.public.verify(NAMESPACE, signed, &sig) {
        Err(e) => {
            findings.push(format!("signature does not verify with {actor}'s key: {e}"));
            (role_gone, false)
        }
        Ok(()) => (role_gone, sha512),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(seed: u8) -> PrivateKey {
        PrivateKey::from(ssh_key::private::Ed25519Keypair::from_seed(&[seed; 32]))
    }

    fn roster() -> Roster {
        let line = |seed: u8| key(seed).public_key().to_openssh().unwrap();
        let body = format!(
            "[[reviewer]]\nid = \"val\"\nroles = [\"validator\"]\nkeys = [{{ key = \"{}\", valid_after = \"2026-01-01T00:00:00Z\", valid_before = \"2027-01-01T00:00:00Z\" }}]\n\
             [[reviewer]]\nid = \"own\"\nroles = [\"owner\"]\nkeys = [{{ key = \"{}\" }}]\n",
            line(1),
            line(2)
        );
        Roster::parse("r.toml", body.as_bytes()).unwrap()
    }

    fn approve(actor: &str, seed: u8) -> Fields {
        let fp = key(seed)
            .public_key()
            .fingerprint(HashAlg::Sha256)
            .to_string();
        let v = json!({
            "v": 1, "action": "approve", "registry": "local:1", "model": "m", "version": "7",
            "actor": actor, "role": "validator", "at": "2026-11-27T10:00:00Z", "nonce": "00112233445566778899aabbccddeeff",
            "parents": [], "roster": roster().digest, "key": fp,
            "evidence": format!("sha256:{}", "a".repeat(64)),
            "gates": {"policy": format!("sha256:{}", "b".repeat(64)), "deny": [], "warn": ["w"], "error": null},
            "risk": "low", "required_roles": ["validator"],
        });
        v.as_object().unwrap().clone()
    }

    const HERE: Location<'static> = Location {
        registry: "local:1",
        model: "m",
        version: "7",
    };

    #[test]
    fn a_signed_record_is_valid_and_checkable_by_ssh_keygen_shape() {
        let s = sign(approve("val", 1), &key(1)).unwrap();
        let c = check(&s.tag_key, &s.tag_value, HERE, &roster());
        assert!(c.valid(), "{:?}", c.findings);
        assert_eq!(c.id, s.id);
        assert!(s.tag_value.contains("-----BEGIN SSH SIGNATURE-----"));
        assert_eq!(hex_sha256(&signed_bytes(&s.fields).unwrap()), s.id);
    }

    fn findings(key_: &str, value: &str, at: Location<'_>) -> String {
        check(key_, value, at, &roster()).findings.join(" | ")
    }

    #[test]
    fn a_signature_verified_before_does_not_vouch_for_another_one_on_the_same_bytes() {
        let s = sign(approve("val", 1), &key(1)).unwrap();
        assert!(check(&s.tag_key, &s.tag_value, HERE, &roster()).valid());
        // The same signed bytes, signed by another key and relabelled with
        // the first one's signature slot: not the signature verified above.
        let other = sign(approve("val", 1), &key(3)).unwrap();
        let mut fields = s.fields.clone();
        fields.insert("sig".into(), other.fields["sig"].clone());
        let forged = super::super::jcs::value(&Value::Object(fields)).unwrap();
        let c = check(&s.tag_key, &forged, HERE, &roster());
        assert!(
            c.findings.iter().any(|f| f.contains("does not verify")),
            "{:?}",
            c.findings
        );
        // And the first still verifies from the memo.
        assert!(check(&s.tag_key, &s.tag_value, HERE, &roster()).valid());
    }

    #[test]
    fn a_remembered_record_still_answers_to_the_roster_and_its_place() {
        let s = sign(approve("val", 1), &key(1)).unwrap();
        assert!(check(&s.tag_key, &s.tag_value, HERE, &roster()).valid());
        assert!(super::super::verified::known(
            &super::super::verified::entry(
                &s.tag_key,
                &s.tag_value,
                s.fields["key"].as_str().unwrap()
            )
        ));
        // Remembered, yet a roster without the actor, or another place, refuses it.
        let nobody = Roster::parse("empty", b"").unwrap();
        let c = check(&s.tag_key, &s.tag_value, HERE, &nobody);
        assert!(
            c.findings.iter().any(|f| f.contains("not in the roster")),
            "{:?}",
            c.findings
        );
        let elsewhere = Location {
            version: "8",
            ..HERE
        };
        assert!(findings(&s.tag_key, &s.tag_value, elsewhere).contains("copied from elsewhere"));
    }

    #[test]
    fn tampering_is_found() {
        let s = sign(approve("val", 1), &key(1)).unwrap();
        // An edited value, even whitespace only.
        let spaced = s.tag_value.replacen(':', ": ", 1);
        assert!(findings(&s.tag_key, &spaced, HERE).contains("canonical"));
        let edited = s.tag_value.replace("\"risk\":\"low\"", "\"risk\":\"high\"");
        let f = findings(&s.tag_key, &edited, HERE);
        assert!(
            f.contains("does not match") && f.contains("does not verify"),
            "{f}"
        );
        // Copied to another version and to another registry.
        let other = Location {
            version: "8",
            ..HERE
        };
        assert!(findings(&s.tag_key, &s.tag_value, other).contains("copied from elsewhere"));
        let other = Location {
            registry: "local:2",
            ..HERE
        };
        assert!(findings(&s.tag_key, &s.tag_value, other).contains("copied from elsewhere"));
    }

    #[test]
    fn signer_checks() {
        // Forged: signed by a key the roster does not give this actor.
        let mut f = approve("val", 1);
        let forged = sign(f.clone(), &key(9)).unwrap();
        assert!(findings(&forged.tag_key, &forged.tag_value, HERE).contains("does not verify"));
        // A key that is not in the roster at all.
        let s = sign(approve("val", 9), &key(9)).unwrap();
        assert!(findings(&s.tag_key, &s.tag_value, HERE).contains("is not a key of val"));
        // Outside the key's window.
        f.insert("at".into(), json!("2027-02-01T00:00:00Z"));
        let s = sign(f, &key(1)).unwrap();
        assert!(findings(&s.tag_key, &s.tag_value, HERE).contains("not valid at"));
        // A role the roster does not give.
        let mut f = approve("own", 2);
        f.insert("role".into(), json!("validator"));
        let s = sign(f, &key(2)).unwrap();
        let c = check(&s.tag_key, &s.tag_value, HERE, &roster());
        assert!(!c.valid() && !c.invalid(), "lapsed, not tampered: {c:?}");
        assert_eq!(
            c.lapsed.as_deref(),
            Some("the roster does not give own the role validator")
        );
        // With another problem besides, it is simply invalid.
        let mut f = approve("own", 2);
        f.insert("role".into(), json!("validator"));
        let mut s = sign(f, &key(2)).unwrap();
        s.tag_value = s.tag_value.replace("\"v\":1", "\"v\":2");
        let c = check(&s.tag_key, &s.tag_value, HERE, &roster());
        assert!(c.invalid() && c.lapsed.is_none());
        assert!(
            c.findings
                .iter()
                .any(|f| f.contains("does not give own the role validator"))
        );
        // Unknown actor.
        let s = sign(approve("mallory", 1), &key(1)).unwrap();
        assert!(findings(&s.tag_key, &s.tag_value, HERE).contains("not in the roster"));
    }

    #[test]
    fn an_unknown_action_is_a_finding_and_still_shown_as_written() {
        // A later protocol's action is unknown to this reader.
        let mut f = approve("val", 1);
        f.insert("action".into(), json!("reopened"));
        let s = sign(f, &key(1)).unwrap();
        let c = check(&s.tag_key, &s.tag_value, HERE, &roster());
        assert!(!c.valid());
        assert!(
            c.findings
                .contains(&"field action is not a known action".to_owned()),
            "{:?}",
            c.findings
        );
        assert_eq!(c.action(), None);
        assert_eq!(c.action_text(), Some("reopened"));
        let known = sign(approve("val", 1), &key(1)).unwrap();
        let c = check(&known.tag_key, &known.tag_value, HERE, &roster());
        assert_eq!(c.action(), Some(Action::Approve));
    }

    #[test]
    fn categories_and_checklists_are_checked_for_shape() {
        let digest = format!("sha256:{}", "c".repeat(64));
        let with = |action: &str, extra: Value| {
            let mut f = approve("val", 1);
            f.insert("action".into(), json!(action));
            f.insert("reason".into(), json!("why"));
            for (k, v) in extra.as_object().unwrap() {
                f.insert(k.clone(), v.clone());
            }
            let s = sign(f, &key(1)).unwrap();
            findings(&s.tag_key, &s.tag_value, HERE)
        };
        assert_eq!(with("reject", json!({"category": "fairness"})), "");
        assert!(
            with("approve", json!({"category": "fairness"})).contains("category belongs to reject")
        );
        assert!(with("reject", json!({"category": "Not plain"})).contains("not a plain category"));
        let answers = |a: Value| json!({"checklist": {"id": "v1", "digest": digest, "answers": a}});
        assert_eq!(
            with(
                "approve",
                answers(json!({"metrics": "yes", "fairness": "n/a"}))
            ),
            ""
        );
        assert_eq!(with("reject", answers(json!({"metrics": "no"}))), "");
        assert_eq!(
            with("approve", answers(json!({"metrics": "no"}))),
            "an approve answered no to checklist item metrics"
        );
        assert!(
            with("approve", answers(json!({"metrics": "maybe"})))
                .contains("field checklist is not")
        );
        assert!(with("approve", answers(json!({}))).contains("field checklist is not"));
        assert!(
            with("comment", answers(json!({"m": "yes"}))).contains("checklist belongs to approve")
        );
        // A machine role signs only what it may.
        let mut f = approve("val", 1);
        f.insert("role".into(), json!("monitor"));
        let s = sign(f, &key(1)).unwrap();
        assert!(
            findings(&s.tag_key, &s.tag_value, HERE)
                .contains("the monitor role signs only comment, checkpoint, reopen, not approve")
        );
    }

    #[test]
    fn field_rules() {
        let mut f = approve("val", 1);
        f.insert("action".into(), json!("reject"));
        let s = sign(f.clone(), &key(1)).unwrap();
        assert!(findings(&s.tag_key, &s.tag_value, HERE).contains("reason is required"));
        f.insert("reason".into(), json!("x".repeat(4001)));
        let s = sign(f.clone(), &key(1)).unwrap();
        assert!(findings(&s.tag_key, &s.tag_value, HERE).contains("over 4000"));
        f.insert("reason".into(), json!("fine"));
        f.insert("extra".into(), json!(1));
        let s = sign(f.clone(), &key(1)).unwrap();
        assert!(findings(&s.tag_key, &s.tag_value, HERE).contains("not part of protocol"));
        f.remove("extra");
        f.insert("at".into(), json!("2026-11-27T10:00:00+01:00"));
        let s = sign(f, &key(1)).unwrap();
        assert!(findings(&s.tag_key, &s.tag_value, HERE).contains("field at"));
        assert!(findings("modelgate.record.xyz", "{}", HERE).contains("not modelgate.record."));
        assert!(
            findings(&format!("{TAG_PREFIX}{}", "a".repeat(64)), "[1]", HERE)
                .contains("not a JSON object")
        );
    }
}
