//! `:stats`: the figures of `modelgate stats` as pictures, each with its
//! numbers: reasons for rejections and change requests as horizontal bars,
//! approval latency (p50, p90) and throughput per ISO week as grouped bars,
//! coverage, audit completeness and SLA as gauges, and the rest in lines.
//! Everything shrinks with the terminal; what does not fit is left out, the
//! text lines last of all.

use std::collections::BTreeMap;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, LineGauge, Widget};

use super::put_line;
use crate::stats::{Durations, Rate, Stats};
use crate::tui::app::{App, StatsPeriod};
use crate::tui::clean;
use crate::tui::layout::areas;
use crate::tui::load::Load;
use crate::tui::theme::Theme;

/// Charts get at least this many rows when the text can give them up, and
/// at most this many: taller bars read no better.
const CHARTS_MIN: u16 = 7;
const CHARTS_MAX: u16 = 24;

pub fn render(app: &App, buf: &mut Buffer, area: Rect) {
    let t = &app.theme;
    let body = areas(area).body;
    match &app.stats.data {
        None | Some(Load::Loading) => put_line(
            buf,
            body,
            body.y,
            &Line::from(Span::styled(
                format!("  Counting every record ({})…", app.stats.period.label()),
                t.dim(),
            )),
        ),
        Some(Load::Failed(e)) => put_line(
            buf,
            body,
            body.y,
            &Line::from(Span::styled(
                format!("  ✖ The figures could not be counted: {}", clean::line(e)),
                t.error(),
            )),
        ),
        Some(Load::Ready(s)) => figures(t, app.stats.period, s, buf, body),
    }
}

/// The figures of `s` drawn into `area`, whatever its size.
pub fn figures(t: &Theme, period: StatsPeriod, s: &Stats, buf: &mut Buffer, area: Rect) {
    let area = area.intersection(buf.area);
    if area.is_empty() {
        return;
    }
    let mut rows = Rows { area, next: area.y };
    if let Some(r) = rows.take(1) {
        put_line(buf, r, r.y, &period_line(t, period, s));
    }
    if let Some(r) = rows.take(1) {
        put_line(buf, r, r.y, &records_line(t, s, r.width as usize));
    }
    let w = area.width;
    let avail = area.bottom().saturating_sub(rows.next);
    let gauge_cols: u16 = if w >= 120 {
        3
    } else if w >= 60 {
        2
    } else {
        1
    };
    let gauges = gauges(s);
    let gauges_h = 1 + (gauges.len() as u16).div_ceil(gauge_cols);
    let facts: Vec<Vec<Line<'static>>> = facts(t, s).iter().map(|f| pack(f, w as usize)).collect();
    let facts_all = facts.iter().map(Vec::len).sum::<usize>() as u16;
    let mut facts_h = facts_all;
    let mut charts_h = avail.saturating_sub(gauges_h + facts_h);
    if charts_h < CHARTS_MIN {
        let give = (CHARTS_MIN - charts_h).min(facts_h.saturating_sub(facts_all.min(3)));
        facts_h -= give;
        charts_h += give;
    }
    let charts_h = charts_h.min(CHARTS_MAX);

    if let Some(r) = rows.take(charts_h) {
        charts(t, s, buf, r);
    }
    if let Some(r) = rows.take(gauges_h) {
        draw_gauges(t, s, &gauges, gauge_cols, buf, r);
    }
    if let Some(r) = rows.take(facts_h) {
        // Whole facts, in order, while they fit: none is cut half way.
        let mut y = r.y;
        for lines in &facts {
            if y + lines.len() as u16 > r.bottom() {
                break;
            }
            for l in lines {
                put_line(buf, r, y, l);
                y += 1;
            }
        }
    }
}

/// Hands out full-width rows from the top of an area.
struct Rows {
    area: Rect,
    next: u16,
}

