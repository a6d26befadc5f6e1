//! The queue as the console shows it: filter as you type, toggles, "mine",
//! sort, and the live SLA of each row. Pure: rows and `now` in, indices out.

use crate::review::gates::ItemGates;
use crate::review::queue::{Kind, QueueItem, parse_time_ms};
use crate::review::risk::Risk;
use crate::review::sla::{self, SlaState};
use crate::review::state::ReviewState;

/// One queue item with what the console computes once per load.
#[derive(Debug, Clone)]
pub struct Row {
    pub item: QueueItem,
    /// Submission time in ms: with the deadline it gives the live SLA state.
    pub submitted_ms: i64,
    /// Lower-case model, submitter, risk, state, kind and triggers, for the filter.
    hay: String,
}

impl Row {
    pub fn new(item: QueueItem) -> Row {
        let submitted_ms = parse_time_ms(&item.submitted_at).unwrap_or(item.deadline_ms);
        let hay = format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}",
            item.model,
            item.submitted_by.as_deref().unwrap_or(""),
            item.risk.as_str(),
            item.state.as_str(),
            item.kind.as_str(),
            item.triggers.join(" ")
        )
        .to_lowercase();
        Row {
            item,
            submitted_ms,
            hay,
        }
    }

    /// SLA state and seconds left at `now_ms` (PROTOCOL 10): the countdown
    /// moves while the console is open; a stopped clock stays stopped.
    ///
    /// A revalidation's clock runs for the tier's SLA hours from its reopen
    /// (or is past an expiry, and so breached); a renewal's runs over its
    /// window, whose length the row does not carry: it keeps the state it
    /// was loaded with until the deadline passes.
    pub fn live_sla(&self, now_ms: i64) -> (SlaState, i64) {
        let it = &self.item;
        match it.sla_state {
            SlaState::Stopped => return (SlaState::Stopped, it.remaining_seconds),
            SlaState::Unscheduled => return (SlaState::Unscheduled, 0),
            _ => {}
        }
        let remaining_ms = it.deadline_ms.saturating_sub(now_ms);
        let total = match it.kind {
            Kind::Review => Some(it.deadline_ms.saturating_sub(self.submitted_ms)),
            Kind::Revalidation => Some((it.sla_hours * 3_600_000.0) as i64),
            Kind::Renewal => None,
        };
        let state = if remaining_ms < 0 {
            SlaState::Breached
        } else {
            match total {
                Some(total) if remaining_ms.saturating_mul(4) <= total => SlaState::AtRisk,
                Some(_) => SlaState::OnTrack,
                None if it.sla_state == SlaState::Breached => SlaState::AtRisk,
                None => it.sla_state,
            }
        };
        (state, remaining_ms.div_euclid(1000))
    }
}

/// The widest a KIND cell may be: room for `↻ revalidation` and a trigger.
pub const KIND_MAX: usize = 24;

/// The cells `kind_text` wants for `item`, up to `KIND_MAX`.
pub fn kind_width(item: &QueueItem) -> usize {
    let head = 2 + item.kind.as_str().len();
    match item.triggers.first() {
        Some(first) if item.kind == Kind::Revalidation => {
            let more = match item.triggers.len() {
                1 => 0,
                n => 2 + (n - 1).to_string().len(),
            };
            (head + 1 + crate::tui::clean::width(first) + more).min(KIND_MAX)
        }
        _ => head,
    }
}

/// `◇ review`, `↻ revalidation drift +1`, `◷ renewal`: a row's kind with its
/// glyph and word, and a revalidation's first trigger with how many more,
/// in at most `width` cells (the count survives a cut name).
pub fn kind_text(item: &QueueItem, width: usize) -> String {
    let head = format!("{} {}", item.kind.glyph(), item.kind.as_str());
    let Some(first) = item
        .triggers
        .first()
        .filter(|_| item.kind == Kind::Revalidation)
    else {
        return head;
    };
    let more = match item.triggers.len() {
        1 => String::new(),
        n => format!(" +{}", n - 1),
    };
    let room = width.saturating_sub(crate::tui::clean::width(&head) + 1 + more.len());
    if room < 3 {
        return head;
    }
    format!(
        "{head} {}{more}",
        crate::tui::clean::ellipsize(&crate::tui::clean::line(first), room)
    )
}

