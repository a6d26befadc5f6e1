//! State shared by the screens: a scrolling selectable list, a one-line
//! text input. Pure; the screens draw them.

pub mod input;
pub mod list;