impl Rows {
    /// The next `h` rows (fewer at the bottom), or `None` when none is left.
    fn take(&mut self, h: u16) -> Option<Rect> {
        let h = h.min(self.area.bottom().saturating_sub(self.next));
        if h == 0 {
            return None;
        }
        let y = self.next;
        self.next += h;
        Some(Rect::new(self.area.x, y, self.area.width, h))
    }
}

fn period_line(t: &Theme, period: StatsPeriod, s: &Stats) -> Line<'static> {
    let since = match &s.period.since {
        Some(at) => format!("since {}", at.replace('T', " ").replace('Z', " UTC")),
        None => "every record".to_owned(),
    };
    Line::from(vec![
        Span::styled("period ", t.dim()),
        Span::styled(format!("◂ {} ▸", period.label()), t.heading()),
        Span::styled(format!("  {since}"), t.text()),
        Span::styled(format!("  ·  {} versions", s.versions), t.dim()),
    ])
}

fn records_line(t: &Theme, s: &Stats, width: usize) -> Line<'static> {
    let invalid = if s.invalid_records > 0 {
        t.bad()
    } else {
        t.text()
    };
    let mut line = Line::from(vec![
        Span::styled("records ", t.dim()),
        Span::styled(format!("✓ {} valid", s.records), t.good()),
        Span::raw("  "),
        Span::styled(format!("✖ {} invalid", s.invalid_records), invalid),
        Span::styled(", left out of every figure", t.dim()),
    ]);
    let approved = format!("  ·  {} approved versions", s.approved_versions);
    if line.width() + clean::width(&approved) <= width {
        line.spans.push(Span::styled(approved, t.dim()));
    }
    line
}

/// `part/whole (NN%)`, or `none to count` when the whole is 0.
pub fn rate(r: &Rate) -> String {
    match r.share {
        Some(share) if r.whole > 0 => format!("{}/{} ({:.0}%)", r.part, r.whole, share * 100.0),
        _ => "none to count".to_owned(),
    }
}

/// `NN%`, or `none to count` when the whole is 0.
fn percent(r: &Rate) -> String {
    match r.share {
        Some(share) if r.whole > 0 => format!("{:.0}%", share * 100.0),
        _ => "none to count".to_owned(),
    }
}

/// `45m`, `3h`, `12d`: a duration under a bar, in at most 4 cells.
fn short(secs: i64) -> String {
    let m = secs.max(0) / 60;
    if m < 60 {
        format!("{m}m")
    } else if m < 48 * 60 {
        format!("{}h", (m + 30) / 60)
    } else {
        format!("{}d", (secs + 43_200) / 86_400)
    }
}

/// `2026-W09` as `W09` under its bars.
fn week_label(week: &str) -> String {
    let w = clean::line(week);
    match w.split_once('-') {
        Some((_, rest)) if !rest.is_empty() => rest.to_owned(),
        _ => w,
    }
}

/// A chart's title: the long one where it fits.
fn title(t: &Theme, long: &str, short: &str, w: u16) -> Line<'static> {
    let w = w as usize;
    let text = if clean::width(long) <= w { long } else { short };
    Line::from(Span::styled(clean::ellipsize(text, w), t.heading()))
}

/// The three charts side by side, or one under another where the terminal
/// is too narrow for that.
fn charts(t: &Theme, s: &Stats, buf: &mut Buffer, area: Rect) {
    if area.width >= 72 {
        let third = area.width / 3;
        let widths = [third, third, area.width - 2 * third];
        let mut x = area.x;
        let mut parts = Vec::new();
        for w in widths {
            // A column of space between charts.
            parts.push(Rect::new(x, area.y, w.saturating_sub(2), area.height));
            x += w;
        }
        categories(t, s, buf, parts[0]);
        latency(t, s, buf, parts[1]);
        throughput(t, s, buf, parts[2]);
    } else {
        let h = area.height / 3;
        let mut y = area.y;
        let draw: [fn(&Theme, &Stats, &mut Buffer, Rect); 3] = [categories, latency, throughput];
        for (i, f) in draw.into_iter().enumerate() {
            let hh = if i == 2 { area.bottom() - y } else { h };
            f(t, s, buf, Rect::new(area.x, y, area.width, hh));
            y += hh;
        }
    }
}

