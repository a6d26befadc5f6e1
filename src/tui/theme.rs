//! Colours and emphasis. Every state shown in colour also carries a glyph or
//! a word, so `NO_COLOR` (and colour blindness) loses nothing.

use ratatui::style::{Color, Modifier, Style};

use crate::config::ThemeSettings;
use crate::review::metrics::Verdict;
use crate::review::sla::SlaState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Dark,
    Light,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub mode: Mode,
    /// False under NO_COLOR or `--color never`: only bold, underline and glyphs.
    pub color: bool,
    pub accent: Color,
    /// A production registry's profile: a red frame and a PRODUCTION badge.
    pub production: bool,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            mode: Mode::Dark,
            color: true,
            accent: Color::Cyan,
            production: false,
        }
    }
}

/// `red`, `light-blue`, `#00aaff`, `214` (a 256-colour index).
pub fn parse_color(s: &str) -> Result<Color, String> {
    let t = s.trim().to_ascii_lowercase().replace(['_', ' '], "-");
    let named = match t.as_str() {
        "black" => Some(Color::Black),
        "red" => Some(Color::Red),
        "green" => Some(Color::Green),
        "yellow" => Some(Color::Yellow),
        "blue" => Some(Color::Blue),
        "magenta" => Some(Color::Magenta),
        "cyan" => Some(Color::Cyan),
        "gray" | "grey" => Some(Color::Gray),
        "dark-gray" | "dark-grey" => Some(Color::DarkGray),
        "light-red" => Some(Color::LightRed),
        "light-green" => Some(Color::LightGreen),
        "light-yellow" => Some(Color::LightYellow),
        "light-blue" => Some(Color::LightBlue),
        "light-magenta" => Some(Color::LightMagenta),
        "light-cyan" => Some(Color::LightCyan),
        "white" => Some(Color::White),
        _ => None,
    };
    if let Some(c) = named {
        return Ok(c);
    }
    if let Some(hex) = t.strip_prefix('#')
        && hex.len() == 6
        && let Ok(v) = u32::from_str_radix(hex, 16)
    {
        return Ok(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
    }
    if let Ok(i) = t.parse::<u8>() {
        return Ok(Color::Indexed(i));
    }
    Err(format!(
        "theme.accent {s:?} is not a colour (a name such as cyan or light-blue, #rrggbb, or 0-255)"
    ))
}

/// `NO_COLOR` set and non-empty turns colour off (https://no-color.org).
pub fn no_color_env(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.is_empty())
}

impl Theme {
    pub fn from_config(t: &ThemeSettings, color: bool) -> Result<Theme, String> {
        Ok(Theme {
            mode: match t.mode.as_deref() {
                Some("light") => Mode::Light,
                _ => Mode::Dark,
            },
            color,
            accent: match &t.accent {
                Some(a) => parse_color(a)?,
                None => Color::Cyan,
            },
            production: t.production.unwrap_or(false),
        })
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    /// The frame around every screen: red for production, else the accent.
    pub fn frame(&self) -> Style {
        self.fg(if self.production {
            Color::Red
        } else {
            self.accent
        })
    }

    pub fn title(&self) -> Style {
        self.frame().add_modifier(Modifier::BOLD)
    }

    pub fn text(&self) -> Style {
        Style::new()
    }

    pub fn dim(&self) -> Style {
        if self.color {
            self.fg(match self.mode {
                Mode::Dark => Color::DarkGray,
                Mode::Light => Color::Gray,
            })
        } else {
            Style::new()
        }
    }

    pub fn bold(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn heading(&self) -> Style {
        self.fg(self.accent).add_modifier(Modifier::BOLD)
    }

    pub fn good(&self) -> Style {
        self.fg(match self.mode {
            Mode::Dark => Color::Green,
            Mode::Light => Color::Rgb(0, 110, 0),
        })
    }

    pub fn warn(&self) -> Style {
        self.fg(match self.mode {
            Mode::Dark => Color::Yellow,
            Mode::Light => Color::Rgb(150, 90, 0),
        })
    }

    pub fn bad(&self) -> Style {
        self.fg(match self.mode {
            Mode::Dark => Color::LightRed,
            Mode::Light => Color::Rgb(180, 0, 0),
        })
    }

    /// The selected row: reverse video in colour, bold and underline without
    /// (crossterm drops reverse under NO_COLOR); the row also gets a `▶`.
    pub fn selected(&self) -> Style {
        if self.color {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        }
    }

    pub fn sla(&self, s: SlaState) -> Style {
        match s {
            SlaState::OnTrack => self.good(),
            SlaState::AtRisk => self.warn(),
            SlaState::Breached => self.bad().add_modifier(Modifier::BOLD),
            SlaState::Stopped => self.dim(),
            SlaState::Unscheduled => self.warn(),
        }
    }

    pub fn verdict(&self, v: Verdict) -> Style {
        match v {
            Verdict::Improved => self.good(),
            Verdict::Regressed => self.bad(),
            _ => self.dim(),
        }
    }

    pub fn error(&self) -> Style {
        self.bad().add_modifier(Modifier::BOLD)
    }

    /// The key names in the hint bar.
    pub fn key(&self) -> Style {
        self.fg(self.accent).add_modifier(Modifier::BOLD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse() {
        assert_eq!(parse_color("red"), Ok(Color::Red));
        assert_eq!(parse_color("Light_Blue"), Ok(Color::LightBlue));
        assert_eq!(parse_color("#00aaff"), Ok(Color::Rgb(0, 0xaa, 0xff)));
        assert_eq!(parse_color("214"), Ok(Color::Indexed(214)));
        assert!(parse_color("ultraviolet").is_err());
    }

    #[test]
    fn production_frame_is_red_and_no_color_has_none() {
        let t = Theme::from_config(
            &ThemeSettings {
                mode: Some("light".into()),
                accent: Some("blue".into()),
                production: Some(true),
            },
            true,
        )
        .unwrap();
        assert_eq!(t.frame().fg, Some(Color::Red));
        assert_eq!(t.mode, Mode::Light);
        let plain = Theme { color: false, ..t };
        assert_eq!(plain.frame().fg, None);
        assert_eq!(plain.sla(SlaState::Breached).fg, None);
        assert!(plain.selected().add_modifier.contains(Modifier::UNDERLINED));
        assert!(no_color_env(Some("1")) && !no_color_env(Some("")) && !no_color_env(None));
    }
}
