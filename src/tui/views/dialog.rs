//! The signing dialog: the action, the role, the reason, the evidence digest
//! and gate results about to be signed, the category and checklist where
//! they apply (or, for a rollback, the target, incident, confirmation and
//! the record to be signed). Focus starts on Cancel.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::centered;
use crate::trust::record::Action;
use crate::tui::app::{App, Field, SignDialog};
use crate::tui::clean;
use crate::tui::tabs::wrap;
use crate::tui::theme::Theme;

mod structured;

fn title(action: &str) -> String {
    let mut c = action.replace('_', " ").chars().collect::<Vec<_>>();
    if let Some(f) = c.first_mut() {
        *f = f.to_ascii_uppercase();
    }
    c.into_iter().collect()
}

/// A field's name, marked when it has the focus.
fn label(t: &Theme, on: bool, name: &str) -> Span<'static> {
    Span::styled(
        format!("{}{name:<10}", if on { "▶ " } else { "  " }),
        if on { t.selected() } else { t.dim() },
    )
}

/// The dialog's lines for an inner width of `width` cells.
pub fn lines(app: &App, d: &SignDialog, width: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    let focus = d.focus();
    let label = |f: Field, name: &str| label(t, focus == f, name);
    let input = |f: Field, text: &str| {
        let mut s = clean::line(text);
        if focus == f {
            s.push('▏');
        }
        Span::styled(
            format!("[{s}]"),
            if focus == f { t.bold() } else { t.text() },
        )
    };
    let mut out = Vec::new();
    let what = match d.action {
        Action::Rollback => format!(
            "Roll back {}: {} leaves version {}",
            clean::line(&d.model),
            clean::line(d.alias.as_deref().unwrap_or("")),
            clean::line(d.from.as_deref().unwrap_or("?"))
        ),
        Action::Ratify => format!(
            "Ratify the rollback of {} to version {}",
            clean::line(&d.model),
            clean::line(&d.version)
        ),
        a => format!(
            "{} {} version {}",
            title(a.as_str()),
            clean::line(&d.model),
            clean::line(&d.version)
        ),
    };
    out.push(Line::from(Span::styled(what, t.heading())));
    out.push(Line::default());
    if let Some(p) = &d.problem {
        out.push(Line::from(Span::styled(
            format!("✖ {}", clean::line(p)),
            t.error(),
        )));
        out.push(Line::default());
        out.push(Line::from(Span::styled(
            "Nothing can be signed here until that is configured (see docs/trust.md).",
            t.dim(),
        )));
    } else {
        out.push(Line::from(vec![
            Span::styled("  signer    ", t.dim()),
            Span::raw(clean::line(d.actor.as_deref().unwrap_or(""))),
        ]));
        if d.action == Action::Rollback {
            out.push(Line::from(vec![
                label(Field::Target, "to"),
                Span::styled(
                    format!("◀ version {} ▶", clean::line(d.target().unwrap_or("none"))),
                    t.bold(),
                ),
                Span::styled(format!("  ({} earlier approved)", d.targets.len()), t.dim()),
            ]));
        } else {
            let role = d.role().unwrap_or("");
            out.push(Line::from(vec![
                label(Field::Role, "role"),
                Span::styled(
                    if d.roles.len() > 1 {
                        format!("◀ {role} ▶")
                    } else {
                        role.to_owned()
                    },
                    t.bold(),
                ),
            ]));
        }
        if d.action == Action::Reopen {
            out.push(Line::from(vec![
                label(Field::Trigger, "trigger"),
                Span::styled(
                    format!("◀ {} ▶", d.trigger.map_or("choose one", |t| t.as_str())),
                    if d.trigger.is_some() {
                        t.bold()
                    } else {
                        t.warn()
                    },
                ),
                Span::styled(
                    format!(
                        "  ←/→ cycles the {} triggers",
                        crate::review::revalidation::Trigger::ALL.len()
                    ),
                    t.dim(),
                ),
            ]));
        }
        out.push(Line::from(vec![
            label(Field::Reason, "reason"),
            input(Field::Reason, &d.reason),
            Span::styled(
                if d.action.needs_reason() {
                    "  required"
                } else {
                    "  optional"
                },
                t.dim(),
            ),
        ]));
        out.extend(structured::lines(t, d, width));
        if d.action == Action::Rollback {
            out.push(Line::from(vec![
                label(Field::Incident, "incident"),
                input(Field::Incident, &d.incident),
                Span::styled("  required", t.dim()),
            ]));
            out.push(Line::from(vec![
                label(Field::Confirm, "confirm"),
                input(Field::Confirm, &d.confirm),
                Span::styled(format!("  type {}", clean::line(&d.model)), t.dim()),
            ]));
            out.push(Line::default());
            out.push(Line::from(Span::styled(
                "Record to be signed:",
                t.heading(),
            )));
            let json = serde_json::to_string_pretty(&d.preview()).unwrap_or_default();
            for l in json.lines() {
                out.push(Line::from(Span::raw(clean::line(l))));
            }
        } else {
            out.push(Line::default());
            out.push(Line::from(vec![
                Span::styled("  evidence  ", t.dim()),
                Span::raw(match &d.evidence {
                    Some(e) => clean::line(e),
                    None => "not recorded by this action".into(),
                }),
            ]));
            match &d.gates {
                _ if d.action == Action::Reopen => out.push(Line::from(Span::styled(
                    "  cycle     a new approval cycle: approvals before this reopen no longer count",
                    t.dim(),
                ))),
                Some(g) => {
                    out.push(Line::from(vec![
                        Span::styled("  gates     ", t.dim()),
                        Span::raw(format!(
                            "policy {}",
                            clean::ellipsize(&clean::line(&g.policy), 24)
                        )),
                        Span::styled(format!("  ✖ {} deny", g.deny.len()), t.bad()),
                        Span::styled(format!("  ▲ {} warn", g.warn.len()), t.warn()),
                        match &g.error {
                            Some(e) => {
                                Span::styled(format!("  ! error: {}", clean::line(e)), t.error())
                            }
                            None => Span::raw(""),
                        },
                    ]));
                    for m in g.deny.iter().take(4) {
                        out.push(Line::from(Span::styled(
                            format!("    ✖ {}", clean::line(m)),
                            t.bad(),
                        )));
                    }
                    for m in g.warn.iter().take(2) {
                        out.push(Line::from(Span::styled(
                            format!("    ▲ {}", clean::line(m)),
                            t.warn(),
                        )));
                    }
                    if !d.waives.is_empty() {
                        out.push(Line::from(Span::styled(
                            format!("  waives every deny above ({})", d.waives.len()),
                            t.dim(),
                        )));
                    }
                }
                None => out.push(Line::from(Span::styled(
                    "  gates     evaluated again when signing",
                    t.dim(),
                ))),
            }
        }
    }
    out.push(Line::default());
    if let Some(e) = &d.error {
        out.push(Line::from(Span::styled(
            format!("✖ {}", clean::line(e)),
            t.error(),
        )));
    }
    let button = |f: Field, name: &str| {
        let on = focus == f;
        Span::styled(
            format!("{}[ {name} ]", if on { "▶" } else { " " }),
            if on { t.selected() } else { t.text() },
        )
    };
    // Sign waits for the category and the checklist, and says so before
    // it is pressed.
    let waiting = d
        .problem
        .is_none()
        .then(|| {
            (d.action == Action::Reopen && d.trigger.is_none())
                .then(|| {
                    "Choose the trigger (←/→): what calls the approval into question.".to_owned()
                })
                .or_else(|| d.structured.missing(d.action, d.role()))
        })
        .flatten();
    if let Some(why) = waiting.as_ref().filter(|_| d.error.is_none()) {
        out.extend(wrap(
            Line::from(Span::styled(format!("▲ {}", clean::line(why)), t.warn())),
            width,
            2,
        ));
    }
    let mut buttons = vec![Span::raw("  "), button(Field::Cancel, "Cancel")];
    if d.problem.is_none() {
        buttons.push(Span::raw("   "));
        if waiting.is_some() {
            let on = focus == Field::Sign;
            buttons.push(Span::styled(
                format!("{}[ Sign ] disabled", if on { "▶" } else { " " }),
                if on { t.selected() } else { t.dim() },
            ));
        } else {
            buttons.push(button(Field::Sign, "Sign"));
        }
    }
    out.push(Line::from(buttons));
    let mut hint = "  tab moves · enter on Sign signs · esc cancels · ←/→ choose".to_owned();
    if !d.structured.categories.is_empty() {
        hint.push_str(" · ↑/↓ category");
    }
    if d.checklist().is_some() {
        hint.push_str(" · space answers");
    }
    out.extend(wrap(Line::from(Span::styled(hint, t.dim())), width, 2));
    out
}

pub fn render(app: &App, d: &SignDialog, f: &mut Frame<'_>, area: Rect) {
    let inner = area.width.saturating_sub(4).clamp(1, 94) as usize;
    // Wrapped here rather than by the paragraph, so that the height counts
    // every row and the buttons are never cut off.
    let body: Vec<Line<'static>> = lines(app, d, inner)
        .into_iter()
        .flat_map(|l| wrap(l, inner, 0))
        .collect();
    let rect = centered(area, 96, body.len() as u16 + 2);
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(body).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(app.theme.frame())
                .title(Span::styled(
                    format!(" {} · signed record ", title(d.action.as_str())),
                    app.theme.title(),
                )),
        ),
        rect,
    );
}
