//! Derived state of a version from its records (PROTOCOL 9). Pure: records are
//! already checked, and the current evidence and gate results come in.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;

use super::checklist::Checklists;
use super::lifetime::Lifetimes;
use super::quorum;
use super::record::{Action, Checked};
use crate::review::revalidation::{LifetimeView, Trigger, TriggerFound};
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
    /// Sound, but the roster no longer backs its role: it shows that a past
    /// quorum was complete, and counts for nothing now.
    pub lapsed: bool,
}

impl<'a> Rec<'a> {
    pub fn from_checked(c: &'a Checked) -> Option<Rec<'a>> {
        if c.invalid() {
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
            lapsed: c.lapsed.is_some(),
        })
    }

    pub fn str(&self, k: &str) -> Option<&'a str> {
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
    let submit = ordered
        .iter()
        .rev()
        .find(|r| r.action == Action::Submit && !r.lapsed)?;
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
    /// How long approvals last (PROTOCOL 15).
    pub lifetimes: &'a Lifetimes,
    /// Now, in seconds since the epoch: approvals expire against it.
    pub now: i64,
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
    /// Signed before the latest reopen: it belongs to an earlier approval
    /// cycle and never counts again (PROTOCOL 15).
    pub before_reopen: bool,
    /// Why it does not count though valid, current and not an author's: its
    /// checklist answers, or the limits of automation.
    pub held_back: Option<String>,
}

impl ApprovalView {
    /// Counts now: current evidence, not revoked, not an author's, in the
    /// current approval cycle.
    pub fn counted(&self) -> bool {
        !self.revoked && !self.stale && !self.by_author && !self.before_reopen
    }
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
    /// `at` of the record that decided the state, when it is not pending
    /// (for `approved`: the approval that completed the quorum or renewal).
    pub decided_at: Option<String>,
    /// `at` of the approval that completed each quorum of the round, in
    /// order: the first is the round's approval, later ones follow reopens,
    /// renewals or new evidence.
    pub quorums: Vec<String>,
    /// Why the version is in revalidation; reopens on a version never
    /// approved in the round are listed too, though it stays pending.
    pub triggers: Vec<TriggerFound>,
    /// The approval's lifetime, while approved or since it ended.
    pub lifetime: Option<LifetimeView>,
    /// Why the state is what it is, and what was not counted.
    pub findings: Vec<String>,
}

fn secs(at: &str) -> Option<i64> {
    super::record::parse_at(at).map(|t| t.timestamp())
}

fn rfc3339(s: i64) -> String {
    chrono::DateTime::from_timestamp(s, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// The role an approval covers: an automated one stands in for `validator`.
fn covers<'a>(r: &Rec<'a>) -> &'a str {
    if r.role == "automation" {
        "validator"
    } else {
        r.role
    }
}

/// The lifetime of a quorum completed at `q` by `counted` approvals (in
/// signing order, with their times), renewals included (PROTOCOL 15).
fn lifetime_of(
    q: i64,
    counted: &[(&str, &str, i64)],
    required: &[String],
    valid: Option<i64>,
    window: i64,
    now: i64,
) -> LifetimeView {
    let Some(valid) = valid else {
        return LifetimeView {
            approved_at: rfc3339(q),
            expires_at: None,
            renewal_from: None,
            renewal_due: false,
            expired: false,
        };
    };
    let mut q = q;
    loop {
        let from = q + valid - window;
        let renewal: Vec<(&str, &str)> = counted
            .iter()
            .filter(|(_, _, at)| *at >= from && *at <= now)
            .map(|(a, r, _)| (*a, *r))
            .collect();
        let times: Vec<i64> = counted
            .iter()
            .filter(|(_, _, at)| *at >= from && *at <= now)
            .map(|(_, _, at)| *at)
            .collect();
        match quorum::completion(required, &renewal).map(|i| times[i]) {
            Some(done) if done > q => q = done,
            _ => break,
        }
    }
    let (expires, from) = (q + valid, q + valid - window);
    LifetimeView {
        approved_at: rfc3339(q),
        expires_at: Some(rfc3339(expires)),
        renewal_from: Some(rfc3339(from)),
        renewal_due: now >= from && now <= expires,
        expired: now > expires,
    }
}

