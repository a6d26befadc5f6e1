//! The review console. One owned `App`, an `Action` enum,
//! `update(&mut App, Action) -> Vec<Effect>` and `view(&App, &mut Frame)`.
//! Effects run in tokio tasks and come back as actions on a channel; this
//! loop never awaits I/O. It draws only when something changed, after
//! draining every event that is already waiting, inside a synchronized update.
//! The terminal is restored on every way out, a panic included.

pub mod action;
pub mod app;
pub mod clean;
pub mod event;
#[cfg(any(test, feature = "testing"))]
pub mod fixture;
pub mod highlight;
pub mod keymap;
pub mod list;
#[cfg(any(test, feature = "testing"))]
pub mod shots;
#[cfg(any(test, feature = "testing"))]
pub mod svg;
pub mod theme;
pub mod views;

// The screens and what update and view share.
pub mod layout;
pub mod load;
pub mod screens;
pub mod tabs;
pub mod widgets;

use std::io::{self, Stdout, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture, EventStream};
use crossterm::terminal::{
    BeginSynchronizedUpdate, Clear, ClearType, EndSynchronizedUpdate, EnterAlternateScreen,
    LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute, queue};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;

use crate::config::Config;
use crate::service::ReviewService;
use action::{Action, Effect};
use app::{App, AppOptions, update};
use keymap::KeyMap;
use theme::Theme;

/// How the console was asked to start.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    /// Colour wanted (`--color` and NO_COLOR already applied).
    pub color: bool,
    /// Draw one frame and leave: the startup benchmark's stopwatch.
    pub exit_after_first_frame: bool,
    /// The demo's personas, when the console opens on the demo registry (the
    /// caller has checked that it is one): the picker and `:as` work.
    pub demo: Option<Vec<crate::demo::Persona>>,
}

/// A hidden hook for the end-to-end test: panics after the first frame so the
/// test can check that a panic leaves the terminal usable.
const TEST_PANIC_ENV: &str = "MODELGATE_TEST_PANIC";

/// At most this many waiting events are handled before a frame is drawn.
const MAX_BATCH: usize = 256;

static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Leaves raw mode, the alternate screen and mouse capture, shows the cursor
/// and ends a synchronized update a panic may have interrupted. Idempotent.
fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut out = io::stdout();
        let _ = execute!(
            out,
            EndSynchronizedUpdate,
            DisableMouseCapture,
            LeaveAlternateScreen,
            cursor::Show
        );
        let _ = disable_raw_mode();
        let _ = out.flush();
    }
}