fn categories(t: &Theme, s: &Stats, buf: &mut Buffer, area: Rect) {
    if area.is_empty() {
        return;
    }
    put_line(
        buf,
        area,
        area.y,
        &title(
            t,
            "Rejections and change requests by category",
            "Reject/change reasons",
            area.width,
        ),
    );
    let chart = Rect::new(area.x, area.y + 1, area.width, area.height - 1);
    if chart.is_empty() {
        return;
    }
    let mut by: Vec<(String, usize)> = s
        .decisions
        .by_category
        .iter()
        .map(|(c, n)| (clean::line(c), *n))
        .collect();
    if by.is_empty() {
        put_line(
            buf,
            chart,
            chart.y,
            &Line::from(Span::styled("none in the period", t.dim())),
        );
        return;
    }
    by.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let rows = chart.height as usize;
    let more = by.len().saturating_sub(rows);
    let shown = if more > 0 {
        rows.saturating_sub(1)
    } else {
        rows
    };
    let count_w = by
        .iter()
        .map(|(_, n)| n.to_string().len())
        .max()
        .unwrap_or(1);
    let name_w = by
        .iter()
        .take(shown)
        .map(|(c, _)| clean::width(c))
        .max()
        .unwrap_or(0)
        .min((chart.width as usize * 2 / 3).saturating_sub(count_w + 1));
    let bars: Vec<Bar> = by
        .iter()
        .take(shown)
        .map(|(c, n)| {
            Bar::default()
                .value(*n as u64)
                .text_value("")
                .label(Line::from(format!(
                    "{} {n:>count_w$}",
                    clean::pad(c, name_w)
                )))
                .style(t.bad())
        })
        .collect();
    BarChart::default()
        .direction(ratatui::layout::Direction::Horizontal)
        .bar_width(1)
        .bar_gap(0)
        .group_gap(0)
        .data(BarGroup::default().bars(&bars))
        .label_style(t.text())
        .render(chart, buf);
    if more > 0 {
        let more = by.len() - shown;
        put_line(
            buf,
            chart,
            chart.y + shown as u16,
            &Line::from(Span::styled(
                format!("+{more} more (modelgate stats)"),
                t.dim(),
            )),
        );
    }
}

/// A weekly series: (week, [(value, label, style)]).
type Series = Vec<(String, Vec<(u64, String, Style)>)>;

/// Grouped vertical bars, one group per week, the newest that fit; each
/// bar's number under it, the week under the group. Too low for bars: the
/// numbers as text; no week at all: `empty`.
fn weekly(t: &Theme, series: &Series, bar_w: u16, empty: &str, buf: &mut Buffer, area: Rect) {
    if area.is_empty() {
        return;
    }
    if series.is_empty() {
        let line = Line::from(Span::styled(empty.to_owned(), t.dim()));
        put_line(buf, area, area.y, &line);
        return;
    }
    let bars_per = series.first().map_or(1, |(_, b)| b.len()) as u16;
    let group_w = bars_per * bar_w + bars_per.saturating_sub(1);
    let fit = ((area.width + 1) / (group_w + 1)).max(1) as usize;
    let shown = &series[series.len().saturating_sub(fit)..];
    if area.height < 4 {
        for (i, (week, bars)) in shown.iter().rev().take(area.height as usize).enumerate() {
            let mut spans = vec![Span::styled(format!("{week} "), t.dim())];
            for (_, label, style) in bars {
                spans.push(Span::styled(format!("{label} "), *style));
            }
            put_line(buf, area, area.y + i as u16, &Line::from(spans));
        }
        return;
    }
    let mut chart = BarChart::default()
        .bar_width(bar_w)
        .bar_gap(1)
        .group_gap(1)
        .label_style(t.text());
    for (week, bars) in shown {
        let bars: Vec<Bar> = bars
            .iter()
            .map(|(v, label, style)| {
                Bar::default()
                    .value(*v)
                    .text_value("")
                    .label(Line::from(label.clone()))
                    .style(*style)
            })
            .collect();
        chart = chart.data(
            BarGroup::default()
                .label(Line::from(Span::styled(week.clone(), t.dim())).centered())
                .bars(&bars),
        );
    }
    chart.render(area, buf);
}

