//! `modelgate/fairness.json`: assessed fairness metrics and the breaches of
//! their thresholds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Report, parse_json};
use crate::num::Num;

/// `modelgate/fairness.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fairness {
    pub assessments: Vec<Assessment>,
}

/// One sensitive feature: fairlearn's `by_group` (metric -> group -> value)
/// and every summary value the producer wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub sensitive_feature: String,
    pub by_group: BTreeMap<String, BTreeMap<String, Num>>,
    pub summary: BTreeMap<String, Num>,
}

pub(super) const DPD: &str = "demographic_parity_difference";
pub(super) const EOD: &str = "equalized_odds_difference";
pub(super) const DIR: &str = "disparate_impact_ratio";
/// fairlearn's name for the same quantity (min over max selection rate).
pub(super) const DPR: &str = "demographic_parity_ratio";

impl Assessment {
    pub fn demographic_parity_difference(&self) -> Option<f64> {
        self.summary.get(DPD).map(|v| v.0)
    }

    pub fn equalized_odds_difference(&self) -> Option<f64> {
        self.summary.get(EOD).map(|v| v.0)
    }

    /// `disparate_impact_ratio`, or fairlearn's `demographic_parity_ratio`
    /// when only that is given.
    pub fn disparate_impact_ratio(&self) -> Option<f64> {
        self.ratio().map(|(_, v)| v)
    }

    fn ratio(&self) -> Option<(&'static str, f64)> {
        [DIR, DPR]
            .into_iter()
            .find_map(|key| self.summary.get(key).map(|v| (key, v.0)))
    }
}

/// Limits for [`Fairness::breaches`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FairnessThresholds {
    /// A disparate impact ratio below this breaches (the four-fifths rule).
    pub min_ratio: f64,
    /// A demographic parity difference above this breaches.
    pub max_dpd: f64,
}

impl Default for FairnessThresholds {
    fn default() -> Self {
        FairnessThresholds {
            min_ratio: 0.8,
            max_dpd: 0.1,
        }
    }
}

/// One assessment value outside its limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breach {
    pub sensitive_feature: String,
    /// The summary key that breached.
    pub metric: String,
    pub value: Num,
    pub limit: Num,
}

impl Fairness {
    /// Assessments whose ratio is below `min_ratio` or whose demographic
    /// parity difference is above `max_dpd`. A NaN counts as a breach: it
    /// cannot show the model is within the limit. A missing value does not.
    pub fn breaches(&self, thresholds: &FairnessThresholds) -> Vec<Breach> {
        let mut out = Vec::new();
        for a in &self.assessments {
            if let Some((key, v)) = a.ratio()
                && (v.is_nan() || v < thresholds.min_ratio)
            {
                out.push(breach(a, key, v, thresholds.min_ratio));
            }
            if let Some(v) = a.demographic_parity_difference()
                && (v.is_nan() || v > thresholds.max_dpd)
            {
                out.push(breach(a, DPD, v, thresholds.max_dpd));
            }
        }
        out
    }
}

fn breach(a: &Assessment, metric: &str, value: f64, limit: f64) -> Breach {
    Breach {
        sensitive_feature: a.sensitive_feature.clone(),
        metric: metric.to_owned(),
        value: Num(value),
        limit: Num(limit),
    }
}

pub fn parse_fairness(file: &str, bytes: &[u8]) -> Report<Fairness> {
    match parse_json::<Fairness>(file, bytes) {
        Ok(f)
            if f.assessments
                .iter()
                .all(|a| a.summary.is_empty() && a.by_group.values().all(BTreeMap::is_empty)) =>
        {
            Report::empty(file, "assesses no sensitive feature with any value")
        }
        r => Report::from_result(r),
    }
}
