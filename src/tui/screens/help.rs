//! `?`: the keys of the current screen (drawn from the key map by `views::help`).

use crate::tui::keymap::Command;

/// Any key closes help; a command key also does its work, except the keys
/// that would only close it.
pub fn after_help(cmd: Option<Command>) -> Option<Command> {
    match cmd {
        Some(Command::Help | Command::Back) | None => None,
        Some(cmd) => Some(cmd),
    }
}
