//! Reopening an approval from the console (PROTOCOL 15): the dialog on the
//! review screen and on `:deploy`, what it signs, and what the screens
//! show afterwards.

use super::*;
use crate::review::revalidation::Trigger;
use crate::trust::record::Action as Act;
use crate::tui::screens::personas::Personas;
use crate::tui::shots;

use super::structured::{dialog, focus_on};

#[tokio::test]
async fn the_reopen_dialog_starts_on_cancel_needs_a_trigger_and_a_reason() {
    let (mut a, evidence) = review_ready().await;
    assert!(key(&mut a, KeyCode::Char('r')).is_empty());
    let d = dialog(&a);
    assert_eq!(d.action, Act::Reopen);
    assert_eq!(d.focus(), Field::Cancel, "focus starts on Cancel");
    assert_eq!(d.trigger, None, "no trigger chosen for the reopener");
    assert!(d.fields().contains(&Field::Trigger));
    // Enter on Cancel closes and signs nothing.
    assert!(key(&mut a, KeyCode::Enter).is_empty());
    assert!(a.overlay.is_none());

    key(&mut a, KeyCode::Char('r'));
    focus_on(&mut a, Field::Sign);
    assert!(key(&mut a, KeyCode::Enter).is_empty());
    assert!(dialog(&a).error.as_deref().unwrap().contains("trigger"));
    // ←/→ walk the protocol's triggers, from none chosen.
    focus_on(&mut a, Field::Trigger);
    key(&mut a, KeyCode::Right);
    assert_eq!(dialog(&a).trigger, Some(Trigger::Drift));
    key(&mut a, KeyCode::Left);
    assert_eq!(dialog(&a).trigger, Some(Trigger::Other), "wraps around");
    key(&mut a, KeyCode::Right);
    key(&mut a, KeyCode::Right);
    assert_eq!(dialog(&a).trigger, Some(Trigger::Performance));
    focus_on(&mut a, Field::Sign);
    assert!(key(&mut a, KeyCode::Enter).is_empty(), "no reason yet");
    assert!(dialog(&a).error.as_deref().unwrap().contains("reason"));
    focus_on(&mut a, Field::Reason);
    typed(&mut a, "  auc fell to 0.61 in production  ");
    focus_on(&mut a, Field::Sign);
    let effects = key(&mut a, KeyCode::Enter);
    let [Effect::Sign { key: k, request }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(k, &a.review.as_ref().unwrap().key);
    let d = crate::tui::event::decision(request.clone());
    assert_eq!(d.action, Act::Reopen);
    assert_eq!(d.trigger, Some(Trigger::Performance));
    assert_eq!(d.reason.as_deref(), Some("auc fell to 0.61 in production"));
    assert_eq!(d.expected_evidence.as_deref(), Some(evidence.as_str()));
    assert!(
        ["validator", "domain"].contains(&d.role.as_deref().unwrap()),
        "{:?}",
        d.role
    );
    assert!(d.report.is_none() && d.category.is_none() && d.answers.is_empty());
    assert!(a.overlay.is_none() && a.sign_busy);
}

#[tokio::test]
async fn other_decisions_carry_no_trigger() {
    let (mut a, _) = review_ready().await;
    key(&mut a, KeyCode::Char('o'));
    assert!(!dialog(&a).fields().contains(&Field::Trigger));
    focus_on(&mut a, Field::Sign);
    let effects = key(&mut a, KeyCode::Enter);
    let [Effect::Sign { request, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(request.trigger, None);
    assert_eq!(crate::tui::event::decision(request.clone()).trigger, None);
}

/// Reopened from `:deploy` as Fay (sre) with her demo key: the record is
/// signed, the holder is flagged in revalidation, and its review's
/// Monitoring tab lists the reopen.
#[tokio::test]
async fn a_reopen_from_deploy_is_signed_and_flags_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    crate::demo::write_roster(dir.path(), crate::tui::fixture::FIXED_SEED).unwrap();
    let (mut a, service) = shots::loaded(120, 36, Theme::default()).await.unwrap();
    a.personas = Some(Personas::new(
        crate::demo::personas::personas(dir.path()),
        None,
        false,
    ));
    let effects = a.run_palette("as fay");
    shots::settle(&mut a, &service, effects).await;
    let effects = a.run_palette("deploy");
    shots::settle(&mut a, &service, effects).await;
    // A model whose production version is approved (the demo's drift
    // monitor reopened fraud-detector already).
    let at = a
        .deploy
        .ready()
        .and_then(|s| {
            s.models
                .iter()
                .position(|m| m.holder_state == Some(ReviewState::Approved))
        })
        .expect("the demo deploys approved versions");
    a.deploy.list.selected = at;
    let revalidations = a.queue.counts.revalidation;
    let before = a.deploy.selected().unwrap().clone();
    assert_eq!(
        before.holder_state,
        Some(ReviewState::Approved),
        "{before:?}"
    );
    let holder = before.holder.clone().unwrap();

    key(&mut a, KeyCode::Char('r'));
    let d = dialog(&a);
    assert_eq!((d.action, d.focus()), (Act::Reopen, Field::Cancel));
    let model = before.model.clone();
    assert_eq!(
        (d.model.as_str(), d.version.as_str()),
        (model.as_str(), holder.as_str())
    );
    assert_eq!(d.role(), Some("sre"));
    focus_on(&mut a, Field::Trigger);
    key(&mut a, KeyCode::Char(' '));
    focus_on(&mut a, Field::Reason);
    typed(&mut a, "psi 0.4 on amount");
    focus_on(&mut a, Field::Sign);
    let effects = key(&mut a, KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::Sign { .. }]),
        "{effects:?}"
    );
    shots::settle(&mut a, &service, effects).await;
    let said = a.status.clone().unwrap();
    assert!(
        said.text.starts_with(&format!("✓ reopen on {model}"))
            && said.text.contains("revalidation"),
        "{said:?}"
    );
    let after = a.deploy.selected().unwrap();
    assert_eq!(after.holder_state, Some(ReviewState::Revalidation));
    let frame = shots::text(&shots::draw(&a));
    let row = frame
        .lines()
        .find(|l| l.contains(&format!("{model}  ")))
        .unwrap();
    assert!(
        row.contains("↻ revalidation") && row.contains("✓ explained ↻ revalidation drift"),
        "{row}"
    );
    assert!(frame.contains("is in revalidation (drift)"), "{frame}");

    // The queue lists the revalidation with its kind and trigger, and the
    // header counts it.
    assert_eq!(a.queue.counts.revalidation, revalidations + 1);
    a.stack = vec![Screen::Queue];
    let frame = shots::text(&shots::draw(&a));
    assert!(
        frame.contains(&format!("↻ {} revalidation", revalidations + 1)),
        "{frame}"
    );
    assert!(frame.contains("↻ revalidation drift"), "{frame}");
    // Its review: the trigger on the Overview, the record on Monitoring.
    a.queue.list.selected = a
        .queue
        .visible
        .iter()
        .position(|i| {
            let it = &a.queue.rows[*i as usize].item;
            it.model == model && it.version == holder
        })
        .unwrap();
    shots::act(&mut a, &service, Action::Run(Command::Open)).await;
    let r = a.review.as_ref().unwrap();
    let overview: Vec<String> = r.docs[Tab::Overview.index()]
        .iter()
        .map(|l| l.to_string())
        .collect();
    assert!(
        overview
            .iter()
            .any(|l| l.contains("↻ drift") && l.contains("fay.sre@demo.modelgate")),
        "{overview:#?}"
    );
    assert!(
        overview.iter().any(|l| l.trim() == "psi 0.4 on amount"),
        "{overview:#?}"
    );
    let monitoring: Vec<String> = r.docs[Tab::Monitoring.index()]
        .iter()
        .map(|l| l.to_string())
        .collect();
    assert!(
        monitoring
            .iter()
            .any(|l| l.contains("✓ valid") && l.contains("↻ drift") && l.contains("as sre")),
        "{monitoring:#?}"
    );
    assert!(
        monitoring
            .iter()
            .any(|l| l.contains("report none recorded")),
        "{monitoring:#?}"
    );
}
