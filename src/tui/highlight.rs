//! Work too slow for a keypress, done once per review in the effect task: the
//! model card from Markdown (syntect for code blocks) and the side-by-side
//! diff of the pretty-printed signatures (similar + syntect). Pure: a review
//! in, styled lines out. Every piece of text goes through `clean`.

use std::sync::OnceLock;
use std::time::Duration;

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use similar::{DiffOp, TextDiff};
use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, ThemeSet};
use syntect::parsing::SyntaxSet;

use super::clean;
use crate::review::detail::ReviewDetail;
use crate::review::reports::Report;
use crate::review::schema;

/// Highlighting past this many lines of one text is skipped: the rest shows
/// plain, so a 10,000-column signature cannot stall its review.
const MAX_HIGHLIGHT_LINES: usize = 2_000;
/// The signature diff gives up (and shows both sides whole) after this.
const DIFF_TIMEOUT: Duration = Duration::from_millis(500);
/// Unchanged runs longer than this fold to their first and last lines.
const CONTEXT: usize = 3;

/// What the review screen draws from, beyond `ReviewDetail` itself.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    /// The model card, one entry per unwrapped line; `None` without a card.
    pub card: Option<Vec<Line<'static>>>,
    /// Inputs and outputs, each a side-by-side diff (or the candidate alone).
    pub signature: Vec<SignatureDiff>,
}

#[derive(Debug, Clone)]
pub struct SignatureDiff {
    /// "inputs" or "outputs".
    pub side: &'static str,
    pub rows: Vec<DiffRow>,
    /// Whether a baseline signature was there to compare with.
    pub has_baseline: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffTag {
    Same,
    Removed,
    Added,
    Changed,
    /// A fold of unchanged lines; the count is in `left`'s text.
    Fold,
}

/// One row of a side-by-side diff: baseline on the left, candidate on the right.
#[derive(Debug, Clone)]
pub struct DiffRow {
    pub tag: DiffTag,
    pub left: Option<Line<'static>>,
    pub right: Option<Line<'static>>,
}

struct Syntax {
    set: SyntaxSet,
    themes: ThemeSet,
}

/// Loaded on first use, in an effect task: never on the way to the first frame.
fn syntax() -> &'static Syntax {
    static S: OnceLock<Syntax> = OnceLock::new();
    S.get_or_init(|| Syntax {
        set: SyntaxSet::load_defaults_newlines(),
        themes: ThemeSet::load_defaults(),
    })
}

/// How highlighted text is coloured: at all, and for a light or dark terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HighlightStyle {
    pub color: bool,
    pub light: bool,
}

/// Highlights `text` as `lang` (a token such as `json`, `python`, `yaml`).
/// Without colour, or for an unknown language, lines come back plain.
pub fn highlight(text: &str, lang: &str, style: HighlightStyle) -> Vec<Line<'static>> {
    let plain = |l: &str| Line::from(clean::line(l));
    if !style.color {
        return text.lines().map(plain).collect();
    }
    let s = syntax();
    let Some(syn) = s.set.find_syntax_by_token(lang) else {
        return text.lines().map(plain).collect();
    };
    let theme_name = if style.light {
        "InspiredGitHub"
    } else {
        "base16-ocean.dark"
    };
    let Some(theme) = s.themes.themes.get(theme_name) else {
        return text.lines().map(plain).collect();
    };
    let mut h = HighlightLines::new(syn, theme);
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if i >= MAX_HIGHLIGHT_LINES {
            out.push(plain(l));
            continue;
        }
        let with_nl = format!("{l}\n");
        match h.highlight_line(&with_nl, &s.set) {
            Ok(parts) => out.push(Line::from(
                parts
                    .into_iter()
                    .map(|(st, t)| Span::styled(clean::line(t.trim_end_matches('\n')), convert(st)))
                    .collect::<Vec<_>>(),
            )),
            Err(_) => out.push(plain(l)),
        }
    }
    out
}

fn convert(s: syntect::highlighting::Style) -> Style {
    let mut st = Style::new().fg(Color::Rgb(s.foreground.r, s.foreground.g, s.foreground.b));
    if s.font_style.contains(FontStyle::BOLD) {
        st = st.add_modifier(Modifier::BOLD);
    }
    if s.font_style.contains(FontStyle::ITALIC) {
        st = st.add_modifier(Modifier::ITALIC);
    }
    st
}

