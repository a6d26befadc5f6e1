//! Derived state of a version from its records (PROTOCOL 9). Pure: records are
//! already checked, and the current evidence and gate results come in.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;

use super::checklist::Checklists;
use super::record::{Action, Checked};
use crate::review::risk::Risk;
use crate::review::state::ReviewState;

/// A valid record with the fields derivation reads.
#[derive(Debug, Clone)]
pub struct Rec<'a> {
    pub id: &'a str,
    pub action: Action,
    pub actor: &'a str,
    pub role: &'a str,
    pub at: &'a str,
    pub evidence: Option<&'a str>,
    pub parents: Vec<&'a str>,
    pub fields: &'a serde_json::Map<String, Value>,
}

impl<'a> Rec<'a> {
    pub fn from_checked(c: &'a Checked) -> Option<Rec<'a>> {
        if !c.valid() {
            return None;
        }
        let f = c.fields.as_ref()?;
        let s = |k: &str| f.get(k).and_then(Value::as_str);
        Some(Rec {
            id: &c.id,
            action: c.action()?,
            actor: s("actor")?,
            role: s("role")?,
            at: s("at")?,
            evidence: s("evidence"),
            parents: f
                .get("parents")?
                .as_array()?
                .iter()
                .filter_map(Value::as_str)
                .collect(),
            fields: f,
        })
    }

    fn str(&self, k: &str) -> Option<&'a str> {
        self.fields.get(k).and_then(Value::as_str)
    }

    fn strings(&self, k: &str) -> Vec<&'a str> {
        self.fields
            .get(k)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }
}

/// What the latest valid `submit` says the version is compared against
/// (PROTOCOL 4: a signed submit's `baseline` replaces the tag and the alias):
/// `Some(None)` when it names none, `None` when there is no valid submit.
pub fn submitted_baseline(records: &[Rec<'_>]) -> Option<Option<String>> {
    let ordered = order(records);
    let submit = ordered.iter().rev().find(|r| r.action == Action::Submit)?;
    Some(submit.str("baseline").map(str::to_owned))
}

/// Parents first, then by `at`, then by id (PROTOCOL 9). Parents that are not
/// among the records (missing, or invalid) do not hold a record back.
pub fn order<'a>(recs: &[Rec<'a>]) -> Vec<Rec<'a>> {
    let index: HashMap<&str, usize> = recs.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let mut waiting = vec![0usize; recs.len()];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); recs.len()];
    for (i, r) in recs.iter().enumerate() {
        for p in r.parents.iter().collect::<BTreeSet<_>>() {
            if let Some(&pi) = index.get(*p)
                && pi != i
            {
                waiting[i] += 1;
                children[pi].push(i);
            }
        }
    }
    let key = |i: usize| Reverse((recs[i].at, recs[i].id, i));
    let mut ready: BinaryHeap<_> = (0..recs.len())
        .filter(|&i| waiting[i] == 0)
        .map(key)
        .collect();
    let mut out = Vec::with_capacity(recs.len());
    let mut done = vec![false; recs.len()];
    while let Some(Reverse((_, _, i))) = ready.pop() {
        done[i] = true;
        out.push(recs[i].clone());
        for &c in &children[i] {
            waiting[c] -= 1;
            if waiting[c] == 0 {
                ready.push(key(c));
            }
        }
    }
    // A parent cycle cannot come from honest signers (ids are hashes of content
    // that names the parents); order what is left by time so nothing is lost.
    let mut rest: Vec<usize> = (0..recs.len()).filter(|&i| !done[i]).collect();
    rest.sort_by_key(|&i| (recs[i].at, recs[i].id));
    out.extend(rest.into_iter().map(|i| recs[i].clone()));
    out
}

