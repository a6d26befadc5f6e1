//! Terminal events in, actions out; and the effect runner: each effect in its
//! own tokio task, its result sent back as an action, as data: the words
//! for the user are made in `update`. A newer effect of the same kind aborts
//! the older one (only the newest answer matters); signing and deploying
//! run to completion (`Effect::lifetime`).

use std::collections::HashMap;
use std::sync::Arc;

use crossterm::event::{Event, KeyEventKind, MouseEventKind};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;

use super::action::{
    Action, AuditData, Effect, Exported, Identity, Kind, Lifetime, ReviewKey, SignAs, SignFailure,
    SignRequest, Signed,
};
use super::highlight;
use super::list::Me;
use crate::service::ReviewService;

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

/// Who I am, from the persona acting or the configured identity, and the
/// roster; why not, in words.
pub fn identity(service: &ReviewService, signer: Option<&SignAs>) -> Identity {
    let c = &service.config;
    let Some(id) = signer.map(|s| s.id.as_str()).or(c.identity.as_deref()) else {
        return Identity::Unavailable(
            "\"mine\" needs to know who you are: set identity in config.toml or pass --identity ID."
                .into(),
        );
    };
    // The service's roster: the one it verifies records with.
    let roster = match service.roster() {
        Ok(r) => r,
        Err(_) if c.roster.is_none() => {
            return Identity::Unavailable(
                "\"mine\" needs the roster to know your roles: set roster in config.toml or pass --roster FILE."
                    .into(),
            );
        }
        Err(e) => return Identity::Unavailable(format!("\"mine\" is off: {e}")),
    };
    match roster.get(id) {
        None => Identity::Unavailable(format!("\"mine\" is off: {id} is not in the roster.")),
        Some(p) => Identity::Known(Me {
            id: p.id.clone(),
            roles: p.roles.clone(),
            mlflow_users: p.mlflow_users.clone(),
        }),
    }
}

/// Why signing cannot work with this configuration (or as the persona
/// acting), in words; `None` when it can.
pub fn signing_problem(service: &ReviewService, signer: Option<&SignAs>) -> Option<String> {
    let c = &service.config;
    let mut missing = Vec::new();
    if c.identity.is_none() && signer.is_none() {
        missing.push("identity (--identity ID or identity in config.toml)");
    }
    // The key is not looked for here: it may be a file or in the OS keyring,
    // and signing says precisely what is missing when it reads it.
    if c.roster.is_none() && service.roster().is_err() {
        missing.push("the roster (--roster FILE or roster in config.toml)");
    }
    if !missing.is_empty() {
        return Some(format!("Signing needs {}.", missing.join(", ")));
    }
    if let Err(e) = service.roster() {
        return Some(format!("Signing needs a roster that loads: {e}"));
    }
    None
}

/// The signer: the persona acting, else the configured identity and key
/// file (as the CLI builds it).
fn signer(
    service: &ReviewService,
    signer: Option<&SignAs>,
) -> Result<crate::service::decide::Signer, String> {
    if let Some(why) = signing_problem(service, signer) {
        return Err(why);
    }
    let c = &service.config;
    let (identity, key_file) = match signer {
        Some(s) => (s.id.clone(), Some(s.key_file.as_path())),
        None => match c.identity.clone() {
            Some(id) => (id, c.key_file.as_deref()),
            None => {
                return Err(
                    "Signing needs an identity (--identity ID or identity in config.toml).".into(),
                );
            }
        },
    };
    let key = crate::trust::keys::load_signing_key(Some(&identity), key_file)
        .map_err(|e| e.to_string())?;
    Ok(crate::service::decide::Signer::new(identity, key))
}

pub(crate) fn decision(r: SignRequest) -> crate::service::decide::Decision {
    crate::service::decide::Decision {
        role: r.role,
        reason: r.reason,
        waives: r.waives,
        expected_evidence: r.expected_evidence,
        incident: r.incident,
        ratifies: r.ratifies,
        category: r.category,
        answers: r.answers,
        trigger: r.trigger,
        ..crate::service::decide::Decision::new(r.action)
    }
}

/// The audit screen's data: every record (as `audit_records` sorts them) and
/// the evidence documents stored on the versions, from one scan.
async fn audit_data(service: &ReviewService, now_ms: i64) -> Result<AuditData, String> {
    let scanned = service.scan(None).await.map_err(|e| e.to_string())?;
    let mut data = AuditData {
        records: service.record_views(&scanned, now_ms),
        ..Default::default()
    };
    let prefix = crate::service::decide::EVIDENCE_TAG_PREFIX;
    for (v, _) in &scanned.versions {
        for (k, text) in &v.tags {
            if let Some(hex) = k.strip_prefix(prefix) {
                data.evidence.insert(format!("sha256:{hex}"), text.clone());
            }
        }
    }
    Ok(data)
}

