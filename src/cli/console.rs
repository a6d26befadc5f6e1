//! Opening the review console: on a terminal the TUI (src/tui), otherwise the
//! queue as text, so scripts and pipes keep working.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;

use super::output::Out;
use crate::config::Config;

/// Set from the hidden `--exit-after-first-frame` flag: the startup benchmark
/// draws one frame and leaves. A static so `demo` needs no extra parameter.
static EXIT_AFTER_FIRST_FRAME: AtomicBool = AtomicBool::new(false);

pub fn set_exit_after_first_frame(on: bool) {
    EXIT_AFTER_FIRST_FRAME.store(on, Ordering::Relaxed);
}

/// The console on `config`'s registry, or the queue printed when stdout is
/// not a terminal.
pub async fn open(config: &Config, out: &mut Out) -> Result<ExitCode> {
    if !out.terminal {
        return super::queue::run(super::queue::QueueArgs::default(), config, out).await;
    }
    // For the demo profile this also checks that the file is the demo's.
    let service = super::open_service(config).await?;
    out.flush()?;
    let demo = config
        .demo
        .then(|| crate::demo::personas::personas(&crate::demo::roster_dir(&config.db)));
    crate::tui::run(
        service,
        crate::tui::Launch {
            color: out.color,
            exit_after_first_frame: EXIT_AFTER_FIRST_FRAME.load(Ordering::Relaxed),
            demo,
        },
    )
    .await
}
