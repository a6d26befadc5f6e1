//! Renders every console screen from the fixed demo (seed 7, clock
//! 2026-03-02T09:30:00Z) into `screenshots/*.svg`, and into PNG too when
//! `rsvg-convert` is installed. `tests/console/tui_screenshots.rs` fails when the
//! committed pictures differ from what this renders.
//!
//!     cargo run --example screenshots

#![allow(clippy::unwrap_used)] // a test that meets the unexpected should stop there

use std::path::Path;
use std::process::Command;

use modelgate::tui::{shots, svg};

/// The size of every picture, in cells.
const SIZE: (u16, u16) = (120, 36);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    std::fs::create_dir_all(&dir)?;
    let converter = Command::new("rsvg-convert")
        .arg("--version")
        .output()
        .is_ok();
    for s in shots::all(SIZE.0, SIZE.1).await? {
        let path = dir.join(format!("{}.svg", s.name));
        std::fs::write(&path, svg::render(&s.buffer, &s.caption))?;
        println!("{}", path.display());
        if converter {
            let png = path.with_extension("png");
            let status = Command::new("rsvg-convert")
                .arg("-o")
                .arg(&png)
                .arg(&path)
                .status()?;
            if status.success() {
                println!("{}", png.display());
            }
        }
    }
    if !converter {
        println!("(no rsvg-convert: SVG only; `apt-get install librsvg2-bin` adds PNG)");
    }
    Ok(())
}
