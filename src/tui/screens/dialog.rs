//! The signing dialog: what is about to be signed, as whom, why, on which
//! evidence, with which category and checklist answers. Focus starts on Cancel; only Enter on Sign signs, in the
//! background. What came of it comes back as data and is put in words here.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::Status;
use crate::review::revalidation::Trigger;
use crate::service::decide::{Outcome, Refused, Write};
use crate::text::short_id as short;
use crate::trust::record::Action;
use crate::tui::action::{Effect, Identity, ReviewKey, SignAs, SignFailure, SignRequest, Signed};
use crate::tui::widgets::input::{self};

mod structured;

pub use structured::{Asks, Structured, counts};

/// Whether this configuration can sign, as read in the background.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Signing {
    #[default]
    Checking,
    Ready,
    /// Why not (identity, roster, key), in words.
    Unavailable(String),
}

impl Signing {
    pub fn from_problem(problem: Option<String>) -> Signing {
        match problem {
            None => Signing::Ready,
            Some(why) => Signing::Unavailable(why),
        }
    }
}

/// The most a dialog's text field holds.
const MAX_TEXT: usize = 4000;

/// What has the keyboard in a signing dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Field {
    #[default]
    Cancel,
    Sign,
    Role,
    Target,
    Reason,
    Incident,
    Confirm,
    /// `reopen`: the trigger picker.
    Trigger,
    /// `reject`, `request_changes`: the category list.
    Category,
    /// Item `n` of the checklist that applies.
    Item(usize),
}

/// The dialog before anything is signed: what, as whom, why, on which evidence.
/// Focus starts on Cancel; only Enter on Sign signs.
#[derive(Debug, Clone, PartialEq)]
pub struct SignDialog {
    pub action: Action,
    pub model: String,
    /// The version signed on (for a rollback: the chosen target).
    pub version: String,
    pub roles: Vec<String>,
    pub role: usize,
    pub reason: String,
    pub incident: String,
    pub confirm: String,
    /// `rollback`: earlier approved versions, newest first.
    pub targets: Vec<String>,
    pub target: usize,
    /// `rollback`: the alias and the version holding it now.
    pub alias: Option<String>,
    pub from: Option<String>,
    pub ratifies: Option<String>,
    pub evidence: Option<String>,
    /// The gate results as they will be signed: policy digest, denies, warns, error.
    pub gates: Option<crate::review::gates::GateResult>,
    pub waives: Vec<String>,
    /// `reopen`: the trigger chosen from `Trigger::ALL`; none at first.
    pub trigger: Option<Trigger>,
    /// The category and checklist answers (PROTOCOL 13).
    pub structured: Structured,
    pub actor: Option<String>,
    pub focus: Option<Field>,
    /// Why nothing can be signed here (configuration): the dialog explains it.
    pub problem: Option<String>,
    /// What Sign is waiting for (a reason, the model's name, ...).
    pub error: Option<String>,
}

impl SignDialog {
    /// A dialog for `action` with nothing filled in yet.
    pub fn new(action: Action) -> SignDialog {
        SignDialog {
            action,
            model: String::new(),
            version: String::new(),
            roles: Vec::new(),
            role: 0,
            reason: String::new(),
            incident: String::new(),
            confirm: String::new(),
            targets: Vec::new(),
            target: 0,
            alias: None,
            from: None,
            ratifies: None,
            evidence: None,
            gates: None,
            waives: Vec::new(),
            trigger: None,
            structured: Structured::default(),
            actor: None,
            focus: None,
            problem: None,
            error: None,
        }
    }

    pub fn focus(&self) -> Field {
        self.focus.unwrap_or(Field::Cancel)
    }

    /// The text and choice fields, in Tab order after Cancel and Sign.
    pub fn inputs(&self) -> Vec<Field> {
        if self.problem.is_some() {
            return vec![];
        }
        match self.action {
            Action::Rollback => vec![
                Field::Target,
                Field::Reason,
                Field::Incident,
                Field::Confirm,
            ],
            _ => {
                let mut f = Vec::new();
                if self.roles.len() > 1 {
                    f.push(Field::Role);
                }
                if self.action == Action::Reopen {
                    f.push(Field::Trigger);
                }
                f.push(Field::Reason);
                if !self.structured.categories.is_empty() {
                    f.push(Field::Category);
                }
                let items = self.checklist().map_or(0, |c| c.items.len());
                f.extend((0..items).map(Field::Item));
                f
            }
        }
    }

