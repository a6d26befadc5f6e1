//! The key map: which key runs which command on which screen. Help and the
//! hint bar are generated from it, so they cannot drift from what keys do.
//! Pure: no terminal, no I/O.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a command applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    Queue,
    Review,
    /// `:audit`: every signed record.
    Audit,
    /// `:deploy`: production aliases, rollback, ratify.
    Deploy,
    /// The demo's persona picker.
    Personas,
    /// `:stats`: the approval process in numbers.
    Stats,
}

impl Context {
    pub const ALL: [Context; 6] = [
        Context::Queue,
        Context::Review,
        Context::Audit,
        Context::Deploy,
        Context::Personas,
        Context::Stats,
    ];
}

/// Everything a key can do. Names are what `config.toml`'s `[keys]` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Command {
    Quit,
    Back,
    Help,
    Palette,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Filter,
    Sort,
    Risk,
    State,
    /// The kind filter: review, revalidation, renewal (PROTOCOL 15).
    Kind,
    Mine,
    Reload,
    NextTab,
    PrevTab,
    Approve,
    Reject,
    RequestChanges,
    Comment,
    Withdraw,
    Submit,
    Revoke,
    Override,
    /// A signed `reopen`: a trigger and a reason (PROTOCOL 15).
    Reopen,
    Verify,
    Export,
    Rollback,
    Ratify,
    Pick,
    /// `:stats`: the previous and next period (all time, 7, 30, 90 days).
    PrevPeriod,
    NextPeriod,
    /// `:stats`: count again, as `reload` does, on a key of its own there.
    Refresh,
}

