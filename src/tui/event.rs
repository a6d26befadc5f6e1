//! Terminal events in, actions out; and the effect runner: each effect in its
//! own tokio task, its result sent back as an action. A newer effect of the
//! same kind aborts the older one (only the newest answer matters).

use std::collections::HashMap;
use std::sync::Arc;

use crossterm::event::{Event, KeyEventKind, MouseEventKind};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;

use super::action::{Action, Effect, Identity};
use super::highlight;
use super::list::Me;
use crate::service::ReviewService;
use crate::trust::roster::Roster;

/// The action a terminal event stands for; `None` for what changes nothing.
pub fn to_action(ev: Event) -> Option<Action> {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => Some(Action::Key(k)),
        Event::Mouse(m) if !matches!(m.kind, MouseEventKind::Moved | MouseEventKind::Drag(_)) => {
            Some(Action::Mouse(m))
        }
        Event::Resize(w, h) => Some(Action::Resize(w, h)),
        _ => None,
    }
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Who I am, from the configured identity and roster; why not, in words.
pub fn identity(service: &ReviewService) -> Identity {
    let c = &service.config;
    let Some(id) = c.identity.as_deref() else {
        return Identity::Unavailable(
            "\"mine\" needs to know who you are: set identity in config.toml or pass --identity ID."
                .into(),
        );
    };
    let Some(path) = c.roster.as_deref() else {
        return Identity::Unavailable(
            "\"mine\" needs the roster to know your roles: set roster in config.toml or pass --roster FILE."
                .into(),
        );
    };
    match Roster::load(path) {
        Err(e) => Identity::Unavailable(format!("\"mine\" is off: {e}")),
        Ok(r) => match r.get(id) {
            None => Identity::Unavailable(format!(
                "\"mine\" is off: {id} is not in the roster {}.",
                path.display()
            )),
            Some(p) => Identity::Known(Me {
                id: p.id.clone(),
                roles: p.roles.clone(),
                mlflow_users: p.mlflow_users.clone(),
            }),
        },
    }
}

/// Does one effect and sends what came of it.
pub async fn perform(service: &ReviewService, effect: Effect, tx: &UnboundedSender<Action>) {
    perform_at(service, effect, tx, now_ms()).await
}

/// `perform` with the clock given: snapshots and screenshots use a fixed one.
pub async fn perform_at(
    service: &ReviewService,
    effect: Effect,
    tx: &UnboundedSender<Action>,
    now: i64,
) {
    // A closed channel means the console is gone: nothing left to tell.
    let send = |a: Action| {
        let _ = tx.send(a);
    };
    match effect {
        Effect::LoadQueue { all } => {
            let result = service
                .queue(all, now)
                .await
                .map(|q| q.items)
                .map_err(|e| e.to_string());
            send(Action::QueueLoaded { all, result });
        }
        Effect::LoadReview { key, style } => {
            match service.show(&key.0, &key.1, now).await {
                Ok(d) => {
                    let d = Arc::new(d);
                    send(Action::ReviewLoaded {
                        key: key.clone(),
                        result: Ok(d.clone()),
                    });
                    // Highlighting is CPU work: off the async workers.
                    let prepared =
                        tokio::task::spawn_blocking(move || highlight::prepare(&d, style)).await;
                    send(Action::Prepared {
                        key,
                        prepared: Box::new(prepared.unwrap_or_default()),
                    });
                }
                Err(e) => send(Action::ReviewLoaded {
                    key,
                    result: Err(e.to_string()),
                }),
            }
        }
        Effect::LoadHistory {
            key,
            run_id,
            metrics,
        } => {
            let histories = service.metric_histories(&run_id, &metrics).await;
            send(Action::HistoryLoaded { key, histories });
        }
        Effect::EvaluateGates { all } => {
            let result = service
                .queue_with_gates(all, now)
                .await
                .map(|q| {
                    q.items
                        .into_iter()
                        .filter_map(|i| i.gates.map(|g| ((i.model, i.version), g)))
                        .collect()
                })
                .map_err(|e| e.to_string());
            send(Action::GatesEvaluated { result });
        }
        Effect::LoadIdentity => send(Action::IdentityLoaded(identity(service))),
        Effect::Quit => {}
    }
}

/// Runs effects in tokio tasks, one live task per kind.
pub struct Runner {
    service: Arc<ReviewService>,
    tx: UnboundedSender<Action>,
    live: HashMap<&'static str, AbortHandle>,
}

impl Runner {
    pub fn new(service: Arc<ReviewService>, tx: UnboundedSender<Action>) -> Runner {
        Runner {
            service,
            tx,
            live: HashMap::new(),
        }
    }

    pub fn spawn(&mut self, effect: Effect) {
        let kind = effect.kind();
        if let Some(old) = self.live.remove(kind) {
            old.abort();
        }
        let (service, tx) = (self.service.clone(), self.tx.clone());
        let handle = tokio::spawn(async move { perform(&service, effect, &tx).await });
        self.live.insert(kind, handle.abort_handle());
    }
}