fn jsonl(records: &[crate::service::records::RecordView]) -> Result<String, String> {
    let mut s = String::new();
    for r in records {
        s.push_str(&serde_json::to_string(r).map_err(|e| e.to_string())?);
        s.push('\n');
    }
    Ok(s)
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
            match service.show(&key.model, &key.version, now).await {
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
                        .filter_map(|i| i.gates.map(|g| (ReviewKey::new(i.model, i.version), g)))
                        .collect()
                })
                .map_err(|e| e.to_string());
            send(Action::GatesEvaluated { result });
        }
        Effect::LoadIdentity { signer } => {
            send(Action::IdentityLoaded(identity(service, signer.as_ref())));
            send(Action::SigningChecked(signing_problem(
                service,
                signer.as_ref(),
            )));
        }
        Effect::Sign { .. }
        | Effect::Deploy { .. }
        | Effect::LoadAudit
        | Effect::Verify
        | Effect::ExportAudit { .. }
        | Effect::LoadDeploy
        | Effect::LoadStats { .. } => {
            // Reached only through `perform_scan` (see `Runner::spawn`).
        }
        Effect::Quit => {}
    }
}

/// Whether an effect scans the registry (or signs): such effects run through
/// [`perform_scan`] on a blocking thread.
pub fn is_scan(effect: &Effect) -> bool {
    matches!(
        effect,
        Effect::LoadAudit
            | Effect::Verify
            | Effect::ExportAudit { .. }
            | Effect::LoadDeploy
            | Effect::LoadStats { .. }
            | Effect::Sign { .. }
            | Effect::Deploy { .. }
    )
}

/// Effects that scan every model or sign. Their futures hold buffered streams
/// the compiler cannot prove `Send` for `tokio::spawn`.
pub async fn perform_scan(
    service: &ReviewService,
    effect: Effect,
    tx: &UnboundedSender<Action>,
    now: i64,
) {
    let send = |a: Action| {
        let _ = tx.send(a);
    };
    match effect {
        Effect::Sign { key, request } | Effect::Deploy { key, request } => {
            let deploy = request.action.moves_alias();
            let result = match signer(service, request.signer.as_ref()) {
                Err(e) => Err(SignFailure::Setup(e)),
                Ok(signer) => {
                    let d = decision(request);
                    if deploy {
                        service
                            .deploy(&key.model, &key.version, &d, &signer, now)
                            .await
                            .map(Signed::Deployed)
                    } else {
                        service
                            .decide(&key.model, &key.version, &d, &signer, now)
                            .await
                            .map(Signed::Decided)
                    }
                    .map_err(SignFailure::Refused)
                }
            };
            send(Action::Signed { key, result });
        }
        Effect::LoadAudit => send(Action::AuditLoaded(
            audit_data(service, now).await.map(Arc::new),
        )),
        Effect::Verify => send(Action::Verified(
            service
                .verify(None, None, false, now)
                .await
                .map(Arc::new)
                .map_err(|e| e.to_string()),
        )),
        Effect::ExportAudit { path } => {
            let result = async {
                let records = service
                    .audit_records(&crate::service::audit::AuditFilter::default(), now)
                    .await
                    .map_err(|e| e.to_string())?;
                let text = jsonl(&records)?;
                let target = path.clone();
                tokio::task::spawn_blocking(move || std::fs::write(&target, text))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                Ok(Exported {
                    records: records.len(),
                    path,
                })
            }
            .await;
            send(Action::Exported(result));
        }
        Effect::LoadDeploy => send(Action::DeployLoaded(
            service
                .deployments(now)
                .await
                .map(Arc::new)
                .map_err(|e| e.to_string()),
        )),
        Effect::LoadStats { period } => send(Action::StatsLoaded {
            period,
            result: service
                .stats(&period.filter(), now)
                .await
                .map(Arc::new)
                .map_err(|e| e.to_string()),
        }),
        _ => {}
    }
}

/// Runs effects in tokio tasks, one live task per kind of those that
/// supersede each other.
pub struct Runner {
    service: Arc<ReviewService>,
    tx: UnboundedSender<Action>,
    live: HashMap<Kind, AbortHandle>,
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
        let lifetime = effect.lifetime();
        if let Lifetime::Latest(kind) = lifetime
            && let Some(old) = self.live.remove(&kind)
        {
            old.abort();
        }
        let (service, tx) = (self.service.clone(), self.tx.clone());
        // Scans read every model with buffered streams whose futures the
        // compiler cannot prove `Send` for `tokio::spawn`: they run on a
        // blocking thread that drives them to completion, still off the UI.
        let handle = if is_scan(&effect) {
            let rt = tokio::runtime::Handle::current();
            tokio::task::spawn_blocking(move || {
                rt.block_on(perform_scan(&service, effect, &tx, now_ms()))
            })
        } else {
            tokio::spawn(async move { perform(&service, effect, &tx).await })
        };
        if let Lifetime::Latest(kind) = lifetime {
            self.live.insert(kind, handle.abort_handle());
        }
    }
}