/// A quorum that was complete at some point of the round (PROTOCOL 9.5),
/// judged with its own evidence and the gates its approvals recorded.
struct PastQuorum<'r> {
    /// Index into the round of the approval that completed it.
    done: usize,
    evidence: Option<&'r str>,
    /// One of the approvals that made it has lapsed since.
    lapsed: bool,
    /// What its gates recorded.
    denies: BTreeSet<&'r str>,
    error: bool,
    /// The cycle's approvals on its evidence `(actor, role, at)`, for renewals.
    counted: Vec<(&'r str, &'r str, i64)>,
}

pub fn derive(records: &[Rec<'_>], ctx: &Context<'_>) -> Derived {
    let everything = order(records);
    let ordered: Vec<Rec<'_>> = everything.iter().filter(|r| !r.lapsed).cloned().collect();
    let mut findings = Vec::new();
    let current = |r: &Rec<'_>| ctx.evidence.is_some() && r.evidence == ctx.evidence;

    // The round: records after the latest valid submit.
    let last_submit = ordered.iter().rposition(|r| r.action == Action::Submit);
    let (before, round): (&[Rec<'_>], &[Rec<'_>]) = match last_submit {
        Some(i) => (&ordered[..=i], &ordered[i + 1..]),
        None => (&[], &ordered[..]),
    };
    let submit = last_submit.map(|i| &ordered[i]);
    // The same round with lapsed records in: what past quorums are read from.
    let round_all: Vec<&Rec<'_>> = match submit {
        Some(s) => {
            let at = everything.iter().position(|r| r.id == s.id).unwrap_or(0);
            everything[at + 1..].iter().collect()
        }
        None => everything.iter().collect(),
    };
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
    // The approval cycle: what follows the round's latest reopen (PROTOCOL 15).
    let last_reopen = in_play.iter().rposition(|r| r.action == Action::Reopen);

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
    let valid_for = ctx.lifetimes.valid_secs(risk);
    let window = ctx.lifetimes.window_secs();

    // An automated approval stands in for `validator` only at a tier the
    // configuration lists (never above medium), on gates with nothing to
    // say when it was signed and now (PROTOCOL 14).
    let gates_quiet_now =
        ctx.gate_denies.is_empty() && ctx.gate_warns.is_empty() && ctx.gate_error.is_none();
    let automation_then = |r: &Rec<'_>| -> Option<String> {
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
        None
    };
    let held_back_then = |r: &Rec<'_>| -> Option<String> {
        if r.role == "automation"
            && let Some(why) = automation_then(r)
        {
            return Some(why);
        }
        ctx.checklists.standing(r.fields).refusal()
    };
    let held_back = |r: &Rec<'_>| -> Option<String> {
        if let Some(why) = held_back_then(r) {
            return Some(why);
        }
        (r.role == "automation" && !gates_quiet_now).then(|| {
            "an automated approval counts only while the policy has no deny, warn or error, and it has some now".into()
        })
    };

    let decided = |r: &&Rec<'_>| r.at.to_owned();
    let approvals: Vec<ApprovalView> = in_play
        .iter()
        .enumerate()
        .filter(|(_, r)| r.action == Action::Approve)
        .map(|(i, r)| ApprovalView {
            id: r.id.to_owned(),
            actor: r.actor.to_owned(),
            role: r.role.to_owned(),
            at: r.at.to_owned(),
            stale: !current(r),
            revoked: revoked.contains(r.id),
            by_author: is_author(r.actor),
            automated: r.role == "automation",
            before_reopen: last_reopen.is_some_and(|k| i < k),
            held_back: held_back(r),
        })
        .collect();

    let mut quorums = past_quorums(
        &round_all,
        &required,
        &is_author,
        &held_back_then,
        risk >= Risk::High && submit.is_none(),
    );
    let quorum_times: Vec<String> = quorums
        .iter()
        .filter_map(|q| round_all.get(q.done).map(|r| r.at.to_owned()))
        .collect();
    let past = quorums.pop();
    // Reopens in the round: each after the latest past quorum is a trigger;
    // on a version never approved they are shown, and it stays pending.
    let reopens: Vec<TriggerFound> = round_all
        .iter()
        .enumerate()
        .filter(|(i, r)| {
            r.action == Action::Reopen && !r.lapsed && past.as_ref().is_none_or(|p| *i > p.done)
        })
        .filter_map(|(_, r)| {
            Some(TriggerFound {
                trigger: r.str("trigger").and_then(Trigger::parse)?,
                at: Some(r.at.to_owned()),
                by: Some(r.actor.to_owned()),
                reason: r.str("reason").map(str::to_owned),
                report: r.fields.get("report").cloned(),
                record: Some(r.id.to_owned()),
            })
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
        quorums: quorum_times,
        triggers: reopens.clone(),
        lifetime: None,
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
        let why = if a.before_reopen {
            Some("signed before the version was reopened")
        } else if a.revoked {
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
    let counts = |a: &ApprovalView| {
        !a.before_reopen && !a.revoked && !a.stale && !a.by_author && a.held_back.is_none()
    };
    let counted: Vec<(&str, &str, i64)> = approvals
        .iter()
        .filter(|a| counts(a))
        .map(|a| {
            let role = if a.automated {
                "validator"
            } else {
                a.role.as_str()
            };
            (a.actor.as_str(), role, secs(&a.at).unwrap_or(0))
        })
        .collect();
    let pairs: Vec<(&str, &str)> = counted.iter().map(|(a, r, _)| (*a, *r)).collect();
    d.covered_roles = quorum::assign(&required, &pairs);
    d.missing_roles = required
        .iter()
        .filter(|r| !d.covered_roles.contains_key(*r))
        .cloned()
        .collect();

    let approvers: HashSet<&str> = d.covered_roles.values().map(String::as_str).collect();
    let cycle_start = last_reopen.map_or(0, |k| k + 1);
    let waivers: Vec<&Rec<'_>> = in_play[cycle_start..]
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
    let life = quorum::completion(&required, &pairs).map(|i| {
        lifetime_of(
            counted[i].2,
            &counted,
            &required,
            valid_for,
            window,
            ctx.now,
        )
    });
    if let Some(l) = life.as_ref().filter(|l| l.expired) {
        blockers.push(format!(
            "the approval expired at {}",
            l.expires_at.as_deref().unwrap_or("")
        ));
    }
    if blockers.is_empty() {
        d.state = ReviewState::Approved;
        d.decided_at = life.as_ref().map(|l| l.approved_at.clone());
        d.lifetime = life;
        d.triggers.clear();
        d.findings = findings;
        return d;
    }
    findings.extend(blockers);

    // Approved earlier in the round and not now: revalidation, with why.
    if let Some(p) = past {
        let q = secs(round_all[p.done].at).unwrap_or(0);
        let past_life = lifetime_of(q, &p.counted, &required, valid_for, window, ctx.now);
        let mut triggers = reopens;
        let mut implicit = Vec::new();
        if past_life.expired {
            implicit.push(Trigger::Periodic);
        }
        let denies_now = unwaived.iter().any(|m| !p.denies.contains(m.as_str()));
        if denies_now || (ctx.gate_error.is_some() && !p.error) {
            implicit.push(Trigger::Policy);
        }
        if ctx.evidence.is_none() || ctx.evidence != p.evidence {
            implicit.push(Trigger::Evidence);
        }
        if p.lapsed {
            implicit.push(Trigger::Roster);
        }
        for t in implicit {
            if !triggers.iter().any(|x| x.trigger == t) {
                triggers.push(TriggerFound {
                    trigger: t,
                    at: None,
                    by: None,
                    reason: None,
                    report: None,
                    record: None,
                });
            }
        }
        if !triggers.is_empty() {
            d.state = ReviewState::Revalidation;
            d.decided_at = triggers.iter().filter_map(|t| t.at.clone()).min();
            d.triggers = triggers;
            d.lifetime = Some(past_life);
        } else {
            findings.push(
                "it was approved earlier in this round; the approval no longer stands".into(),
            );
        }
    }
    d.findings = findings;
    d
}

/// Every quorum that was complete at some point of the round, in order: for
/// each approval cycle and each evidence its approvals signed, the moment the
/// approvals on that evidence first covered every required role, provided
/// the gates they recorded had no unwaived deny and no error (PROTOCOL 9.5).
/// Lapsed approvals count here: they did when they were signed.
fn past_quorums<'r>(
    round: &[&Rec<'r>],
    required: &[String],
    is_author: &dyn Fn(&str) -> bool,
    held_back: &dyn Fn(&Rec<'_>) -> Option<String>,
    unsigned_high: bool,
) -> Vec<PastQuorum<'r>> {
    let mut out = Vec::new();
    if unsigned_high {
        return out;
    }
    let mut start = 0;
    let cycles: Vec<(usize, usize)> = {
        let mut v = Vec::new();
        for (i, r) in round.iter().enumerate() {
            if r.action == Action::Reopen && !r.lapsed {
                v.push((start, i));
                start = i + 1;
            }
        }
        v.push((start, round.len()));
        v
    };
    for (lo, hi) in cycles {
        let mut evidences: Vec<&str> = round[lo..hi]
            .iter()
            .filter(|r| r.action == Action::Approve)
            .filter_map(|r| r.evidence)
            .collect();
        evidences.dedup();
        let mut found: Vec<PastQuorum<'r>> = Vec::new();
        for ev in evidences {
            let mut seq: Vec<(usize, &Rec<'r>)> = Vec::new();
            for k in lo..hi {
                let r = round[k];
                if r.action != Action::Approve
                    || r.evidence != Some(ev)
                    || is_author(r.actor)
                    || held_back(r).is_some()
                {
                    continue;
                }
                seq.push((k, r));
                // Approvals revoked before this point no longer counted then.
                let live: Vec<&(usize, &Rec<'r>)> = seq
                    .iter()
                    .filter(|(i, a)| {
                        !round[i + 1..=k]
                            .iter()
                            .any(|x| x.action == Action::Revoke && x.actor == a.actor)
                    })
                    .collect();
                let pairs: Vec<(&str, &str)> =
                    live.iter().map(|(_, a)| (a.actor, covers(a))).collect();
                if quorum::completion(required, &pairs).is_none() {
                    continue;
                }
                // An override later in the cycle completes it then.
                let waived: BTreeSet<&str> = round[lo..hi]
                    .iter()
                    .filter(|x| x.action == Action::Override && x.evidence == Some(ev))
                    .flat_map(|x| x.strings("waives"))
                    .collect();
                let gates = r.fields.get("gates");
                let denies: BTreeSet<&'r str> = gates
                    .and_then(|g| g.get("deny"))
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let error = gates
                    .and_then(|g| g.get("error"))
                    .is_some_and(|e| !e.is_null());
                if error || denies.iter().any(|m| !waived.contains(m)) {
                    continue;
                }
                let assigned = quorum::assign(required, &pairs);
                let lapsed = live.iter().any(|(_, a)| {
                    a.lapsed && assigned.get(covers(a)).is_some_and(|who| who == a.actor)
                });
                // The whole cycle's approvals on this evidence, for renewals.
                let counted: Vec<(&'r str, &'r str, i64)> = round[lo..hi]
                    .iter()
                    .filter(|x| {
                        x.action == Action::Approve
                            && x.evidence == Some(ev)
                            && !is_author(x.actor)
                            && held_back(x).is_none()
                    })
                    .map(|x| (x.actor, covers(x), secs(x.at).unwrap_or(0)))
                    .collect();
                found.push(PastQuorum {
                    done: k,
                    evidence: Some(ev),
                    lapsed,
                    denies,
                    error,
                    counted,
                });
                break;
            }
        }
        found.sort_by_key(|p| p.done);
        out.extend(found);
    }
    out
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod cycles;
