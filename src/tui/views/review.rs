//! The review screen: a header, the tab bar, and the visible window of the
//! tab's lines (laid out beforehand by `tabs::build_docs`, from `update`).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::put_line;
use crate::tui::app::App;
use crate::tui::clean;
use crate::tui::layout::{areas, review_content_area, review_tabs_area, tab_layout};
use crate::tui::list;
use crate::tui::load::Load;
use crate::tui::screens::review::ReviewView;

/// The second header line of a review: what it is and where it stands.
fn title(app: &App, r: &ReviewView) -> Line<'static> {
    let t = &app.theme;
    let mut spans = vec![Span::styled(
        format!(
            "{} v{}",
            clean::line(&r.key.model),
            clean::line(&r.key.version)
        ),
        t.bold(),
    )];
    // The live row of the queue has the same SLA the detail had at load time.
    let row = app
        .queue
        .rows
        .iter()
        .find(|x| x.item.model == r.key.model && x.item.version == r.key.version);
    if let Load::Ready(d) = &r.detail {
        let s = &d.summary;
        if let Some(b) = &s.baseline {
            spans.push(Span::styled(format!(" vs v{}", clean::line(b)), t.dim()));
        }
        spans.push(Span::styled("   risk ", t.dim()));
        spans.push(Span::raw(s.risk.as_str()));
        let live = row
            .map(|x| x.live_sla(app.now_ms))
            .unwrap_or_else(|| list::Row::new(s.clone()).live_sla(app.now_ms));
        spans.push(Span::raw("   "));
        spans.push(Span::styled(
            format!(
                "{} {} {}",
                live.0.glyph(),
                list::countdown(live.1),
                live.0.as_str()
            ),
            t.sla(live.0),
        ));
        spans.push(Span::styled("   state ", t.dim()));
        spans.push(Span::raw(s.state.as_str()));
        spans.push(Span::styled("   approvals ", t.dim()));
        let unverified = s.approvals.iter().filter(|a| !a.verified).count();
        spans.push(Span::raw(format!(
            "{}{}",
            list::approvals(s),
            if unverified > 0 {
                format!(" ({unverified} unverified)")
            } else {
                String::new()
            }
        )));
        // Automation stands in for the validator only (PROTOCOL 14): say so.
        let automated = s
            .approvals
            .iter()
            .filter(|a| a.role == "automation")
            .count();
        if automated > 0 {
            spans.push(Span::styled(format!(" ⚙ {automated} automated"), t.warn()));
        }
        spans.push(Span::styled("   gates ", t.dim()));
        let gates = row.and_then(|x| x.item.gates.as_ref()).or(s.gates.as_ref());
        spans.push(Span::raw(list::gate_summary(gates)));
    }
    Line::from(spans)
}

pub fn render(app: &App, buf: &mut Buffer, area: Rect) {
    let Some(r) = &app.review else {
        return;
    };
    let t = &app.theme;
    let a = areas(area);
    if a.header.height > 1 {
        put_line(buf, a.header, a.header.y + 1, &title(app, r));
    }
    let tabs = review_tabs_area(area);
    if tabs.height == 0 {
        return;
    }
    for (tab, name, x0, x1) in tab_layout(tabs) {
        if x0 >= tabs.x + tabs.width {
            break;
        }
        let selected = tab == r.tab;
        let label = if selected {
            format!("▶{name} ")
        } else {
            format!(" {name} ")
        };
        let style = if selected { t.selected() } else { t.dim() };
        buf.set_stringn(
            x0,
            tabs.y,
            label,
            (x1.min(tabs.x + tabs.width) - x0) as usize,
            style,
        );
        let sep = x1;
        if sep < tabs.x + tabs.width {
            buf.set_string(sep, tabs.y, "│", t.dim());
        }
    }
    let content = review_content_area(area);
    let i = r.tab.index();
    let doc = r.docs.get(i).map(Vec::as_slice).unwrap_or(&[]);
    let scroll = r.scroll[i].min(doc.len());
    // The rule under the tabs, with where the window is in the tab.
    if tabs.y + 1 < a.body.y + a.body.height {
        let mut rule = "─".repeat(tabs.width as usize);
        if doc.len() > content.height as usize {
            let pos = format!(
                " {}-{}/{} ",
                scroll + 1,
                (scroll + content.height as usize).min(doc.len()),
                doc.len()
            );
            let keep = (tabs.width as usize).saturating_sub(pos.chars().count());
            rule = format!("{}{pos}", "─".repeat(keep));
        }
        buf.set_stringn(tabs.x, tabs.y + 1, rule, tabs.width as usize, t.dim());
    }
    for (n, line) in doc[scroll..]
        .iter()
        .take(content.height as usize)
        .enumerate()
    {
        put_line(buf, content, content.y + n as u16, line);
    }
}
