//! The console on the fixed demo (seed 7, clock 2026-03-02T09:30:00Z) at
//! 120x36: a text snapshot of every screen and tab (insta; snapshots ignore
//! style), styled-cell checks of selection and SLA states, themes, and
//! hostile registry text.

use std::sync::Arc;

use modelgate::registry::memory::MemoryRegistry;
use modelgate::registry::{Metric, RegistryWriter, Tags};
use modelgate::review::sla::SlaState;
use modelgate::service::ReviewService;
use modelgate::tui::action::{Action, Effect};
use modelgate::tui::app::{App, StatsPeriod, Tab, update};
use modelgate::tui::fixture::FIXED_NOW_MS;
use modelgate::tui::keymap::Command;
use modelgate::tui::shots::{self, act, draw, text};
use modelgate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

const W: u16 = 120;
const H: u16 = 36;

#[tokio::test]
async fn every_screen_and_tab() {
    let shots = shots::all(W, H).await.unwrap();
    let names: Vec<&str> = shots.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names.len(), 14 + Tab::ALL.len(), "{names:?}");
    // The snapshots keep the names and place they had when this file was a
    // test binary of its own: `tests/snapshots/tui_snapshots__<name>.snap`.
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for s in &shots {
            insta::assert_snapshot!(format!("tui_snapshots__{}", s.name), text(&s.buffer));
        }
    });
}

#[tokio::test]
async fn the_header_shows_the_demo_persona_and_its_roles() {
    let (_, service) = shots::loaded(W, H, Theme::default()).await.unwrap();
    let mut app = shots::demo_start(&service, W, H).await;
    // Ana, Kai, then Ben: a validator.
    act(&mut app, &service, Action::Run(Command::Down)).await;
    act(&mut app, &service, Action::Run(Command::Down)).await;
    act(&mut app, &service, Action::Run(Command::Pick)).await;
    let frame = text(&draw(&app));
    assert!(
        frame
            .lines()
            .nth(1)
            .unwrap()
            .contains("as Ben Okafor · validator"),
        "{frame}"
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("tui_snapshots__queue-as-persona", frame));
}

/// The row of the list whose text contains `needle`.
fn row_of(buf: &Buffer, needle: &str) -> u16 {
    let t = text(buf);
    t.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no row with {needle:?} in\n{t}")) as u16
}

fn find_glyph(buf: &Buffer, y: u16, glyph: &str) -> u16 {
    (0..buf.area.width)
        .find(|x| buf[(*x, y)].symbol() == glyph)
        .unwrap_or_else(|| panic!("no {glyph} on row {y}"))
}

#[tokio::test]
async fn selection_and_sla_states_carry_style_and_glyph() {
    let (app, _) = shots::loaded(W, H, Theme::default()).await.unwrap();
    let buf = draw(&app);
    let list_top = modelgate::tui::layout::queue_list_area(buf.area).y;
    // The first row is selected: a ▶ and reverse video across the row.
    assert_eq!(buf[(1, list_top)].symbol(), "▶");
    for x in [1, 20, 60, 100] {
        assert!(
            buf[(x, list_top)].modifier.contains(Modifier::REVERSED),
            "selected cell {x} is highlighted"
        );
    }
    assert!(
        !buf[(20, list_top + 1)]
            .modifier
            .contains(Modifier::REVERSED)
    );
    assert_eq!(buf[(1, list_top + 1)].symbol(), " ");
    // Each SLA state: its glyph, in its colour.
    let theme = Theme::default();
    for (state, glyph) in [
        (SlaState::Breached, "✖"),
        (SlaState::AtRisk, "▲"),
        (SlaState::OnTrack, "●"),
    ] {
        let y = (list_top..buf.area.height)
            .find(|y| buf[(3, *y)].symbol() == glyph && *y != list_top)
            .unwrap_or_else(|| panic!("no {state:?} row"));
        assert_eq!(
            buf[(3, y)].fg,
            theme.sla(state).fg.unwrap(),
            "{state:?} colour"
        );
    }
    let y = (list_top + 1..buf.area.height)
        .find(|y| buf[(3, *y)].symbol() == "✖")
        .unwrap();
    assert!(
        buf[(3, y)].modifier.contains(Modifier::BOLD),
        "breached is bold too"
    );
}

