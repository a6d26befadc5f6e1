//! `update` driven by hand: no terminal, no registry, a fixed clock.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

use super::*;
use crate::review::queue::{QueueItem, rfc3339_ms};
use crate::review::risk::Risk;
use crate::review::sla::SlaState;
use crate::review::state::ReviewState;
use crate::tui::list::{Me, SortKey, StateFilter};
use crate::tui::views;

const H: i64 = 3_600_000;

fn item(model: &str, version: &str, risk: Risk, submitted: i64) -> QueueItem {
    QueueItem {
        model: model.into(),
        version: version.into(),
        kind: Default::default(),
        triggers: vec![],
        risk,
        state: ReviewState::Pending,
        submitted_at: rfc3339_ms(submitted),
        submitted_by: Some("ana@x".into()),
        deadline: Some(rfc3339_ms(submitted + 24 * H)),
        sla_state: SlaState::OnTrack,
        remaining_seconds: 0,
        baseline: None,
        required_roles: vec!["validator".into()],
        approvals: vec![],
        metrics: vec![],
        gates: None,
        problems: vec![],
        deadline_ms: submitted + 24 * H,
        sla_hours: 24.0,
        run_user: None,
    }
}

fn app() -> App {
    App::new(AppOptions {
        registry: "test.db".into(),
        identity: None,
        readonly: false,
        theme: Theme::default(),
        keymap: KeyMap::default(),
        now_ms: 0,
        size: (120, 30),
        demo: None,
    })
}

fn loaded(n: usize) -> App {
    let mut a = app();
    let effects = a.start();
    assert_eq!(
        effects,
        vec![
            Effect::LoadQueue { all: false },
            Effect::LoadIdentity { signer: None },
            Effect::LoadDeploy
        ]
    );
    let items = (0..n)
        .map(|i| {
            item(
                &format!("model-{i:03}"),
                "1",
                Risk::ALL[i % 4],
                i as i64 * 1000,
            )
        })
        .collect();
    let effects = update(
        &mut a,
        Action::QueueLoaded {
            all: false,
            result: Ok(items),
        },
    );
    assert_eq!(
        effects,
        vec![Effect::EvaluateGates { all: false }],
        "gates are evaluated in the background after the queue"
    );
    a
}

fn key(a: &mut App, code: KeyCode) -> Vec<Effect> {
    update(a, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn typed(a: &mut App, s: &str) {
    for c in s.chars() {
        key(a, KeyCode::Char(c));
    }
}

#[test]
fn vim_keys_and_arrows_move_the_selection_within_bounds() {
    let mut a = loaded(100);
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Down);
    assert_eq!(a.queue.list.selected, 2);
    key(&mut a, KeyCode::Char('k'));
    assert_eq!(a.queue.list.selected, 1);
    key(&mut a, KeyCode::Char('G'));
    assert_eq!(a.queue.list.selected, 99);
    let h = layout::queue_list_area(Rect::new(0, 0, 120, 30)).height as usize;
    assert_eq!(
        a.queue.list.offset,
        100 - h,
        "the window follows the selection"
    );
    key(&mut a, KeyCode::Char('j'));
    assert_eq!(a.queue.list.selected, 99, "no wrap past the end");
    key(&mut a, KeyCode::Char('g'));
    assert_eq!((a.queue.list.selected, a.queue.list.offset), (0, 0));
    key(&mut a, KeyCode::PageDown);
    assert_eq!(a.queue.list.selected, h);
}

#[test]
fn filter_as_you_type_then_escape_clears() {
    let mut a = loaded(100);
    key(&mut a, KeyCode::Char('/'));
    assert!(a.queue.filter.editing);
    typed(&mut a, "model-01");
    assert_eq!(a.queue.visible.len(), 10, "model-010 .. model-019");
    // While typing, letters are text, not commands: `q` does not quit.
    assert!(key(&mut a, KeyCode::Char('q')).is_empty());
    assert_eq!(a.queue.visible.len(), 0);
    key(&mut a, KeyCode::Backspace);
    key(&mut a, KeyCode::Enter);
    assert!(!a.queue.filter.editing);
    assert_eq!(a.queue.filter.text, "model-01");
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.queue.filter.text, "");
    assert_eq!(a.queue.visible.len(), 100);
}

