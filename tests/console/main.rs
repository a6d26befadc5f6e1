//! The console in one test binary: insta snapshots of every screen on the fixed
//! demo, the committed screenshots, and the real binary in tmux.

#![allow(clippy::unwrap_used)] // a test that meets the unexpected should stop there

#[path = "../hermetic/mod.rs"]
mod hermetic;

mod tui_e2e;
mod tui_screenshots;
mod tui_snapshots;