/// Markdown to styled lines: headings, emphasis, lists, quotes, tables, links
/// (their target shown), and code blocks highlighted by their language.
pub fn markdown(md: &str, style: HighlightStyle) -> Vec<Line<'static>> {
    let md = if md.len() > clean::MAX_TEXT_BYTES {
        let mut end = clean::MAX_TEXT_BYTES;
        while !md.is_char_boundary(end) {
            end -= 1;
        }
        &md[..end]
    } else {
        md
    };
    let accent = if style.color {
        Style::new().fg(Color::Cyan)
    } else {
        Style::new()
    };
    let mut out: Vec<Line<'static>> = Vec::new();
    let mut cur: Vec<Span<'static>> = Vec::new();
    let mut mods: Vec<Modifier> = Vec::new();
    let mut prefix: Vec<String> = Vec::new();
    let mut list_no: Vec<Option<u64>> = Vec::new();
    let mut code: Option<(String, String)> = None;
    let mut heading = false;
    let mut link_target: Vec<String> = Vec::new();
    let mut table_row: Vec<String> = Vec::new();
    let mut table: Vec<(bool, Vec<String>)> = Vec::new();
    let mut in_cell = false;

    let flush = |cur: &mut Vec<Span<'static>>, out: &mut Vec<Line<'static>>, prefix: &[String]| {
        if !cur.is_empty() {
            let mut spans = vec![Span::raw(prefix.concat())];
            spans.append(cur);
            out.push(Line::from(spans));
        }
    };
    let blank = |out: &mut Vec<Line<'static>>| {
        if out.last().is_some_and(|l| !l.spans.is_empty()) {
            out.push(Line::default());
        }
    };
    let style_now = |mods: &[Modifier], heading: bool| {
        let mut s = if heading {
            accent.add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        for m in mods {
            s = s.add_modifier(*m);
        }
        s
    };

    for ev in Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        if let Some((lang, buf)) = &mut code {
            match ev {
                Event::Text(t) => buf.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    let bar = Span::styled("│ ", accent);
                    for l in highlight(buf, lang, style) {
                        let mut spans = vec![Span::raw(prefix.concat()), bar.clone()];
                        spans.extend(l.spans);
                        out.push(Line::from(spans));
                    }
                    code = None;
                    blank(&mut out);
                }
                _ => {}
            }
            continue;
        }
        match ev {
            Event::Start(Tag::Heading { level, .. }) => {
                flush(&mut cur, &mut out, &prefix);
                blank(&mut out);
                heading = true;
                let marks = match level {
                    HeadingLevel::H1 => "# ",
                    HeadingLevel::H2 => "## ",
                    _ => "### ",
                };
                cur.push(Span::styled(marks, accent.add_modifier(Modifier::BOLD)));
            }
            Event::End(TagEnd::Heading(_)) => {
                flush(&mut cur, &mut out, &prefix);
                heading = false;
                blank(&mut out);
            }
            Event::Start(Tag::Paragraph) => {}
            Event::End(TagEnd::Paragraph) => {
                flush(&mut cur, &mut out, &prefix);
                if list_no.is_empty() {
                    blank(&mut out);
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                flush(&mut cur, &mut out, &prefix);
                let lang = match kind {
                    CodeBlockKind::Fenced(l) => l.split([' ', ',']).next().unwrap_or("").to_owned(),
                    CodeBlockKind::Indented => String::new(),
                };
                code = Some((lang, String::new()));
            }
            Event::Start(Tag::List(start)) => {
                flush(&mut cur, &mut out, &prefix);
                list_no.push(start);
            }
            Event::End(TagEnd::List(_)) => {
                flush(&mut cur, &mut out, &prefix);
                list_no.pop();
                if list_no.is_empty() {
                    blank(&mut out);
                }
            }
            Event::Start(Tag::Item) => {
                flush(&mut cur, &mut out, &prefix);
                let depth = list_no.len().saturating_sub(1);
                let bullet = match list_no.last_mut() {
                    Some(Some(n)) => {
                        let b = format!("{n}. ");
                        *n += 1;
                        b
                    }
                    _ => "• ".to_owned(),
                };
                cur.push(Span::raw(format!("{}{bullet}", "  ".repeat(depth))));
            }
            Event::End(TagEnd::Item) => flush(&mut cur, &mut out, &prefix),
            Event::Start(Tag::BlockQuote(_)) => {
                flush(&mut cur, &mut out, &prefix);
                prefix.push("▌ ".into());
            }
            Event::End(TagEnd::BlockQuote(_)) => {
                flush(&mut cur, &mut out, &prefix);
                prefix.pop();
            }
            Event::Start(Tag::Emphasis) => mods.push(Modifier::ITALIC),
            Event::Start(Tag::Strong) => mods.push(Modifier::BOLD),
            Event::Start(Tag::Strikethrough) => mods.push(Modifier::CROSSED_OUT),
            Event::End(TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough) => {
                mods.pop();
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                mods.push(Modifier::UNDERLINED);
                link_target.push(dest_url.to_string());
            }
            Event::End(TagEnd::Link) => {
                mods.pop();
                if let Some(t) = link_target.pop() {
                    cur.push(Span::raw(format!(" <{}>", clean::line(&t))));
                }
            }
            Event::Start(Tag::Table(_)) => flush(&mut cur, &mut out, &prefix),
            Event::Start(Tag::TableHead | Tag::TableRow) => table_row.clear(),
            Event::Start(Tag::TableCell) => {
                in_cell = true;
                table_row.push(String::new());
            }
            Event::End(TagEnd::TableCell) => in_cell = false,
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                let head = matches!(ev, Event::End(TagEnd::TableHead));
                table.push((head, std::mem::take(&mut table_row)));
            }
            Event::End(TagEnd::Table) => {
                // Columns aligned to their widest cell, the header bold.
                let cols = table.iter().map(|(_, r)| r.len()).max().unwrap_or(0);
                let widths: Vec<usize> = (0..cols)
                    .map(|c| {
                        table
                            .iter()
                            .filter_map(|(_, r)| r.get(c))
                            .map(|t| clean::width(t))
                            .max()
                            .unwrap_or(0)
                    })
                    .collect();
                for (head, row) in table.drain(..) {
                    let cells: Vec<String> = widths
                        .iter()
                        .enumerate()
                        .map(|(c, w)| {
                            let t = row.get(c).map(String::as_str).unwrap_or("");
                            format!("{t}{}", " ".repeat(w.saturating_sub(clean::width(t))))
                        })
                        .collect();
                    let style = if head {
                        Style::new().add_modifier(Modifier::BOLD)
                    } else {
                        Style::new()
                    };
                    out.push(Line::from(Span::styled(
                        format!("{}│ {} │", prefix.concat(), cells.join(" │ ")),
                        style,
                    )));
                }
                blank(&mut out);
            }
            Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) => {
                if in_cell {
                    if let Some(c) = table_row.last_mut() {
                        c.push_str(&clean::line(&t));
                    }
                } else {
                    // Html blocks may span lines: keep their line structure.
                    let mut first = true;
                    for part in t.split('\n') {
                        if !first {
                            flush(&mut cur, &mut out, &prefix);
                        }
                        first = false;
                        if !part.is_empty() {
                            cur.push(Span::styled(clean::line(part), style_now(&mods, heading)));
                        }
                    }
                }
            }
            Event::Code(t) => {
                let s = clean::line(&t);
                if in_cell {
                    if let Some(c) = table_row.last_mut() {
                        c.push_str(&s);
                    }
                } else {
                    cur.push(Span::styled(s, accent.add_modifier(Modifier::BOLD)));
                }
            }
            Event::SoftBreak => cur.push(Span::raw(" ")),
            Event::HardBreak => flush(&mut cur, &mut out, &prefix),
            Event::Rule => {
                flush(&mut cur, &mut out, &prefix);
                out.push(Line::from("────────────────────────────────"));
            }
            Event::TaskListMarker(done) => cur.push(Span::raw(if done { "[x] " } else { "[ ] " })),
            _ => {}
        }
    }
    flush(&mut cur, &mut out, &prefix);
    while out.last().is_some_and(|l| l.spans.is_empty()) {
        out.pop();
    }
    out
}