    /// The checklist the chosen role answers here, if any.
    pub fn checklist(&self) -> Option<&crate::trust::checklist::Checklist> {
        self.structured.checklist(self.role())
    }

    pub fn fields(&self) -> Vec<Field> {
        let mut f = vec![Field::Cancel];
        if self.problem.is_none() {
            f.push(Field::Sign);
        }
        f.extend(self.inputs());
        f
    }

    pub fn role(&self) -> Option<&str> {
        self.roles.get(self.role).map(String::as_str)
    }

    pub fn target(&self) -> Option<&str> {
        self.targets.get(self.target).map(String::as_str)
    }

    /// What still stops Sign, in words.
    pub fn missing(&self) -> Option<String> {
        if let Some(p) = &self.problem {
            return Some(p.clone());
        }
        if self.action == Action::Reopen && self.trigger.is_none() {
            return Some("Choose the trigger: what calls the approval into question.".into());
        }
        if self.action.needs_reason() && self.reason.trim().is_empty() {
            return Some(format!("{} needs a reason.", self.action));
        }
        if let Some(why) = self.structured.missing(self.action, self.role()) {
            return Some(why);
        }
        if self.action == Action::Rollback {
            if self.target().is_none() {
                return Some("No earlier approved version to roll back to.".into());
            }
            if self.incident.trim().is_empty() {
                return Some("A rollback needs an incident id.".into());
            }
            if self.confirm != self.model {
                return Some(format!(
                    "Type the model's name ({}) to confirm.",
                    self.model
                ));
            }
        }
        None
    }

    /// The model and version the record is signed on.
    pub fn key(&self) -> ReviewKey {
        let version = match self.action {
            Action::Rollback => self.target().unwrap_or_default().to_owned(),
            _ => self.version.clone(),
        };
        ReviewKey::new(self.model.clone(), version)
    }

    pub fn request(&self, signer: Option<SignAs>) -> SignRequest {
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        SignRequest {
            action: self.action,
            role: self.role().map(str::to_owned),
            reason: text(&self.reason),
            waives: self.waives.clone(),
            expected_evidence: self.evidence.clone(),
            incident: text(&self.incident),
            ratifies: self.ratifies.clone(),
            category: self.structured.chosen_category().map(str::to_owned),
            answers: self.structured.decision_answers(self.role()),
            trigger: self.trigger.filter(|_| self.action == Action::Reopen),
            signer,
        }
    }

    /// The record's fields as they will be signed (time, nonce, parents, roster,
    /// key and signature are added when signing).
    pub fn preview(&self) -> serde_json::Value {
        let ReviewKey { model, version } = self.key();
        let mut m = serde_json::Map::new();
        m.insert("action".into(), self.action.as_str().into());
        m.insert("model".into(), model.into());
        m.insert("version".into(), version.into());
        m.insert(
            "actor".into(),
            self.actor.clone().unwrap_or_default().into(),
        );
        m.insert(
            "role".into(),
            self.role().unwrap_or("sre").to_owned().into(),
        );
        if let Some(a) = &self.alias {
            m.insert("alias".into(), a.clone().into());
            m.insert(
                "from_version".into(),
                self.from
                    .clone()
                    .map_or(serde_json::Value::Null, Into::into),
            );
        }
        if self.action == Action::Rollback {
            m.insert("incident".into(), self.incident.trim().to_owned().into());
            m.insert("break_glass".into(), false.into());
        }
        if let Some(r) = &self.ratifies {
            m.insert("ratifies".into(), r.clone().into());
        }
        m.insert("reason".into(), self.reason.trim().to_owned().into());
        serde_json::Value::Object(m)
    }
}

/// The next trigger of `Trigger::ALL` (or the previous), from none chosen.
fn step_trigger(t: Option<Trigger>, forward: bool) -> Option<Trigger> {
    let all = Trigger::ALL;
    let n = all.len() as isize;
    let i = match t {
        None if forward => 0,
        None => n - 1,
        Some(t) => {
            let at = all.iter().position(|x| *x == t).unwrap_or(0) as isize;
            (at + if forward { 1 } else { -1 }).rem_euclid(n)
        }
    };
    Some(all[i as usize])
}