/// SIGTERM, SIGHUP and SIGINT while the console runs: the terminal is
/// restored as on a panic, then the process exits with 128 + the signal's
/// number, as if the signal had ended it.
#[cfg(unix)]
struct Signals {
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        let on = |kind| signal(kind).context("cannot listen for signals");
        Ok(Signals {
            term: on(SignalKind::terminate())?,
            hup: on(SignalKind::hangup())?,
            int: on(SignalKind::interrupt())?,
        })
    }

    /// The number of the next signal.
    async fn recv(&mut self) -> i32 {
        tokio::select! {
            _ = self.term.recv() => 15,
            _ = self.hup.recv() => 1,
            _ = self.int.recv() => 2,
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> Result<Signals> {
        Ok(Signals)
    }

    async fn recv(&mut self) -> i32 {
        match tokio::signal::ctrl_c().await {
            Ok(()) => 2,
            Err(_) => std::future::pending().await,
        }
    }
}

/// Restores the terminal and ends the process as the signal `signo` would.
fn exit_on_signal(signo: i32) -> ! {
    restore();
    std::process::exit(128 + signo)
}

/// Owns the terminal while the console runs; dropping it restores the terminal.
struct Guard;

impl Guard {
    fn enter() -> Result<Guard> {
        // Restore first, then let the usual hook print the panic where it can be read.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        enable_raw_mode().context("cannot put the terminal in raw mode")?;
        ACTIVE.store(true, Ordering::SeqCst);
        let guard = Guard;
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            // Not `Terminal::clear`: it asks the terminal where the cursor is
            // and waits for the answer, a round trip before the first frame.
            Clear(ClearType::All),
            EnableMouseCapture,
            cursor::Hide
        )
        .context("cannot set up the terminal")?;
        Ok(guard)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

type Term = Terminal<CrosstermBackend<Stdout>>;

fn draw(term: &mut Term, app: &App) -> Result<()> {
    queue!(term.backend_mut(), BeginSynchronizedUpdate)?;
    term.draw(|f| views::view(app, f))?;
    execute!(term.backend_mut(), EndSynchronizedUpdate)?;
    Ok(())
}

/// Opens the console on `service`'s registry. Configuration errors (keys,
/// theme) are reported before the terminal is touched.
pub async fn run(service: ReviewService, launch: Launch) -> Result<ExitCode> {
    let keymap = KeyMap::from_config(&service.config.keys).map_err(|e| anyhow!(e))?;
    let theme = Theme::from_config(&service.config.theme, launch.color).map_err(|e| anyhow!(e))?;
    let config: &Config = &service.config;
    let mut app = App::new(AppOptions {
        registry: service.describe_registry(),
        identity: config.identity.clone(),
        readonly: config.readonly,
        theme,
        keymap,
        now_ms: event::now_ms(),
        size: crossterm::terminal::size().unwrap_or((80, 24)),
        demo: launch.demo,
    });
    app.asks = app::Asks::from_config(config);
    let service = Arc::new(service);
    let (tx, mut rx) = mpsc::unbounded_channel::<Action>();
    let mut runner = event::Runner::new(service, tx);

    // Listening starts before the terminal changes, so no signal finds it half set up.
    let mut signals = Signals::new()?;
    let _guard = Guard::enter()?;
    let mut term = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    // The first frame goes out before any data: loads fill it in as they land.
    for e in app.start() {
        runner.spawn(e);
    }
    draw(&mut term, &app)?;
    app.dirty = false;
    if launch.exit_after_first_frame {
        return Ok(ExitCode::SUCCESS);
    }
    if std::env::var_os(TEST_PANIC_ENV).is_some() {
        panic!("{TEST_PANIC_ENV} is set: a deliberate panic to test terminal restoration");
    }

    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut spin = tokio::time::interval(Duration::from_millis(100));
    spin.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let busy = app.busy();
        let first = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => event::to_action(ev),
                Some(Err(e)) => return Err(e).context("cannot read the terminal"),
                None => return Ok(ExitCode::SUCCESS),
            },
            Some(a) = rx.recv() => Some(a),
            _ = tick.tick() => Some(Action::Tick(event::now_ms())),
            _ = spin.tick(), if busy => Some(Action::Spin),
            signo = signals.recv() => exit_on_signal(signo),
        };
        // Coalesce: everything already waiting is handled before one frame.
        let mut batch: Vec<Action> = first.into_iter().collect();
        while batch.len() < MAX_BATCH {
            if let Ok(a) = rx.try_recv() {
                batch.push(a);
            } else if crossterm::event::poll(Duration::ZERO).unwrap_or(false) {
                // Not `events.next().now_or_never()`: that would hand the stream a
                // no-op waker and leave the next key unseen until another arrives.
                match crossterm::event::read() {
                    Ok(ev) => batch.extend(event::to_action(ev)),
                    Err(_) => break,
                }
            } else {
                break;
            }
        }
        for a in batch {
            for e in update(&mut app, a) {
                if e == Effect::Quit {
                    return Ok(ExitCode::SUCCESS);
                }
                runner.spawn(e);
            }
        }
        if app.dirty {
            draw(&mut term, &app)?;
            app.dirty = false;
        }
    }
}