/// `2h05m`, and to the second within the last hour either side of the
/// deadline (`41m07s`, `-3m12s`), where a 1 Hz tick is worth watching.
pub fn countdown(seconds: i64) -> String {
    if seconds.unsigned_abs() >= 3600 {
        return sla::format_remaining(seconds);
    }
    let sign = if seconds < 0 { "-" } else { "" };
    let s = seconds.unsigned_abs();
    format!("{sign}{}m{:02}s", s / 60, s % 60)
}

/// `3d`, `5h`, `12m`: how long ago a review was submitted.
pub fn age(submitted_ms: i64, now_ms: i64) -> String {
    let s = (now_ms - submitted_ms).max(0) / 1000;
    match s {
        s if s >= 86_400 => format!("{}d", s / 86_400),
        s if s >= 3600 => format!("{}h", s / 3600),
        s => format!("{}m", s / 60),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Breached first, then the nearest deadline (the queue's own order).
    #[default]
    Deadline,
    /// Critical first, then deadline.
    Risk,
    /// Oldest submission first.
    Age,
    /// Model name, then version.
    Model,
}

impl SortKey {
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Deadline => SortKey::Risk,
            SortKey::Risk => SortKey::Age,
            SortKey::Age => SortKey::Model,
            SortKey::Model => SortKey::Deadline,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Deadline => "deadline",
            SortKey::Risk => "risk",
            SortKey::Age => "age",
            SortKey::Model => "model",
        }
    }
}

/// Which review states the queue shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StateFilter {
    /// What waits for reviewers: pending reviews, revalidations and
    /// renewals due (PROTOCOL 15), the queue as the service lists it.
    #[default]
    Open,
    All,
    Only(ReviewState),
}

impl StateFilter {
    pub fn next(self) -> StateFilter {
        match self {
            StateFilter::Open => StateFilter::All,
            StateFilter::All => StateFilter::Only(ReviewState::ChangesRequested),
            StateFilter::Only(ReviewState::ChangesRequested) => {
                StateFilter::Only(ReviewState::Rejected)
            }
            StateFilter::Only(ReviewState::Rejected) => StateFilter::Only(ReviewState::Approved),
            StateFilter::Only(ReviewState::Approved) => StateFilter::Only(ReviewState::Withdrawn),
            StateFilter::Only(_) => StateFilter::Open,
        }
    }

    /// Whether the registry must be asked for every state, not only the open ones.
    pub fn needs_all(self) -> bool {
        self != StateFilter::Open
    }

    pub fn label(self) -> &'static str {
        match self {
            StateFilter::Open => "open",
            StateFilter::All => "all",
            StateFilter::Only(s) => s.as_str(),
        }
    }

    pub fn admits(self, item: &QueueItem) -> bool {
        match self {
            StateFilter::Open => item.state.clock_runs() || item.kind == Kind::Renewal,
            StateFilter::All => true,
            StateFilter::Only(o) => item.state == o,
        }
    }
}

/// The kind toggle: all, then review, revalidation, renewal.
pub fn next_kind(k: Option<Kind>) -> Option<Kind> {
    match k {
        None => Some(Kind::Review),
        Some(Kind::Review) => Some(Kind::Revalidation),
        Some(Kind::Revalidation) => Some(Kind::Renewal),
        Some(Kind::Renewal) => None,
    }
}

/// The risk toggle: all, then one tier at a time, most severe first.
pub fn next_risk(r: Option<Risk>) -> Option<Risk> {
    match r {
        None => Some(Risk::Critical),
        Some(Risk::Critical) => Some(Risk::High),
        Some(Risk::High) => Some(Risk::Medium),
        Some(Risk::Medium) => Some(Risk::Low),
        Some(Risk::Low) => None,
    }
}

/// Who I am in the roster: enough to tell which reviews need me.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Me {
    pub id: String,
    pub roles: Vec<String>,
    pub mlflow_users: Vec<String>,
}

impl Me {
    /// PROTOCOL 9's authors: the submitter, and whoever logged the run.
    pub fn authored(&self, item: &QueueItem) -> bool {
        item.submitted_by.as_deref() == Some(self.id.as_str())
            || item
                .run_user
                .as_deref()
                .is_some_and(|u| self.mlflow_users.iter().any(|m| m == u))
    }

    /// Waiting for a role I hold, and not mine to approve away: a pending
    /// review or a revalidation still missing it, or a renewal due (whose
    /// earlier approvals are the ones to renew).
    pub fn needed_for(&self, item: &QueueItem) -> bool {
        let holds = |role: &String| self.roles.contains(role);
        let open = match item.kind {
            Kind::Renewal => item.required_roles.iter().any(holds),
            _ => {
                item.state.clock_runs()
                    && item
                        .required_roles
                        .iter()
                        .any(|r| holds(r) && !item.approvals.iter().any(|a| &a.role == r))
            }
        };
        open && !self.authored(item)
    }
}

