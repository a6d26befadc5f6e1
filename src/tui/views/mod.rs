//! `view(&App, &mut Frame)`: draws the state, changes nothing. Where things
//! sit is `layout`'s, shared with `update` so that mouse clicks land on what
//! was drawn.

pub mod audit;
pub mod deploy;
pub mod dialog;
pub mod help;
pub mod palette;
pub mod personas;
pub mod queue;
pub mod review;
pub mod stats;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::action::Identity;
use super::app::{App, Level, Overlay, Screen};
use super::clean;
use super::keymap::{Command, Context};
use super::layout::areas;

/// Below this the console asks for a larger terminal instead of drawing.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// Writes one line into `area`'s row `y`, cut at the area's width.
pub fn put_line(buf: &mut Buffer, area: Rect, y: u16, line: &Line<'_>) {
    if y < area.y + area.height {
        buf.set_line(area.x, y, line, area.width);
    }
}

pub fn view(app: &App, f: &mut Frame<'_>) {
    let area = f.area();
    let t = &app.theme;
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        f.render_widget(
            Paragraph::new(format!(
                "modelgate needs at least {MIN_WIDTH}x{MIN_HEIGHT}; this terminal is {}x{}.",
                area.width, area.height
            )),
            area,
        );
        return;
    }
    let title = match app.screen() {
        Screen::Queue => " modelgate · queue ".to_owned(),
        Screen::Review => " modelgate · review ".to_owned(),
        Screen::Audit => " modelgate · audit ".to_owned(),
        Screen::Deploy => " modelgate · deploy ".to_owned(),
        Screen::Personas => " modelgate · demo personas ".to_owned(),
        Screen::Stats => format!(" modelgate · stats · {} ", app.stats.period.label()),
    };
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.frame())
        .title(Span::styled(title, t.title()));
    if t.production {
        block = block.title_bottom(Span::styled(" ✖ PRODUCTION ", t.error()));
    }
    f.render_widget(block, area);
    let a = areas(area);
    header(app, f.buffer_mut(), a.header);
    match app.screen() {
        Screen::Queue => queue::render(app, f.buffer_mut(), area),
        Screen::Review => review::render(app, f.buffer_mut(), area),
        Screen::Audit => audit::render(app, f.buffer_mut(), area),
        Screen::Deploy => deploy::render(app, f.buffer_mut(), area),
        Screen::Personas => personas::render(app, f.buffer_mut(), area),
        Screen::Stats => stats::render(app, f.buffer_mut(), area),
    }
    status(app, f.buffer_mut(), a.status);
    hints(app, f.buffer_mut(), a.hints);
    match &app.overlay {
        Some(Overlay::Help) => help::render(app, f, area),
        Some(Overlay::Palette(p)) => palette::render(app, p, f, area),
        Some(Overlay::Sign(d)) => dialog::render(app, d, f, area),
        None => {}
    }
}

/// The queue's counts, the header's first words so that they fit 80
/// columns: pending reviews, revalidations and renewals due (when there are
/// any: the header stays short), and of those how many are at risk and
/// breached.
pub fn counts(app: &App) -> Vec<Span<'static>> {
    use crate::review::queue::Kind;
    let t = &app.theme;
    let c = app.queue.counts;
    let mut out = vec![Span::styled(format!("● {} pending", c.pending), t.text())];
    for (n, kind) in [
        (c.revalidation, Kind::Revalidation),
        (c.renewal, Kind::Renewal),
    ] {
        if n > 0 {
            out.push(Span::raw("  "));
            out.push(Span::styled(
                format!("{} {n} {}", kind.glyph(), kind.as_str()),
                t.warn(),
            ));
        }
    }
    out.extend([
        Span::raw("  "),
        Span::styled(format!("▲ {} at risk", c.at_risk), t.warn()),
        Span::raw("  "),
        Span::styled(format!("✖ {} breached", c.breached), t.bad()),
    ]);
    out
}

/// Line 1 of every screen: counts, identity, registry, activity, badges.
fn header(app: &App, buf: &mut Buffer, area: Rect) {
    let t = &app.theme;
    let mut spans = counts(app);
    // Who you are before the registry's name (a path can be long), and
    // that name without a label, so that both fit 120 columns more often.
    spans.extend(who(app));
    spans.extend([
        Span::raw("  "),
        Span::styled(clean::ellipsize(&clean::line(&app.registry), 48), t.bold()),
    ]);
    if app.busy() {
        spans.push(Span::raw("   "));
        spans.push(Span::styled(
            format!("{} loading", SPINNER[app.spinner % SPINNER.len()]),
            t.heading(),
        ));
    }
    if let Some(words) = app.deploy_flags.and_then(|f| f.summary()) {
        spans.push(Span::raw("   "));
        spans.push(Span::styled(format!("⚑ deploy: {words}"), t.bad()));
    }
    if app.readonly {
        spans.push(Span::styled("   READONLY", t.warn()));
    }
    put_line(buf, area, area.y, &Line::from(spans));
}