impl Command {
    pub const ALL: [Command; 37] = [
        Command::Up,
        Command::Down,
        Command::PageUp,
        Command::PageDown,
        Command::Top,
        Command::Bottom,
        Command::Open,
        Command::NextTab,
        Command::PrevTab,
        Command::Filter,
        Command::Sort,
        Command::Risk,
        Command::State,
        Command::Kind,
        Command::Mine,
        Command::Reload,
        Command::Approve,
        Command::Reject,
        Command::RequestChanges,
        Command::Comment,
        Command::Withdraw,
        Command::Submit,
        Command::Revoke,
        Command::Override,
        Command::Reopen,
        Command::Verify,
        Command::Export,
        Command::Rollback,
        Command::Ratify,
        Command::Pick,
        Command::PrevPeriod,
        Command::NextPeriod,
        Command::Refresh,
        Command::Palette,
        Command::Help,
        Command::Back,
        Command::Quit,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Command::Quit => "quit",
            Command::Back => "back",
            Command::Help => "help",
            Command::Palette => "palette",
            Command::Up => "up",
            Command::Down => "down",
            Command::PageUp => "page_up",
            Command::PageDown => "page_down",
            Command::Top => "top",
            Command::Bottom => "bottom",
            Command::Open => "open",
            Command::Filter => "filter",
            Command::Sort => "sort",
            Command::Risk => "risk",
            Command::State => "state",
            Command::Kind => "kind",
            Command::Mine => "mine",
            Command::Reload => "reload",
            Command::NextTab => "next_tab",
            Command::PrevTab => "prev_tab",
            Command::Approve => "approve",
            Command::Reject => "reject",
            Command::RequestChanges => "request_changes",
            Command::Comment => "comment",
            Command::Withdraw => "withdraw",
            Command::Submit => "submit",
            Command::Revoke => "revoke",
            Command::Override => "override",
            Command::Reopen => "reopen",
            Command::Verify => "verify",
            Command::Export => "export",
            Command::Rollback => "rollback",
            Command::Ratify => "ratify",
            Command::Pick => "pick",
            Command::PrevPeriod => "prev_period",
            Command::NextPeriod => "next_period",
            Command::Refresh => "refresh",
        }
    }

    pub fn parse(name: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.name() == name)
    }

    pub fn describe(self) -> &'static str {
        match self {
            Command::Quit => "quit",
            Command::Back => "back / close / clear the filter",
            Command::Help => "this help",
            Command::Palette => {
                "command palette (:queue :audit :deploy :stats :quit; :as in the demo)"
            }
            Command::Up => "up",
            Command::Down => "down",
            Command::PageUp => "page up",
            Command::PageDown => "page down",
            Command::Top => "first",
            Command::Bottom => "last",
            Command::Open => "open the review",
            Command::Filter => "filter as you type",
            Command::Sort => "cycle the sort: deadline, risk, age, model",
            Command::Risk => "cycle the risk filter",
            Command::State => "cycle the state filter (open, all, one state)",
            Command::Kind => "cycle the kind filter: all, review, revalidation, renewal",
            Command::Mine => "only reviews that need a role I hold and I did not author",
            Command::Reload => "reload from the registry",
            Command::NextTab => "next tab",
            Command::PrevTab => "previous tab",
            Command::Approve => "approve (signed; dialog)",
            Command::Reject => "reject, with a reason (signed; dialog)",
            Command::RequestChanges => "request changes, with a reason (signed; dialog)",
            Command::Comment => "comment (signed; dialog)",
            Command::Withdraw => "withdraw my submission (signed; dialog)",
            Command::Submit => "submit for review: opens a round (signed; dialog)",
            Command::Revoke => "revoke my approval, with a reason (signed; dialog)",
            Command::Override => "override the policy denies, with a reason (compliance; dialog)",
            Command::Reopen => "reopen the approval: a trigger and a reason (signed; dialog)",
            Command::Verify => "verify every record in the background (PROTOCOL 12)",
            Command::Export => "export the records as JSONL to the current directory",
            Command::Rollback => "roll the selected model back (sre; dialog)",
            Command::Ratify => "ratify the selected model's waiting rollback (dialog)",
            Command::Pick => "act as the selected persona (signs with its demo key)",
            Command::PrevPeriod => "previous period: all time, last 7, 30, 90 days",
            Command::NextPeriod => "next period: all time, last 7, 30, 90 days",
            Command::Refresh => "count again from the registry",
        }
    }

    /// The screens a command works on.
    pub fn applies(self, ctx: Context) -> bool {
        match self {
            Command::Quit | Command::Back | Command::Help | Command::Palette => true,
            Command::Up
            | Command::Down
            | Command::PageUp
            | Command::PageDown
            | Command::Top
            | Command::Bottom
            | Command::Reload => true,
            Command::Filter => matches!(ctx, Context::Queue | Context::Audit),
            Command::Open
            | Command::Sort
            | Command::Risk
            | Command::State
            | Command::Kind
            | Command::Mine => ctx == Context::Queue,
            Command::NextTab | Command::PrevTab => ctx == Context::Review,
            Command::Approve
            | Command::Reject
            | Command::RequestChanges
            | Command::Comment
            | Command::Withdraw
            | Command::Submit
            | Command::Revoke
            | Command::Override => ctx == Context::Review,
            Command::Verify | Command::Export => ctx == Context::Audit,
            Command::Rollback | Command::Ratify => ctx == Context::Deploy,
            Command::Reopen => matches!(ctx, Context::Review | Context::Deploy),
            Command::Pick => ctx == Context::Personas,
            Command::PrevPeriod | Command::NextPeriod | Command::Refresh => ctx == Context::Stats,
        }
    }

    /// Whether a command writes to the registry: `--readonly` hides every
    /// command for which this is true (no key, no hint, no help line).
    pub fn is_action(self) -> bool {
        matches!(
            self,
            Command::Approve
                | Command::Reject
                | Command::RequestChanges
                | Command::Comment
                | Command::Withdraw
                | Command::Submit
                | Command::Revoke
                | Command::Override
                | Command::Reopen
                | Command::Rollback
                | Command::Ratify
        )
    }

    /// The record action a review-screen command signs.
    pub fn decision(self) -> Option<crate::trust::record::Action> {
        use crate::trust::record::Action;
        Some(match self {
            Command::Approve => Action::Approve,
            Command::Reject => Action::Reject,
            Command::RequestChanges => Action::RequestChanges,
            Command::Comment => Action::Comment,
            Command::Withdraw => Action::Withdraw,
            Command::Submit => Action::Submit,
            Command::Revoke => Action::Revoke,
            Command::Override => Action::Override,
            Command::Reopen => Action::Reopen,
            _ => return None,
        })
    }
}

