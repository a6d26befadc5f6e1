//! `:audit`: every signed record across models, a validity glyph per row, the
//! selected record's signed payload and evidence document (syntect JSON), and
//! what verification found.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::put_line;
use crate::service::audit::DELETION_NOTE;
use crate::trust::audit::Severity;
use crate::tui::app::App;
use crate::tui::clean::{self, pad};
use crate::tui::highlight;
use crate::tui::layout::{areas, audit_list_height, audit_panel_height};
use crate::tui::load::Load;
use crate::tui::tabs::records;

fn glyph(s: Severity) -> &'static str {
    match s {
        Severity::Integrity => "✖",
        Severity::Policy => "▲",
        _ => "·",
    }
}

pub fn render(app: &App, buf: &mut Buffer, area: Rect) {
    let t = &app.theme;
    let body = areas(area).body;
    let a = &app.audit;
    let total = a.records().len();
    let invalid = a.records().iter().filter(|r| !r.valid).count();
    let mut top = vec![
        Span::styled(if a.filter.editing { "/" } else { "filter " }, t.dim()),
        Span::raw(if a.filter.text.is_empty() && !a.filter.editing {
            "none (/: words, model:M actor:A action:X)".to_owned()
        } else {
            clean::line(&a.filter.text)
        }),
    ];
    if a.filter.editing {
        top.push(Span::styled("▏", t.key()));
    }
    top.push(Span::styled(
        format!("   {} of {total} records", a.visible.len()),
        t.dim(),
    ));
    top.push(Span::styled(format!("  ✖ {invalid} invalid"), t.bad()));
    put_line(buf, body, body.y, &Line::from(top));

    match &a.data {
        None | Some(Load::Loading) => {
            put_line(
                buf,
                body,
                body.y + 2,
                &Line::from(Span::styled("  Reading every record…", t.dim())),
            );
            return;
        }
        Some(Load::Failed(e)) => {
            put_line(
                buf,
                body,
                body.y + 2,
                &Line::from(Span::styled(
                    format!("  ✖ The records could not be loaded: {}", clean::line(e)),
                    t.error(),
                )),
            );
            return;
        }
        Some(Load::Ready(_)) => {}
    }

    let list_w = (body.width as usize * 3 / 5).max(40) as u16;
    let list_w = list_w.min(body.width);
    let list = Rect::new(body.x, body.y + 1, list_w, body.height.saturating_sub(1));
    let detail = Rect::new(
        body.x + list_w + 1,
        body.y + 1,
        body.width.saturating_sub(list_w + 1),
        body.height.saturating_sub(1),
    );
    let panel_h = audit_panel_height(body.height) as u16;
    let rows_h = audit_list_height(area) as u16;
    put_line(
        buf,
        list,
        list.y,
        &Line::from(Span::styled(
            format!(
                "  {} {} {} {} {} {}",
                pad("V", 1),
                pad("AT (UTC)", 16),
                pad("MODEL", 16),
                pad("VER", 4),
                pad("ACTION", 15),
                "ACTOR"
            ),
            t.heading(),
        )),
    );
    if a.visible.is_empty() {
        put_line(
            buf,
            list,
            list.y + 2,
            &Line::from(Span::styled(
                if total == 0 {
                    "  No signed record in this registry yet."
                } else {
                    "  No record matches the filter (esc clears it)."
                },
                t.dim(),
            )),
        );
    }
    for (row, idx) in a
        .visible
        .iter()
        .enumerate()
        .skip(a.list.offset)
        .take(rows_h as usize)
    {
        let Some(r) = a.records().get(*idx) else {
            continue;
        };
        let selected = row == a.list.selected;
        let at =
            r.at.as_deref()
                .map(|s| s.replace('T', " ").chars().take(16).collect::<String>())
                .unwrap_or_else(|| "?".into());
        let (g, gs) = if r.valid {
            ("✓", t.good())
        } else {
            ("✖", t.bad())
        };
        let fixed = format!(
            " {} {} {} {} ",
            pad(&at, 16),
            pad(&clean::line(&r.model), 16),
            pad(&clean::line(&r.version), 4),
            pad(&clean::line(r.action.as_deref().unwrap_or("?")), 15),
        );
        // The whole roster id when it fits; else its part before the `@`
        // (the detail pane has the whole id).
        let actor = clean::line(r.actor.as_deref().unwrap_or("?"));
        let room = (list.width as usize).saturating_sub(3 + fixed.chars().count());
        let actor = if actor.chars().count() <= room {
            actor
        } else {
            actor.split('@').next().unwrap_or_default().to_owned()
        };
        let mut line = Line::from(vec![
            Span::raw(if selected { "▶ " } else { "  " }),
            Span::styled(g, gs),
            Span::raw(fixed + &actor),
        ]);
        if selected {
            line = line.patch_style(t.selected());
            line.spans
                .push(Span::styled(" ".repeat(list.width as usize), t.selected()));
        }
        put_line(buf, list, list.y + 1 + (row - a.list.offset) as u16, &line);
    }

    // The selected record in full.
    let mut d: Vec<Line<'static>> = Vec::new();
    if let Some(r) = a.selected_record() {
        let view = serde_json::to_value(r).unwrap_or_default();
        d.push(Line::from(vec![
            Span::styled("record ", t.dim()),
            Span::styled(clean::ellipsize(&r.id, 24), t.bold()),
            Span::raw("  "),
            if r.valid {
                Span::styled("✓ valid", t.good())
            } else {
                Span::styled("✖ invalid", t.bad())
            },
            records::automated(&view, t),
        ]));
        for f in &r.findings {
            d.push(Line::from(Span::styled(
                format!("  ✖ {}", clean::line(f)),
                t.bad(),
            )));
        }
        d.extend(records::decision(&view, t, 2));
        if let Some(Load::Ready(v)) = &a.verify {
            let mine: Vec<_> = v
                .findings
                .iter()
                .filter(|f| {
                    f.record.as_deref() == Some(r.id.as_str())
                        || (f.record.is_none() && f.model == r.model && f.version == r.version)
                })
                .collect();
            if mine.is_empty() {
                d.push(Line::from(Span::styled(
                    "verification: ✓ nothing found here",
                    t.good(),
                )));
            } else {
                d.push(Line::from(Span::styled("verification:", t.heading())));
                for f in mine {
                    d.push(Line::from(Span::raw(format!(
                        "  {} {}",
                        glyph(f.severity),
                        clean::line(&f.message)
                    ))));
                }
            }
        }
        d.push(Line::from(Span::styled("signed payload", t.heading())));
        let mut payload = r.record.clone().unwrap_or_default();
        let sig = payload.remove("sig");
        let json = serde_json::to_string_pretty(&payload).unwrap_or_default();
        d.extend(highlight::highlight(&json, "json", app.highlight_style()));
        if sig.is_some() {
            d.push(Line::from(Span::styled(
                "  sig: armored SSHSIG (audit export --ssh-keygen checks it)",
                t.dim(),
            )));
        }
        let evidence = payload.get("evidence").and_then(|e| e.as_str());
        if let Some(e) = evidence {
            d.push(Line::from(Span::styled(
                format!("evidence document {}", clean::ellipsize(e, 24)),
                t.heading(),
            )));
            if let Some(Load::Ready(data)) = &a.data {
                match data.evidence.get(e) {
                    Some(doc) => {
                        let pretty = serde_json::from_str::<serde_json::Value>(doc)
                            .ok()
                            .and_then(|v| serde_json::to_string_pretty(&v).ok())
                            .unwrap_or_else(|| doc.clone());
                        d.extend(highlight::highlight(&pretty, "json", app.highlight_style()));
                    }
                    None => d.push(Line::from(Span::styled(
                        "  not stored on the version (modelgate.evidence.<hex> is absent)",
                        t.warn(),
                    ))),
                }
            }
        }
    }
    let detail_h = detail.height.saturating_sub(panel_h) as usize;
    for (i, l) in d.iter().take(detail_h).enumerate() {
        put_line(buf, detail, detail.y + i as u16, l);
    }

    // Verification, across the whole width at the bottom.
    let panel = Rect::new(
        body.x,
        body.y + body.height.saturating_sub(panel_h),
        body.width,
        panel_h,
    );
    let mut p: Vec<Line<'static>> = Vec::new();
    match &a.verify {
        None => p.push(Line::from(vec![
            Span::styled("verification ", t.heading()),
            Span::styled(
                format!(
                    "not run: {} verifies every record in the background",
                    app.keymap.label(crate::tui::keymap::Command::Verify)
                ),
                t.dim(),
            ),
        ])),
        Some(Load::Loading) => p.push(Line::from(Span::styled(
            "verification running in the background…",
            t.dim(),
        ))),
        Some(Load::Failed(e)) => p.push(Line::from(Span::styled(
            format!("✖ verification failed: {}", clean::line(e)),
            t.error(),
        ))),
        Some(Load::Ready(v)) => {
            let count = |s: Severity| v.findings.iter().filter(|f| f.severity == s).count();
            p.push(Line::from(vec![
                Span::styled("verification ", t.heading()),
                Span::raw(format!(
                    "exit {}  {} versions  {} records  ",
                    v.exit_code, v.versions, v.records
                )),
                Span::styled(
                    format!("✖ {} integrity", count(Severity::Integrity)),
                    t.bad(),
                ),
                Span::raw("  "),
                Span::styled(format!("▲ {} policy", count(Severity::Policy)), t.warn()),
                Span::styled(format!("  · {} info", count(Severity::Info)), t.dim()),
            ]));
            for f in v.findings.iter().take(panel_h.saturating_sub(2) as usize) {
                let at = if f.model.is_empty() {
                    String::new()
                } else {
                    format!("{} {}: ", clean::line(&f.model), clean::line(&f.version))
                };
                let st = match f.severity {
                    Severity::Integrity => t.bad(),
                    Severity::Policy => t.warn(),
                    _ => t.dim(),
                };
                p.push(Line::from(Span::styled(
                    format!("  {} {at}{}", glyph(f.severity), clean::line(&f.message)),
                    st,
                )));
            }
        }
    }
    let last = panel.y + panel.height.saturating_sub(1);
    for (i, l) in p.iter().enumerate() {
        let y = panel.y + i as u16;
        if y < last {
            put_line(buf, panel, y, l);
        }
    }
    put_line(
        buf,
        panel,
        last,
        &Line::from(Span::styled(
            format!(
                "note: {}.",
                DELETION_NOTE.split(" (").next().unwrap_or(DELETION_NOTE)
            ),
            t.dim(),
        )),
    );
}