#[test]
fn toggles_narrow_and_state_asks_for_every_state() {
    let mut a = loaded(8);
    key(&mut a, KeyCode::Char('r'));
    assert_eq!(a.queue.risk, Some(Risk::Critical));
    assert_eq!(a.queue.visible.len(), 2);
    // `t` cycles the kind, `f` the state (other states load when asked for).
    assert!(key(&mut a, KeyCode::Char('t')).is_empty());
    assert_eq!(a.queue.kind, Some(crate::review::queue::Kind::Review));
    assert_eq!(a.queue.visible.len(), 2, "every row here is a review");
    key(&mut a, KeyCode::Char('t'));
    assert_eq!(a.queue.visible.len(), 0);
    assert!(views::queue::empty_reason(&a).contains("kind revalidation"));
    key(&mut a, KeyCode::Char('t'));
    key(&mut a, KeyCode::Char('t'));
    assert_eq!(a.queue.kind, None);
    assert_eq!(a.queue.visible.len(), 2);
    let effects = key(&mut a, KeyCode::Char('f'));
    assert_eq!(effects, vec![Effect::LoadQueue { all: true }]);
    assert_eq!(a.queue.state, StateFilter::All);
    key(&mut a, KeyCode::Char('s'));
    assert_eq!(a.queue.sort, SortKey::Risk);
}

#[test]
fn mine_explains_what_is_missing_then_filters() {
    let mut a = loaded(4);
    key(&mut a, KeyCode::Char('m'));
    assert!(!a.queue.mine);
    assert!(
        a.status.as_ref().unwrap().text.contains("roster"),
        "{:?}",
        a.status
    );
    update(
        &mut a,
        Action::IdentityLoaded(Identity::Unavailable("set identity".into())),
    );
    key(&mut a, KeyCode::Char('m'));
    assert_eq!(a.status.as_ref().unwrap().text, "set identity");
    update(
        &mut a,
        Action::IdentityLoaded(Identity::Known(Me {
            id: "ben@x".into(),
            roles: vec!["domain".into()],
            mlflow_users: vec![],
        })),
    );
    key(&mut a, KeyCode::Char('m'));
    assert!(a.queue.mine);
    assert!(
        a.queue.visible.is_empty(),
        "no review needs a domain reviewer"
    );
    assert!(views::queue::empty_reason(&a).contains("mine"));
}

#[test]
fn open_loads_once_and_ignores_stale_answers() {
    let mut a = loaded(3);
    key(&mut a, KeyCode::Char('j'));
    let effects = key(&mut a, KeyCode::Enter);
    let want = ReviewKey::new("model-001", "1");
    assert_eq!(
        effects,
        vec![Effect::LoadReview {
            key: want.clone(),
            style: a.highlight_style()
        }]
    );
    assert_eq!(a.screen(), Screen::Review);
    // An answer for a review no longer shown changes nothing.
    let stale = update(
        &mut a,
        Action::ReviewLoaded {
            key: ReviewKey::new("model-000", "1"),
            result: Err("late".into()),
        },
    );
    assert!(stale.is_empty());
    assert!(matches!(a.review.as_ref().unwrap().detail, Load::Loading));
    update(
        &mut a,
        Action::ReviewLoaded {
            key: want,
            result: Err("the registry is unavailable".into()),
        },
    );
    assert!(matches!(a.review.as_ref().unwrap().detail, Load::Failed(_)));
    assert_eq!(a.status.as_ref().unwrap().level, Level::Error);
    // Tabs cycle both ways; Esc goes back; reopening reuses what was loaded.
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.review.as_ref().unwrap().tab, Tab::Metrics);
    update(
        &mut a,
        Action::Key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
    );
    update(
        &mut a,
        Action::Key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
    );
    assert_eq!(a.review.as_ref().unwrap().tab, Tab::Monitoring);
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.screen(), Screen::Queue);
    assert!(key(&mut a, KeyCode::Enter).is_empty());
}