/// One key with its modifiers. Shift is part of the character ("G"), not a modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            ctrl: false,
            alt: false,
        }
    }

    pub fn from_event(e: &KeyEvent) -> Key {
        let code = match e.code {
            // Terminals differ on whether Shift-Tab is BackTab or Shift+Tab.
            KeyCode::Tab if e.modifiers.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
            c => c,
        };
        Key {
            code,
            ctrl: e.modifiers.contains(KeyModifiers::CONTROL),
            alt: e.modifiers.contains(KeyModifiers::ALT),
        }
    }

    /// Parses `q`, `G`, `?`, `ctrl-c`, `alt-x`, `enter`, `esc`, `tab`,
    /// `shift-tab`, `up`, `pagedown`, `home`, `space`, `f1` ...
    pub fn parse(s: &str) -> Result<Key, String> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 1 && lower.starts_with("ctrl-") {
                ctrl = true;
                rest = &rest[5..];
            } else if rest.chars().count() > 1 && lower.starts_with("alt-") {
                alt = true;
                rest = &rest[4..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "shift-tab" | "backtab" => KeyCode::BackTab,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdn" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                f if f.starts_with('f')
                    && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) =>
                {
                    KeyCode::F(f[1..].parse().unwrap_or(1))
                }
                _ => {
                    return Err(format!(
                        "{s:?} is not a key (examples: q, G, ctrl-c, enter, esc, tab, shift-tab, up, pagedown, home, space, f1)"
                    ));
                }
            },
        };
        Ok(Key { code, ctrl, alt })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("del"),
            KeyCode::F(n) => write!(f, "f{n}"),
            _ => f.write_str("?"),
        }
    }
}

fn defaults(c: Command) -> &'static [&'static str] {
    match c {
        Command::Quit => &["q", "ctrl-c"],
        Command::Back => &["esc"],
        Command::Help => &["?"],
        Command::Palette => &[":"],
        Command::Up => &["k", "up"],
        Command::Down => &["j", "down"],
        Command::PageUp => &["ctrl-u", "pageup"],
        Command::PageDown => &["ctrl-d", "pagedown"],
        Command::Top => &["g", "home"],
        Command::Bottom => &["G", "end"],
        Command::Open => &["enter"],
        Command::Filter => &["/"],
        Command::Sort => &["s"],
        Command::Risk => &["r"],
        Command::State => &["f"],
        Command::Kind => &["t"],
        Command::Mine => &["m"],
        Command::Reload => &["ctrl-r", "f5"],
        Command::NextTab => &["tab", "l", "right"],
        Command::PrevTab => &["shift-tab", "h", "left"],
        Command::Approve => &["a"],
        Command::Reject => &["x"],
        Command::RequestChanges => &["c"],
        Command::Comment => &["o"],
        Command::Withdraw => &["w"],
        Command::Submit => &["S"],
        Command::Revoke => &["R"],
        Command::Override => &["O"],
        Command::Reopen => &["r"],
        Command::Verify => &["v"],
        Command::Export => &["e"],
        Command::Rollback => &["b"],
        Command::Ratify => &["a"],
        Command::Pick => &["enter"],
        Command::PrevPeriod => &["["],
        Command::NextPeriod => &["]"],
        Command::Refresh => &["r"],
    }
}

/// Keys per command, in the order they are shown.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyMap {
    bindings: BTreeMap<Command, Vec<Key>>,
}

