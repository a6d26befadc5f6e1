//! `modelgate/explainability.json`: global feature importance, compared
//! with the baseline's.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::{Report, parse_json};
use crate::num::Num;

/// `modelgate/explainability.json`: global feature importance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explainability {
    pub method: String,
    pub global_importance: BTreeMap<String, Num>,
    #[serde(default)]
    pub notes: Option<String>,
}

pub fn parse_explainability(file: &str, bytes: &[u8]) -> Report<Explainability> {
    match parse_json::<Explainability>(file, bytes) {
        Ok(e) if e.global_importance.is_empty() => {
            Report::empty(file, "lists no feature importance")
        }
        r => Report::from_result(r),
    }
}

/// One feature compared between candidate and baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportanceRow {
    pub feature: String,
    pub candidate: Option<Num>,
    pub baseline: Option<Num>,
    /// Candidate minus baseline, when both have the feature.
    pub delta: Option<Num>,
    /// 1 = most important (value descending, ties by name, NaN last).
    pub candidate_rank: Option<usize>,
    pub baseline_rank: Option<usize>,
    /// Baseline rank minus candidate rank: positive when the feature rose.
    pub rank_change: Option<i64>,
}

/// Rows for every feature of either side: the candidate's by its rank, then
/// features only the baseline has, by their baseline rank.
pub fn compare_importance(
    candidate: &Explainability,
    baseline: Option<&Explainability>,
) -> Vec<ImportanceRow> {
    let empty = BTreeMap::new();
    let cand = &candidate.global_importance;
    let base = baseline.map_or(&empty, |b| &b.global_importance);
    let (cand_rank, base_rank) = (ranks(cand), ranks(base));
    let only_baseline = base.keys().filter(|f| !cand.contains_key(*f));
    let mut rows: Vec<ImportanceRow> = cand
        .keys()
        .chain(only_baseline)
        .map(|feature| {
            let rank = |ranks: &HashMap<&str, usize>| ranks.get(feature.as_str()).copied();
            let (c, b) = (cand.get(feature).copied(), base.get(feature).copied());
            let (c_rank, b_rank) = (rank(&cand_rank), rank(&base_rank));
            ImportanceRow {
                feature: feature.clone(),
                candidate: c,
                baseline: b,
                delta: c.zip(b).map(|(c, b)| Num(c.0 - b.0)),
                candidate_rank: c_rank,
                baseline_rank: b_rank,
                rank_change: c_rank.zip(b_rank).map(|(c, b)| b as i64 - c as i64),
            }
        })
        .collect();
    rows.sort_by_key(|r| {
        (
            r.candidate_rank.is_none(),
            r.candidate_rank,
            r.baseline_rank,
        )
    });
    rows
}

/// Each feature's rank: 1 = most important.
fn ranks(importance: &BTreeMap<String, Num>) -> HashMap<&str, usize> {
    ranked(importance)
        .into_iter()
        .enumerate()
        .map(|(i, (name, _))| (name.as_str(), i + 1))
        .collect()
}

/// Features by importance: value descending, NaN last, ties by name.
fn ranked(importance: &BTreeMap<String, Num>) -> Vec<(&String, Num)> {
    let mut order: Vec<(&String, Num)> = importance.iter().map(|(k, v)| (k, *v)).collect();
    order.sort_by(|a, b| descending_nan_last(a.1.0, b.1.0).then_with(|| a.0.cmp(b.0)));
    order
}

fn descending_nan_last(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => b.total_cmp(&a),
    }
}

/// The feature whose share of total importance moved most.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportanceShift {
    pub feature: String,
    /// |value| / sum of |values| on that side; 0 when the side lacks it.
    pub candidate_share: Num,
    pub baseline_share: Num,
    /// Candidate share minus baseline share (in -1..=1).
    pub change: Num,
}

/// The largest absolute change in normalised share, so a UI can flag a
/// "large explainability shift" whatever the scale of the raw values.
/// `None` when either side has no positive finite total to normalise by.
pub fn largest_shift(
    candidate: &Explainability,
    baseline: &Explainability,
) -> Option<ImportanceShift> {
    let cand = shares(&candidate.global_importance)?;
    let base = shares(&baseline.global_importance)?;
    let features: BTreeSet<&str> = cand.keys().chain(base.keys()).copied().collect();
    let mut best: Option<ImportanceShift> = None;
    for feature in features {
        let c = cand.get(feature).copied().unwrap_or(0.0);
        let b = base.get(feature).copied().unwrap_or(0.0);
        let change = c - b;
        // Strictly greater keeps the first feature by name among ties.
        if best
            .as_ref()
            .is_none_or(|s| change.abs() > s.change.0.abs())
        {
            best = Some(ImportanceShift {
                feature: feature.to_owned(),
                candidate_share: Num(c),
                baseline_share: Num(b),
                change: Num(change),
            });
        }
    }
    best
}

/// Each finite value's share of the total; non-finite values are left out.
fn shares(importance: &BTreeMap<String, Num>) -> Option<HashMap<&str, f64>> {
    let finite = || importance.iter().filter(|(_, v)| v.0.is_finite());
    let total: f64 = finite().map(|(_, v)| v.0.abs()).sum();
    if !(total.is_finite() && total > 0.0) {
        return None;
    }
    Some(
        finite()
            .map(|(k, v)| (k.as_str(), v.0.abs() / total))
            .collect(),
    )
}
