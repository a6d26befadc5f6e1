//! Review states (PROTOCOL 9).

use serde::Serialize;

pub const TAG_REVIEW: &str = "modelgate.review";
pub const TAG_SUBMITTED_AT: &str = "modelgate.submitted_at";
pub const TAG_SUBMITTED_BY: &str = "modelgate.submitted_by";
pub const TAG_BASELINE: &str = "modelgate.baseline";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    #[default]
    Pending,
    ChangesRequested,
    Rejected,
    Approved,
    Withdrawn,
    /// Approved earlier in the round, and not now (PROTOCOL 9.5, 15).
    Revalidation,
}

impl ReviewState {
    pub const ALL: [ReviewState; 6] = [
        ReviewState::Pending,
        ReviewState::ChangesRequested,
        ReviewState::Rejected,
        ReviewState::Approved,
        ReviewState::Withdrawn,
        ReviewState::Revalidation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Pending => "pending",
            ReviewState::ChangesRequested => "changes_requested",
            ReviewState::Rejected => "rejected",
            ReviewState::Approved => "approved",
            ReviewState::Withdrawn => "withdrawn",
            ReviewState::Revalidation => "revalidation",
        }
    }

    pub fn parse(s: &str) -> Option<ReviewState> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The SLA clock runs while a review waits for reviewers (PROTOCOL 10).
    pub fn clock_runs(self) -> bool {
        matches!(self, ReviewState::Pending | ReviewState::Revalidation)
    }
}