/// The side-by-side diff of one signature side, baseline left, candidate right.
pub fn signature_diff(
    side: &'static str,
    baseline: Option<&str>,
    candidate: Option<&str>,
    style: HighlightStyle,
) -> SignatureDiff {
    let old = baseline.map(schema::pretty).unwrap_or_default();
    let new = candidate.map(schema::pretty).unwrap_or_default();
    let (old_l, new_l) = (
        highlight(&old, "json", style),
        highlight(&new, "json", style),
    );
    let mut rows = Vec::new();
    let diff = TextDiff::configure()
        .timeout(DIFF_TIMEOUT)
        .diff_lines(old.as_str(), new.as_str());
    let pick = |v: &[Line<'static>], i: usize| v.get(i).cloned();
    for op in diff.ops() {
        match *op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                let fold = len > 2 * CONTEXT + 1;
                for k in 0..len {
                    if fold && k == CONTEXT {
                        rows.push(DiffRow {
                            tag: DiffTag::Fold,
                            left: Some(Line::from(format!(
                                "┄ {} unchanged lines",
                                len - 2 * CONTEXT
                            ))),
                            right: None,
                        });
                    }
                    if fold && k >= CONTEXT && k < len - CONTEXT {
                        continue;
                    }
                    rows.push(DiffRow {
                        tag: DiffTag::Same,
                        left: pick(&old_l, old_index + k),
                        right: pick(&new_l, new_index + k),
                    });
                }
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => rows.extend((0..old_len).map(|k| DiffRow {
                tag: DiffTag::Removed,
                left: pick(&old_l, old_index + k),
                right: None,
            })),
            DiffOp::Insert {
                new_index, new_len, ..
            } => rows.extend((0..new_len).map(|k| DiffRow {
                tag: DiffTag::Added,
                left: None,
                right: pick(&new_l, new_index + k),
            })),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                for k in 0..old_len.max(new_len) {
                    let (l, r) = (
                        (k < old_len).then(|| pick(&old_l, old_index + k)).flatten(),
                        (k < new_len).then(|| pick(&new_l, new_index + k)).flatten(),
                    );
                    let tag = match (&l, &r) {
                        (Some(_), Some(_)) => DiffTag::Changed,
                        (Some(_), None) => DiffTag::Removed,
                        _ => DiffTag::Added,
                    };
                    rows.push(DiffRow {
                        tag,
                        left: l,
                        right: r,
                    });
                }
            }
        }
    }
    SignatureDiff {
        side,
        rows,
        has_baseline: baseline.is_some(),
    }
}