#[tokio::test]
async fn no_color_keeps_every_glyph_and_no_colour() {
    let plain = Theme {
        color: false,
        ..Theme::default()
    };
    let (app, _) = shots::loaded(W, H, plain).await.unwrap();
    let buf = draw(&app);
    for cell in buf.content() {
        assert_eq!(cell.fg, Color::Reset, "no colour under NO_COLOR: {cell:?}");
        assert_eq!(cell.bg, Color::Reset);
        assert!(!cell.modifier.contains(Modifier::REVERSED));
    }
    let list_top = modelgate::tui::layout::queue_list_area(buf.area).y;
    assert_eq!(buf[(1, list_top)].symbol(), "▶");
    assert!(buf[(20, list_top)].modifier.contains(Modifier::UNDERLINED));
    let t = text(&buf);
    for glyph in ["✖ -", "▲ ", "● "] {
        assert!(t.contains(glyph), "{glyph} in\n{t}");
    }
}

#[tokio::test]
async fn production_profile_draws_a_red_frame() {
    let prod = Theme {
        production: true,
        accent: Color::Blue,
        ..Theme::default()
    };
    let (app, _) = shots::loaded(W, H, prod).await.unwrap();
    let buf = draw(&app);
    assert_eq!(buf[(0, 0)].symbol(), "┌");
    assert_eq!(buf[(0, 0)].fg, Color::Red);
    assert_eq!(buf[(0, 10)].fg, Color::Red);
    assert!(text(&buf).contains("PRODUCTION"));
    let (app, _) = shots::loaded(W, H, Theme::default()).await.unwrap();
    assert_eq!(draw(&app)[(0, 0)].fg, Color::Cyan, "the accent otherwise");
}

#[tokio::test]
async fn review_tabs_show_the_selected_tab_with_a_glyph() {
    let (mut app, service) = shots::loaded(W, H, Theme::default()).await.unwrap();
    act(&mut app, &service, Action::Run(Command::Open)).await;
    act(&mut app, &service, Action::Run(Command::NextTab)).await;
    let buf = draw(&app);
    let y = row_of(&buf, "Overview │");
    let x = find_glyph(&buf, y, "▶");
    assert_eq!(buf[(x + 1, y)].symbol(), "M", "▶Metrics");
    assert!(buf[(x + 1, y)].modifier.contains(Modifier::REVERSED));
}

fn hostile_mlmodel(n: usize, ty: &str) -> Vec<u8> {
    let cols: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "{{\"name\": \"col_{i}\", \"type\": \"{}\", \"required\": true}}",
                if i % 7 == 0 { ty } else { "long" }
            )
        })
        .collect();
    format!(
        "artifact_path: model\nflavors: {{}}\nsignature:\n  inputs: '[{}]'\n  outputs: '[{{\"type\": \"double\", \"required\": true}}]'\n",
        cols.join(", ")
    )
    .into_bytes()
}

/// A registry whose text attacks the terminal.
async fn hostile() -> Arc<ReviewService> {
    let reg = MemoryRegistry::new("hostile\x1b[2J\u{202E}registry", FIXED_NOW_MS);
    let name = "evil\x1b]0;pwned\x07-model-表👨\u{200D}👩\u{200D}👧";
    let huge = format!(
        "start \x1b[31mred\x1b[0m \u{202E}reversed\u{202C} 表表表 🎉\n{}",
        "lorem ipsum dolor sit amet ".repeat(40_000)
    );
    assert!(huge.len() > 1_000_000);
    let tags = Tags::from([("modelgate.risk".to_owned(), "high".to_owned())]);
    reg.ensure_registered_model(name, Some(&huge), &tags)
        .await
        .unwrap();
    let mut versions = Vec::new();
    for (i, ty) in ["long", "double"].iter().enumerate() {
        let run = reg
            .create_run(
                "exp",
                0,
                &Tags::from([("mlflow.user".to_owned(), "🎉user\x1b[1m".to_owned())]),
            )
            .await
            .unwrap();
        reg.log_metrics(
            &run,
            &[Metric {
                key: "auc\x1b[5m\u{2066}".into(),
                value: 0.9 + i as f64 / 100.0,
                timestamp: 0,
                step: 0,
            }],
        )
        .await
        .unwrap();
        reg.upload_artifact(&run, "model/MLmodel", &hostile_mlmodel(10_000, ty))
            .await
            .unwrap();
        reg.upload_artifact(
            &run,
            "modelgate/model_card.md",
            "# Card \x1b[2J\n\n```python\nprint('\x1b]8;;http://x\x07link')\n```\n\u{202E}gpj.exe"
                .as_bytes(),
        )
        .await
        .unwrap();
        let mut vtags = Tags::new();
        if i == 1 {
            vtags.insert("modelgate.review".into(), "pending".into());
            vtags.insert(
                "modelgate.submitted_by".into(),
                "mallory\x1b[H@\u{202E}x表".into(),
            );
            vtags.insert(
                "modelgate.submitted_at".into(),
                "2026-03-02T08:00:00Z".into(),
            );
        }
        versions.push(
            reg.create_model_version(
                name,
                &format!("runs:/{run}/model"),
                &run,
                Some(&huge),
                &vtags,
            )
            .await
            .unwrap(),
        );
    }
    modelgate::registry::Registry::set_alias(&reg, name, "champion", &versions[0])
        .await
        .unwrap();
    let mut config = modelgate::config::Config::resolve(None, &Default::default()).unwrap();
    config.state_dir = None;
    Arc::new(ReviewService::new(Arc::new(reg), config))
}