fn latency(t: &Theme, s: &Stats, buf: &mut Buffer, area: Rect) {
    if area.is_empty() {
        return;
    }
    let mut head = title(
        t,
        "Approval latency per week: p50 p90",
        "Latency/week p50 p90",
        area.width,
    );
    // The legend's words in the colours of their bars (and in their order).
    if let Some(last) = head.spans.pop() {
        let text = last.content.to_string();
        if let Some(stem) = text.strip_suffix("p50 p90") {
            head.spans.push(Span::styled(stem.to_owned(), t.heading()));
            head.spans.push(Span::styled("p50", t.heading()));
            head.spans.push(Span::raw(" "));
            head.spans.push(Span::styled("p90", t.warn()));
        } else {
            head.spans.push(last);
        }
    }
    put_line(buf, area, area.y, &head);
    let chart = Rect::new(area.x, area.y + 1, area.width, area.height - 1);
    let series: Series = s
        .latency
        .by_week
        .iter()
        .filter_map(|(w, d)| {
            let (p50, p90) = (d.p50_seconds?, d.p90_seconds?);
            Some((
                week_label(w),
                vec![
                    ((p50.max(0) / 60) as u64, short(p50), t.heading()),
                    ((p90.max(0) / 60) as u64, short(p90), t.warn()),
                ],
            ))
        })
        .collect();
    weekly(t, &series, 4, "no approval", buf, chart);
}

fn throughput(t: &Theme, s: &Stats, buf: &mut Buffer, area: Rect) {
    if area.is_empty() {
        return;
    }
    let lead = match area.width {
        42.. => "Throughput per week: ",
        28.. => "Weekly ",
        _ => "",
    };
    put_line(
        buf,
        area,
        area.y,
        &Line::from(vec![
            Span::styled(lead, t.heading()),
            Span::styled("✓ approved", t.good()),
            Span::raw(" "),
            Span::styled("✖ rejected", t.bad()),
        ]),
    );
    let chart = Rect::new(area.x, area.y + 1, area.width, area.height - 1);
    let series: Series = s
        .throughput
        .iter()
        .map(|(w, x)| {
            (
                week_label(w),
                vec![
                    (x.approvals as u64, x.approvals.to_string(), t.good()),
                    (x.rejections as u64, x.rejections.to_string(), t.bad()),
                ],
            )
        })
        .collect();
    weekly(t, &series, 3, "nothing decided", buf, chart);
}

fn gauges(s: &Stats) -> Vec<(&'static str, Rate)> {
    let c = &s.coverage;
    vec![
        ("explainability", c.explainability),
        ("fairness", c.fairness),
        ("model card", c.model_card),
        ("clean scan", c.security_scan_clean),
        ("audit complete", s.audit.complete),
        ("SLA on time", s.sla.on_time),
    ]
}