/// Everything slow about one review, ready to draw.
pub fn prepare(d: &ReviewDetail, style: HighlightStyle) -> Prepared {
    let card = match &d.model_card {
        Report::Present(c) => Some(markdown(&c.markdown, style)),
        _ => None,
    };
    let mut signature = Vec::new();
    if let Some(cand) = &d.schema.candidate {
        let base = d.schema.baseline.as_ref();
        signature.push(signature_diff(
            "inputs",
            base.and_then(|b| b.inputs.as_deref()),
            cand.inputs.as_deref(),
            style,
        ));
        signature.push(signature_diff(
            "outputs",
            base.and_then(|b| b.outputs.as_deref()),
            cand.outputs.as_deref(),
            style,
        ));
    }
    Prepared { card, signature }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: HighlightStyle = HighlightStyle {
        color: false,
        light: false,
    };

    fn text(lines: &[Line<'_>]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn markdown_renders_structure_without_markup() {
        let md = "# Card\n\nSome *text* and `code`.\n\n- one\n- two\n\n```python\nx = 1\n```\n\n| a | bb |\n|---|---|\n| 111 | 2 |\n";
        let t = text(&markdown(md, PLAIN));
        assert_eq!(
            t,
            [
                "# Card",
                "",
                "Some text and code.",
                "",
                "• one",
                "• two",
                "",
                "│ x = 1",
                "",
                "│ a   │ bb │",
                "│ 111 │ 2  │"
            ]
        );
    }

    #[test]
    fn markdown_is_sanitised() {
        let t = text(&markdown(
            "evil \x1b[2J\u{202E}text\n\n```\n\x1b]0;title\x07\n```",
            PLAIN,
        ));
        assert!(
            t.iter()
                .all(|l| !l.contains('\x1b') && !l.contains('\u{202E}')),
            "{t:?}"
        );
        assert!(t[0].contains("^[[2J"));
    }

    #[test]
    fn code_blocks_are_highlighted_in_colour() {
        let lines = markdown(
            "```json\n{\"a\": 1}\n```",
            HighlightStyle {
                color: true,
                light: false,
            },
        );
        let colours: std::collections::HashSet<_> =
            lines[0].spans.iter().map(|s| s.style.fg).collect();
        assert!(
            colours.len() > 2,
            "several colours in one JSON line: {colours:?}"
        );
    }

    #[test]
    fn signature_diff_pairs_lines_and_folds_the_unchanged() {
        let cols = |n: usize, ty: &str| {
            let v: Vec<String> = (0..n)
                .map(|i| {
                    format!(
                        "{{\"name\": \"c{i}\", \"type\": \"{}\"}}",
                        if i == 5 { ty } else { "long" }
                    )
                })
                .collect();
            format!("[{}]", v.join(", "))
        };
        let d = signature_diff(
            "inputs",
            Some(&cols(30, "long")),
            Some(&cols(30, "double")),
            PLAIN,
        );
        let changed: Vec<_> = d
            .rows
            .iter()
            .filter(|r| r.tag == DiffTag::Changed)
            .collect();
        assert_eq!(changed.len(), 1, "one line changed");
        assert!(
            changed[0]
                .left
                .as_ref()
                .unwrap()
                .to_string()
                .contains("long")
        );
        assert!(
            changed[0]
                .right
                .as_ref()
                .unwrap()
                .to_string()
                .contains("double")
        );
        assert!(
            d.rows.iter().any(|r| r.tag == DiffTag::Fold),
            "long unchanged runs fold"
        );
        assert!(d.rows.len() < 30);
        let only = signature_diff("outputs", None, Some("[{\"type\": \"long\"}]"), PLAIN);
        assert!(!only.has_baseline);
        assert!(only.rows.iter().all(|r| r.tag == DiffTag::Added));
    }
}
