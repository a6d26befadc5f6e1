//! `:deploy`: every model's production alias and its holder with the derived
//! state, flags (positions no record explains, rollbacks waiting for
//! ratification, break-glass), and the selected model's alias history.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::put_line;
use crate::review::state::ReviewState;
use crate::trust::deploy::ModelDeployment;
use crate::tui::app::App;
use crate::tui::clean::{self, pad};
use crate::tui::keymap::Command;
use crate::tui::layout::areas;
use crate::tui::load::Load;

pub fn render(app: &App, buf: &mut Buffer, area: Rect) {
    let t = &app.theme;
    let body = areas(area).body;
    let status = match &app.deploy.status {
        None | Some(Load::Loading) => {
            put_line(
                buf,
                body,
                body.y + 1,
                &Line::from(Span::styled(
                    "  Reading every model's alias and records…",
                    t.dim(),
                )),
            );
            return;
        }
        Some(Load::Failed(e)) => {
            put_line(
                buf,
                body,
                body.y + 1,
                &Line::from(Span::styled(
                    format!(
                        "  ✖ The deployments could not be loaded: {}",
                        clean::line(e)
                    ),
                    t.error(),
                )),
            );
            return;
        }
        Some(Load::Ready(s)) => &s.status,
    };
    put_line(
        buf,
        body,
        body.y,
        &Line::from(Span::styled(
            format!(
                "  {} {} {} {} {} {}",
                pad("MODEL", 20),
                pad("ALIAS", 12),
                pad("VER", 5),
                pad("STATE", 18),
                pad("MOVES", 5),
                "FLAGS"
            ),
            t.heading(),
        )),
    );
    if status.models.is_empty() {
        put_line(
            buf,
            body,
            body.y + 2,
            &Line::from(Span::styled(
                "  No model has a production alias or an alias record yet.",
                t.dim(),
            )),
        );
    }
    let list_h = (status.models.len() as u16).min(body.height / 2);
    for (i, m) in status.models.iter().enumerate().take(list_h as usize) {
        let selected = i == app.deploy.list.selected;
        let state = m
            .holder_state
            .map(|s| s.as_str().to_owned())
            .unwrap_or_else(|| "–".into());
        let state_glyph = match m.holder_state {
            Some(crate::review::state::ReviewState::Approved) => ("✓ ", t.good()),
            Some(crate::review::state::ReviewState::Revalidation) => ("↻ ", t.bad()),
            Some(_) => ("▲ ", t.warn()),
            None => ("  ", t.dim()),
        };
        let mut flags = Vec::new();
        if m.unexplained {
            flags.push(Span::styled("⚑ unexplained ", t.bad()));
        }
        let overdue = m.waiting.iter().filter(|w| w.overdue).count();
        if overdue > 0 {
            flags.push(Span::styled(format!("✖ {overdue} overdue "), t.bad()));
        }
        if m.waiting.len() > overdue {
            flags.push(Span::styled(
                format!("▲ {} unratified ", m.waiting.len() - overdue),
                t.warn(),
            ));
        }
        let glass = m.history.iter().filter(|h| h.break_glass).count();
        if glass > 0 {
            flags.push(Span::styled(format!("✖ {glass} break-glass "), t.bad()));
        }
        if flags.is_empty() {
            flags.push(Span::styled("✓ explained ", t.good()));
        }
        flags.extend(approval_flags(app, m));
        let mut spans = vec![
            Span::raw(if selected { "▶ " } else { "  " }),
            Span::raw(format!(
                "{} {} {} ",
                pad(&clean::line(&m.model), 20),
                pad(&clean::line(&m.alias), 12),
                pad(&clean::line(m.holder.as_deref().unwrap_or("–")), 5),
            )),
            Span::styled(state_glyph.0, state_glyph.1),
            Span::raw(format!(
                "{} {} ",
                pad(&state, 16),
                pad(&m.history.len().to_string(), 5)
            )),
        ];
        spans.extend(flags);
        let mut line = Line::from(spans);
        if selected {
            line = line.patch_style(t.selected());
            line.spans
                .push(Span::styled(" ".repeat(body.width as usize), t.selected()));
        }
        put_line(buf, body, body.y + 1 + i as u16, &line);
    }

    // The selected model in detail.
    let mut d: Vec<Line<'static>> = Vec::new();
    if let Some(m) = status.models.get(app.deploy.list.selected) {
        d.push(Line::from(Span::styled(
            format!("{} · {}", clean::line(&m.model), clean::line(&m.alias)),
            t.heading(),
        )));
        if m.unexplained {
            d.push(Line::from(Span::styled(
                format!(
                    "  ⚑ version {} holds {} and no valid promote or rollback record put it there (moved by hand?)",
                    clean::line(m.holder.as_deref().unwrap_or("?")),
                    clean::line(&m.alias)
                ),
                t.bad(),
            )));
        }
        d.extend(approval_lines(app, m));
        for w in &m.waiting {
            let since = crate::review::sla::format_remaining((app.now_ms - w.first_seen_ms) / 1000);
            d.push(Line::from(Span::styled(
                format!(
                    "  {} rollback to {} by {} (record {}) waits for ratification: first seen {since} ago{}",
                    if w.overdue { "✖" } else { "▲" },
                    clean::line(&w.version),
                    clean::line(&w.actor),
                    crate::text::short_id(&w.id),
                    if w.overdue { ", overdue (over 24h)" } else { "" }
                ),
                if w.overdue { t.bad() } else { t.warn() },
            )));
        }
        d.push(Line::from(Span::styled(
            if m.history.is_empty() {
                "  history: no promote or rollback record".to_owned()
            } else {
                "  history (oldest first):".to_owned()
            },
            t.dim(),
        )));
        for h in &m.history {
            let mut text = format!(
                "    {} {} {} → {} by {}",
                h.at.replace('T', " ").trim_end_matches('Z'),
                pad(h.action.as_str(), 8),
                clean::line(h.from_version.as_deref().unwrap_or("–")),
                clean::line(&h.version),
                clean::line(&h.actor)
            );
            if let Some(i) = &h.incident {
                text.push_str(&format!(" · {}", clean::line(i)));
            }
            if h.break_glass {
                text.push_str(" · ✖ break-glass");
            }
            if h.action == crate::trust::record::Action::Rollback {
                text.push_str(if h.ratified {
                    " · ✓ ratified"
                } else {
                    " · ▲ unratified"
                });
            }
            d.push(Line::from(Span::raw(text)));
        }
        d.push(Line::from(Span::styled(
            if m.rollback_targets.is_empty() {
                "  rollback targets: none (no earlier approved version)".to_owned()
            } else {
                format!(
                    "  rollback targets (earlier, approved): {}",
                    m.rollback_targets.join(", ")
                )
            },
            t.dim(),
        )));
        if !app.readonly {
            d.push(Line::from(Span::styled(
                format!(
                    "  {} rolls back · {} ratifies the waiting rollback · {} reopens the holder's approval",
                    app.keymap.label(Command::Rollback),
                    app.keymap.label(Command::Ratify),
                    app.keymap.label(Command::Reopen)
                ),
                t.dim(),
            )));
        }
    }
    let top = body.y + 2 + list_h;
    for (i, l) in d.iter().enumerate() {
        let y = top + i as u16;
        if y < body.y + body.height {
            put_line(buf, body, y, l);
        }
    }
}

