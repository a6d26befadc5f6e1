//! Signed decisions (PROTOCOL 6, 9): build the record from freshly read
//! evidence and gate results, refuse what the protocol forbids before anything
//! is written, then write evidence, record and review tag, in that order. A
//! decision is one idempotent operation: a retry finds its own record (same
//! actor, action, evidence, round) and finishes whatever is missing.

mod structured;
mod writes;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value, json};
use ssh_key::PrivateKey;

use super::ReviewService;
use crate::review::state::ReviewState;
use crate::trust::checklist::Answer;
use crate::trust::deploy::{AliasMove, alias_moves, describe_findings};
use crate::trust::keys;
use crate::trust::record::{self, Action, Checked};
use crate::trust::state::{Context, Derived};
use crate::trust::summary;
pub use writes::{Unfinished, Write, Writes};

/// Model-version tag values may hold this many characters (PROTOCOL 1).
const VERSION_TAG_MAX: usize = 100_000;
pub const EVIDENCE_TAG_PREFIX: &str = "modelgate.evidence.";

/// Who signs: a roster id and its private key.
pub struct Signer {
    pub identity: String,
    pub key: PrivateKey,
    /// Demo only: nonces derived from this seed and the record's subject, so
    /// that pictures of the demo are the same on every run. Real signers
    /// leave it `None` and get 16 random bytes.
    pub demo_nonce_seed: Option<u64>,
}

impl Signer {
    pub fn new(identity: String, key: PrivateKey) -> Self {
        Signer {
            identity,
            key,
            demo_nonce_seed: None,
        }
    }

    fn nonce(&self, subject: &[&str]) -> Result<String, Refused> {
        match self.demo_nonce_seed {
            None => nonce(),
            Some(seed) => {
                use sha2::{Digest, Sha256};
                let mut h = Sha256::new();
                h.update(b"modelgate-demo-nonce\0");
                h.update(seed.to_le_bytes());
                for part in subject {
                    h.update(part.as_bytes());
                    h.update([0]);
                }
                Ok(hex::encode(&h.finalize()[..16]))
            }
        }
    }
}

/// What the reviewer decided.
#[derive(Debug, Clone)]
pub struct Decision {
    pub action: Action,
    pub role: Option<String>,
    pub reason: Option<String>,
    /// `override`: the exact deny messages waived.
    pub waives: Vec<String>,
    /// The evidence digest the reviewer looked at; signing refuses if it moved.
    pub expected_evidence: Option<String>,
    /// `promote`, `rollback`: the alias to move (default: the production alias).
    pub alias: Option<String>,
    /// `rollback`: the incident id, and whether the target need not be approved.
    pub incident: Option<String>,
    pub break_glass: bool,
    /// `ratify`: the rollback record ratified.
    pub ratifies: Option<String>,
    /// `reject`, `request_changes`: one of `decision_categories`.
    pub category: Option<String>,
    /// Answers to the checklist that applies to the role and risk.
    pub answers: BTreeMap<String, Answer>,
    /// `reopen`: why (PROTOCOL 15), and the monitoring report behind it
    /// (`{kind, digest, summary}`, PROTOCOL 16).
    pub trigger: Option<crate::review::revalidation::Trigger>,
    pub report: Option<Value>,
}

impl Decision {
    /// `action` with no role, reason or other detail given.
    pub fn new(action: Action) -> Decision {
        Decision {
            action,
            role: None,
            reason: None,
            waives: Vec::new(),
            expected_evidence: None,
            alias: None,
            incident: None,
            break_glass: false,
            ratifies: None,
            category: None,
            answers: BTreeMap::new(),
            trigger: None,
            report: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub id: String,
    pub action: Action,
    /// The record was written by this call (false: it was already there).
    pub written: bool,
    /// Each of the decision's writes: made now, or found already present.
    pub writes: Writes,
    /// The state derived from every record after the last read, not a prediction.
    pub state: ReviewState,
    pub record: Map<String, Value>,
    /// Other records by the same actor with the same action and evidence in
    /// this round (signed at the same moment by another process): they count once.
    pub also_recorded: Vec<String>,
}

/// Why a decision did not complete. `Rule` and `Registry`: refused or failed
/// before anything was written. `Unfinished`: signed, and some of its writes
/// are in the registry; the same command again finishes it.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("{0}")]
    Rule(String),
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    #[error("{}", .0.error)]
    Unfinished(Box<Unfinished>),
}

fn refuse<T>(msg: impl Into<String>) -> Result<T, Refused> {
    Err(Refused::Rule(msg.into()))
}

const DECISIONS: [Action; 5] = [
    Action::Approve,
    Action::Reject,
    Action::RequestChanges,
    Action::Override,
    Action::Revoke,
];

fn nonce() -> Result<String, Refused> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b)
        .map_err(|e| Refused::Rule(format!("no randomness from the operating system: {e}")))?;
    Ok(hex::encode(b))
}

