//! Human output: colour only on a terminal (or when asked), tables that measure
//! display width, and every piece of registry text sanitised on the way out.

use std::io::{IsTerminal, Write};

use unicode_width::UnicodeWidthStr;

use super::ColorChoice;
use crate::text::{sanitize, sanitize_line};

pub struct Out {
    pub color: bool,
    pub terminal: bool,
    w: Box<dyn Write>,
}

/// SGR codes used by the human output.
#[derive(Debug, Clone, Copy)]
pub enum Paint {
    Bold,
    Dim,
    Red,
    Green,
    Yellow,
    Cyan,
}

impl Paint {
    fn code(self) -> &'static str {
        match self {
            Paint::Bold => "1",
            Paint::Dim => "2",
            Paint::Red => "31",
            Paint::Green => "32",
            Paint::Yellow => "33",
            Paint::Cyan => "36",
        }
    }
}

/// `always` wins; `auto` colours a terminal unless NO_COLOR is set and non-empty.
pub fn color_enabled(choice: ColorChoice, terminal: bool, no_color: Option<&str>) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && no_color.is_none_or(str::is_empty),
    }
}

impl Out {
    pub fn stdout(choice: ColorChoice) -> Out {
        let terminal = std::io::stdout().is_terminal();
        let no_color = std::env::var("NO_COLOR").ok();
        Out {
            color: color_enabled(choice, terminal, no_color.as_deref()),
            terminal,
            w: Box::new(std::io::stdout().lock()),
        }
    }

    /// Output into a buffer, for tests.
    pub fn buffer(color: bool, w: Box<dyn Write>) -> Out {
        Out {
            color,
            terminal: false,
            w,
        }
    }

    pub fn paint(&self, text: &str, p: Paint) -> String {
        if self.color {
            format!("\x1b[{}m{text}\x1b[0m", p.code())
        } else {
            text.to_owned()
        }
    }

    /// A line of text from our own code. Callers sanitise registry text in
    /// it; as a second line of defence every control character but the
    /// colour codes `paint` makes is neutralised here too, so no escape
    /// sequence a call site forgot can reach the terminal.
    pub fn line(&mut self, s: &str) -> std::io::Result<()> {
        writeln!(self.w, "{}", keep_only_colour(s))
    }

    /// Untrusted multi-line text, sanitised, indented.
    pub fn untrusted_block(&mut self, s: &str, indent: &str) -> std::io::Result<()> {
        for l in sanitize(s).lines() {
            writeln!(self.w, "{indent}{l}")?;
        }
        Ok(())
    }

    /// JSON: pretty on a terminal, compact in pipes (queues can be large).
    pub fn json<T: serde::Serialize>(&mut self, v: &T) -> anyhow::Result<()> {
        if self.terminal {
            serde_json::to_writer_pretty(&mut self.w, v)?;
        } else {
            serde_json::to_writer(&mut self.w, v)?;
        }
        writeln!(self.w)?;
        Ok(())
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }
}

/// A cell: untrusted text made one-line, with an optional paint.
pub struct Cell {
    text: String,
    paint: Option<Paint>,
}

impl Cell {
    pub fn new(s: &str) -> Cell {
        Cell {
            text: sanitize_line(s).into_owned(),
            paint: None,
        }
    }
    pub fn painted(s: &str, p: Paint) -> Cell {
        Cell {
            text: sanitize_line(s).into_owned(),
            paint: Some(p),
        }
    }
}

/// Writes rows as aligned columns, padding by display width (wide characters count twice).
pub fn table(out: &mut Out, header: &[&str], rows: Vec<Vec<Cell>>) -> std::io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.text.width());
            }
        }
    }
    let head: Vec<String> = header
        .iter()
        .zip(&widths)
        .map(|(h, w)| pad(h, *w))
        .collect();
    let head = head.join("  ");
    let head = out.paint(head.trim_end(), Paint::Bold);
    out.line(&head)?;
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| {
                let padded = pad(&c.text, *w);
                match c.paint {
                    Some(p) => out.paint(&padded, p),
                    None => padded,
                }
            })
            .collect();
        out.line(cells.join("  ").trim_end())?;
    }
    Ok(())
}

/// `s` with every control character made visible except SGR sequences
/// (`ESC [ digits/semicolons m`): those only set colours.
fn keep_only_colour(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(|c: char| c.is_control() && c != '\n' && c != '\t') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut rest = s;
    while let Some(at) = rest.find('\x1b') {
        out.push_str(&sanitize(&rest[..at]));
        let after = &rest[at + 1..];
        let sgr = after.strip_prefix('[').and_then(|a| {
            let n = a.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
            (a[n..].starts_with('m')).then_some(n + 2)
        });
        match sgr {
            Some(len) => {
                out.push('\x1b');
                out.push_str(&after[..len]);
                rest = &after[len..];
            }
            None => {
                out.push_str("^[");
                rest = after;
            }
        }
    }
    out.push_str(&sanitize(rest));
    std::borrow::Cow::Owned(out)
}

fn pad(s: &str, width: usize) -> String {
    let mut o = s.to_owned();
    o.extend(std::iter::repeat_n(' ', width.saturating_sub(s.width())));
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_rules() {
        assert!(
            !color_enabled(ColorChoice::Auto, false, None),
            "pipes get no colour"
        );
        assert!(color_enabled(ColorChoice::Auto, true, None));
        assert!(
            !color_enabled(ColorChoice::Auto, true, Some("1")),
            "NO_COLOR"
        );
        assert!(
            color_enabled(ColorChoice::Auto, true, Some("")),
            "empty NO_COLOR does not count"
        );
        assert!(color_enabled(ColorChoice::Always, false, Some("1")));
        assert!(!color_enabled(ColorChoice::Never, true, None));
    }

    #[test]
    fn lines_keep_colour_codes_and_nothing_else() {
        let mut o = Out::buffer(true, Box::new(Vec::new()));
        let red = o.paint("x", Paint::Red);
        assert_eq!(keep_only_colour(&red), red);
        let evil = "a\x1b]0;title\x07b\x1b]52;c;ZXZpbA==\x07\x1b[2J\x1b[?1049l\r\x08";
        let clean = keep_only_colour(evil);
        assert!(!clean.contains(['\x1b', '\x07', '\r', '\x08']), "{clean:?}");
        assert_eq!(clean, "a^[]0;title^Gb^[]52;c;ZXZpbA==^G^[[2J^[[?1049l^M^H");
        let mixed = format!("{red} \x1b[31;1mok\x1b[0m \x1b[1;2H");
        assert_eq!(
            keep_only_colour(&mixed),
            format!("{red} \x1b[31;1mok\x1b[0m ^[[1;2H")
        );
        o.line("fine").unwrap();
    }

    #[test]
    fn pads_by_display_width() {
        assert_eq!(pad("表", 4), "表  ");
        assert_eq!(pad("ab", 4), "ab  ");
    }
}
