//! How long an approval lasts (PROTOCOL 15): its lifetime by risk tier and
//! the renewal window before it ends. Pure: times are seconds since the epoch.

use std::collections::BTreeMap;

use crate::review::risk::Risk;

pub const DAY: i64 = 86_400;

#[derive(Debug, Clone, PartialEq)]
pub struct Lifetimes {
    /// Seconds an approval is valid at each tier; a tier absent never expires.
    pub valid: BTreeMap<Risk, i64>,
    /// Seconds before expiry from which a renewal is due.
    pub window: i64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes {
            valid: [
                (Risk::Critical, 90 * DAY),
                (Risk::High, 180 * DAY),
                (Risk::Medium, 365 * DAY),
            ]
            .into_iter()
            .collect(),
            window: 14 * DAY,
        }
    }
}

/// Approvals that never expire, whatever the tier: pictures, benches and
/// tests that are not about time.
pub static NEVER: Lifetimes = Lifetimes {
    valid: BTreeMap::new(),
    window: 0,
};

impl Lifetimes {
    /// Seconds an approval at `risk` lasts; `None` for never.
    pub fn valid_secs(&self, risk: Risk) -> Option<i64> {
        self.valid.get(&risk).copied().filter(|s| *s > 0)
    }

    pub fn window_secs(&self) -> i64 {
        self.window
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
        zero.valid.insert(Risk::High, 0);
        assert_eq!(zero.valid_secs(Risk::High), None);
        assert_eq!(l.window_secs(), 14 * DAY);
    }
}
