//! Metric histories of a run, for the console's charts. One registry call per
//! metric (PROTOCOL 1 has no batched history), a bounded number at once.

use futures_util::{StreamExt, stream};

use super::{CONCURRENCY, ReviewService};
use crate::registry::{Metric, Result};

/// The logged values of one metric, in step order, or why they could not be read.
#[derive(Debug, Clone)]
pub struct MetricHistory {
    pub key: String,
    pub points: std::result::Result<Vec<Metric>, String>,
}

impl MetricHistory {
    /// The values alone, in step order (what a sparkline draws).
    pub fn values(&self) -> Vec<f64> {
        match &self.points {
            Ok(p) => p.iter().map(|m| m.value).collect(),
            Err(_) => Vec::new(),
        }
    }
}

impl ReviewService {
    /// One metric's history of a run.
    pub async fn metric_history(&self, run_id: &str, key: &str) -> Result<Vec<Metric>> {
        self.registry.metric_history(run_id, key).await
    }

    /// The histories of `keys` in `run_id`, in the order asked. A metric whose
    /// history cannot be read carries its error; the others still come back.
    pub async fn metric_histories(&self, run_id: &str, keys: &[String]) -> Vec<MetricHistory> {
        // Owned keys: a stream over borrowed ones is not `Send` for tokio::spawn.
        let owned: Vec<(usize, String)> = keys.iter().cloned().enumerate().collect();
        let mut out: Vec<(usize, MetricHistory)> = stream::iter(owned)
            .map(|(i, key)| async move {
                let points = self
                    .registry
                    .metric_history(run_id, &key)
                    .await
                    .map_err(|e| format!("history of metric {key} in run {run_id}: {e}"));
                (i, MetricHistory { key, points })
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        out.sort_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, h)| h).collect()
    }
}