/// No control or bidi character in any cell, the frame intact on every row,
/// and no row wider than the screen.
fn assert_clean(buf: &Buffer, what: &str) {
    for cell in buf.content() {
        for c in cell.symbol().chars() {
            assert!(
                !(c.is_control()
                    || ('\u{202A}'..='\u{202E}').contains(&c)
                    || ('\u{2066}'..='\u{2069}').contains(&c)
                    || c == '\u{200D}'),
                "{what}: {c:?} reached a cell"
            );
        }
    }
    let t = text(buf);
    let w = buf.area.width as usize;
    for (y, line) in t.lines().enumerate() {
        assert_eq!(
            unicode_width::UnicodeWidthStr::width(line),
            w,
            "{what}: row {y} is not {w} cells: {line:?}"
        );
        let first = line.chars().next().unwrap();
        let last = line.chars().last().unwrap();
        assert!(
            "┌│└".contains(first) && "┐│┘".contains(last),
            "{what}: frame broken on row {y}: {line:?}"
        );
    }
}

#[tokio::test]
async fn hostile_registry_text_cannot_corrupt_the_screen() {
    let service = hostile().await;
    let mut app: App = shots::start_on(&service, 100, 30, Theme::default()).await;
    assert_eq!(app.queue.rows.len(), 1);
    let buf = draw(&app);
    assert_clean(&buf, "queue");
    let t = text(&buf);
    assert!(t.contains("evil^[]0;pwned^G-model-表👨👩👧"), "{t}");
    // The header's last part, the registry's name, on a terminal wide enough.
    update(&mut app, Action::Resize(160, 30));
    let wide = text(&draw(&app));
    assert!(wide.contains("  hostile^[[2Jregistry"), "{wide}");
    update(&mut app, Action::Resize(100, 30));
    act(&mut app, &service, Action::Run(Command::Open)).await;
    for tab in Tab::ALL {
        app.review.as_mut().unwrap().tab = tab;
        let buf = draw(&app);
        assert_clean(&buf, tab.title());
        // Scrolled to the end, too: the window is what is drawn.
        act(&mut app, &service, Action::Run(Command::Bottom)).await;
        assert_clean(&draw(&app), tab.title());
    }
    let r = app.review.as_ref().unwrap();
    let overview: Vec<String> = r.docs[0].iter().map(|l| l.to_string()).collect();
    assert!(
        overview.iter().any(|l| l.contains("cut here: the text is")),
        "a 1 MB description is cut, and says so"
    );
    assert!(
        overview.iter().any(|l| l.contains("by mallory^[[H@x表")),
        "{overview:?}"
    );
    let schema = &r.docs[Tab::Schema.index()];
    assert!(
        schema.len() > 1_428,
        "every changed column of 10,000 is listed: {}",
        schema.len()
    );
}

