//! `:stats`: the approval process in numbers (`ReviewService::stats`) for
//! one period, chosen with `[` and `]`; each change asks the service again.

use std::sync::Arc;

use crate::stats::Stats;
use crate::tui::action::Effect;
pub use crate::tui::action::StatsPeriod;
use crate::tui::load::Load;

#[derive(Debug, Clone, Default)]
pub struct StatsView {
    pub period: StatsPeriod,
    /// `None` until first asked for.
    pub data: Option<Load<Arc<Stats>>>,
}

impl StatsView {
    pub fn busy(&self) -> bool {
        matches!(self.data, Some(Load::Loading))
    }

    pub fn ready(&self) -> Option<&Stats> {
        self.data.as_ref().and_then(Load::ready).map(Arc::as_ref)
    }

    pub fn reload(&mut self) -> Vec<Effect> {
        self.data = Some(Load::Loading);
        vec![Effect::LoadStats {
            period: self.period,
        }]
    }

    /// `[` and `]`: another period, counted again.
    pub fn step(&mut self, by: isize) -> Vec<Effect> {
        self.period = self.period.step(by);
        self.reload()
    }

    /// The service's answer; one for a period no longer chosen is dropped
    /// (its newer load is on its way). Returns whether it was taken.
    pub fn loaded(&mut self, period: StatsPeriod, result: Result<Arc<Stats>, String>) -> bool {
        if period != self.period {
            return false;
        }
        self.data = Some(Load::from_result(result));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_cycle_both_ways_and_name_their_since() {
        let mut p = StatsPeriod::All;
        let mut seen = Vec::new();
        for _ in 0..4 {
            p = p.step(1);
            seen.push(p);
        }
        assert_eq!(
            seen,
            [
                StatsPeriod::Days7,
                StatsPeriod::Days30,
                StatsPeriod::Days90,
                StatsPeriod::All
            ]
        );
        assert_eq!(StatsPeriod::All.step(-1), StatsPeriod::Days90);
        assert_eq!(StatsPeriod::All.filter().since, None);
        assert_eq!(StatsPeriod::Days30.filter().since.as_deref(), Some("30d"));
    }

    #[test]
    fn an_answer_for_another_period_is_dropped() {
        let mut v = StatsView::default();
        let e = v.step(1);
        assert_eq!(
            e,
            vec![Effect::LoadStats {
                period: StatsPeriod::Days7
            }]
        );
        assert!(v.busy());
        assert!(!v.loaded(StatsPeriod::All, Ok(Arc::new(Stats::default()))));
        assert!(v.busy());
        assert!(v.loaded(StatsPeriod::Days7, Err("down".into())));
        assert!(matches!(v.data, Some(Load::Failed(_))));
    }
}
