//! How long an approval lasts (PROTOCOL 15): its lifetime by risk tier and
//! the renewal window before it ends. Pure: times are seconds since the epoch.

use std::collections::BTreeMap;

use crate::review::risk::Risk;

const DAY: i64 = 86_400;

#[derive(Debug, Clone, PartialEq)]
pub struct Lifetimes {
    /// Days an approval is valid at each tier; a tier absent (or 0 in the
    /// configuration) never expires.
    pub days: BTreeMap<Risk, u32>,
    pub renewal_window_days: u32,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes {
            days: [(Risk::Critical, 90), (Risk::High, 180), (Risk::Medium, 365)]
                .into_iter()
                .collect(),
            renewal_window_days: 14,
        }
    }
}

/// Approvals that never expire, whatever the tier: pictures, benches and
/// tests that are not about time.
pub static NEVER: Lifetimes = Lifetimes {
    days: BTreeMap::new(),
    renewal_window_days: 0,
};

impl Lifetimes {
    /// Seconds an approval at `risk` lasts; `None` for never.
    pub fn valid_secs(&self, risk: Risk) -> Option<i64> {
        self.days
            .get(&risk)
            .filter(|d| **d > 0)
            .map(|d| i64::from(*d) * DAY)
    }

    pub fn window_secs(&self) -> i64 {
        i64::from(self.renewal_window_days) * DAY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_tier_and_low_never_expires() {
        let l = Lifetimes::default();
        assert_eq!(l.valid_secs(Risk::Critical), Some(90 * DAY));
        assert_eq!(l.valid_secs(Risk::Medium), Some(365 * DAY));
        assert_eq!(l.valid_secs(Risk::Low), None);
        let mut zero = l.clone();
        zero.days.insert(Risk::High, 0);
        assert_eq!(zero.valid_secs(Risk::High), None);
        assert_eq!(l.window_secs(), 14 * DAY);
    }
}
