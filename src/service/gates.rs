//! Policy gates for reviews: the configured bundle (profile `policy` or
//! `--policy DIR`, else the embedded default) loaded once per service and
//! evaluated on any review. A front end may call [`ReviewService::gates`]
//! and evaluate in the background: [`Gates`] is `Send + Sync`.

use std::sync::Arc;

use super::ReviewService;
use crate::policy::Gates;
use crate::review::detail::ReviewDetail;
use crate::review::gates::GateReport;

impl ReviewService {
    /// The configured bundle, prepared on first use. A bundle that cannot be
    /// read or parsed is still returned: each evaluation then fails closed.
    pub fn gates(&self) -> Arc<Gates> {
        self.gates
            .get_or_init(|| Arc::new(Gates::load(self.config.policy.as_deref())))
            .clone()
    }

    /// The gate results of one review under the configured bundle.
    pub fn evaluate_gates(&self, review: &ReviewDetail) -> GateReport {
        self.gates().evaluate(review)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gated_futures_can_be_spawned() {
        // Compile-time check: the console runs these in tokio tasks.
        fn spawnable<F: std::future::Future + Send + 'static>(_: F) {}
        let _ = |s: Arc<ReviewService>| {
            let t = s.clone();
            spawnable(async move { t.queue_with_gates(false, 0).await.map(|q| q.items.len()) });
            spawnable(async move { s.show("m", "1", 0).await.map(|d| d.summary.gates.is_some()) });
        };
    }

    #[test]
    fn gates_are_shareable_across_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Gates>();
        send_sync::<Arc<Gates>>();
    }
}
