//! A ratatui `Buffer` as an SVG picture, for the README's screenshots. Pure
//! and deterministic: the same buffer always gives the same bytes.

use std::fmt::Write as _;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use unicode_width::UnicodeWidthStr;

const CW: f64 = 8.4;
const CH: f64 = 18.0;
const FONT: f64 = 14.0;
const BG: &str = "#1d1f21";
const FG: &str = "#d5d8d6";

fn hex(c: Color, default: &str) -> String {
    let named = |s: &str| s.to_owned();
    match c {
        Color::Reset => default.to_owned(),
        Color::Black => named("#1d1f21"),
        Color::Red => named("#cc6666"),
        Color::Green => named("#8fbc5a"),
        Color::Yellow => named("#e6c547"),
        Color::Blue => named("#6f9fd8"),
        Color::Magenta => named("#b294bb"),
        Color::Cyan => named("#6fc2c2"),
        Color::Gray => named("#a0a4a2"),
        Color::DarkGray => named("#6c7070"),
        Color::LightRed => named("#ff7b7b"),
        Color::LightGreen => named("#a8e07a"),
        Color::LightYellow => named("#ffe07a"),
        Color::LightBlue => named("#8fc0ff"),
        Color::LightMagenta => named("#d7a8ff"),
        Color::LightCyan => named("#8ff0f0"),
        Color::White => named("#ffffff"),
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => {
            // The xterm 256-colour cube and greys; 0-15 as the named colours above.
            let i = i as u32;
            if i >= 232 {
                let v = 8 + (i - 232) * 10;
                format!("#{v:02x}{v:02x}{v:02x}")
            } else if i >= 16 {
                let i = i - 16;
                let s = |x: u32| if x == 0 { 0 } else { 55 + x * 40 };
                format!("#{:02x}{:02x}{:02x}", s(i / 36), s((i / 6) % 6), s(i % 6))
            } else {
                default.to_owned()
            }
        }
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if (c as u32) < 0x20 => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[derive(PartialEq, Clone)]
struct Look {
    fg: String,
    bg: String,
    bold: bool,
    italic: bool,
    underline: bool,
    dim: bool,
}

/// The SVG of `buf`, titled `title` (for screen readers).
pub fn render(buf: &Buffer, title: &str) -> String {
    let (w, h) = (buf.area.width as usize, buf.area.height as usize);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0}\" height=\"{:.0}\" viewBox=\"0 0 {:.1} {:.1}\" role=\"img\">\n<title>{}</title>\n<rect width=\"100%\" height=\"100%\" fill=\"{BG}\"/>\n<g font-family=\"'DejaVu Sans Mono', 'Menlo', 'Consolas', monospace\" font-size=\"{FONT}\" xml:space=\"preserve\">\n",
        w as f64 * CW + 16.0,
        h as f64 * CH + 16.0,
        w as f64 * CW + 16.0,
        h as f64 * CH + 16.0,
        escape(title)
    );
    for y in 0..h {
        let py = 8.0 + y as f64 * CH;
        // Backgrounds first, in runs.
        let mut x = 0;
        while x < w {
            let look = look(buf, x as u16, y as u16);
            let mut end = x + 1;
            while end < w && look_bg(buf, end as u16, y as u16) == look.bg {
                end += 1;
            }
            if look.bg != BG {
                let _ = writeln!(
                    out,
                    "<rect x=\"{:.1}\" y=\"{py:.1}\" width=\"{:.1}\" height=\"{CH:.1}\" fill=\"{}\"/>",
                    8.0 + x as f64 * CW,
                    (end - x) as f64 * CW,
                    look.bg
                );
            }
            x = end;
        }
        // Then text, in runs of one look; a wide character ends a run so
        // that every run starts where its cell is.
        let mut x = 0;
        while x < w {
            let look = look(buf, x as u16, y as u16);
            let mut text = String::new();
            let mut end = x;
            while end < w {
                if end > x && self::look(buf, end as u16, y as u16) != look {
                    break;
                }
                let sym = buf[(end as u16, y as u16)].symbol();
                let sw = sym.width();
                text.push_str(if sym.is_empty() { "" } else { sym });
                end += 1;
                if sw > 1 {
                    // The cells a wide character covers hold nothing to draw.
                    end += sw - 1;
                    break;
                }
            }
            if !text.trim().is_empty() {
                let mut attrs = format!("fill=\"{}\"", look.fg);
                if look.bold {
                    attrs.push_str(" font-weight=\"bold\"");
                }
                if look.italic {
                    attrs.push_str(" font-style=\"italic\"");
                }
                if look.underline {
                    attrs.push_str(" text-decoration=\"underline\"");
                }
                if look.dim {
                    attrs.push_str(" opacity=\"0.7\"");
                }
                // Fonts differ in advance width: pin each run to its cells.
                let _ = writeln!(
                    out,
                    "<text x=\"{:.1}\" y=\"{:.1}\" textLength=\"{:.1}\" lengthAdjust=\"spacingAndGlyphs\" {attrs}>{}</text>",
                    8.0 + x as f64 * CW,
                    py + CH * 0.75,
                    (end - x) as f64 * CW,
                    escape(&text)
                );
            }
            x = end.max(x + 1);
        }
    }
    out.push_str("</g>\n</svg>\n");
    out
}

fn look_bg(buf: &Buffer, x: u16, y: u16) -> String {
    look(buf, x, y).bg
}

fn look(buf: &Buffer, x: u16, y: u16) -> Look {
    let c = &buf[(x, y)];
    let (mut fg, mut bg) = (hex(c.fg, FG), hex(c.bg, BG));
    if c.modifier.contains(Modifier::REVERSED) {
        std::mem::swap(&mut fg, &mut bg);
    }
    Look {
        fg,
        bg,
        bold: c.modifier.contains(Modifier::BOLD),
        italic: c.modifier.contains(Modifier::ITALIC),
        underline: c.modifier.contains(Modifier::UNDERLINED),
        dim: c.modifier.contains(Modifier::DIM),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn text_colours_and_escapes() {
        let mut b = Buffer::empty(Rect::new(0, 0, 12, 2));
        b.set_string(0, 0, "a<b>&c", Style::new().fg(Color::Red));
        b.set_string(0, 1, "表x", Style::new().add_modifier(Modifier::REVERSED));
        let svg = render(&b, "t");
        assert!(svg.contains(">a&lt;b&gt;&amp;c</text>"), "{svg}");
        assert!(svg.contains("fill=\"#cc6666\""));
        assert!(
            svg.contains(&format!("fill=\"{FG}\"/>")),
            "reverse video paints the background"
        );
        assert_eq!(svg, render(&b, "t"), "deterministic");
    }
}