impl Default for KeyMap {
    fn default() -> Self {
        let bindings = Command::ALL
            .into_iter()
            .map(|c| {
                let keys = defaults(c)
                    .iter()
                    .filter_map(|k| Key::parse(k).ok())
                    .collect();
                (c, keys)
            })
            .collect();
        KeyMap { bindings }
    }
}

impl KeyMap {
    /// The defaults with `[keys]` from config.toml on top: a command named
    /// there gets exactly the keys given. Unknown commands, keys that do not
    /// parse, and one key bound to two commands on one screen are refused.
    pub fn from_config(overrides: &BTreeMap<String, Vec<String>>) -> Result<KeyMap, String> {
        let mut map = KeyMap::default();
        for (name, keys) in overrides {
            let cmd = Command::parse(name).ok_or_else(|| {
                let known: Vec<&str> = Command::ALL.iter().map(|c| c.name()).collect();
                format!(
                    "keys.{name}: no such command; commands: {}",
                    known.join(", ")
                )
            })?;
            let parsed = keys
                .iter()
                .map(|k| Key::parse(k).map_err(|e| format!("keys.{name}: {e}")))
                .collect::<Result<Vec<Key>, String>>()?;
            map.bindings.insert(cmd, parsed);
        }
        for ctx in Context::ALL {
            let mut seen: BTreeMap<String, Command> = BTreeMap::new();
            for (cmd, keys) in &map.bindings {
                if !cmd.applies(ctx) {
                    continue;
                }
                for k in keys {
                    if let Some(other) = seen.insert(k.to_string(), *cmd) {
                        return Err(format!(
                            "keys: {k} is bound to both {} and {}; give one of them another key",
                            other.name(),
                            cmd.name()
                        ));
                    }
                }
            }
        }
        Ok(map)
    }

    /// The command a key runs on a screen, if any.
    pub fn lookup(&self, ctx: Context, key: Key, readonly: bool) -> Option<Command> {
        self.bindings.iter().find_map(|(cmd, keys)| {
            (cmd.applies(ctx) && !(readonly && cmd.is_action()) && keys.contains(&key))
                .then_some(*cmd)
        })
    }

    pub fn keys(&self, cmd: Command) -> &[Key] {
        self.bindings.get(&cmd).map(Vec::as_slice).unwrap_or(&[])
    }

    /// `j/↓`: how a command's keys are written in help and hints.
    pub fn label(&self, cmd: Command) -> String {
        let keys: Vec<String> = self.keys(cmd).iter().map(Key::to_string).collect();
        keys.join("/")
    }

