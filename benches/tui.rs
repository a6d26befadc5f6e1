//! The console's frame budget, on `TestBackend`:
//! - drawing the queue of 100,000 reviews at 200x50: at most 2 ms a frame
//!   (only the visible window is laid out);
//! - a keypress handled and the frame drawn: at most 16 ms (moving, typing a
//!   filter character over 100,000 rows, cycling the sort);
//! - a review tab drawn.

#![allow(clippy::unwrap_used)] // a test that meets the unexpected should stop there

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use modelgate::review::queue::{QueueItem, rfc3339_ms};
use modelgate::review::risk::Risk;
use modelgate::review::sla::SlaState;
use modelgate::review::state::ReviewState;
use modelgate::tui::action::Action;
use modelgate::tui::app::{App, Tab, update};
use modelgate::tui::keymap::Command;
use modelgate::tui::shots;
use modelgate::tui::theme::Theme;
use modelgate::tui::views;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const N: usize = 100_000;
const H: i64 = 3_600_000;

fn items() -> Vec<QueueItem> {
    (0..N)
        .map(|i| {
            let submitted = (i as i64 * 7919) % (200 * H);
            QueueItem {
                model: format!("model-{:03}", i % 500),
                version: format!("{}", i / 500 + 2),
                kind: Default::default(),
                triggers: vec![],
                risk: Risk::ALL[i % 4],
                state: ReviewState::Pending,
                submitted_at: rfc3339_ms(submitted),
                submitted_by: Some(format!("owner{}@example.com", i % 37)),
                deadline: Some(rfc3339_ms(submitted + 48 * H)),
                sla_state: SlaState::OnTrack,
                remaining_seconds: 0,
                baseline: Some("1".into()),
                required_roles: vec!["validator".into(), "domain".into()],
                approvals: vec![],
                metrics: vec![],
                gates: None,
                problems: vec![],
                deadline_ms: submitted + 48 * H,
                sla_hours: 48.0,
                run_user: None,
            }
        })
        .collect()
}

fn big_queue() -> App {
    let mut app = shots::app(200, 50, Theme::default());
    app.now_ms = 100 * H;
    app.start();
    update(
        &mut app,
        Action::QueueLoaded {
            all: false,
            result: Ok(items()),
        },
    );
    app
}

fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn bench(c: &mut Criterion) {
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
    let mut app = big_queue();
    assert_eq!(app.queue.visible.len(), N);

    c.bench_function("draw queue 100k at 200x50", |b| {
        b.iter(|| {
            term.draw(|f| views::view(black_box(&app), f)).unwrap();
        })
    });

    c.bench_function("keypress j + draw (100k)", |b| {
        b.iter(|| {
            // Down, and back up now and then so the selection keeps moving.
            let k = if app.queue.list.selected > 5_000 {
                KeyCode::Char('g')
            } else {
                KeyCode::Char('j')
            };
            update(&mut app, key(k));
            term.draw(|f| views::view(&app, f)).unwrap();
        })
    });

    c.bench_function("keypress filter char + draw (100k)", |b| {
        update(&mut app, key(KeyCode::Char('/')));
        b.iter(|| {
            // Type one character and take it back: two full refilters of 100k rows.
            update(&mut app, key(KeyCode::Char('7')));
            term.draw(|f| views::view(&app, f)).unwrap();
            update(&mut app, key(KeyCode::Backspace));
            term.draw(|f| views::view(&app, f)).unwrap();
        })
    });
    update(&mut app, key(KeyCode::Enter));

    c.bench_function("keypress sort + draw (100k)", |b| {
        b.iter(|| {
            update(&mut app, Action::Run(Command::Sort));
            term.draw(|f| views::view(&app, f)).unwrap();
        })
    });

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (mut review, service) = rt
        .block_on(shots::loaded(200, 50, Theme::default()))
        .unwrap();
    rt.block_on(shots::act(
        &mut review,
        &service,
        Action::Run(Command::Open),
    ));
    c.bench_function("keypress tab + draw review", |b| {
        b.iter(|| {
            update(&mut review, Action::Run(Command::NextTab));
            term.draw(|f| views::view(&review, f)).unwrap();
        })
    });
    assert!(
        review
            .review
            .as_ref()
            .is_some_and(|r| r.docs.len() == Tab::ALL.len())
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
