//! The console driven by hand on the fixed demo (fixed seed, fixed clock):
//! the pictures of `cargo run --example screenshots`, the snapshot tests and
//! the benches all come from here. Effects run inline, in order, with the
//! fixed clock, until none is left.

use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use super::action::{Action, Effect};
use super::app::{App, AppOptions, Tab, update};
use super::event::{is_scan, perform_at, perform_scan};
use super::fixture::{FIXED_NOW_MS, FIXED_SEED, demo_service};
use super::keymap::{Command, KeyMap};
use super::theme::Theme;
use super::views;
use crate::service::ReviewService;

/// Who the pictures are taken as: a validator of the demo roster.
pub const SIGNER: &str = "ben.validator@demo.modelgate";

/// Who the rollback picture is taken as: an sre of the demo roster.
pub const ON_CALL: &str = "fay.sre@demo.modelgate";

fn options(width: u16, height: u16, theme: Theme) -> AppOptions {
    AppOptions {
        registry: "demo (in memory)".into(),
        identity: Some(SIGNER.into()),
        readonly: false,
        theme,
        keymap: KeyMap::default(),
        now_ms: FIXED_NOW_MS,
        size: (width, height),
        demo: None,
    }
}

/// An app on the fixed demo, not yet started.
pub fn app(width: u16, height: u16, theme: Theme) -> App {
    App::new(options(width, height, theme))
}

/// The demo console as `modelgate demo` opens it without `--as`: started
/// and loaded on `service`, on the persona picker.
pub async fn demo_start(service: &ReviewService, width: u16, height: u16) -> App {
    let mut app = App::new(AppOptions {
        identity: None,
        demo: Some(crate::demo::personas::personas(std::path::Path::new(
            "demo-roster",
        ))),
        ..options(width, height, Theme::default())
    });
    let start = app.start();
    settle(&mut app, service, start).await;
    app
}

/// Runs `effects` and everything they lead to, with the fixed clock.
pub async fn settle(app: &mut App, service: &ReviewService, mut effects: Vec<Effect>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    while !effects.is_empty() {
        for e in std::mem::take(&mut effects) {
            if e == Effect::Quit {
            } else if is_scan(&e) {
                perform_scan(service, e, &tx, FIXED_NOW_MS).await;
            } else {
                perform_at(service, e, &tx, FIXED_NOW_MS).await;
            }
        }
        while let Ok(a) = rx.try_recv() {
            effects.extend(update(app, a));
        }
    }
}

/// Feeds one action and settles what it starts.
pub async fn act(app: &mut App, service: &ReviewService, action: Action) {
    let effects = update(app, action);
    settle(app, service, effects).await;
}

/// The frame `app` draws at its size.
pub fn draw(app: &App) -> Buffer {
    let (w, h) = app.size;
    let mut term = match Terminal::new(TestBackend::new(w, h)) {
        Ok(t) => t,
        Err(e) => match e {},
    };
    let _ = term.draw(|f| views::view(app, f));
    term.backend().buffer().clone()
}

/// An app started and loaded on any service, with the fixed clock.
pub async fn start_on(service: &ReviewService, width: u16, height: u16, theme: Theme) -> App {
    let mut app = app(width, height, theme);
    app.registry = service.describe_registry();
    app.asks = super::app::Asks::from_config(&service.config);
    let start = app.start();
    settle(&mut app, service, start).await;
    app
}

/// A frame as plain text, one line per row; the cell after a wide character
/// (which that character covers) is left out, as a terminal shows it.
pub fn text(buf: &Buffer) -> String {
    use unicode_width::UnicodeWidthStr;
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut skip = 0;
        for x in 0..buf.area.width {
            let sym = buf[(x, y)].symbol();
            if skip > 0 {
                skip -= 1;
                continue;
            }
            skip = sym.width().saturating_sub(1);
            out.push_str(sym);
        }
        out.push('\n');
    }
    out
}

/// The fixed demo's service and a started, loaded app.
pub async fn loaded(
    width: u16,
    height: u16,
    theme: Theme,
) -> anyhow::Result<(App, Arc<ReviewService>)> {
    let mut service = demo_service(FIXED_SEED, FIXED_NOW_MS).await?;
    service.config.identity = Some(SIGNER.into());
    let service = Arc::new(service);
    let mut app = app(width, height, theme);
    app.asks = super::app::Asks::from_config(&service.config);
    let start = app.start();
    settle(&mut app, &service, start).await;
    Ok((app, service))
}