#[test]
fn errors_stay_in_the_status_line_and_never_quit() {
    let mut a = app();
    a.start();
    let e = update(
        &mut a,
        Action::QueueLoaded {
            all: false,
            result: Err("the registry is unavailable: connection refused".into()),
        },
    );
    assert!(e.is_empty());
    assert!(views::queue::empty_reason(&a).contains("connection refused"));
    assert_eq!(a.status.as_ref().unwrap().level, Level::Error);
    // A key press keeps an error (info messages go away).
    key(&mut a, KeyCode::Char('j'));
    assert!(a.status.is_some());
    assert_eq!(
        key(&mut a, KeyCode::F(5)),
        vec![Effect::LoadQueue { all: false }]
    );
}

#[test]
fn help_palette_and_quit() {
    let mut a = loaded(2);
    key(&mut a, KeyCode::Char('?'));
    assert_eq!(a.overlay, Some(Overlay::Help));
    key(&mut a, KeyCode::Char('x'));
    assert_eq!(a.overlay, None, "any key closes help");
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "au");
    assert_eq!(a.palette_matches("au"), vec![PALETTE[1]]);
    key(&mut a, KeyCode::Tab);
    assert_eq!(
        a.overlay,
        Some(Overlay::Palette(Palette {
            input: "audit".into(),
            selected: 0,
            demo: false,
        }))
    );
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.screen(), Screen::Audit);
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.screen(), Screen::Queue);
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "quit");
    assert_eq!(key(&mut a, KeyCode::Enter), vec![Effect::Quit]);
    assert_eq!(key(&mut a, KeyCode::Char('q')), vec![Effect::Quit]);
    assert_eq!(
        update(
            &mut a,
            Action::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL))
        ),
        vec![Effect::Quit]
    );
}

#[test]
fn readonly_shows_the_deploy_screen_without_its_write_keys() {
    let mut a = loaded(1);
    a.readonly = true;
    assert!(a.palette_matches("").iter().any(|(n, _)| *n == "deploy"));
    a.run_palette("deploy");
    assert_eq!(a.screen(), Screen::Deploy);
    assert!(key(&mut a, KeyCode::Char('b')).is_empty());
    assert!(a.overlay.is_none(), "no rollback dialog under --readonly");
}

/// The fixed demo with a review open (its evidence digest computed), signing
/// configured and me a validator and domain expert.
async fn review_ready() -> (App, String) {
    use crate::tui::shots;
    let (mut a, service) = shots::loaded(120, 36, Theme::default()).await.unwrap();
    shots::act(&mut a, &service, Action::Run(Command::Open)).await;
    let evidence = match &a.review.as_ref().unwrap().detail {
        Load::Ready(d) => d.evidence.clone().unwrap(),
        other => panic!("{other:?}"),
    };
    update(
        &mut a,
        Action::IdentityLoaded(Identity::Known(Me {
            id: "ben@x".into(),
            roles: vec!["validator".into(), "domain".into()],
            mlflow_users: vec![],
        })),
    );
    update(&mut a, Action::SigningChecked(None));
    // The demo's own checklists apply from medium risk; these tests of the
    // dialog start without any (the checklist tests set their own).
    a.asks.checklists = Default::default();
    (a, evidence)
}

