//! SLA of a review (PROTOCOL 10): deadline, state and time left. Pure: `now` comes in.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    OnTrack,
    AtRisk,
    Breached,
    /// The clock stopped: the review reached a decision (approved, rejected, ...).
    Stopped,
    /// A revalidation whose triggers have no record yet: no deadline until a
    /// reopen records them (PROTOCOL 10).
    Unscheduled,
}

impl SlaState {
    pub fn as_str(self) -> &'static str {
        match self {
            SlaState::OnTrack => "on_track",
            SlaState::AtRisk => "at_risk",
            SlaState::Breached => "breached",
            SlaState::Stopped => "stopped",
            SlaState::Unscheduled => "unscheduled",
        }
    }

    /// A glyph so that state never rests on colour alone.
    pub fn glyph(self) -> &'static str {
        match self {
            SlaState::OnTrack => "●",
            SlaState::AtRisk => "▲",
            SlaState::Breached => "✖",
            SlaState::Stopped => "■",
            SlaState::Unscheduled => "○",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sla {
    pub deadline_ms: i64,
    pub remaining_seconds: i64,
    pub state: SlaState,
}

const MS_PER_HOUR: f64 = 3_600_000.0;

/// Deadline = submission + SLA hours; `on_track` while more than 25% of the
/// time is left, `at_risk` from 25% down to zero, `breached` after.
pub fn compute(submitted_ms: i64, sla_hours: f64, now_ms: i64) -> Sla {
    let total_ms = (sla_hours * MS_PER_HOUR).round() as i64;
    let deadline_ms = submitted_ms.saturating_add(total_ms);
    let remaining_ms = deadline_ms.saturating_sub(now_ms);
    let state = if remaining_ms < 0 {
        SlaState::Breached
    } else if remaining_ms.saturating_mul(4) <= total_ms {
        SlaState::AtRisk
    } else {
        SlaState::OnTrack
    };
    Sla {
        deadline_ms,
        remaining_seconds: remaining_ms.div_euclid(1000),
        state,
    }
}

/// `3h12m`, `-4h05m`, `45m`, `-7m`: compact, sortable by eye.
pub fn format_remaining(seconds: i64) -> String {
    let sign = if seconds < 0 { "-" } else { "" };
    let minutes = seconds.unsigned_abs() / 60;
    let (h, m) = (minutes / 60, minutes % 60);
    if h == 0 {
        format!("{sign}{m}m")
    } else {
        format!("{sign}{h}h{m:02}m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const H: i64 = 3_600_000;

    #[test]
    fn states_at_the_boundaries() {
        let s = compute(0, 24.0, 0);
        assert_eq!(
            (s.state, s.remaining_seconds, s.deadline_ms),
            (SlaState::OnTrack, 24 * 3600, 24 * H)
        );
        assert_eq!(compute(0, 24.0, 18 * H - 1).state, SlaState::OnTrack);
        assert_eq!(
            compute(0, 24.0, 18 * H).state,
            SlaState::AtRisk,
            "exactly 25% left is at risk"
        );
        assert_eq!(
            compute(0, 24.0, 24 * H).state,
            SlaState::AtRisk,
            "zero left is at risk"
        );
        assert_eq!(compute(0, 24.0, 24 * H + 1).state, SlaState::Breached);
    }

    #[test]
    fn formats() {
        assert_eq!(format_remaining(3 * 3600 + 12 * 60 + 59), "3h12m");
        assert_eq!(format_remaining(-(4 * 3600 + 5 * 60)), "-4h05m");
        assert_eq!(format_remaining(45 * 60), "45m");
        assert_eq!(format_remaining(-59), "-0m");
    }

    proptest! {
        #[test]
        fn state_is_monotonic_in_time(sub in -1_000_000i64..1_000_000, hours in 1u32..500, a in 0i64..3_000_000_000, b in 0i64..3_000_000_000) {
            let (early, late) = (a.min(b), a.max(b));
            let s1 = compute(sub, f64::from(hours), early);
            let s2 = compute(sub, f64::from(hours), late);
            prop_assert!(s1.state <= s2.state);
            prop_assert!(s1.remaining_seconds >= s2.remaining_seconds);
            prop_assert_eq!(s1.deadline_ms, s2.deadline_ms);
        }

        #[test]
        fn breached_iff_negative(sub in -1_000_000i64..1_000_000, hours in 1u32..500, now in 0i64..3_000_000_000) {
            let s = compute(sub, f64::from(hours), now);
            prop_assert_eq!(s.state == SlaState::Breached, now > s.deadline_ms);
        }
    }
}