/// `↻ revalidation drift +1`, `◷ renewal due`: what the holder's approval
/// asks of reviewers now (PROTOCOL 15), glyph and word.
fn approval_flags(app: &App, m: &ModelDeployment) -> Vec<Span<'static>> {
    let t = &app.theme;
    let holder = app.deploy.holder(&m.model);
    let mut out = Vec::new();
    if m.holder_state == Some(ReviewState::Revalidation) {
        let triggers = holder.map(|h| h.triggers.as_slice()).unwrap_or_default();
        let why = match triggers {
            [] => String::new(),
            [one] => format!(" {}", clean::line(one)),
            [one, rest @ ..] => format!(" {} +{}", clean::line(one), rest.len()),
        };
        out.push(Span::styled(format!("↻ revalidation{why} "), t.bad()));
    }
    if holder.is_some_and(|h| h.renewal_due) {
        out.push(Span::styled("◷ renewal due ", t.warn()));
    }
    out
}

/// The detail pane's words for the holder's approval.
fn approval_lines(app: &App, m: &ModelDeployment) -> Vec<Line<'static>> {
    let t = &app.theme;
    let holder = app.deploy.holder(&m.model);
    let version = clean::line(m.holder.as_deref().unwrap_or("?"));
    let mut out = Vec::new();
    if m.holder_state == Some(ReviewState::Revalidation) {
        let triggers: Vec<String> = holder
            .map(|h| h.triggers.iter().map(|x| clean::line(x)).collect())
            .unwrap_or_default();
        out.push(Line::from(Span::styled(
            format!(
                "  ↻ version {version} is in revalidation ({}): check exits 1; the running deployment is untouched, rolling back is your call",
                if triggers.is_empty() {
                    "triggers not loaded".to_owned()
                } else {
                    triggers.join(", ")
                }
            ),
            t.bad(),
        )));
    }
    if let Some(h) = holder.filter(|h| h.renewal_due) {
        out.push(Line::from(Span::styled(
            format!(
                "  ◷ the approval of version {version} is due for renewal: it expires at {}",
                h.expires_at
                    .as_deref()
                    .map(clean::line)
                    .unwrap_or_else(|| "?".into())
            ),
            t.warn(),
        )));
    }
    out
}