#[tokio::test]
async fn decision_dialog_focuses_cancel_and_signs_the_digest_shown() {
    let (mut a, evidence) = review_ready().await;
    assert!(key(&mut a, KeyCode::Char('a')).is_empty());
    let Some(Overlay::Sign(d)) = &a.overlay else {
        panic!("no dialog")
    };
    assert_eq!(d.focus(), Field::Cancel, "focus starts on Cancel");
    assert_eq!(d.action, crate::trust::record::Action::Approve);
    assert_eq!(d.evidence.as_deref(), Some(evidence.as_str()));
    assert!(evidence.starts_with("sha256:"));
    // Enter on Cancel closes and signs nothing.
    assert!(key(&mut a, KeyCode::Enter).is_empty());
    assert!(a.overlay.is_none());
    // Again: tab to Sign, enter signs in the background with the digest shown.
    key(&mut a, KeyCode::Char('a'));
    key(&mut a, KeyCode::Tab);
    let effects = key(&mut a, KeyCode::Enter);
    let [Effect::Sign { key: k, request }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(k, &a.review.as_ref().unwrap().key);
    assert_eq!(request.action, crate::trust::record::Action::Approve);
    assert_eq!(
        request.expected_evidence.as_deref(),
        Some(evidence.as_str())
    );
    assert!(a.overlay.is_none() && a.sign_busy);
    // The answer lands in the status line and the review reloads.
    let effects = update(
        &mut a,
        Action::Signed {
            key: k.clone(),
            result: Err(SignFailure::Setup("the evidence changed".into())),
        },
    );
    assert!(
        a.status
            .as_ref()
            .unwrap()
            .text
            .contains("the evidence changed")
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadReview { .. }))
    );
    assert!(!a.sign_busy);
}