/// The console on `:stats`, loaded, as the palette opens it.
async fn on_stats(w: u16, h: u16) -> (App, Arc<ReviewService>) {
    let (mut app, service) = shots::loaded(w, h, Theme::default()).await.unwrap();
    let effects = app.run_palette("stats");
    assert_eq!(
        effects,
        vec![Effect::LoadStats {
            period: StatsPeriod::All
        }]
    );
    shots::settle(&mut app, &service, effects).await;
    assert!(app.stats.ready().is_some(), "the figures are loaded");
    (app, service)
}

fn snapshot(name: &str, frame: String) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(format!("tui_snapshots__{name}"), frame));
}

#[tokio::test]
async fn stats_at_80x24_and_160x48() {
    let (mut app, _) = on_stats(80, 24).await;
    let small = draw(&app);
    let t = text(&small);
    for want in [
        "modelgate · stats · all time",
        "left out of every figure",
        "SLA on time",
        "reviewer load",
    ] {
        assert!(t.contains(want), "{want:?} in\n{t}");
    }
    assert_clean(&small, "stats 80x24");
    snapshot("stats-80x24", t);
    update(&mut app, Action::Resize(160, 48));
    let big = draw(&app);
    assert_clean(&big, "stats 160x48");
    snapshot("stats-160x48", text(&big));
}

/// `[` and `]` cycle all time, 7, 30, 90 days; each asks the service again
/// with `since` that many days before now, and the header names the period.
#[tokio::test]
async fn stats_periods_ask_the_service_with_their_since() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let (mut app, service) = on_stats(100, 30).await;
    assert_eq!(app.stats.ready().unwrap().period.since, None);
    let key = |c| Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    let day = 86_400_000;
    let since = |days: i64| {
        chrono::DateTime::from_timestamp_millis(FIXED_NOW_MS - days * day)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    for (k, period, days, label) in [
        (']', StatsPeriod::Days7, Some(7), "last 7 days"),
        (']', StatsPeriod::Days30, Some(30), "last 30 days"),
        (']', StatsPeriod::Days90, Some(90), "last 90 days"),
        (']', StatsPeriod::All, None, "all time"),
        ('[', StatsPeriod::Days90, Some(90), "last 90 days"),
    ] {
        let effects = update(&mut app, key(k));
        assert_eq!(effects, vec![Effect::LoadStats { period }], "{k}");
        assert!(app.busy(), "the spinner turns while counting");
        shots::settle(&mut app, &service, effects).await;
        let s = app.stats.ready().unwrap();
        assert_eq!(s.period.since, days.map(since), "{label}");
        let frame = text(&draw(&app));
        assert!(
            frame
                .lines()
                .next()
                .unwrap()
                .contains(&format!("stats · {label}")),
            "{frame}"
        );
        assert!(frame.contains(&format!("◂ {label} ▸")), "{frame}");
    }
    // `r` and the usual reload key count the same period again.
    assert_eq!(
        update(&mut app, key('r')),
        vec![Effect::LoadStats {
            period: StatsPeriod::Days90
        }]
    );
    let f5 = Action::Key(KeyEvent::new(KeyCode::F(5), KeyModifiers::NONE));
    assert_eq!(
        update(&mut app, f5),
        vec![Effect::LoadStats {
            period: StatsPeriod::Days90
        }]
    );
    // An answer for a period no longer chosen is not shown.
    let stale = Arc::new(modelgate::stats::Stats::default());
    update(
        &mut app,
        Action::StatsLoaded {
            period: StatsPeriod::Days7,
            result: Ok(stale),
        },
    );
    assert!(app.stats.busy());
}

#[tokio::test]
async fn stats_survive_tiny_terminals() {
    let (mut app, _) = on_stats(80, 24).await;
    for (w, h) in [
        (20, 5),
        (1, 1),
        (0, 0),
        (40, 10),
        (41, 11),
        (45, 12),
        (60, 15),
        (79, 20),
    ] {
        update(&mut app, Action::Resize(w, h));
        let buf = draw(&app);
        assert_eq!(buf.area.width, w);
    }
    // The figures alone into every small area, the screen's gate aside.
    let s = app.stats.ready().unwrap().clone();
    let theme = Theme::default();
    for w in 0..=50u16 {
        for h in 0..=16u16 {
            let area = ratatui::layout::Rect::new(0, 0, w, h);
            let mut buf = Buffer::empty(area);
            modelgate::tui::views::stats::figures(&theme, StatsPeriod::All, &s, &mut buf, area);
        }
    }
}
