//! What happens to the console (`Action`) and what it asks the outside world to
//! do (`Effect`). Effects run in tokio tasks and come back as actions.

use std::sync::Arc;

use crossterm::event::{KeyEvent, MouseEvent};

use super::highlight::{HighlightStyle, Prepared};
use super::keymap::Command;
use super::list::Me;
use crate::review::detail::ReviewDetail;
use crate::review::gates::ItemGates;
use crate::review::queue::QueueItem;
use crate::service::audit::VerifyReport;
use crate::service::decide::{Outcome, Refused};
use crate::service::deploy::{Deployed, Deployments};
use crate::service::history::MetricHistory;
use crate::service::records::RecordView;
use crate::stats::{Stats, StatsFilter};

/// A review's identity: model and version.
pub type ReviewKey = crate::registry::VersionKey;

/// Why "mine" cannot work, or who I am.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    Loading,
    Known(Me),
    /// Said in the status line when "mine" is asked for.
    Unavailable(String),
}

/// Who signs instead of the configured identity: a demo persona picked in
/// the console (its roster id and the key file the demo wrote for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignAs {
    pub id: String,
    pub key_file: std::path::PathBuf,
}

#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// The 1 Hz clock, with the time now in ms.
    Tick(i64),
    /// The spinner's frame while something loads.
    Spin,
    /// A command, as a key or the palette would run it.
    Run(Command),
    QueueLoaded {
        all: bool,
        result: Result<Vec<QueueItem>, String>,
    },
    ReviewLoaded {
        key: ReviewKey,
        result: Result<Arc<ReviewDetail>, String>,
    },
    /// Highlighted model card and signature diff, computed off the UI task.
    Prepared {
        key: ReviewKey,
        prepared: Box<Prepared>,
    },
    HistoryLoaded {
        key: ReviewKey,
        histories: Vec<MetricHistory>,
    },
    IdentityLoaded(Identity),
    /// Policy gate counts per review, from the background evaluation.
    GatesEvaluated {
        result: Result<Vec<(ReviewKey, ItemGates)>, String>,
    },
    /// Why signing cannot work here (identity, roster, key), or `None` when it can.
    SigningChecked(Option<String>),
    /// A decision, promotion, rollback or ratification came back: what was
    /// stored, or why not.
    Signed {
        key: ReviewKey,
        result: Result<Signed, SignFailure>,
    },
    AuditLoaded(Result<Arc<AuditData>, String>),
    Verified(Result<Arc<VerifyReport>, String>),
    Exported(Result<Exported, String>),
    DeployLoaded(Result<Arc<Deployments>, String>),
    /// The figures of `:stats` for the period they were asked for.
    StatsLoaded {
        period: StatsPeriod,
        result: Result<Arc<Stats>, String>,
    },
}

/// The periods `[` and `]` cycle through: all time, then the last 7, 30
/// and 90 days (since now less that many days).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum StatsPeriod {
    #[default]
    All,
    Days7,
    Days30,
    Days90,
}

impl StatsPeriod {
    pub const ALL: [StatsPeriod; 4] = [
        StatsPeriod::All,
        StatsPeriod::Days7,
        StatsPeriod::Days30,
        StatsPeriod::Days90,
    ];

    pub fn days(self) -> Option<u32> {
        match self {
            StatsPeriod::All => None,
            StatsPeriod::Days7 => Some(7),
            StatsPeriod::Days30 => Some(30),
            StatsPeriod::Days90 => Some(90),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StatsPeriod::All => "all time",
            StatsPeriod::Days7 => "last 7 days",
            StatsPeriod::Days30 => "last 30 days",
            StatsPeriod::Days90 => "last 90 days",
        }
    }

    /// The next period (`by` 1) or the previous one (`by` -1), wrapping.
    pub fn step(self, by: isize) -> StatsPeriod {
        let n = Self::ALL.len() as isize;
        let i = Self::ALL.iter().position(|p| *p == self).unwrap_or(0) as isize;
        Self::ALL[(i + by).rem_euclid(n) as usize]
    }

    /// What the service is asked for: `since` an age the service reads
    /// against its clock (`30d` is now less 30 days), nothing else narrowed.
    pub fn filter(self) -> StatsFilter {
        StatsFilter {
            since: self.days().map(|d| format!("{d}d")),
            ..StatsFilter::default()
        }
    }
}

/// What signing stored.
#[derive(Debug)]
pub enum Signed {
    /// A decision or ratification record.
    Decided(Outcome),
    /// A promote or rollback record, and the alias moved.
    Deployed(Deployed),
}

/// Why signing did not complete.
#[derive(Debug)]
pub enum SignFailure {
    /// Nothing to sign with (identity, roster, key): nothing was tried.
    Setup(String),
    /// Refused or failed; says what of it is in the registry.
    Refused(Refused),
}

/// An audit export written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub records: usize,
    pub path: std::path::PathBuf,
}