/// The review the pictures open.
pub const SHOWCASE: (&str, &str) = ("fraud-detector", "6");

/// The production version the demo's drift monitor reopened.
pub const DRIFTED: (&str, &str) = ("fraud-detector", "5");

/// One picture: file stem, caption, frame.
pub struct Shot {
    pub name: String,
    pub caption: String,
    pub buffer: Buffer,
}

/// The checklist of PROTOCOL 13's example: what a validator answers at
/// medium risk and above.
pub fn example_checklists() -> anyhow::Result<crate::trust::checklist::Checklists> {
    use crate::trust::checklist::{ChecklistFile, Checklists, ItemFile};
    let item = |id: &str, text: &str, allow_na| ItemFile {
        id: id.into(),
        text: text.into(),
        allow_na,
    };
    Checklists::new(&[ChecklistFile {
        id: "validation-v1".into(),
        roles: vec!["validator".into()],
        risks: ["medium", "high", "critical"].map(str::to_owned).to_vec(),
        items: vec![
            item(
                "metrics",
                "Metrics reviewed against the baseline, regressions understood",
                false,
            ),
            item(
                "fairness",
                "Fairness report reviewed for every sensitive feature",
                true,
            ),
        ],
    }])
    .map_err(|e| anyhow::anyhow!("the example checklist: {e}"))
}

/// Presses `keys` in order.
fn press(app: &mut App, keys: &[crossterm::event::KeyCode]) {
    for k in keys {
        let k = crossterm::event::KeyEvent::new(*k, crossterm::event::KeyModifiers::NONE);
        update(app, Action::Key(k));
    }
}

/// The dialogs with a checklist and with categories, on the open review,
/// with the example checklist configured for them only.
async fn structured_dialogs(
    app: &mut App,
    service: &ReviewService,
    snap: &mut impl FnMut(&App, &str, &str),
) -> anyhow::Result<()> {
    use crossterm::event::KeyCode::{Char, Down, Tab};
    app.asks.checklists = example_checklists()?;
    act(app, service, Action::Run(Command::Approve)).await;
    press(app, &[Tab, Tab, Tab, Char(' '), Tab]);
    snap(
        app,
        "dialog-checklist",
        "a approve at critical risk: the validator's checklist; space answers, Sign waits for every item",
    );
    act(app, service, Action::Run(Command::Back)).await;
    act(app, service, Action::Run(Command::Reject)).await;
    press(app, &[Tab, Tab]);
    for c in "fpr is 20% worse than the baseline".chars() {
        press(app, &[Char(c)]);
    }
    press(app, &[Tab, Down, Tab, Char(' '), Char(' '), Tab]);
    press(app, &[Char(' '), Char(' '), Char(' ')]);
    snap(
        app,
        "dialog-reject",
        "x reject: a category from the configured ones, most used first, and the checklist",
    );
    act(app, service, Action::Run(Command::Back)).await;
    app.asks = super::app::Asks::from_config(&service.config);
    Ok(())
}

/// Selects the queue row of `(model, version)`, when it is shown.
pub fn select(app: &mut App, (model, version): (&str, &str)) {
    if let Some(i) = app.queue.visible.iter().position(|i| {
        let it = &app.queue.rows[*i as usize].item;
        it.model == model && it.version == version
    }) {
        app.queue.list.selected = i;
    }
}

