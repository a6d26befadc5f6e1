//! What happens to the console (`Action`) and what it asks the outside world to
//! do (`Effect`). Effects run in tokio tasks and come back as actions.

use std::sync::Arc;

use crossterm::event::{KeyEvent, MouseEvent};

use super::highlight::Prepared;
use super::keymap::Command;
use super::list::Me;
use crate::policy::ItemGates;
use crate::review::queue::QueueItem;
use crate::service::audit::VerifyReport;
use crate::service::deploy::DeploymentStatus;
use crate::service::history::MetricHistory;
use crate::service::records::RecordView;
use crate::service::show::ReviewDetail;

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
    /// A decision, promotion, rollback or ratification came back: what the
    /// status line says, and whether it is a refusal.
    Signed {
        key: ReviewKey,
        result: Result<String, String>,
    },
    AuditLoaded(Result<Arc<AuditData>, String>),
    Verified(Result<Arc<VerifyReport>, String>),
    Exported(Result<String, String>),
    DeployLoaded(Result<Arc<DeploymentStatus>, String>),
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
}

/// How the runner should colour highlighted text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HighlightStyle {
    pub color: bool,
    pub light: bool,
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
    /// Reads the roster to learn my roles (for "mine" and the dialogs).
    LoadIdentity,
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
    Quit,
}

impl Effect {
    /// Effects of one kind replace each other: only the newest one's result matters.
    pub fn kind(&self) -> &'static str {
        match self {
            Effect::LoadQueue { .. } => "queue",
            Effect::LoadReview { .. } => "review",
            Effect::LoadHistory { .. } => "history",
            Effect::EvaluateGates { .. } => "gates",
            Effect::LoadIdentity => "identity",
            // Signing is never aborted by a newer effect: one at a time, by the dialog.
            Effect::Sign { .. } | Effect::Deploy { .. } => "sign",
            Effect::LoadAudit => "audit",
            Effect::Verify => "verify",
            Effect::ExportAudit { .. } => "export",
            Effect::LoadDeploy => "deploy",
            Effect::Quit => "quit",
        }
    }
}