/// Who signs and as which roles; `Err` says why nothing can be signed.
fn signing_roles(
    signing: &Signing,
    identity: &Identity,
    allowed: Option<&[&str]>,
) -> Result<(String, Vec<String>), String> {
    match signing {
        Signing::Checking => {
            return Err("The signing setup is still being read; try again in a moment.".into());
        }
        Signing::Unavailable(why) => return Err(why.clone()),
        Signing::Ready => {}
    }
    let me = match identity {
        Identity::Known(me) => me,
        Identity::Loading => {
            return Err("The roster is still being read; try again in a moment.".into());
        }
        Identity::Unavailable(why) => return Err(why.replace("\"mine\"", "Signing")),
    };
    let roles: Vec<String> = me
        .roles
        .iter()
        .filter(|r| allowed.is_none_or(|a| a.contains(&r.as_str())))
        .cloned()
        .collect();
    if roles.is_empty() {
        return Err(format!(
            "The roster gives {} none of the roles this needs ({}).",
            me.id,
            allowed.unwrap_or(&[]).join(", ")
        ));
    }
    Ok((me.id.clone(), roles))
}

/// A dialog ready to open: the signer and the roles its action may be signed
/// in (a required role nobody covers yet first), or the problem it explains.
pub fn prepare(mut d: SignDialog, signing: &Signing, identity: &Identity) -> SignDialog {
    match signing_roles(signing, identity, d.action.allowed_roles()) {
        Ok((actor, roles)) => {
            d.actor = Some(actor);
            let mut roles = roles;
            roles.sort_by_key(|r| !d.roles.contains(r));
            d.roles = roles;
        }
        Err(why) => {
            d.problem = Some(why);
            d.roles.clear();
        }
    }
    d.focus = Some(Field::Cancel);
    d
}

/// What a key in the dialog asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogKey {
    Stay,
    Close,
    Sign,
}

impl SignDialog {
    /// The text field the focus is on.
    fn text(&mut self) -> Option<&mut String> {
        match self.focus() {
            Field::Reason => Some(&mut self.reason),
            Field::Incident => Some(&mut self.incident),
            Field::Confirm => Some(&mut self.confirm),
            _ => None,
        }
    }

    /// Tab moves focus, Enter on Cancel closes, Enter on Sign signs.
    pub fn on_key(&mut self, k: &KeyEvent) -> DialogKey {
        let fields = self.fields();
        let at = fields.iter().position(|f| *f == self.focus()).unwrap_or(0);
        match k.code {
            KeyCode::Esc => return DialogKey::Close,
            KeyCode::Tab | KeyCode::BackTab => {
                let back = k.code == KeyCode::BackTab || k.modifiers.contains(KeyModifiers::SHIFT);
                let n = fields.len() as isize;
                let i = (at as isize + if back { -1 } else { 1 }).rem_euclid(n);
                self.focus = Some(fields[i as usize]);
            }
            KeyCode::Enter => match self.focus() {
                Field::Cancel => return DialogKey::Close,
                Field::Sign => return DialogKey::Sign,
                _ => self.focus = Some(fields[(at + 1) % fields.len()]),
            },
            KeyCode::Char(' ') if matches!(self.focus(), Field::Item(_)) => {
                if let Field::Item(i) = self.focus() {
                    let role = self.roles.get(self.role).cloned();
                    self.structured.cycle(role.as_deref(), i);
                }
            }
            KeyCode::Up | KeyCode::Down | KeyCode::Char(' ') if self.focus() == Field::Category => {
                self.structured
                    .step_category(if k.code == KeyCode::Up { -1 } else { 1 });
            }
            KeyCode::Up | KeyCode::Down if matches!(self.focus(), Field::Item(_)) => {
                let by: isize = if k.code == KeyCode::Up { -1 } else { 1 };
                let n = fields.len() as isize;
                self.focus = Some(fields[(at as isize + by).rem_euclid(n) as usize]);
            }
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')
                if self.focus() == Field::Trigger =>
            {
                self.trigger = step_trigger(self.trigger, k.code != KeyCode::Left);
            }
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')
                if matches!(self.focus(), Field::Role | Field::Target) =>
            {
                let by: isize = if k.code == KeyCode::Left { -1 } else { 1 };
                let (i, n) = if self.focus() == Field::Role {
                    (&mut self.role, self.roles.len())
                } else {
                    (&mut self.target, self.targets.len())
                };
                if n > 0 {
                    *i = (*i as isize + by).rem_euclid(n as isize) as usize;
                }
            }
            _ => {
                if let Some(t) = self.text() {
                    input::edit(t, k, MAX_TEXT);
                }
            }
        }
        self.error = None;
        DialogKey::Stay
    }