/// What derivation needs besides the records.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// `sha256:<hex>` of the current evidence; `None` when it cannot be computed
    /// (then no decision can be shown to be current, and none counts).
    pub evidence: Option<&'a str>,
    pub risk: Risk,
    pub required_roles: &'a [String],
    /// The `modelgate.submitted_by` tag, for unsigned submissions.
    pub submitted_by_tag: Option<&'a str>,
    /// Roster ids of the run's author (`mlflow.user` mapped through the roster).
    pub run_authors: &'a [String],
    /// The configured policy evaluated now on the current evidence.
    pub gate_denies: &'a [String],
    pub gate_warns: &'a [String],
    pub gate_error: Option<&'a str>,
    /// The tiers where an `automation` approval stands in for `validator`
    /// (PROTOCOL 14).
    pub automation_risks: &'a [Risk],
    /// The configured checklists, that approvals must answer (PROTOCOL 13).
    pub checklists: &'a Checklists,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApprovalView {
    pub id: String,
    pub actor: String,
    pub role: String,
    pub at: String,
    /// Signed on evidence that is not the current one.
    pub stale: bool,
    /// Cancelled by the actor's own revoke.
    pub revoked: bool,
    /// The actor is the submitter or a run author.
    pub by_author: bool,
    /// Signed by a pipeline in the `automation` role (PROTOCOL 14).
    pub automated: bool,
    /// Why it does not count though valid, current and not an author's: its
    /// checklist answers, or the limits of automation.
    pub held_back: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Derived {
    pub state: ReviewState,
    pub submitter: Option<String>,
    pub signed_submission: bool,
    /// Effective risk: the configured floor, the current tag and every valid
    /// record's `risk` in the round, whichever is highest (PROTOCOL 9).
    pub risk: Risk,
    /// Effective required roles: the configuration's and the tag's, with every
    /// valid record's `required_roles` in the round added.
    pub required_roles: Vec<String>,
    /// `at` of the latest valid submit (the SLA clock's start), if any.
    pub submitted_at: Option<String>,
    pub authors: Vec<String>,
    pub approvals: Vec<ApprovalView>,
    /// Required roles with a counted approval, by role.
    pub covered_roles: BTreeMap<String, String>,
    pub missing_roles: Vec<String>,
    /// Gate denies that a valid override waives.
    pub waived: Vec<String>,
    /// `at` of the record that decided the state, when it is not pending.
    pub decided_at: Option<String>,
    /// Why the state is what it is, and what was not counted.
    pub findings: Vec<String>,
}

/// Assigns required roles to distinct approvers (a small bipartite matching).
fn assign<'a>(roles: &[String], approvals: &[(&'a str, &'a str)]) -> BTreeMap<String, String> {
    fn go<'a>(
        i: usize,
        roles: &[String],
        approvals: &[(&'a str, &'a str)],
        used: &mut HashSet<&'a str>,
        cur: &mut Vec<(String, String)>,
        best: &mut Vec<(String, String)>,
    ) {
        if cur.len() > best.len() {
            *best = cur.clone();
        }
        if i == roles.len() || best.len() == roles.len() {
            return;
        }
        for &(actor, _) in approvals.iter().filter(|(_, r)| *r == roles[i]) {
            if used.insert(actor) {
                cur.push((roles[i].clone(), actor.to_owned()));
                go(i + 1, roles, approvals, used, cur, best);
                cur.pop();
                used.remove(actor);
            }
        }
        go(i + 1, roles, approvals, used, cur, best);
    }
    let mut best = Vec::new();
    go(
        0,
        roles,
        approvals,
        &mut HashSet::new(),
        &mut Vec::new(),
        &mut best,
    );
    best.into_iter().collect()
}