/// Who the console signs as: the demo persona acting (name and roles), or
/// the configured identity with the roles the roster gives it.
fn who(app: &App) -> Vec<Span<'static>> {
    let t = &app.theme;
    let roles = match &app.identity {
        Identity::Known(me) if !me.roles.is_empty() && app.identity_label.is_some() => {
            format!(
                " · {}",
                clean::ellipsize(&clean::line(&me.roles.join(", ")), 32)
            )
        }
        _ => String::new(),
    };
    if let Some(p) = app.personas.as_ref().and_then(|p| p.acting()) {
        return vec![
            Span::styled("  as ", t.dim()),
            Span::styled(clean::ellipsize(&p.name, 24), t.bold()),
            Span::styled(roles, t.text()),
        ];
    }
    // `as ID` like a persona: short enough to stay after the counts.
    match &app.identity_label {
        Some(id) => vec![
            Span::styled("  as ", t.dim()),
            Span::raw(clean::ellipsize(&clean::line(id), 32)),
            Span::styled(roles, t.text()),
        ],
        None => vec![Span::styled("  identity none", t.dim())],
    }
}

fn status(app: &App, buf: &mut Buffer, area: Rect) {
    if let Some(s) = &app.status {
        let style = match s.level {
            Level::Info => app.theme.text(),
            Level::Error => app.theme.error(),
        };
        put_line(
            buf,
            area,
            area.y,
            &Line::from(Span::styled(clean::line(&s.text), style)),
        );
    }
}

/// The commands the hint bar names on each screen, most used first.
fn hint_commands(ctx: Context) -> &'static [Command] {
    match ctx {
        Context::Queue => &[
            Command::Down,
            Command::Up,
            Command::Open,
            Command::Filter,
            Command::Sort,
            Command::Risk,
            Command::Kind,
            Command::State,
            Command::Mine,
            Command::Help,
            Command::Palette,
            Command::Quit,
        ],
        Context::Review => &[
            Command::NextTab,
            Command::Down,
            Command::Approve,
            Command::Reject,
            Command::RequestChanges,
            Command::Comment,
            Command::Reopen,
            Command::Back,
            Command::Help,
            Command::Palette,
            Command::Quit,
        ],
        Context::Audit => &[
            Command::Down,
            Command::Filter,
            Command::Verify,
            Command::Export,
            Command::Reload,
            Command::Back,
            Command::Help,
            Command::Quit,
        ],
        Context::Deploy => &[
            Command::Down,
            Command::Rollback,
            Command::Ratify,
            Command::Reopen,
            Command::Reload,
            Command::Back,
            Command::Help,
            Command::Quit,
        ],
        Context::Personas => &[
            Command::Down,
            Command::Up,
            Command::Pick,
            Command::Back,
            Command::Help,
            Command::Quit,
        ],
        Context::Stats => &[
            Command::PrevPeriod,
            Command::NextPeriod,
            Command::Refresh,
            Command::Back,
            Command::Help,
            Command::Palette,
            Command::Quit,
        ],
    }
}

fn hint_word(c: Command) -> &'static str {
    match c {
        Command::Down => "down",
        Command::Up => "up",
        Command::Open => "open",
        Command::Filter => "filter",
        Command::Sort => "sort",
        Command::Risk => "risk",
        Command::State => "state",
        Command::Mine => "mine",
        Command::Help => "help",
        Command::Palette => "commands",
        Command::Quit => "quit",
        Command::Back => "back",
        Command::NextTab => "tabs",
        Command::RequestChanges => "changes",
        Command::Pick => "pick",
        Command::PrevPeriod => "prev period",
        Command::NextPeriod => "next period",
        Command::Refresh => "refresh",
        _ => c.name(),
    }
}

/// The key-hint bar, from the key map: the first key of each command.
fn hints(app: &App, buf: &mut Buffer, area: Rect) {
    let t = &app.theme;
    let mut spans = Vec::new();
    for c in hint_commands(app.context()) {
        if app.readonly && c.is_action() {
            continue;
        }
        let Some(k) = app.keymap.keys(*c).first() else {
            continue;
        };
        if !spans.is_empty() {
            spans.push(Span::raw("  "));
        }
        let word = match (app.context(), c) {
            (Context::Personas, Command::Back) => "browse read-only",
            _ => hint_word(*c),
        };
        spans.push(Span::styled(k.to_string(), t.key()));
        spans.push(Span::styled(format!(" {word}"), t.dim()));
    }
    put_line(buf, area, area.y, &Line::from(spans));
}

/// A centred rectangle of at most `w` x `h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width.saturating_sub(2));
    let h = h.min(area.height.saturating_sub(2));
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}