/// What the `:audit` screen shows: every record, and the evidence documents
/// the versions carry (`modelgate.evidence.<hex>`, by `sha256:<hex>`).
#[derive(Debug, Clone, Default)]
pub struct AuditData {
    pub records: Vec<RecordView>,
    pub evidence: std::collections::BTreeMap<String, String>,
}

/// A record to sign, as the dialog built it (becomes a `service::decide::Decision`).
#[derive(Debug, Clone, PartialEq)]
pub struct SignRequest {
    pub action: crate::trust::record::Action,
    pub role: Option<String>,
    pub reason: Option<String>,
    pub waives: Vec<String>,
    /// The digest the dialog showed: signing refuses if the evidence moved since.
    pub expected_evidence: Option<String>,
    pub incident: Option<String>,
    pub ratifies: Option<String>,
    /// `reject`, `request_changes`: the category chosen (PROTOCOL 13).
    pub category: Option<String>,
    /// Answers to the checklist that applies to the role and risk.
    pub answers: std::collections::BTreeMap<String, crate::trust::checklist::Answer>,
    /// `reopen`: why the approval is re-examined (PROTOCOL 15).
    pub trigger: Option<crate::review::revalidation::Trigger>,
    /// The persona signing, when one acts (else the configured identity).
    pub signer: Option<SignAs>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadQueue {
        all: bool,
    },
    LoadReview {
        key: ReviewKey,
        style: HighlightStyle,
    },
    LoadHistory {
        key: ReviewKey,
        run_id: String,
        metrics: Vec<String>,
    },
    /// Evaluates the policy gates of every review in the queue.
    EvaluateGates {
        all: bool,
    },
    /// Reads the roster to learn my roles (for "mine" and the dialogs): the
    /// persona's, when one acts, else the configured identity's.
    LoadIdentity {
        signer: Option<SignAs>,
    },
    /// Signs one record (a decision, or ratify) in the background.
    Sign {
        key: ReviewKey,
        request: SignRequest,
    },
    /// Signs a promote or rollback record, moves the alias, reads it back.
    Deploy {
        key: ReviewKey,
        request: SignRequest,
    },
    LoadAudit,
    Verify,
    /// Writes the records as JSONL to this file.
    ExportAudit {
        path: std::path::PathBuf,
    },
    LoadDeploy,
    /// Every figure of `:stats` for one period (`ReviewService::stats`).
    LoadStats {
        period: StatsPeriod,
    },
    Quit,
}

/// The effects that supersede one another: a newer one of a kind aborts the
/// older, whose answer no longer matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Queue,
    Review,
    History,
    Gates,
    Identity,
    Audit,
    Verify,
    Export,
    Deploy,
    Stats,
}

/// How the runner treats an effect while another is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// Only the newest of its kind matters: it aborts the one running.
    Latest(Kind),
    /// Runs to its end, never aborted: a signature or an alias move half
    /// done is worse than one not started (the dialog allows one at a time).
    ToCompletion,
}

impl Effect {
    pub fn lifetime(&self) -> Lifetime {
        let kind = match self {
            Effect::LoadQueue { .. } => Kind::Queue,
            Effect::LoadReview { .. } => Kind::Review,
            Effect::LoadHistory { .. } => Kind::History,
            Effect::EvaluateGates { .. } => Kind::Gates,
            Effect::LoadIdentity { .. } => Kind::Identity,
            Effect::LoadAudit => Kind::Audit,
            Effect::Verify => Kind::Verify,
            Effect::ExportAudit { .. } => Kind::Export,
            Effect::LoadDeploy => Kind::Deploy,
            Effect::LoadStats { .. } => Kind::Stats,
            Effect::Sign { .. } | Effect::Deploy { .. } | Effect::Quit => {
                return Lifetime::ToCompletion;
            }
        };
        Lifetime::Latest(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_supersede_their_kind_and_signing_runs_to_completion() {
        let request = || SignRequest {
            action: crate::trust::record::Action::Approve,
            role: None,
            reason: None,
            waives: Vec::new(),
            expected_evidence: None,
            incident: None,
            ratifies: None,
            category: None,
            answers: Default::default(),
            trigger: None,
            signer: None,
        };
        let queue = |all| Effect::LoadQueue { all };
        assert_eq!(queue(false).lifetime(), queue(true).lifetime());
        assert_eq!(queue(false).lifetime(), Lifetime::Latest(Kind::Queue));
        assert_ne!(Effect::LoadAudit.lifetime(), Effect::LoadDeploy.lifetime());
        let sign = Effect::Sign {
            key: ReviewKey::new("m", "1"),
            request: request(),
        };
        let deploy = Effect::Deploy {
            key: ReviewKey::new("m", "1"),
            request: request(),
        };
        assert_eq!(sign.lifetime(), Lifetime::ToCompletion);
        assert_eq!(deploy.lifetime(), Lifetime::ToCompletion);
    }
}