pub fn derive(records: &[Rec<'_>], ctx: &Context<'_>) -> Derived {
    let ordered = order(records);
    let mut findings = Vec::new();
    let current = |r: &Rec<'_>| ctx.evidence.is_some() && r.evidence == ctx.evidence;

    // The round: records after the latest valid submit.
    let last_submit = ordered.iter().rposition(|r| r.action == Action::Submit);
    let (before, round): (&[Rec<'_>], &[Rec<'_>]) = match last_submit {
        Some(i) => (&ordered[..=i], &ordered[i + 1..]),
        None => (&[], &ordered[..]),
    };
    let submit = last_submit.map(|i| &ordered[i]);
    let submitter = submit
        .map(|s| s.actor.to_owned())
        .or_else(|| ctx.submitted_by_tag.map(str::to_owned));
    if submit.is_none() && ctx.submitted_by_tag.is_some() {
        findings.push(
            "unsigned submission: the submitter is known only from the modelgate.submitted_by tag"
                .into(),
        );
    }
    let mut authors: Vec<String> = submitter
        .iter()
        .cloned()
        .chain(ctx.run_authors.iter().cloned())
        .collect();
    authors.sort();
    authors.dedup();
    let is_author = |a: &str| authors.iter().any(|x| x == a);

    // Rejections and change requests signed on the same evidence as the new
    // submit carry over: resubmitting unchanged evidence does not clear them.
    let carried: Vec<&Rec<'_>> = match submit {
        Some(s) => before
            .iter()
            .filter(|r| {
                matches!(r.action, Action::Reject | Action::RequestChanges)
                    && r.evidence.is_some()
                    && r.evidence == s.evidence
            })
            .collect(),
        None => Vec::new(),
    };
    let in_play: Vec<&Rec<'_>> = carried.into_iter().chain(round.iter()).collect();

    // A revoke cancels every earlier approve by its actor in the round, not
    // only the one it names: two approvals racing must not leave one standing
    // (PROTOCOL 9).
    let revoked: HashSet<&str> = in_play
        .iter()
        .enumerate()
        .filter(|(_, r)| r.action == Action::Approve)
        .filter(|(i, a)| {
            in_play[i + 1..]
                .iter()
                .any(|r| r.action == Action::Revoke && r.actor == a.actor)
        })
        .map(|(_, a)| a.id)
        .collect();

    // What a tag can change is bounded by what was signed (PROTOCOL 9): every
    // valid record in play, the round's submit included, adds its risk and
    // its required roles.
    let mut required: Vec<String> = ctx.required_roles.to_vec();
    let mut risk = ctx.risk;
    for r in submit.into_iter().chain(in_play.iter().copied()) {
        for role in r.strings("required_roles") {
            if !required.iter().any(|x| x == role) {
                required.push(role.to_owned());
            }
        }
        if let Some(rr) = r.str("risk").and_then(Risk::parse) {
            risk = risk.max(rr);
        }
    }
    required.sort();

    // An automated approval stands in for `validator` only at a tier the
    // configuration lists (never above medium), on gates with nothing to
    // say when it was signed and now (PROTOCOL 14).
    let gates_quiet_now =
        ctx.gate_denies.is_empty() && ctx.gate_warns.is_empty() && ctx.gate_error.is_none();
    let automation_limit = |r: &Rec<'_>| -> Option<String> {
        if risk > Risk::Medium || !ctx.automation_risks.contains(&risk) {
            return Some(format!(
                "an automated approval does not count at {risk} risk"
            ));
        }
        let g = r.fields.get("gates");
        let empty = |k: &str| {
            g.and_then(|g| g.get(k))
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty)
        };
        if !(empty("deny")
            && empty("warn")
            && g.and_then(|g| g.get("error")).is_some_and(Value::is_null))
        {
            return Some("an automated approval counts only on gates with no deny, warn or error, and it was signed on some".into());
        }
        if !gates_quiet_now {
            return Some("an automated approval counts only while the policy has no deny, warn or error, and it has some now".into());
        }
        None
    };
    let held_back = |r: &Rec<'_>| -> Option<String> {
        if r.role == "automation"
            && let Some(why) = automation_limit(r)
        {
            return Some(why);
        }
        ctx.checklists.standing(r.fields).refusal()
    };

    let decided = |r: &&Rec<'_>| r.at.to_owned();
    let approvals: Vec<ApprovalView> = in_play
        .iter()
        .filter(|r| r.action == Action::Approve)
        .map(|r| ApprovalView {
            id: r.id.to_owned(),
            actor: r.actor.to_owned(),
            role: r.role.to_owned(),
            at: r.at.to_owned(),
            stale: !current(r),
            revoked: revoked.contains(r.id),
            by_author: is_author(r.actor),
            automated: r.role == "automation",
            held_back: held_back(r),
        })
        .collect();

    let mut d = Derived {
        state: ReviewState::Pending,
        submitter: submitter.clone(),
        signed_submission: submit.is_some(),
        risk,
        required_roles: required.clone(),
        submitted_at: submit.map(|s| s.at.to_owned()),
        authors: authors.clone(),
        approvals: approvals.clone(),
        covered_roles: BTreeMap::new(),
        missing_roles: Vec::new(),
        waived: Vec::new(),
        decided_at: None,
        findings: Vec::new(),
    };

    if let Some(w) = in_play
        .iter()
        .rev()
        .find(|r| r.action == Action::Withdraw && Some(r.actor) == submitter.as_deref())
    {
        d.state = ReviewState::Withdrawn;
        d.decided_at = Some(decided(w));
        d.findings = findings;
        return d;
    }
    let stands = |r: &&&Rec<'_>| current(r);
    if let Some(r) = in_play
        .iter()
        .filter(|r| r.action == Action::Reject && required.iter().any(|x| x == r.role))
        .rev()
        .find(stands)
    {
        d.state = ReviewState::Rejected;
        d.decided_at = Some(decided(r));
        d.findings = findings;
        return d;
    }
    if let Some(r) = in_play
        .iter()
        .filter(|r| r.action == Action::RequestChanges)
        .rev()
        .find(stands)
    {
        d.state = ReviewState::ChangesRequested;
        d.decided_at = Some(decided(r));
        d.findings = findings;
        return d;
    }

    for a in &approvals {
        let why = if a.revoked {
            Some("revoked by its signer")
        } else if a.stale {
            Some("stale: signed on other evidence")
        } else if a.by_author {
            Some("signed by an author of the version")
        } else {
            a.held_back.as_deref()
        };
        if let Some(why) = why {
            findings.push(format!(
                "approval {} by {} as {} does not count: {why}",
                crate::text::short_id(&a.id),
                a.actor,
                a.role
            ));
        }
    }
    let counted: Vec<(&str, &str)> = approvals
        .iter()
        .filter(|a| !a.revoked && !a.stale && !a.by_author && a.held_back.is_none())
        .map(|a| {
            let role = if a.automated {
                "validator"
            } else {
                a.role.as_str()
            };
            (a.actor.as_str(), role)
        })
        .collect();
    d.covered_roles = assign(&required, &counted);
    d.missing_roles = required
        .iter()
        .filter(|r| !d.covered_roles.contains_key(*r))
        .cloned()
        .collect();

    let approvers: HashSet<&str> = d.covered_roles.values().map(String::as_str).collect();
    let waivers: Vec<&Rec<'_>> = in_play
        .iter()
        .filter(|r| {
            r.action == Action::Override
                && current(r)
                && !is_author(r.actor)
                && !approvers.contains(r.actor)
        })
        .copied()
        .collect();
    let waived: BTreeSet<&str> = waivers.iter().flat_map(|r| r.strings("waives")).collect();
    let unwaived: Vec<&String> = ctx
        .gate_denies
        .iter()
        .filter(|m| !waived.contains(m.as_str()))
        .collect();
    d.waived = ctx
        .gate_denies
        .iter()
        .filter(|m| waived.contains(m.as_str()))
        .cloned()
        .collect();

    let needs_signed_submit = risk >= Risk::High;
    let mut blockers = Vec::new();
    if !d.missing_roles.is_empty() {
        blockers.push(format!(
            "no counted approval yet for {}",
            d.missing_roles.join(", ")
        ));
    }
    if needs_signed_submit && submit.is_none() {
        blockers.push(format!("{risk} risk needs a signed submit"));
    }
    if let Some(e) = ctx.gate_error {
        blockers.push(format!(
            "the policy could not be evaluated ({e}); that counts as a deny"
        ));
    }
    if !unwaived.is_empty() {
        blockers.push(format!("{} policy deny(s) not waived", unwaived.len()));
    }
    if ctx.evidence.is_none() {
        blockers.push(
            "the current evidence cannot be computed, so no decision can be shown to be current"
                .into(),
        );
    }
    if blockers.is_empty() {
        d.state = ReviewState::Approved;
        d.decided_at = approvals
            .iter()
            .filter(|a| approvers.contains(a.actor.as_str()))
            .map(|a| a.at.clone())
            .max();
    } else {
        findings.extend(blockers);
    }
    d.findings = findings;
    d
}

#[cfg(test)]
mod tests;