/// Ids of sound records (valid or lapsed) no other names as a parent.
fn heads(checked: &[Checked]) -> Vec<String> {
    let valid: Vec<&Checked> = checked.iter().filter(|c| !c.invalid()).collect();
    let named: std::collections::HashSet<&str> = valid
        .iter()
        .filter_map(|c| c.fields.as_ref()?.get("parents")?.as_array())
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut out: Vec<String> = valid
        .iter()
        .map(|c| c.id.clone())
        .filter(|id| !named.contains(id.as_str()))
        .collect();
    out.sort();
    out
}

impl ReviewService {
    /// Records one decision. Refuses, writing nothing, when the protocol forbids it;
    /// returns the existing record when the same decision is already recorded.
    pub async fn decide(
        &self,
        model: &str,
        version: &str,
        d: &Decision,
        signer: &Signer,
        now_ms: i64,
    ) -> Result<Outcome, Refused> {
        let roster = self.roster().map_err(Refused::Rule)?;
        let Some(me) = roster.get(&signer.identity) else {
            return refuse(format!(
                "identity {:?} is not in the roster; ask whoever keeps the roster to add you",
                signer.identity
            ));
        };
        let fingerprint = keys::fingerprint(&signer.key);
        let at_now = chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default();
        match me.keys.iter().find(|k| k.fingerprint == fingerprint) {
            None => {
                return refuse(format!(
                    "the key {fingerprint} is not a key of {} in the roster (`modelgate keys show` prints yours)",
                    me.id
                ));
            }
            Some(k) if !k.valid_at(at_now) => {
                return refuse(format!(
                    "the key {fingerprint} of {} is not valid now (see its window in the roster)",
                    me.id
                ));
            }
            Some(_) => {}
        }

        // Evidence and gates are read now, just before signing.
        let detail = self.show(model, version, now_ms).await?;
        let Some(evidence) = detail.evidence.clone() else {
            return refuse(format!(
                "the evidence of {model} version {version} cannot be computed ({}); nothing can be signed on it",
                detail.summary.problems.join("; ")
            ));
        };
        if let Some(expected) = &d.expected_evidence
            && expected != &evidence
        {
            return refuse(format!(
                "the evidence changed since it was shown (was {expected}, is {evidence}); review it again"
            ));
        }
        let gates = self.evaluate_gates(&detail).result;
        let v = self.registry.get_version(model, version).await?;
        let checked = self.check_records(&v);
        let run_authors = self.authors_of(&v, &checked).await?;
        let ctx = Context {
            evidence: Some(&evidence),
            risk: detail.summary.risk,
            required_roles: &detail.summary.required_roles,
            submitted_by_tag: v
                .tags
                .get(crate::review::state::TAG_SUBMITTED_BY)
                .map(String::as_str),
            run_authors: &run_authors,
            gate_denies: &gates.deny,
            gate_warns: &gates.warn,
            gate_error: gates.error.as_deref(),
            automation_risks: &self.config.automation_risks,
            checklists: &self.config.checklists,
            lifetimes: &self.config.lifetimes,
            now: now_ms.div_euclid(1000),
        };
        let derived = summary::derive(&checked, &ctx);

        // PROTOCOL 11: nothing is signed on a version with integrity findings.
        let integrity = self.integrity_findings(model, version, &checked, now_ms);
        if !integrity.is_empty() {
            return refuse(format!(
                "{model} version {version} has integrity findings: {}. No decision is signed on it until they are resolved: restore the missing records (or remove the invalid ones) and run `modelgate audit verify --model {model}`",
                describe_findings(&integrity)
            ));
        }

        let action = d.action;
        let role = self.pick_role(d, me, &detail.summary.required_roles, &derived)?;
        if !me.has_role(&role) {
            return refuse(format!(
                "the roster does not give {} the role {role}",
                me.id
            ));
        }
        if let Err(why) = action.signable_as(&role) {
            return refuse(why);
        }
        let reason = d.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
        let reason_asked = matches!(
            action,
            Action::Reject
                | Action::RequestChanges
                | Action::Revoke
                | Action::Override
                | Action::Reopen
        );
        if reason_asked && reason.is_none() {
            return refuse(format!("{action} needs a reason (--reason TEXT)"));
        }
        if reason.is_some_and(|r| r.chars().count() > 4000) {
            return refuse("the reason is over 4,000 characters");
        }
        let structured = self.structured(model, version, d, &role, &detail.summary.risk, &gates)?;
        // The same decision already recorded in this round: a retry writes
        // nothing. A move is a retry only while its record is the newest move
        // of the alias and the alias is still where it left it (the move
        // failed) or where it sent it (the answer was lost); otherwise the
        // alias has moved since, and this is a new move with every check.
        let same = self.same_decision(
            &checked,
            &derived,
            &me.id,
            action,
            &role,
            &evidence,
            reason,
            structured.get("category").and_then(Value::as_str),
            d,
        );
        let same = match same {
            Some(existing) if action.moves_alias() => {
                let alias = self.alias_of(d);
                let holder = self.alias_holder(model, &alias).await?;
                let history = self.alias_history(model, &alias).await?;
                let newest = history.last().is_some_and(|m| m.id == existing.id);
                let field = |k: &str| existing.fields.as_ref().and_then(|f| f.get(k)).cloned();
                let same_move = field("alias") == Some(json!(alias))
                    && field("incident").as_ref().and_then(Value::as_str)
                        == d.incident.as_deref().map(str::trim)
                    && field("break_glass")
                        .and_then(|b| b.as_bool())
                        .unwrap_or(false)
                        == d.break_glass;
                let from = field("from_version").and_then(|v| v.as_str().map(str::to_owned));
                let in_flight =
                    holder.is_some() && (holder == from || holder.as_deref() == Some(version));
                (newest && same_move && in_flight).then_some(existing)
            }
            other => other,
        };
        if let Some(existing) = same {
            let existing = existing.clone();
            let writes = Writes {
                record: Write::Present,
                ..Writes::default()
            };
            return self
                .finish(
                    model, version, action, &me.id, existing, &detail, &v, &ctx, writes,
                )
                .await;
        }

        // A revoke also takes back an approval that already completed the
        // review: that is when a reviewer who finds a problem needs it most.
        // Inside the renewal window an approved version is open to decisions:
        // that is how it is renewed (PROTOCOL 15).
        let renewal_due = derived.lifetime.as_ref().is_some_and(|l| l.renewal_due);
        let open = matches!(
            derived.state,
            ReviewState::Pending | ReviewState::Revalidation
        ) || (derived.state == ReviewState::Approved
            && (action == Action::Revoke || renewal_due));
        if DECISIONS.contains(&action) && !open {
            return refuse(format!(
                "{model} version {version} is {}, not pending, in revalidation or due for renewal; a new `modelgate submit` opens a new round",
                derived.state.as_str()
            ));
        }
        if action == Action::Reopen
            && matches!(
                derived.state,
                ReviewState::Withdrawn | ReviewState::Rejected | ReviewState::ChangesRequested
            )
        {
            return refuse(format!(
                "{model} version {version} is {}: there is no approval to reopen",
                derived.state.as_str()
            ));
        }
        if action == Action::Withdraw && derived.submitter.as_deref() != Some(me.id.as_str()) {
            return refuse("only the submitter withdraws a review");
        }
        let is_author = derived.authors.iter().any(|a| a == &me.id);
        if matches!(action, Action::Approve | Action::Override) && is_author {
            return refuse(format!(
                "{} is an author of {model} version {version} (its submitter or run author) and cannot {action} it",
                me.id
            ));
        }
        let mut extra = structured;
        match action {
            Action::Submit => {
                extra.insert(
                    "baseline".into(),
                    detail
                        .summary
                        .baseline
                        .clone()
                        .map_or(Value::Null, Value::String),
                );
                // PROTOCOL 6 (1.1): the run's author at signing binds the authors.
                extra.insert("run_user".into(), json!(detail.run_user));
            }
            Action::Override => {
                if d.waives.is_empty() {
                    return refuse(
                        "override needs at least one --waive MESSAGE, naming a deny exactly",
                    );
                }
                if let Some(bad) = d.waives.iter().find(|w| !gates.deny.contains(w)) {
                    return refuse(format!(
                        "{bad:?} is not a current deny message; `modelgate gate {model} {version}` lists them"
                    ));
                }
                if derived.covered_roles.values().any(|a| a == &me.id) {
                    return refuse(format!(
                        "{} approved this version and cannot also waive its denies",
                        me.id
                    ));
                }
                extra.insert("waives".into(), json!(d.waives));
            }
            Action::Checkpoint => {
                // Covers every valid record now on the version: the ancestors of its heads.
                let mut ids: Vec<&str> = checked
                    .iter()
                    .filter(|c| c.valid())
                    .map(|c| c.id.as_str())
                    .collect();
                if ids.is_empty() {
                    return refuse(format!(
                        "{model} version {version} has no valid record to cover"
                    ));
                }
                ids.sort();
                extra.insert(
                    "covers".into(),
                    json!({"count": ids.len(), "ids_sha256": record::hex_sha256(ids.join("\n").as_bytes())}),
                );
            }
            Action::Promote | Action::Rollback => {
                let alias = self.alias_of(d);
                let holder = self.alias_holder(model, &alias).await?;
                let target: u64 = version.parse().unwrap_or(0);
                if action == Action::Promote && derived.state != ReviewState::Approved {
                    return refuse(format!(
                        "{model} version {version} is {}, not approved; only approved versions are promoted",
                        derived.state.as_str()
                    ));
                }
                if action == Action::Rollback {
                    if d.incident.as_deref().is_none_or(|i| i.trim().is_empty()) {
                        return refuse("rollback needs an incident id (--incident ID)");
                    }
                    let Some(from) = &holder else {
                        return refuse(format!(
                            "no version of {model} holds the alias {alias}: there is nothing to roll back"
                        ));
                    };
                    if from.parse::<u64>().is_ok_and(|f| target >= f) {
                        return refuse(format!(
                            "version {version} is not earlier than version {from}, which holds {alias}; rollback goes back, promote goes forward"
                        ));
                    }
                    if d.break_glass {
                        let history = self.alias_history(model, &alias).await?;
                        if !history.iter().any(|m| m.version == version) {
                            return refuse(format!(
                                "break-glass rollback only goes to a version that once held {alias} by a valid promote or rollback record; version {version} never did"
                            ));
                        }
                    } else if derived.state != ReviewState::Approved {
                        return refuse(format!(
                            "version {version} is {}, not approved; a rollback to it needs --break-glass (and a version that once held {alias})",
                            derived.state.as_str()
                        ));
                    }
                    extra.insert(
                        "incident".into(),
                        json!(d.incident.as_deref().map(str::trim)),
                    );
                    extra.insert("break_glass".into(), json!(d.break_glass));
                }
                if holder.as_deref() == Some(version) {
                    return refuse(format!("version {version} already holds {alias}"));
                }
                extra.insert("alias".into(), json!(alias));
                extra.insert(
                    "from_version".into(),
                    holder.map_or(Value::Null, Value::String),
                );
            }
            Action::Ratify => {
                let Some(target) = d.ratifies.as_deref() else {
                    return refuse("ratify needs the rollback record's id (--record ID)");
                };
                let rollback = checked
                    .iter()
                    .filter(|c| c.valid())
                    .find(|c| c.id == target || (target.len() >= 8 && c.id.starts_with(target)));
                let Some(rollback) = rollback.filter(|c| c.action() == Some(Action::Rollback))
                else {
                    return refuse(format!(
                        "no valid rollback record {target} on {model} version {version}"
                    ));
                };
                if rollback.actor() == Some(me.id.as_str()) {
                    return refuse(
                        "a rollback is ratified by a second person, not by whoever rolled back",
                    );
                }
                extra.insert("ratifies".into(), json!(rollback.id));
            }
            Action::Reopen => {
                let Some(trigger) = d.trigger else {
                    return refuse(format!(
                        "reopen needs a trigger (--trigger T: one of {})",
                        crate::review::revalidation::Trigger::names()
                    ));
                };
                extra.insert("trigger".into(), json!(trigger.as_str()));
                extra.insert("evidence".into(), json!(evidence));
                if let Some(r) = &d.report {
                    extra.insert("report".into(), r.clone());
                }
            }
            Action::Revoke => {
                let mine = derived
                    .approvals
                    .iter()
                    .rev()
                    .find(|a| a.actor == me.id && !a.revoked);
                let Some(a) = mine else {
                    return refuse(format!(
                        "{} has no approval of {model} version {version} to revoke",
                        me.id
                    ));
                };
                extra.insert("revokes".into(), json!(a.id));
            }
            _ => {}
        }

        let mut f = Map::new();
        f.insert("v".into(), json!(1));
        f.insert("action".into(), json!(action.as_str()));
        f.insert("registry".into(), json!(self.registry_id()));
        f.insert("model".into(), json!(model));
        f.insert("version".into(), json!(version));
        f.insert("actor".into(), json!(me.id));
        f.insert("role".into(), json!(role));
        f.insert(
            "at".into(),
            json!(at_now.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
        );
        let at = at_now.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let nonce = signer.nonce(&[action.as_str(), model, version, &me.id, &at])?;
        f.insert("nonce".into(), json!(nonce));
        f.insert("parents".into(), json!(heads(&checked)));
        f.insert("roster".into(), json!(roster.digest));
        f.insert("key".into(), json!(fingerprint));
        if let Some(r) = reason {
            f.insert("reason".into(), json!(r));
        }
        if action.carries_evidence() {
            f.insert("evidence".into(), json!(evidence));
            f.insert(
                "gates".into(),
                serde_json::to_value(&gates).map_err(|e| Refused::Rule(e.to_string()))?,
            );
            f.insert("risk".into(), json!(detail.summary.risk.as_str()));
            f.insert(
                "required_roles".into(),
                json!(detail.summary.required_roles),
            );
        }
        f.extend(extra);
        let signed = record::sign(f, &signer.key).map_err(Refused::Rule)?;

        // Evidence document first, so a record never names evidence an auditor cannot see.
        let mut writes = Writes::default();
        let unfinished = |writes: Writes, error: String| {
            Unfinished::refused(action, model, version, &signed.id, writes, error)
        };
        match self
            .store_evidence(model, version, &detail, &evidence, &v)
            .await
        {
            Ok(w) => writes.evidence_tag = w,
            Err(f) => {
                writes.evidence_tag = f.write;
                return Err(unfinished(
                    writes,
                    format!(
                        "writing the evidence tag failed: {}; the {action} record was not written: run the same command again",
                        f.error
                    ),
                ));
            }
        }
        // The same person approving twice at once: look again just before
        // writing, so that the second process finds the first one's record
        // (what is left is a window of one request; such twins count once).
        if action == Action::Approve {
            let fresh = self.registry.get_version(model, version).await.map_err(|e| {
                unfinished(
                    writes,
                    format!("reading {model} version {version} again failed: {e}; the {action} record was not written: run the same command again"),
                )
            })?;
            let again = self.check_records(&fresh);
            let derived_again = summary::derive(&again, &ctx);
            if let Some(existing) = self.same_decision(
                &again,
                &derived_again,
                &me.id,
                action,
                &role,
                &evidence,
                reason,
                None,
                d,
            ) {
                let existing = existing.clone();
                writes.record = Write::Present;
                return self
                    .finish(
                        model, version, action, &me.id, existing, &detail, &fresh, &ctx, writes,
                    )
                    .await;
            }
        }
        if let Err(f) = self
            .put_tag(model, version, &signed.tag_key, &signed.tag_value)
            .await
        {
            writes.record = f.write;
            let said = if f.write == Write::Unknown {
                "whether it is stored is unknown"
            } else {
                "it is not stored"
            };
            return Err(unfinished(
                writes,
                format!(
                    "writing the {action} record {} failed ({said}): {}; run the same command again: it finds the record if it was stored and finishes the rest",
                    signed.id, f.error
                ),
            ));
        }
        writes.record = Write::Written;
        let found = Checked {
            id: signed.id.clone(),
            fields: Some(signed.fields.clone()),
            findings: Vec::new(),
            lapsed: None,
        };
        self.finish(
            model, version, action, &me.id, found, &detail, &v, &ctx, writes,
        )
        .await
        .map(|mut o| {
            o.written = true;
            o
        })
    }
}

impl ReviewService {
    /// The role to sign in: `--role`, else the one the action implies.
    fn pick_role(
        &self,
        d: &Decision,
        me: &crate::trust::roster::Reviewer,
        required: &[String],
        derived: &Derived,
    ) -> Result<String, Refused> {
        if let Some(r) = &d.role {
            return Ok(r.clone());
        }
        if let Some(allowed) = d.action.allowed_roles() {
            return match allowed.iter().find(|r| me.has_role(r)) {
                Some(r) => Ok((*r).to_owned()),
                None => refuse(format!(
                    "{} needs the role {}, which the roster does not give {}",
                    d.action,
                    allowed.join(" or "),
                    me.id
                )),
            };
        }
        // A required role nobody covers yet, then any required role, then any role.
        let open = required
            .iter()
            .find(|r| me.has_role(r) && !derived.covered_roles.contains_key(*r));
        let any = required.iter().find(|r| me.has_role(r));
        match open.or(any).or(me.roles.first()) {
            Some(r) => Ok(r.clone()),
            None => refuse(format!("the roster gives {} no role", me.id)),
        }
    }