/// Every screen and tab, in the order the README shows them.
pub async fn all(width: u16, height: u16) -> anyhow::Result<Vec<Shot>> {
    let (mut app, service) = loaded(width, height, Theme::default()).await?;
    let mut shots = Vec::new();
    let mut snap = |app: &App, name: &str, caption: &str| {
        shots.push(Shot {
            name: name.to_owned(),
            caption: caption.to_owned(),
            buffer: draw(app),
        })
    };
    snap(
        &app,
        "queue",
        "The queue, most urgent first, with live SLA countdowns",
    );
    act(&mut app, &service, Action::Run(Command::Help)).await;
    snap(
        &app,
        "help",
        "? lists the keys of the current screen, from the key map",
    );
    act(&mut app, &service, Action::Run(Command::Back)).await;
    act(&mut app, &service, Action::Run(Command::Palette)).await;
    snap(
        &app,
        "palette",
        ": opens the command palette, with completion",
    );
    act(&mut app, &service, Action::Run(Command::Back)).await;
    // The review with the most to show: breached, critical, a dropped column.
    select(&mut app, SHOWCASE);
    act(&mut app, &service, Action::Run(Command::Open)).await;
    for tab in Tab::ALL {
        if let Some(r) = &mut app.review {
            r.tab = tab;
        }
        let name = format!("review-{}", tab.title().to_lowercase());
        snap(&app, &name, &format!("Review: the {} tab", tab.title()));
    }
    // The model card, further down the Overview: scrolled to its heading.
    if let Some(r) = &mut app.review {
        r.tab = Tab::Overview;
        if let Some(at) = r.docs[0].iter().position(|l| l.to_string() == "Model card") {
            r.scroll[0] = at;
        }
    }
    snap(
        &app,
        "review-model-card",
        "Review: the model card, rendered from Markdown",
    );
    // The reopened production version: its drift report on Monitoring.
    act(&mut app, &service, Action::Run(Command::Back)).await;
    select(&mut app, DRIFTED);
    act(&mut app, &service, Action::Run(Command::Open)).await;
    if let Some(r) = &mut app.review {
        r.tab = Tab::Monitoring;
    }
    snap(
        &app,
        "review-monitoring-drift",
        "Review: a reopen for drift, its report's features against their thresholds",
    );
    act(&mut app, &service, Action::Run(Command::Reopen)).await;
    press(
        &mut app,
        &[
            crossterm::event::KeyCode::Tab,
            crossterm::event::KeyCode::Tab,
            crossterm::event::KeyCode::Right,
        ],
    );
    snap(
        &app,
        "dialog-reopen",
        "r reopen: a trigger and a reason; approvals before it no longer count",
    );
    act(&mut app, &service, Action::Run(Command::Back)).await;
    // Back to the showcase for the decision dialogs.
    act(&mut app, &service, Action::Run(Command::Back)).await;
    select(&mut app, SHOWCASE);
    act(&mut app, &service, Action::Run(Command::Open)).await;
    // A decision: the dialog with what is about to be signed.
    act(&mut app, &service, Action::Run(Command::Approve)).await;
    snap(
        &app,
        "dialog-approve",
        "a approve: the signing dialog, focus on Cancel",
    );
    act(&mut app, &service, Action::Run(Command::Back)).await;
    structured_dialogs(&mut app, &service, &mut snap).await?;
    app.stack = vec![super::app::Screen::Queue];
    let palette = |app: &mut App, name: &str| {
        app.overlay = Some(super::app::Overlay::Palette(super::app::Palette {
            input: name.into(),
            ..Default::default()
        }));
        update(
            app,
            Action::Key(crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Enter,
                crossterm::event::KeyModifiers::NONE,
            )),
        )
    };
    let effects = palette(&mut app, "audit");
    settle(&mut app, &service, effects).await;
    act(&mut app, &service, Action::Run(Command::Verify)).await;
    snap(
        &app,
        "audit",
        ":audit: every signed record, verification and its findings",
    );
    let effects = palette(&mut app, "stats");
    settle(&mut app, &service, effects).await;
    snap(
        &app,
        "stats",
        ":stats: the approval process in numbers, every chart with its figures; [ and ] change the period",
    );
    let effects = palette(&mut app, "deploy");
    settle(&mut app, &service, effects).await;
    snap(
        &app,
        "deploy",
        ":deploy: production aliases, history, unexplained positions",
    );
    // The rollback flow, as an sre of the demo roster would see it.
    app.identity_label = Some(ON_CALL.into());
    app.identity = super::action::Identity::Known(super::list::Me {
        id: ON_CALL.into(),
        roles: vec!["sre".into()],
        mlflow_users: Vec::new(),
    });
    if let Some(i) = app
        .deploy
        .ready()
        .and_then(|s| s.models.iter().position(|m| m.model == SHOWCASE.0))
    {
        app.deploy.list.selected = i;
    }
    act(&mut app, &service, Action::Run(Command::Rollback)).await;
    snap(
        &app,
        "dialog-rollback",
        "b on :deploy: the rollback dialog, to an earlier approved version, focus on Cancel",
    );
    let demo = demo_start(&service, width, height).await;
    snap(
        &demo,
        "personas",
        "modelgate demo: pick who you are; each persona signs with its own demo key",
    );
    Ok(shots)
}