    /// The effect that signs, and what the status line says meanwhile; or
    /// `None` with `error` saying what Sign waits for. `signer`: the persona
    /// acting, if any.
    pub fn sign(&mut self, busy: bool, signer: Option<SignAs>) -> Option<(Effect, Status)> {
        if let Some(why) = self.missing() {
            self.error = Some(why);
            return None;
        }
        if busy {
            self.error = Some("A signature is already being made; wait for it.".into());
            return None;
        }
        let key = self.key();
        let request = self.request(signer);
        let what = Status::info(format!(
            "Signing {} on {} version {}…",
            self.action, key.model, key.version
        ));
        let effect = if self.action == Action::Rollback {
            Effect::Deploy { key, request }
        } else {
            Effect::Sign { key, request }
        };
        Some((effect, what))
    }
}

/// The status line after signing, from what came of it.
pub fn signed_status(key: &ReviewKey, result: &Result<Signed, SignFailure>) -> Status {
    match result {
        Ok(Signed::Decided(o)) => Status::info(signed_message(key, o)),
        Ok(Signed::Deployed(o)) => Status::info(format!(
            "✓ {} {}: {} now points at version {} (record {}{})",
            o.record.action,
            key.model,
            o.alias,
            o.version,
            short(&o.record.id),
            if o.record.written { "" } else { ", reused" }
        )),
        // What was stored is said (PROTOCOL 6).
        Err(SignFailure::Setup(why)) => Status::error(format!("✖ {why}")),
        Err(SignFailure::Refused(r)) => Status::error(format!("✖ {}", sign_failure(r))),
    }
}

/// After a decision: what was stored now, and the state derived after the last read.
fn signed_message(key: &ReviewKey, o: &Outcome) -> String {
    let what = if o.written {
        "signed".to_owned()
    } else if [o.writes.evidence_tag, o.writes.review_tag].contains(&Write::Written) {
        "finished what was missing of".to_owned()
    } else {
        "already signed as".to_owned()
    };
    format!(
        "✓ {} on {} version {}: {what} record {}; the review is {}",
        o.action,
        key.model,
        key.version,
        short(&o.id),
        o.state.as_str()
    )
}

/// After a decision that did not complete: a refusal says nothing was
/// signed only when nothing of it is in the registry.
fn sign_failure(e: &Refused) -> String {
    match e {
        Refused::Unfinished(u) if u.writes.any() => format!(
            "Signed record {}, but not complete: {} ({}); sign again to finish",
            short(&u.id),
            u.error,
            u.writes.describe()
        ),
        other => format!("Refused, nothing signed: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::decide::{Unfinished, Writes};

    fn unfinished(writes: Writes) -> Refused {
        Refused::Unfinished(Box::new(Unfinished {
            complete: false,
            action: Action::Approve,
            model: "m".into(),
            version: "7".into(),
            id: "ab".repeat(32),
            writes,
            error: "the review tag could not be written".into(),
        }))
    }

    #[test]
    fn a_decision_stored_in_part_is_never_called_nothing_signed() {
        let stored = Writes {
            evidence_tag: Write::Present,
            record: Write::Written,
            review_tag: Write::NotWritten,
        };
        let msg = sign_failure(&unfinished(stored));
        assert!(!msg.contains("nothing signed"), "{msg}");
        assert!(msg.contains("record: written now"), "{msg}");
        assert!(msg.contains("sign again to finish"), "{msg}");
        let msg = sign_failure(&unfinished(Writes::default()));
        assert!(msg.starts_with("Refused, nothing signed"), "{msg}");
        let msg = sign_failure(&Refused::Rule("not pending".into()));
        assert_eq!(msg, "Refused, nothing signed: not pending");
    }
}