#[tokio::test]
async fn a_reason_is_required_where_the_protocol_requires_one() {
    let (mut a, _) = review_ready().await;
    key(&mut a, KeyCode::Char('x'));
    key(&mut a, KeyCode::Tab); // Sign
    assert!(
        key(&mut a, KeyCode::Enter).is_empty(),
        "no reason: nothing signed"
    );
    let Some(Overlay::Sign(d)) = &a.overlay else {
        panic!("dialog closed")
    };
    assert!(d.error.as_deref().unwrap().contains("reason"));
    // Role, then reason: type it, back to Sign.
    key(&mut a, KeyCode::Tab);
    key(&mut a, KeyCode::Right);
    key(&mut a, KeyCode::Tab);
    typed(&mut a, "fails fairness");
    // A reject carries a category too (PROTOCOL 13): on to the list, the first.
    key(&mut a, KeyCode::Tab);
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::BackTab);
    key(&mut a, KeyCode::BackTab);
    key(&mut a, KeyCode::BackTab);
    let effects = key(&mut a, KeyCode::Enter);
    let [Effect::Sign { request, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(request.reason.as_deref(), Some("fails fairness"));
    assert_eq!(request.role.as_deref(), Some("domain"), "the role cycled");
    assert!(request.category.is_some());
}

#[tokio::test]
async fn without_signing_configured_the_dialog_explains_instead() {
    let (mut a, _) = review_ready().await;
    update(
        &mut a,
        Action::SigningChecked(Some("Signing needs a signing key".into())),
    );
    key(&mut a, KeyCode::Char('a'));
    let Some(Overlay::Sign(d)) = &a.overlay else {
        panic!("no dialog")
    };
    assert!(d.problem.as_deref().unwrap().contains("signing key"));
    assert_eq!(d.fields(), vec![Field::Cancel], "nothing to sign from here");
    key(&mut a, KeyCode::Tab);
    assert!(key(&mut a, KeyCode::Enter).is_empty());
    assert!(a.overlay.is_none());
}

#[test]
fn mouse_wheel_scrolls_and_clicks_select_then_open() {
    let mut a = loaded(50);
    let ev = |kind, column, row| {
        Action::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    update(&mut a, ev(MouseEventKind::ScrollDown, 5, 5));
    assert_eq!(a.queue.list.selected, 3);
    let list = layout::queue_list_area(Rect::new(0, 0, 120, 30));
    update(
        &mut a,
        ev(MouseEventKind::Down(MouseButton::Left), 10, list.y + 5),
    );
    assert_eq!(a.queue.list.selected, 5);
    let effects = update(
        &mut a,
        ev(MouseEventKind::Down(MouseButton::Left), 10, list.y + 5),
    );
    assert!(matches!(effects.as_slice(), [Effect::LoadReview { .. }]));
    let tabs = layout::review_tabs_area(Rect::new(0, 0, 120, 30));
    let (_, _, x, _) = layout::tab_layout(tabs)[4];
    update(
        &mut a,
        ev(MouseEventKind::Down(MouseButton::Left), x + 1, tabs.y),
    );
    assert_eq!(a.review.as_ref().unwrap().tab, Tab::Fairness);
    a.dirty = false;
    update(&mut a, ev(MouseEventKind::Moved, 1, 1));
    assert!(!a.dirty, "mouse motion does not redraw");
}

#[test]
fn the_clock_moves_countdowns_and_counts() {
    let mut a = loaded(4);
    let c = |pending, at_risk, breached| list::Counts {
        pending,
        at_risk,
        breached,
        ..Default::default()
    };
    assert_eq!(a.queue.counts, c(4, 0, 0));
    update(&mut a, Action::Tick(30 * H));
    assert_eq!(a.queue.counts, c(4, 0, 4), "all four are past 24 hours");
    let row = a.selected_row().unwrap();
    assert_eq!(row.live_sla(a.now_ms).0, SlaState::Breached);
}

#[test]
fn gate_counts_fill_in_after_the_queue() {
    use crate::review::gates::{GateCounts, ItemGates};
    let mut a = loaded(2);
    assert!(a.busy());
    let g = ItemGates::Counts(GateCounts {
        deny: 1,
        warn: 0,
        error: None,
    });
    update(
        &mut a,
        Action::GatesEvaluated {
            result: Ok(vec![(ReviewKey::new("model-001", "1"), g.clone())]),
        },
    );
    assert_eq!(a.queue.rows[1].item.gates, Some(g));
    assert_eq!(a.queue.rows[0].item.gates, None);
}

#[test]
fn resize_relays_the_review_out() {
    let mut a = loaded(1);
    key(&mut a, KeyCode::Enter);
    update(
        &mut a,
        Action::ReviewLoaded {
            key: ReviewKey::new("model-000", "1"),
            result: Err("x".repeat(500)),
        },
    );
    let lines_wide = a.review.as_ref().unwrap().docs[0].len();
    update(&mut a, Action::Resize(60, 30));
    let r = a.review.as_ref().unwrap();
    assert_eq!(
        r.doc_width,
        layout::review_content_area(Rect::new(0, 0, 60, 30)).width
    );
    assert!(r.docs[0].len() > lines_wide, "narrower means more lines");
    let _ = Arc::new(());
}

#[tokio::test]
async fn rollback_dialog_needs_incident_and_the_models_name_then_deploys_the_target() {
    use crate::tui::shots;
    let (mut a, service) = shots::loaded(120, 36, Theme::default()).await.unwrap();
    a.overlay = Some(Overlay::Palette(crate::tui::app::Palette {
        input: "deploy".into(),
        ..Default::default()
    }));
    let effects = key(&mut a, KeyCode::Enter);
    shots::settle(&mut a, &service, effects).await;
    update(
        &mut a,
        Action::IdentityLoaded(Identity::Known(Me {
            id: shots::ON_CALL.into(),
            roles: vec!["sre".into()],
            mlflow_users: vec![],
        })),
    );
    update(&mut a, Action::SigningChecked(None));
    let at = a
        .deploy
        .ready()
        .and_then(|s| s.models.iter().position(|m| m.model == "fraud-detector"))
        .expect("the demo deploys fraud-detector");
    a.deploy.list.selected = at;
    assert!(key(&mut a, KeyCode::Char('b')).is_empty());
    let Some(Overlay::Sign(d)) = &a.overlay else {
        panic!("no rollback dialog")
    };
    assert_eq!(d.focus(), Field::Cancel);
    assert_eq!(d.target(), Some("3"), "the earlier approved version");
    assert_eq!(d.from.as_deref(), Some("5"));
    // Sign without reason, incident or confirmation: refused in the dialog.
    key(&mut a, KeyCode::Tab);
    assert!(key(&mut a, KeyCode::Enter).is_empty());
    // Target, reason, incident, confirm (a wrong name first).
    key(&mut a, KeyCode::Tab);
    key(&mut a, KeyCode::Tab);
    typed(&mut a, "p99 latency alarm");
    key(&mut a, KeyCode::Tab);
    typed(&mut a, "INC-7");
    key(&mut a, KeyCode::Tab);
    typed(&mut a, "fraud");
    for _ in 0..4 {
        key(&mut a, KeyCode::BackTab); // back to Sign
    }
    assert!(
        key(&mut a, KeyCode::Enter).is_empty(),
        "the name must match"
    );
    let Some(Overlay::Sign(d)) = &a.overlay else {
        panic!("dialog closed")
    };
    assert!(
        d.error.as_deref().unwrap().contains("fraud-detector"),
        "{:?}",
        d.error
    );
    for _ in 0..4 {
        key(&mut a, KeyCode::Tab);
    }
    typed(&mut a, "-detector");
    for _ in 0..4 {
        key(&mut a, KeyCode::BackTab); // back to Sign
    }
    let effects = key(&mut a, KeyCode::Enter);
    let [Effect::Deploy { key: k, request }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(k, &ReviewKey::new("fraud-detector", "3"));
    assert_eq!(request.action, crate::trust::record::Action::Rollback);
    assert_eq!(request.reason.as_deref(), Some("p99 latency alarm"));
    assert_eq!(request.incident.as_deref(), Some("INC-7"));
}

#[test]
fn a_queue_error_is_shown_in_full_on_a_narrow_terminal() {
    let mut a = app();
    let _ = a.start();
    let why = "model fraud version 3, the baseline, could not be read (the server answered 500: \
               internal error); every other review loaded, and this sentence ends here: END";
    let _ = update(
        &mut a,
        Action::QueueLoaded {
            all: false,
            result: Err(why.into()),
        },
    );
    let (w, h) = (80u16, 24u16);
    let backend = ratatui::backend::TestBackend::new(w, h);
    let mut term = ratatui::Terminal::new(backend).unwrap();
    term.draw(|f| crate::tui::views::view(&a, f)).unwrap();
    let screen: String = term
        .backend()
        .buffer()
        .content()
        .chunks(w as usize)
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        screen.contains("END"),
        "the end of the error is on screen:\n{screen}"
    );
    assert!(screen.contains("could not be loaded"), "{screen}");
}

mod reopen;
mod structured;

#[test]
fn the_header_counts_come_first_and_fit_80_columns() {
    let mut a = loaded(3);
    a.size = (80, 24);
    a.queue.counts = list::Counts {
        pending: 123,
        revalidation: 45,
        renewal: 6,
        at_risk: 78,
        breached: 901,
    };
    a.registry = "a-registry-name-long-enough-to-push-everything-else-off".into();
    let frame = crate::tui::shots::text(&crate::tui::shots::draw(&a));
    let header = frame.lines().nth(1).unwrap();
    assert!(
        header.starts_with(
            "│● 123 pending  ↻ 45 revalidation  ◷ 6 renewal  ▲ 78 at risk  ✖ 901 breached"
        ),
        "{header}"
    );
    // None in revalidation or due for renewal: those two are left out.
    a.queue.counts.revalidation = 0;
    a.queue.counts.renewal = 0;
    let frame = crate::tui::shots::text(&crate::tui::shots::draw(&a));
    let header = frame.lines().nth(1).unwrap();
    assert!(
        header.starts_with("│● 123 pending  ▲ 78 at risk  ✖ 901 breached  identity none  a-reg"),
        "{header}"
    );
}