/// Everything that narrows the queue.
#[derive(Debug, Clone, Default)]
pub struct Filters<'a> {
    /// Words that must all appear (case-insensitive) in model, submitter, risk or state.
    pub text: &'a str,
    pub risk: Option<Risk>,
    pub state: StateFilter,
    /// One kind only (review, revalidation, renewal), or every kind.
    pub kind: Option<Kind>,
    /// Some when "mine" is on.
    pub mine: Option<&'a Me>,
}

impl Filters<'_> {
    pub fn admits(&self, row: &Row, words: &[String]) -> bool {
        self.state.admits(&row.item)
            && self.kind.is_none_or(|k| row.item.kind == k)
            && self.risk.is_none_or(|r| row.item.risk == r)
            && self.mine.is_none_or(|me| me.needed_for(&row.item))
            && words.iter().all(|w| row.hay.contains(w.as_str()))
    }
}

/// Indices of the rows to show, in display order.
pub fn visible(rows: &[Row], filters: &Filters<'_>, sort: SortKey) -> Vec<u32> {
    let words: Vec<String> = filters
        .text
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    let mut out: Vec<u32> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| filters.admits(r, &words))
        .map(|(i, _)| i as u32)
        .collect();
    let item = |i: &u32| &rows[*i as usize];
    // Rows arrive in deadline order; a stable sort keeps it as the tie-breaker.
    match sort {
        SortKey::Deadline => {}
        SortKey::Risk => out.sort_by_key(|i| std::cmp::Reverse(item(i).item.risk)),
        SortKey::Age => out.sort_by_key(|i| item(i).submitted_ms),
        SortKey::Model => out.sort_by(|a, b| {
            let (a, b) = (&item(a).item, &item(b).item);
            a.model.cmp(&b.model).then_with(|| {
                let n = |v: &str| v.parse::<u64>().unwrap_or(u64::MAX);
                n(&a.version).cmp(&n(&b.version))
            })
        }),
    }
    out
}

/// The queue header's counts at a moment, over every row loaded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Pending first reviews.
    pub pending: usize,
    pub revalidation: usize,
    /// Renewals due (still approved, inside the renewal window).
    pub renewal: usize,
    /// Of those three, at risk and breached.
    pub at_risk: usize,
    pub breached: usize,
}

/// Pending reviews, revalidations, renewals due, and of them how many are
/// at risk and breached at `now_ms`.
pub fn counts(rows: &[Row], now_ms: i64) -> Counts {
    let mut c = Counts::default();
    for r in rows.iter().filter(|r| StateFilter::Open.admits(&r.item)) {
        match r.item.kind {
            Kind::Review if r.item.state == ReviewState::Pending => c.pending += 1,
            Kind::Review => continue,
            Kind::Revalidation => c.revalidation += 1,
            Kind::Renewal => c.renewal += 1,
        }
        match r.live_sla(now_ms).0 {
            SlaState::AtRisk => c.at_risk += 1,
            SlaState::Breached => c.breached += 1,
            _ => {}
        }
    }
    c
}

/// Gate results in a few characters: `✖2 ▲1`, `▲1`, `✓ pass`, `! error`
/// (an evaluation that failed, which counts as a deny); `–` until the
/// background evaluation has answered.
pub fn gate_summary(gates: Option<&ItemGates>) -> String {
    let (deny, warn, error) = match gates {
        None => return "–".into(),
        Some(ItemGates::Counts(c)) => (c.deny, c.warn, c.error.is_some()),
        Some(ItemGates::Report(r)) => (
            r.result.deny.len(),
            r.result.warn.len(),
            r.result.error.is_some(),
        ),
    };
    if error {
        return "! error".into();
    }
    match (deny, warn) {
        (0, 0) => "✓ pass".into(),
        (d, 0) => format!("✖{d}"),
        (0, w) => format!("▲{w}"),
        (d, w) => format!("✖{d} ▲{w}"),
    }
}

