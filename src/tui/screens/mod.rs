//! The console's screens and overlays, each with its state and its part of
//! `update`: what its keys and data do, and which effects that asks for.
//! `App` routes to them; none of them draws (that is `views`).

pub mod audit;
pub mod deploy;
pub mod dialog;
pub mod help;
pub mod palette;
pub mod personas;
pub mod queue;
pub mod review;
pub mod stats;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

/// The status line: what just happened, or what went wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub level: Level,
    pub text: String,
}

impl Status {
    pub fn info(text: impl Into<String>) -> Status {
        Status {
            level: Level::Info,
            text: text.into(),
        }
    }

    pub fn error(text: impl Into<String>) -> Status {
        Status {
            level: Level::Error,
            text: text.into(),
        }
    }
}
