//! Metric diff of a candidate against its baseline, direction-aware (PROTOCOL 5).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::num::Num;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    Higher,
    Lower,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Improved,
    Regressed,
    Unchanged,
    New,
    Removed,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Improved => "improved",
            Verdict::Regressed => "regressed",
            Verdict::Unchanged => "unchanged",
            Verdict::New => "new",
            Verdict::Removed => "removed",
        }
    }

    pub fn glyph(self) -> &'static str {
        match self {
            Verdict::Improved => "▲",
            Verdict::Regressed => "▼",
            Verdict::Unchanged => "=",
            Verdict::New => "+",
            Verdict::Removed => "-",
        }
    }
}

const LOWER_IS_BETTER: [&str; 10] = [
    "loss", "error", "latency", "rmse", "mae", "mse", "mape", "fpr", "fnr", "cost",
];

/// Lower-is-better when the name says so (PROTOCOL 5), unless configuration overrides it.
pub fn direction(name: &str, overrides: &BTreeMap<String, Better>) -> Better {
    if let Some(b) = overrides.get(name) {
        return *b;
    }
    let lower = name.to_ascii_lowercase();
    let by_word = LOWER_IS_BETTER.iter().any(|w| lower.contains(w));
    if by_word || lower.ends_with("_ms") || lower.ends_with("_seconds") {
        Better::Lower
    } else {
        Better::Higher
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricDiff {
    pub name: String,
    pub candidate: Option<Num>,
    pub baseline: Option<Num>,
    pub delta: Option<Num>,
    pub relative_delta: Option<Num>,
    pub better: Better,
    pub verdict: Verdict,
}

impl MetricDiff {
    /// Relative change in the good direction: positive is better, negative worse.
    /// `None` when it cannot be said (new, removed, zero or non-finite baseline).
    pub fn goodness(&self) -> Option<f64> {
        let r = self.relative_delta?.0;
        if !r.is_finite() {
            return None;
        }
        Some(match self.better {
            Better::Higher => r,
            Better::Lower => -r,
        })
    }
}

/// Values closer than this (relative) count as unchanged: float noise is no verdict.
const SAME: f64 = 1e-9;

fn verdict(c: f64, b: f64, better: Better) -> Verdict {
    match (c.is_nan(), b.is_nan()) {
        (true, true) => return Verdict::Unchanged,
        // A metric that became NaN is broken: never an improvement.
        (true, false) => return Verdict::Regressed,
        (false, true) => return Verdict::Improved,
        _ => {}
    }
    if c == b || (c.is_finite() && b.is_finite() && (c - b).abs() <= SAME * c.abs().max(b.abs())) {
        return Verdict::Unchanged;
    }
    match (c > b, better) {
        (true, Better::Higher) | (false, Better::Lower) => Verdict::Improved,
        _ => Verdict::Regressed,
    }
}

fn one(name: &str, c: Option<f64>, b: Option<f64>, better: Better) -> MetricDiff {
    let (delta, relative_delta, verdict) = match (c, b) {
        (Some(c), Some(b)) => {
            let d = c - b;
            let rel = (b != 0.0 && b.is_finite()).then(|| Num(d / b.abs()));
            (Some(Num(d)), rel, verdict(c, b, better))
        }
        (Some(_), None) => (None, None, Verdict::New),
        (None, _) => (None, None, Verdict::Removed),
    };
    MetricDiff {
        name: name.to_owned(),
        candidate: c.map(Num),
        baseline: b.map(Num),
        delta,
        relative_delta,
        better,
        verdict,
    }
}

/// Diffs every metric of either side, in name order. With no baseline at all,
/// every candidate metric is `new`.
pub fn diff(
    candidate: &BTreeMap<String, f64>,
    baseline: Option<&BTreeMap<String, f64>>,
    overrides: &BTreeMap<String, Better>,
) -> Vec<MetricDiff> {
    let empty = BTreeMap::new();
    let base = baseline.unwrap_or(&empty);
    let mut names: Vec<&String> = candidate.keys().chain(base.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|n| {
            one(
                n,
                candidate.get(n).copied(),
                base.get(n).copied(),
                direction(n, overrides),
            )
        })
        .collect()
}

/// The largest regression and the largest improvement, for one-line triage.
pub fn extremes(diffs: &[MetricDiff]) -> (Option<&MetricDiff>, Option<&MetricDiff>) {
    let worst = diffs
        .iter()
        .filter(|d| d.verdict == Verdict::Regressed)
        .min_by(|a, b| {
            a.goodness()
                .unwrap_or(f64::NEG_INFINITY)
                .total_cmp(&b.goodness().unwrap_or(f64::NEG_INFINITY))
        });
    let best = diffs
        .iter()
        .filter(|d| d.verdict == Verdict::Improved)
        .max_by(|a, b| {
            a.goodness()
                .unwrap_or(0.0)
                .total_cmp(&b.goodness().unwrap_or(0.0))
        });
    (worst, best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn directions_by_name() {
        let none = BTreeMap::new();
        for n in [
            "log_loss",
            "val_error",
            "latency_p95",
            "rmse",
            "MAE",
            "fpr",
            "serving_cost",
            "p99_ms",
            "train_seconds",
        ] {
            assert_eq!(direction(n, &none), Better::Lower, "{n}");
        }
        for n in ["auc", "precision", "recall", "f1", "ms_coverage"] {
            assert_eq!(direction(n, &none), Better::Higher, "{n}");
        }
        let over = BTreeMap::from([("auc".to_owned(), Better::Lower)]);
        assert_eq!(direction("auc", &over), Better::Lower);
    }

    #[test]
    fn verdicts_know_the_direction() {
        let d = diff(
            &m(&[
                ("auc", 0.931),
                ("log_loss", 0.30),
                ("new_one", 1.0),
                ("same", 2.0),
            ]),
            Some(&m(&[
                ("auc", 0.912),
                ("log_loss", 0.25),
                ("gone", 1.0),
                ("same", 2.0),
            ])),
            &BTreeMap::new(),
        );
        let v: Vec<_> = d.iter().map(|x| (x.name.as_str(), x.verdict)).collect();
        assert_eq!(
            v,
            [
                ("auc", Verdict::Improved),
                ("gone", Verdict::Removed),
                ("log_loss", Verdict::Regressed),
                ("new_one", Verdict::New),
                ("same", Verdict::Unchanged)
            ]
        );
        let auc = &d[0];
        assert!((auc.delta.unwrap().0 - 0.019).abs() < 1e-12);
        assert!((auc.relative_delta.unwrap().0 - 0.019 / 0.912).abs() < 1e-12);
        let (worst, best) = extremes(&d);
        assert_eq!(worst.map(|x| x.name.as_str()), Some("log_loss"));
        assert_eq!(best.map(|x| x.name.as_str()), Some("auc"));
    }

    #[test]
    fn non_finite_values() {
        let d = diff(
            &m(&[("auc", f64::NAN), ("loss", f64::INFINITY)]),
            Some(&m(&[("auc", 0.9), ("loss", 0.2)])),
            &BTreeMap::new(),
        );
        assert_eq!(d[0].verdict, Verdict::Regressed, "NaN is never better");
        assert_eq!(d[1].verdict, Verdict::Regressed);
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json[0]["candidate"], "NaN");
        assert_eq!(json[0]["delta"], "NaN");
        assert_eq!(json[1]["candidate"], "Infinity");
    }

    #[test]
    fn zero_baseline_has_no_relative_delta() {
        let d = diff(
            &m(&[("auc", 0.5)]),
            Some(&m(&[("auc", 0.0)])),
            &BTreeMap::new(),
        );
        assert_eq!(d[0].relative_delta, None);
        assert_eq!(d[0].verdict, Verdict::Improved);
    }

    #[test]
    fn no_baseline_means_new() {
        let d = diff(&m(&[("auc", 0.5)]), None, &BTreeMap::new());
        assert_eq!(d[0].verdict, Verdict::New);
    }

    proptest! {
        #[test]
        fn swapping_sides_swaps_the_verdict(c in -1e6f64..1e6, b in -1e6f64..1e6) {
            let none = BTreeMap::new();
            let ab = diff(&m(&[("auc", c)]), Some(&m(&[("auc", b)])), &none);
            let ba = diff(&m(&[("auc", b)]), Some(&m(&[("auc", c)])), &none);
            let expected = match ab[0].verdict {
                Verdict::Improved => Verdict::Regressed,
                Verdict::Regressed => Verdict::Improved,
                v => v,
            };
            prop_assert_eq!(ba[0].verdict, expected);
        }

        #[test]
        fn every_name_appears_once(cs in proptest::collection::btree_map("[a-c]{1,2}", -10f64..10.0, 0..6),
                                   bs in proptest::collection::btree_map("[a-c]{1,2}", -10f64..10.0, 0..6)) {
            let d = diff(&cs, Some(&bs), &BTreeMap::new());
            let mut names: Vec<_> = cs.keys().chain(bs.keys()).cloned().collect();
            names.sort();
            names.dedup();
            prop_assert_eq!(d.iter().map(|x| x.name.clone()).collect::<Vec<_>>(), names);
        }
    }
}
