//! What happens to the console (`Action`) and what it asks the outside world to
//! do (`Effect`). Effects run in tokio tasks and come back as actions.

use std::sync::Arc;

use crossterm::event::{KeyEvent, MouseEvent};

use super::highlight::Prepared;
use super::keymap::Command;
use super::list::Me;
use crate::policy::ItemGates;
use crate::review::queue::QueueItem;
use crate::service::history::MetricHistory;
use crate::service::show::ReviewDetail;

/// A review's identity: model and version.
pub type ReviewKey = (String, String);

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
    /// Reads the roster to learn my roles (for "mine").
    LoadIdentity,
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
            Effect::Quit => "quit",
        }
    }
}