fn draw_gauges(
    t: &Theme,
    s: &Stats,
    gauges: &[(&'static str, Rate)],
    cols: u16,
    buf: &mut Buffer,
    rows: Rect,
) {
    let w = rows.width;
    let x0 = rows.x;
    put_line(
        buf,
        rows,
        rows.y,
        &title(
            t,
            &format!(
                "Coverage of {} production versions · audit completeness of approved · SLA: decided by the deadline",
                s.coverage.production
            ),
            &format!(
                "Coverage ({} in production) · audit · SLA",
                s.coverage.production
            ),
            w,
        ),
    );
    let col_w = w / cols.max(1);
    let text_w = gauges.iter().map(|(_, r)| rate(r).len()).max().unwrap_or(0);
    for (i, (name, r)) in gauges.iter().enumerate() {
        let (row, col) = (i as u16 / cols, i as u16 % cols);
        let y = rows.y + 1 + row;
        if y >= rows.bottom() {
            break;
        }
        let cell = Rect::new(x0 + col * col_w, y, col_w.saturating_sub(2), 1);
        if cell.is_empty() {
            continue;
        }
        let (ratio, filled) = match r.share {
            Some(share) if r.whole > 0 => {
                let share = share.clamp(0.0, 1.0);
                let style = if share >= 0.9 {
                    t.good()
                } else if share >= 0.6 {
                    t.warn()
                } else {
                    t.bad()
                };
                (share, style)
            }
            _ => (0.0, t.dim()),
        };
        let label_style = if r.whole == 0 { t.dim() } else { t.text() };
        LineGauge::default()
            .ratio(ratio)
            .label(Line::from(vec![
                Span::styled(format!("{name:<14} "), label_style),
                Span::styled(format!("{:>text_w$}", rate(r)), label_style),
            ]))
            .filled_symbol("█")
            .unfilled_symbol("░")
            .filled_style(filled)
            .unfilled_style(t.dim())
            .render(cell, buf);
    }
}

/// `name 3, other 1` as items.
fn counts<K: AsRef<str>>(m: &BTreeMap<K, usize>) -> Vec<String> {
    if m.is_empty() {
        return vec!["none".to_owned()];
    }
    m.iter()
        .map(|(k, n)| format!("{} {n}", clean::line(k.as_ref())))
        .collect()
}

fn durations(d: &Durations) -> Vec<String> {
    match (d.p50_seconds, d.p90_seconds, d.max_seconds) {
        (Some(p50), Some(p90), Some(max)) => vec![
            format!("n={}", d.count),
            format!("p50 {}", crate::stats::human_duration(p50)),
            format!("p90 {}", crate::stats::human_duration(p90)),
            format!("max {}", crate::stats::human_duration(max)),
        ],
        _ => vec!["n=0".to_owned()],
    }
}

/// One fact: its heading, its items, and the heading's style.
struct Fact {
    heading: String,
    items: Vec<String>,
    style: Style,
}

/// The lines under the charts, most needed first (what does not fit is
/// left out from the end).
fn facts(t: &Theme, s: &Stats) -> Vec<Fact> {
    let fact = |heading: &str, items: Vec<String>, style| Fact {
        heading: heading.to_owned(),
        items,
        style,
    };
    let mut out = Vec::new();
    for p in &s.problems {
        out.push(fact("⚠", vec![clean::line(p)], t.bad()));
    }
    if !s.unexplained_aliases.is_empty() {
        out.push(fact(
            "⚑ production aliases no record explains:",
            s.unexplained_aliases
                .iter()
                .map(|m| clean::line(m))
                .collect(),
            t.bad(),
        ));
    }
    let rb = &s.rollbacks;
    out.push(fact(
        "rollbacks",
        vec![
            format!(
                "{} of {} alias moves ({})",
                rb.rollbacks,
                rb.promotes + rb.rollbacks,
                percent(&rb.rate)
            ),
            format!("break-glass {}", rb.break_glass),
            format!("unratified {}, overdue {}", rb.unratified, rb.overdue),
            format!(
                "median ratify {}",
                rb.median_ratify_seconds
                    .map_or("none".into(), crate::stats::human_duration)
            ),
        ],
        t.bold(),
    ));
    let v = &s.revalidation;
    let mut reopens = vec![format!(
        "reopens {}",
        counts(&v.reopens_by_trigger).join(", ")
    )];
    reopens.extend([
        format!("in revalidation {}", v.in_revalidation),
        format!("renewals due {}", v.renewals_due),
        format!(
            "production: {} in revalidation ({} overdue), {} expired",
            v.production_in_revalidation, v.production_overdue, v.expired_in_production
        ),
    ]);
    out.push(fact("revalidation", reopens, t.bold()));
    out.push(fact(
        "reviewer load (open reviews, by role)",
        counts(&s.load.open_by_role),
        t.bold(),
    ));
    out.push(fact(
        "open now",
        vec![
            format!("▲ {} at risk", s.sla.at_risk),
            format!("✖ {} breached", s.sla.breached),
            format!(
                "next deadline {}",
                s.sla
                    .next_deadline
                    .as_deref()
                    .map_or("none".to_owned(), |d| d
                        .replace('T', " ")
                        .replace('Z', " UTC"))
            ),
        ],
        t.bold(),
    ));
    let mut gates = vec![rate(&s.gates.pass)];
    gates.extend(
        s.gates
            .by_risk
            .iter()
            .map(|(r, x)| format!("{} {}", r.as_str(), rate(x))),
    );
    out.push(fact("gate pass rate", gates, t.bold()));
    out.push(fact(
        "approval latency (submission to quorum)",
        durations(&s.latency.overall),
        t.bold(),
    ));
    out.push(fact(
        "decisions by actor",
        counts(&s.load.decisions_by_actor),
        t.bold(),
    ));
    out
}

/// A fact as lines `width` wide: items joined by ` · `, broken between
/// items, continuation lines indented.
fn pack(f: &Fact, width: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    {
        let mut spans = vec![Span::styled(f.heading.clone(), f.style)];
        let mut used = clean::width(&f.heading);
        for (i, item) in f.items.iter().enumerate() {
            let sep = if i == 0 { " " } else { " · " };
            let w = clean::width(item);
            if used + sep.len().min(3) + w > width && used > 2 {
                out.push(Line::from(std::mem::take(&mut spans)));
                spans.push(Span::raw("  "));
                spans.push(Span::raw(item.clone()));
                used = 2 + w;
                continue;
            }
            spans.push(Span::styled(sep, Style::default()));
            spans.push(Span::raw(item.clone()));
            used += clean::width(sep) + w;
        }
        out.push(Line::from(spans));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Week;
    use crate::tui::shots::text;

    fn draw(s: &Stats, w: u16, h: u16) -> String {
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        figures(&Theme::default(), StatsPeriod::Days90, s, &mut buf, area);
        text(&buf)
    }

    #[test]
    fn nothing_to_count_says_so() {
        let t = draw(&Stats::default(), 78, 18);
        // Six gauges and the rollback rate.
        assert_eq!(t.matches("none to count").count(), 7, "{t}");
        assert!(t.contains("none in the period"), "{t}");
        assert!(t.contains("no approval"), "{t}");
        assert!(t.contains("nothing decided"), "{t}");
    }

    #[test]
    fn many_weeks_show_the_newest_that_fit_with_their_numbers() {
        let mut s = Stats::default();
        for w in 1..=13 {
            let week = format!("2026-W{w:02}");
            s.latency.by_week.insert(
                week.clone(),
                Durations {
                    count: 1,
                    p50_seconds: Some(w * 3600),
                    p90_seconds: Some(w * 7200),
                    max_seconds: Some(w * 7200),
                },
            );
            s.throughput.insert(
                week,
                Week {
                    approvals: w as usize,
                    rejections: 0,
                },
            );
        }
        s.decisions.by_category = BTreeMap::from([
            ("evil\x1b[2J\u{202E}cat".to_owned(), 3),
            ("ok".to_owned(), 1),
        ]);
        let t = draw(&s, 78, 18);
        assert!(t.contains("W13") && !t.contains("W01"), "{t}");
        assert!(
            t.contains("13h") && t.contains("26h"),
            "p50 and p90 of W13: {t}"
        );
        assert!(t.contains("evil^[[2Jcat 3"), "{t}");
        assert!(!t.contains('\u{1b}') && !t.contains('\u{202E}'));
    }
}