    /// A valid record by this actor in the current round with the same decision.
    #[allow(clippy::too_many_arguments)]
    fn same_decision<'a>(
        &self,
        checked: &'a [Checked],
        derived: &Derived,
        actor: &str,
        action: Action,
        role: &str,
        evidence: &str,
        reason: Option<&str>,
        category: Option<&str>,
        d: &Decision,
    ) -> Option<&'a Checked> {
        let since = derived.submitted_at.as_deref().unwrap_or("");
        // One standing approval per person and approval cycle: a second
        // approve on the same evidence, in whatever role or words, is the
        // first one again; once a renewal is due, only approvals signed
        // inside its window stand for it (PROTOCOL 15).
        let renewing = derived
            .lifetime
            .as_ref()
            .filter(|l| l.renewal_due || l.expired)
            .and_then(|l| l.renewal_from.as_deref());
        let standing = |c: &Checked| {
            derived.approvals.iter().any(|a| {
                a.id == c.id
                    && !a.revoked
                    && !a.before_reopen
                    && renewing.is_none_or(|from| a.at.as_str() >= from)
            })
        };
        let digest = |r: Option<&Value>| r.and_then(|r| r.get("digest")).cloned();
        checked.iter().filter(|c| c.valid()).find(|c| {
            let f = c.fields.as_ref();
            let s = |k: &str| f.and_then(|f| f.get(k)).and_then(Value::as_str);
            let same_words = match action {
                Action::Approve => standing(c),
                // One reopen per report in the round: a drift report
                // applied twice writes nothing new. Without a report, one
                // per trigger and reason in a cycle: a retry writes
                // nothing, the same finding after a new approval is new.
                Action::Reopen => {
                    let reapproved = derived
                        .approvals
                        .iter()
                        .any(|a| Some(a.at.as_str()) > c.at());
                    s("trigger") == d.trigger.map(|t| t.as_str())
                        && match &d.report {
                            Some(r) => digest(f.and_then(|f| f.get("report"))) == digest(Some(r)),
                            None => !reapproved && s("reason") == reason,
                        }
                }
                _ => c.role() == Some(role) && s("reason") == reason && s("category") == category,
            };
            c.actor() == Some(actor)
                && c.action() == Some(action)
                && c.at().is_some_and(|at| at >= since)
                && s("evidence").is_none_or(|e| e == evidence)
                && same_words
                && !matches!(action, Action::Comment | Action::Checkpoint)
        })
    }

    /// The valid promote and rollback records of `alias` on every version of
    /// `model`, oldest first.
    pub async fn alias_history(
        &self,
        model: &str,
        alias: &str,
    ) -> crate::registry::Result<Vec<AliasMove>> {
        let versions = self.registry.list_versions(model).await?;
        let checked = self.check_many(&versions);
        let pairs: Vec<_> = versions
            .iter()
            .zip(&checked)
            .map(|(v, c)| (v, c.as_slice()))
            .collect();
        Ok(alias_moves(&pairs, alias))
    }

    /// The alias a promote or rollback moves: the one named, or production.
    pub fn alias_of(&self, d: &Decision) -> String {
        d.alias
            .clone()
            .unwrap_or_else(|| self.config.production_alias.clone())
    }

    /// The version `alias` points at now, if any.
    pub async fn alias_holder(
        &self,
        model: &str,
        alias: &str,
    ) -> crate::registry::Result<Option<String>> {
        let m = self.registry.get_registered_model(model).await?;
        Ok(m.aliases.get(alias).cloned())
    }

    /// Roster ids of the version's run author.
    pub async fn run_authors_of(
        &self,
        v: &crate::registry::ModelVersion,
    ) -> crate::registry::Result<Vec<String>> {
        let runs = match &v.run_id {
            Some(id) => self.registry.get_runs(std::slice::from_ref(id)).await?,
            None => Vec::new(),
        };
        Ok(self.run_authors(runs.first()))
    }
}