    /// Help rows for one screen: (keys, what they do), in `Command::ALL` order.
    pub fn help(&self, ctx: Context, readonly: bool) -> Vec<(String, &'static str)> {
        Command::ALL
            .into_iter()
            .filter(|c| c.applies(ctx) && !(readonly && c.is_action()))
            .filter(|c| !self.keys(*c).is_empty())
            .map(|c| (self.label(c), c.describe()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> Key {
        Key::from_event(&KeyEvent::new(code, mods))
    }

    #[test]
    fn defaults_cover_every_command_without_clashes() {
        let m = KeyMap::from_config(&BTreeMap::new()).unwrap();
        for c in Command::ALL {
            assert!(!m.keys(c).is_empty(), "{c:?} has no key");
        }
        let q = Context::Queue;
        assert_eq!(
            m.lookup(q, ev(KeyCode::Char('j'), KeyModifiers::NONE), false),
            Some(Command::Down)
        );
        assert_eq!(
            m.lookup(q, ev(KeyCode::Char('G'), KeyModifiers::SHIFT), false),
            Some(Command::Bottom)
        );
        assert_eq!(
            m.lookup(q, ev(KeyCode::Char('c'), KeyModifiers::CONTROL), false),
            Some(Command::Quit)
        );
        assert_eq!(
            m.lookup(
                Context::Review,
                ev(KeyCode::Tab, KeyModifiers::SHIFT),
                false
            ),
            Some(Command::PrevTab)
        );
        assert_eq!(
            m.lookup(q, ev(KeyCode::Tab, KeyModifiers::NONE), false),
            None,
            "tabs do not apply on the queue"
        );
    }

    #[test]
    fn config_replaces_a_command_s_keys() {
        let cfg = BTreeMap::from([("quit".to_owned(), vec!["ctrl-q".to_owned(), "Q".to_owned()])]);
        let m = KeyMap::from_config(&cfg).unwrap();
        let q = Context::Queue;
        assert_eq!(
            m.lookup(q, ev(KeyCode::Char('q'), KeyModifiers::NONE), false),
            None
        );
        assert_eq!(
            m.lookup(q, ev(KeyCode::Char('q'), KeyModifiers::CONTROL), false),
            Some(Command::Quit)
        );
        assert_eq!(m.label(Command::Quit), "ctrl-q/Q");
        let help = m.help(q, false);
        assert!(help.contains(&("ctrl-q/Q".to_owned(), "quit")), "{help:?}");
        // A key given to a command that already owns it on a screen is refused.
        let clash = BTreeMap::from([("quit".to_owned(), vec!["x".to_owned()])]);
        assert!(KeyMap::from_config(&clash).unwrap_err().contains("reject"));
    }

    #[test]
    fn bad_config_is_refused_with_the_reason() {
        for (name, key, want) in [
            ("jump", "x", "no such command"),
            ("quit", "ctrl-", "not a key"),
            ("quit", "hyper-x", "not a key"),
            ("quit", "j", "bound to both"),
        ] {
            let cfg = BTreeMap::from([(name.to_owned(), vec![key.to_owned()])]);
            let err = KeyMap::from_config(&cfg).unwrap_err();
            assert!(err.contains(want), "{name}={key}: {err}");
        }
    }

    #[test]
    fn keys_round_trip_through_their_names() {
        for s in [
            "q",
            "G",
            "?",
            "ctrl-c",
            "alt-x",
            "enter",
            "esc",
            "tab",
            "shift-tab",
            "pgup",
            "home",
            "space",
            "f5",
        ] {
            let k = Key::parse(s).unwrap();
            assert_eq!(
                Key::parse(&k.to_string().replace('↑', "up")).unwrap(),
                k,
                "{s}"
            );
        }
    }

    #[test]
    fn readonly_hides_every_action_key_and_help_line() {
        let m = KeyMap::default();
        let a = ev(KeyCode::Char('a'), KeyModifiers::NONE);
        assert_eq!(m.lookup(Context::Review, a, false), Some(Command::Approve));
        assert_eq!(m.lookup(Context::Deploy, a, false), Some(Command::Ratify));
        assert_eq!(m.lookup(Context::Review, a, true), None);
        assert_eq!(m.lookup(Context::Deploy, a, true), None);
        for ctx in Context::ALL {
            let help = m.help(ctx, true);
            for c in Command::ALL.into_iter().filter(|c| c.is_action()) {
                assert!(
                    !help.iter().any(|h| h.1 == c.describe()),
                    "{c:?} in {ctx:?}"
                );
            }
        }
        let v = ev(KeyCode::Char('v'), KeyModifiers::NONE);
        assert_eq!(m.lookup(Context::Audit, v, true), Some(Command::Verify));
    }

    #[test]
    fn help_differs_per_screen() {
        let m = KeyMap::default();
        let q: Vec<_> = m
            .help(Context::Queue, false)
            .into_iter()
            .map(|h| h.1)
            .collect();
        let r: Vec<_> = m
            .help(Context::Review, false)
            .into_iter()
            .map(|h| h.1)
            .collect();
        assert!(
            q.contains(&Command::Filter.describe()) && !r.contains(&Command::Filter.describe())
        );
        assert!(
            r.contains(&Command::NextTab.describe()) && !q.contains(&Command::NextTab.describe())
        );
    }
}
