//! The committed `screenshots/*.svg` are what the code renders now: a change
//! to a screen must come with new pictures (`cargo run --example screenshots`).

use std::path::Path;

use modelgate::tui::{shots, svg};

#[tokio::test]
async fn committed_screenshots_match_the_code() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    let shots = shots::all(120, 36).await.unwrap();
    assert!(shots.len() >= 10);
    let mut stale = Vec::new();
    for s in &shots {
        let path = dir.join(format!("{}.svg", s.name));
        let want = svg::render(&s.buffer, &s.caption);
        match std::fs::read_to_string(&path) {
            Ok(have) if have == want => {}
            Ok(_) => stale.push(format!("{} differs", path.display())),
            Err(e) => stale.push(format!("{}: {e}", path.display())),
        }
    }
    assert!(
        stale.is_empty(),
        "screenshots are stale; run `cargo run --example screenshots` and commit them:\n{}",
        stale.join("\n")
    );
}