/// `1/3`, with `?` when some approvals are not yet verified against the
/// current evidence (PROTOCOL 9 lets the queue show them as unverified).
pub fn approvals(item: &QueueItem) -> String {
    let verified = item.approvals.iter().filter(|a| a.verified).count();
    let unverified = item.approvals.len() - verified;
    let base = format!("{verified}/{}", item.required_roles.len());
    if unverified > 0 {
        format!("{base}+{unverified}?")
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::queue::{Approval, rfc3339_ms};

    const H: i64 = 3_600_000;

    fn item(model: &str, risk: Risk, state: ReviewState, submitted: i64, hours: i64) -> QueueItem {
        QueueItem {
            model: model.into(),
            version: "1".into(),
            kind: Default::default(),
            triggers: vec![],
            risk,
            state,
            submitted_at: rfc3339_ms(submitted),
            submitted_by: Some(format!("{model}-owner@x")),
            deadline: Some(rfc3339_ms(submitted + hours * H)),
            sla_state: if state == ReviewState::Pending {
                SlaState::OnTrack
            } else {
                SlaState::Stopped
            },
            remaining_seconds: 0,
            baseline: None,
            required_roles: vec!["validator".into(), "domain".into()],
            approvals: vec![],
            metrics: vec![],
            gates: None,
            problems: vec![],
            deadline_ms: submitted + hours * H,
            sla_hours: hours as f64,
            run_user: Some(format!("{model}.user")),
        }
    }

    fn rows() -> Vec<Row> {
        [
            item("fraud-scorer", Risk::Critical, ReviewState::Pending, 0, 24),
            item("churn", Risk::Low, ReviewState::Pending, 0, 120),
            item("credit-limit", Risk::High, ReviewState::Approved, 0, 48),
            item(
                "fraud-rules",
                Risk::Medium,
                ReviewState::Pending,
                -50 * H,
                72,
            ),
        ]
        .into_iter()
        .map(Row::new)
        .collect()
    }

    #[test]
    fn live_sla_moves_with_the_clock() {
        let r = &rows()[0];
        assert_eq!(r.live_sla(0), (SlaState::OnTrack, 24 * 3600));
        assert_eq!(r.live_sla(18 * H).0, SlaState::AtRisk);
        assert_eq!(r.live_sla(24 * H + 1000), (SlaState::Breached, -1));
        assert_eq!(rows()[2].live_sla(1000 * H).0, SlaState::Stopped);
        let c = counts(&rows(), 23 * H);
        assert_eq!((c.pending, c.at_risk, c.breached), (3, 1, 1));
        assert_eq!((c.revalidation, c.renewal), (0, 0));
    }

    /// A revalidation reopened at `at` (or unscheduled without it) and a
    /// renewal due, beside the pending reviews of `rows`.
    fn continuous() -> Vec<Row> {
        let mut reval = item(
            "scorer",
            Risk::High,
            ReviewState::Revalidation,
            -100 * H,
            24,
        );
        reval.kind = Kind::Revalidation;
        reval.triggers = vec!["drift".into(), "policy".into()];
        reval.deadline_ms = 2 * H;
        reval.sla_state = SlaState::AtRisk;
        let mut unscheduled = item("ranker", Risk::Low, ReviewState::Revalidation, -100 * H, 24);
        unscheduled.kind = Kind::Revalidation;
        unscheduled.triggers = vec!["evidence".into()];
        unscheduled.deadline = None;
        unscheduled.deadline_ms = i64::MIN;
        unscheduled.sla_state = SlaState::Unscheduled;
        let mut renewal = item("pricing", Risk::Medium, ReviewState::Approved, -900 * H, 72);
        renewal.kind = Kind::Renewal;
        renewal.deadline_ms = 300 * H;
        renewal.sla_state = SlaState::OnTrack;
        let mut out = rows();
        out.extend([reval, unscheduled, renewal].map(Row::new));
        out
    }

    #[test]
    fn the_kind_filter_cycles_and_the_open_queue_holds_every_kind() {
        let rows = continuous();
        let shown = |kind: Option<Kind>, state| -> Vec<String> {
            let f = Filters {
                state,
                kind,
                ..Default::default()
            };
            visible(&rows, &f, SortKey::Model)
                .iter()
                .map(|i| rows[*i as usize].item.model.clone())
                .collect()
        };
        assert_eq!(
            shown(None, StateFilter::Open),
            [
                "churn",
                "fraud-rules",
                "fraud-scorer",
                "pricing",
                "ranker",
                "scorer"
            ],
            "the approved credit-limit is not open; the renewal is"
        );
        let mut k = None;
        let mut seen = Vec::new();
        for _ in 0..4 {
            k = next_kind(k);
            seen.push(k);
        }
        assert_eq!(
            seen,
            [
                Some(Kind::Review),
                Some(Kind::Revalidation),
                Some(Kind::Renewal),
                None
            ]
        );
        assert_eq!(
            shown(Some(Kind::Review), StateFilter::Open),
            ["churn", "fraud-rules", "fraud-scorer"]
        );
        assert_eq!(
            shown(Some(Kind::Revalidation), StateFilter::Open),
            ["ranker", "scorer"]
        );
        assert_eq!(shown(Some(Kind::Renewal), StateFilter::Open), ["pricing"]);
        assert_eq!(
            shown(Some(Kind::Review), StateFilter::All),
            ["churn", "credit-limit", "fraud-rules", "fraud-scorer"]
        );
        // The text filter finds kinds and triggers too.
        let f = Filters {
            text: "drift",
            ..Default::default()
        };
        assert_eq!(visible(&rows, &f, SortKey::Model).len(), 1);
        let c = counts(&rows, 23 * H);
        assert_eq!(
            c,
            Counts {
                pending: 3,
                revalidation: 2,
                renewal: 1,
                at_risk: 1,
                breached: 2,
            },
            "fraud-scorer at risk, fraud-rules and the reopened scorer breached; unscheduled is neither"
        );
    }

    #[test]
    fn kinds_read_with_a_glyph_a_word_and_the_triggers() {
        let rows = continuous();
        let by = |m: &str| &rows.iter().find(|r| r.item.model == m).unwrap().item;
        assert_eq!(kind_text(by("churn"), 24), "◇ review");
        assert_eq!(kind_text(by("scorer"), 24), "↻ revalidation drift +1");
        assert_eq!(kind_text(by("ranker"), 24), "↻ revalidation evidence");
        assert_eq!(kind_text(by("pricing"), 24), "◷ renewal");
        assert_eq!(
            kind_text(by("scorer"), 21),
            "↻ revalidation dr… +1",
            "a cut trigger keeps its count"
        );
        assert_eq!(kind_text(by("scorer"), 14), "↻ revalidation");
        assert_eq!(kind_width(by("scorer")), 23);
        assert_eq!(kind_width(by("churn")), 8);
        assert_eq!(kind_width(by("pricing")), 9);
        let mut hostile = by("scorer").clone();
        hostile.triggers = vec!["\u{1b}[2Jx".into()];
        assert_eq!(kind_text(&hostile, 30), "↻ revalidation ^[[2Jx");
        // The clocks: a reopen's runs for the tier's hours, an unscheduled
        // one has none, a renewal keeps its state until its deadline.
        let row = |m: &str| rows.iter().find(|r| r.item.model == m).unwrap();
        assert_eq!(row("scorer").live_sla(0).0, SlaState::AtRisk);
        assert_eq!(row("scorer").live_sla(-20 * H).0, SlaState::OnTrack);
        assert_eq!(row("scorer").live_sla(3 * H).0, SlaState::Breached);
        assert_eq!(row("ranker").live_sla(1000 * H), (SlaState::Unscheduled, 0));
        assert_eq!(row("pricing").live_sla(0).0, SlaState::OnTrack);
        assert_eq!(row("pricing").live_sla(301 * H).0, SlaState::Breached);
        // "mine": a renewal needs every holder of a required role again.
        let me = Me {
            id: "dev@x".into(),
            roles: vec!["domain".into()],
            mlflow_users: vec![],
        };
        let mut renewed = by("pricing").clone();
        renewed.approvals.push(Approval {
            actor: "dev@x".into(),
            role: "domain".into(),
            at: "t".into(),
            verified: true,
        });
        assert!(me.needed_for(&renewed), "a renewal asks again");
        assert!(me.needed_for(by("scorer")));
        assert!(!me.needed_for(by("credit-limit")), "approved, not due");
    }

    #[test]
    fn countdown_shows_seconds_near_the_deadline() {
        assert_eq!(countdown(2 * 3600 + 5 * 60 + 9), "2h05m");
        assert_eq!(countdown(41 * 60 + 7), "41m07s");
        assert_eq!(countdown(-(3 * 60 + 12)), "-3m12s");
        assert_eq!(countdown(-(5 * 3600)), "-5h00m");
        assert_eq!(age(0, 3 * 86_400_000 + 5), "3d");
        assert_eq!(age(0, 5 * H), "5h");
    }

    #[test]
    fn filter_words_toggles_and_sorts() {
        let rows = rows();
        let f = |text, risk, state| Filters {
            text,
            risk,
            state,
            kind: None,
            mine: None,
        };
        let names = |v: Vec<u32>| -> Vec<String> {
            v.iter()
                .map(|i| rows[*i as usize].item.model.clone())
                .collect()
        };
        assert_eq!(
            names(visible(
                &rows,
                &f("", None, StateFilter::Open),
                SortKey::Deadline
            )),
            ["fraud-scorer", "churn", "fraud-rules"]
        );
        assert_eq!(
            names(visible(
                &rows,
                &f("FRAUD", None, StateFilter::Open),
                SortKey::Deadline
            )),
            ["fraud-scorer", "fraud-rules"]
        );
        assert_eq!(
            names(visible(
                &rows,
                &f("fraud medium", None, StateFilter::Open),
                SortKey::Deadline
            )),
            ["fraud-rules"],
            "every word must match, in any field"
        );
        assert_eq!(
            names(visible(
                &rows,
                &f("churn-owner", None, StateFilter::Open),
                SortKey::Deadline
            )),
            ["churn"],
            "the submitter is searched"
        );
        assert_eq!(
            names(visible(
                &rows,
                &f("", Some(Risk::High), StateFilter::All),
                SortKey::Deadline
            )),
            ["credit-limit"]
        );
        assert_eq!(
            names(visible(
                &rows,
                &f("", None, StateFilter::Only(ReviewState::Approved)),
                SortKey::Deadline
            )),
            ["credit-limit"]
        );
        assert_eq!(
            names(visible(
                &rows,
                &f("", None, StateFilter::All),
                SortKey::Risk
            )),
            ["fraud-scorer", "credit-limit", "fraud-rules", "churn"]
        );
        assert_eq!(
            names(visible(
                &rows,
                &f("", None, StateFilter::Open),
                SortKey::Age
            )),
            ["fraud-rules", "fraud-scorer", "churn"]
        );
        assert_eq!(
            names(visible(
                &rows,
                &f("", None, StateFilter::All),
                SortKey::Model
            )),
            ["churn", "credit-limit", "fraud-rules", "fraud-scorer"]
        );
    }

    #[test]
    fn mine_needs_a_missing_role_and_no_authorship() {
        let rows = rows();
        let me = Me {
            id: "dev@x".into(),
            roles: vec!["domain".into()],
            mlflow_users: vec!["churn.user".into()],
        };
        let f = Filters {
            mine: Some(&me),
            ..Default::default()
        };
        let shown: Vec<&str> = visible(&rows, &f, SortKey::Deadline)
            .iter()
            .map(|i| rows[*i as usize].item.model.as_str())
            .collect();
        assert_eq!(
            shown,
            ["fraud-scorer", "fraud-rules"],
            "churn's run is mine"
        );
        let mut approved = rows[0].item.clone();
        approved.approvals.push(Approval {
            actor: "x".into(),
            role: "domain".into(),
            at: "t".into(),
            verified: false,
        });
        assert!(!me.needed_for(&approved), "my role is already covered");
        let mut submitted = rows[0].item.clone();
        submitted.submitted_by = Some("dev@x".into());
        assert!(!me.needed_for(&submitted), "I submitted it");
        assert_eq!(approvals(&approved), "0/2+1?");
    }

    #[test]
    fn toggles_cycle_back_to_the_start() {
        let mut s = StateFilter::Open;
        for _ in 0..6 {
            s = s.next();
        }
        assert_eq!(s, StateFilter::Open);
        let mut r = None;
        for _ in 0..5 {
            r = next_risk(r);
        }
        assert_eq!(r, None);
        let mut k = SortKey::Deadline;
        for _ in 0..4 {
            k = k.next();
        }
        assert_eq!(k, SortKey::Deadline);
    }

    #[test]
    fn gate_summaries() {
        use crate::review::gates::GateCounts;
        let c = |deny, warn, error: Option<&str>| {
            ItemGates::Counts(GateCounts {
                deny,
                warn,
                error: error.map(str::to_owned),
            })
        };
        assert_eq!(gate_summary(None), "–");
        assert_eq!(gate_summary(Some(&c(0, 0, None))), "✓ pass");
        assert_eq!(gate_summary(Some(&c(2, 1, None))), "✖2 ▲1");
        assert_eq!(gate_summary(Some(&c(0, 3, None))), "▲3");
        assert_eq!(gate_summary(Some(&c(1, 0, Some("boom")))), "! error");
    }
}
