//! The demo's personas in the console: the picker, `:as`, the key that signs,
//! and `:as` refused on any other registry.

use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::tui::action::{Action, Effect, SignAs};
use crate::tui::app::{App, AppOptions, Load, Screen, update};
use crate::tui::keymap::{Command, KeyMap};
use crate::tui::screens::Level;
use crate::tui::screens::personas::{Personas, REFUSED};
use crate::tui::theme::Theme;

fn app(demo: bool, identity: Option<&str>) -> App {
    App::new(AppOptions {
        registry: "demo.db".into(),
        identity: identity.map(str::to_owned),
        readonly: false,
        theme: Theme::default(),
        keymap: KeyMap::default(),
        now_ms: 0,
        size: (120, 30),
        demo: demo.then(|| crate::demo::personas::personas(Path::new("/r"))),
    })
}

fn key(a: &mut App, code: KeyCode) -> Vec<Effect> {
    update(a, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// `:` then `line` then enter.
fn command(a: &mut App, line: &str) -> Vec<Effect> {
    key(a, KeyCode::Char(':'));
    for c in line.chars() {
        key(a, KeyCode::Char(c));
    }
    key(a, KeyCode::Enter)
}

fn signer(id: &str) -> Option<SignAs> {
    Some(SignAs {
        id: id.into(),
        key_file: Path::new("/r").join(format!("{id}.key")),
    })
}

#[test]
fn as_refuses_outside_the_demo_and_changes_nothing() {
    let mut a = app(false, Some("me@corp"));
    a.start();
    assert_eq!(a.screen(), Screen::Queue, "no picker outside the demo");
    assert!(
        !a.palette_matches("a").iter().any(|(n, _)| *n == "as"),
        "not offered either"
    );
    for line in ["as ben", "as"] {
        assert!(command(&mut a, line).is_empty(), "{line}");
        let s = a.status.clone().unwrap();
        assert_eq!((s.level, s.text.as_str()), (Level::Error, REFUSED));
        assert_eq!(a.identity_label.as_deref(), Some("me@corp"));
        assert_eq!(a.screen(), Screen::Queue);
    }
    assert!(REFUSED.contains("set identity and key_file in config.toml"));
}

#[test]
fn the_demo_starts_on_the_picker_and_enter_picks() {
    let mut a = app(true, None);
    assert_eq!(a.screen(), Screen::Personas);
    assert!(a.start().contains(&Effect::LoadIdentity { signer: None }));
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Down);
    let effects = key(&mut a, KeyCode::Enter);
    let ben = "ben.validator@demo.modelgate";
    assert_eq!(
        effects,
        vec![Effect::LoadIdentity {
            signer: signer(ben)
        }]
    );
    assert_eq!(a.screen(), Screen::Queue);
    assert_eq!(a.identity_label.as_deref(), Some(ben));
    assert!(!a.readonly);
    let said = &a.status.as_ref().unwrap().text;
    assert!(said.contains("Ben Okafor (validator)"), "{said}");
    // `:as` alone shows the picker again; esc goes back, still Ben.
    command(&mut a, "as");
    assert_eq!(a.screen(), Screen::Personas);
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.screen(), Screen::Queue);
    assert!(!a.readonly, "a persona acts: not read-only");
}

#[test]
fn esc_browses_read_only_until_as_names_a_persona() {
    let mut a = app(true, None);
    a.start();
    assert!(key(&mut a, KeyCode::Esc).is_empty());
    assert_eq!(a.screen(), Screen::Queue);
    assert!(a.readonly, "no persona: every action that writes is hidden");
    let effects = command(&mut a, "as nobody");
    assert!(effects.is_empty());
    let s = a.status.clone().unwrap();
    assert_eq!(s.level, Level::Error);
    assert!(s.text.contains("fay (sre)"), "{}", s.text);
    let eli = "eli.compliance@demo.modelgate";
    assert_eq!(
        command(&mut a, "as eli"),
        vec![Effect::LoadIdentity {
            signer: signer(eli)
        }]
    );
    assert!(!a.readonly);
    assert_eq!(a.identity_label.as_deref(), Some(eli));
}

#[test]
fn a_configured_persona_acts_from_the_start() {
    let mut a = app(true, Some("fay.sre@demo.modelgate"));
    assert_eq!(a.screen(), Screen::Queue, "--as: no picker");
    assert!(a.start().contains(&Effect::LoadIdentity {
        signer: signer("fay.sre@demo.modelgate")
    }));
}

#[tokio::test]
async fn a_persona_signs_with_its_own_key() {
    use crate::tui::shots;
    let dir = tempfile::tempdir().unwrap();
    crate::demo::write_roster(dir.path(), crate::tui::fixture::FIXED_SEED).unwrap();
    let (mut a, service) = shots::loaded(120, 36, Theme::default()).await.unwrap();
    a.personas = Some(Personas::new(
        crate::demo::personas::personas(dir.path()),
        None,
        false,
    ));
    let effects = command(&mut a, "as chloe");
    shots::settle(&mut a, &service, effects).await;
    let chloe = "chloe.validator@demo.modelgate";
    assert!(matches!(&a.identity, crate::tui::action::Identity::Known(me) if me.id == chloe));
    // A low-risk review: no checklist to answer at low risk.
    a.queue.list.selected = a
        .queue
        .visible
        .iter()
        .position(|i| a.queue.rows[*i as usize].item.model == "support-ticket-router")
        .unwrap();
    shots::act(&mut a, &service, Action::Run(Command::Open)).await;
    let key_ = a.review.as_ref().unwrap().key.clone();
    key(&mut a, KeyCode::Char('a'));
    key(&mut a, KeyCode::Tab);
    let effects = key(&mut a, KeyCode::Enter);
    let [Effect::Sign { request, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(request.signer.as_ref().map(|s| s.id.as_str()), Some(chloe));
    shots::settle(&mut a, &service, effects).await;
    let said = a.status.clone().unwrap();
    assert!(said.text.starts_with("✓ approve on"), "{said:?}");
    let Some(Load::Ready(d)) = a.review.as_ref().map(|r| &r.detail) else {
        panic!("the review reloads")
    };
    assert_eq!(d.summary.model, key_.model);
    let last = d.records.last().unwrap();
    assert_eq!(last["actor"], chloe, "{last}");
}
