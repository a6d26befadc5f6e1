//! Where everything sits on the screen: pure functions of the terminal's
//! size, used by `update` (mouse hit-testing, page sizes, line widths) and by
//! `view` (drawing), so a click lands on what was drawn.

use ratatui::layout::Rect;

use super::tabs::Tab;

/// The parts of every screen inside the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub body: Rect,
    pub status: Rect,
    pub hints: Rect,
}

/// The whole terminal of `size` (width, height).
pub fn screen(size: (u16, u16)) -> Rect {
    Rect::new(0, 0, size.0, size.1)
}

pub fn areas(area: Rect) -> Areas {
    let inner = Rect::new(
        area.x.saturating_add(1),
        area.y.saturating_add(1),
        area.width.saturating_sub(2),
        area.height.saturating_sub(2),
    );
    let header_h = inner.height.min(2);
    let foot_h = inner.height.saturating_sub(header_h).min(2);
    let body_h = inner.height - header_h - foot_h;
    let line = |y: u16, h: u16| Rect::new(inner.x, y, inner.width, h);
    Areas {
        header: line(inner.y, header_h),
        body: line(inner.y + header_h, body_h),
        status: line(inner.y + header_h + body_h, foot_h.min(1)),
        hints: line(
            inner.y + header_h + body_h + foot_h.min(1),
            foot_h.saturating_sub(1),
        ),
    }
}

/// The body less its first `lines` lines.
fn body_below(area: Rect, lines: u16) -> Rect {
    let b = areas(area).body;
    Rect::new(
        b.x,
        b.y.saturating_add(lines),
        b.width,
        b.height.saturating_sub(lines),
    )
}

/// The queue's rows (below the column titles).
pub fn queue_list_area(area: Rect) -> Rect {
    body_below(area, 1)
}

/// The review's tab bar: the first line of the body.
pub fn review_tabs_area(area: Rect) -> Rect {
    let b = areas(area).body;
    Rect::new(b.x, b.y, b.width, b.height.min(1))
}

/// The review's tab content, below the tab bar and its rule.
pub fn review_content_area(area: Rect) -> Rect {
    body_below(area, 2)
}

/// Where each tab's label sits on the tab bar: (tab, title, first column,
/// past-last). Where the full titles do not fit: short ones, without the
/// space after each.
pub fn tab_layout(area: Rect) -> Vec<(Tab, &'static str, u16, u16)> {
    let full: u16 = Tab::ALL
        .iter()
        .map(|t| t.title().chars().count() as u16 + 3)
        .sum();
    let narrow = full > area.width;
    let mut x = area.x;
    Tab::ALL
        .iter()
        .map(|tab| {
            let name = if narrow {
                tab.short_title()
            } else {
                tab.title()
            };
            let w = name.chars().count() as u16 + if narrow { 1 } else { 2 };
            let start = x;
            x += w + 1;
            (*tab, name, start, start + w)
        })
        .collect()
}

/// The tab under a mouse column.
pub fn tab_at(area: Rect, column: u16) -> Option<Tab> {
    tab_layout(area)
        .into_iter()
        .find(|(_, _, a, b)| column >= *a && column < *b)
        .map(|(t, _, _, _)| t)
}

/// The audit list's rows: the body less the filter line, the column titles
/// and the verification panel.
pub fn audit_list_height(area: Rect) -> usize {
    let b = areas(area).body;
    (b.height.saturating_sub(2) as usize).saturating_sub(audit_panel_height(b.height))
}

/// The audit screen's verification panel, at the bottom of a body `body_h` high.
pub fn audit_panel_height(body_h: u16) -> usize {
    (body_h as usize / 3).max(3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_tile_the_frame() {
        let a = areas(Rect::new(0, 0, 100, 30));
        assert_eq!(a.header, Rect::new(1, 1, 98, 2));
        assert_eq!(a.body, Rect::new(1, 3, 98, 24));
        assert_eq!(a.status, Rect::new(1, 27, 98, 1));
        assert_eq!(a.hints, Rect::new(1, 28, 98, 1));
        assert_eq!(queue_list_area(Rect::new(0, 0, 100, 30)).y, 4);
        let tiny = areas(Rect::new(0, 0, 3, 2));
        assert_eq!(tiny.body.height, 0);
    }

    #[test]
    fn tabs_are_found_by_column() {
        let area = Rect::new(1, 4, 120, 1);
        assert_eq!(tab_at(area, 1), Some(Tab::Overview));
        assert_eq!(tab_at(area, 12), Some(Tab::Metrics));
        let last = tab_layout(area).pop().unwrap();
        assert_eq!(tab_at(area, last.2 + 1), Some(Tab::Monitoring));
        assert_eq!(tab_at(area, 119), None);
        // On 80 columns every tab still has a place, with short titles.
        let narrow = Rect::new(1, 4, 78, 1);
        let tabs = tab_layout(narrow);
        assert!(tabs.last().unwrap().3 <= 79, "{tabs:?}");
        assert!(tabs.iter().all(|t| t.2 < t.3), "{tabs:?}");
        assert_eq!(tabs.last().unwrap().1, "Monitor");
        assert_eq!(tab_layout(area)[3].1, "Explainability");
    }
}
