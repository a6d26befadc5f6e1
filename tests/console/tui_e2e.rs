//! The real binary in a real terminal emulator (tmux, a pseudo-terminal per
//! session): open the demo, the queue, a review, every tab, help, back, quit,
//! and check the terminal is handed back as it was (alternate screen left,
//! cursor shown, mouse reporting off, raw mode off), after a panic too.
//! tmux is required: `scripts/test` installs it when missing; without it this
//! test fails, it does not skip.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::hermetic;

const BIN: &str = env!("CARGO_BIN_EXE_modelgate");

/// A tmux server of our own (its own socket), killed when dropped.
struct Tmux {
    socket: String,
    dir: tempfile::TempDir,
}

impl Tmux {
    fn new(tag: &str) -> Tmux {
        let found = Command::new("tmux").arg("-V").output();
        assert!(
            found.as_ref().is_ok_and(|o| o.status.success()),
            "tmux is needed for the console's end-to-end test: apt-get install -y tmux (scripts/test does this as root)"
        );
        Tmux {
            socket: format!("modelgate-e2e-{tag}-{}", std::process::id()),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn tmux(&self, args: &[&str]) -> Output {
        let mut tmux = Command::new("tmux");
        // The server started by the first call hands these to every program it runs.
        hermetic::isolate(&mut tmux, self.dir.path());
        let out = tmux
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Starts `command` (shell words) in a 120x36 window; after it ends the
    /// shell writes its exit code and the tty's settings, then waits.
    fn start(&self, env: &str, command: &str) {
        let status = self.path("status");
        let stty = self.path("stty");
        let script = format!(
            "{env} {command}; echo $? > {status}.tmp; stty -a > {stty}; mv {status}.tmp {status}; sleep 600",
            status = status.display(),
            stty = stty.display(),
        );
        self.tmux(&[
            "new-session",
            "-d",
            "-s",
            "mg",
            "-x",
            "120",
            "-y",
            "36",
            "sh",
            "-c",
            &script,
        ]);
        // Esc must reach the program at once, not after tmux's escape delay.
        self.tmux(&["set-option", "-s", "escape-time", "0"]);
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "mg"]).stdout).into_owned()
    }

    /// Waits until the screen holds every one of `needles`.
    fn wait_for(&self, needles: &[&str]) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if needles.iter().all(|n| s.contains(n)) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "waited 30 s for {needles:?}; the screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the screen no longer holds `needle`.
    fn wait_gone(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if !s.contains(needle) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "waited 30 s for {needle:?} to go; the screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "mg"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// The program's exit code, once it has exited.
    fn exit_code(&self) -> i32 {
        let start = Instant::now();
        loop {
            if let Ok(s) = std::fs::read_to_string(self.path("status")) {
                return s.trim().parse().unwrap();
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the program did not exit; the screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The terminal as the program left it.
    fn assert_restored(&self) {
        let flags = self.tmux(&[
            "display-message",
            "-p",
            "-t",
            "mg",
            "alternate=#{alternate_on} cursor=#{cursor_flag} mouse=#{mouse_any_flag}#{mouse_button_flag}#{mouse_standard_flag}#{mouse_all_flag}#{mouse_sgr_flag}",
        ]);
        assert_eq!(
            String::from_utf8_lossy(&flags.stdout).trim(),
            "alternate=0 cursor=1 mouse=00000",
            "alternate screen left, cursor shown, mouse reporting off"
        );
        let stty = std::fs::read_to_string(self.path("stty")).unwrap();
        let words: Vec<&str> = stty.split_whitespace().collect();
        for flag in ["icanon", "echo", "isig", "icrnl", "opost"] {
            assert!(
                words.contains(&flag),
                "raw mode is off: `{flag}` is set again; stty -a:\n{stty}"
            );
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

fn demo_db(dir: &Path) -> PathBuf {
    let db = dir.join("demo.db");
    let out = hermetic::modelgate(dir)
        .args(["--db"])
        .arg(&db)
        .args(["demo", "--no-open"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

#[test]
fn demo_queue_review_every_tab_help_back_quit_restores_the_terminal() {
    let t = Tmux::new("walk");
    let db = demo_db(t.dir.path());
    t.start("", &format!("{BIN} --db {} demo", db.display()));
    // Without --as the demo asks who you are first: Ben, a validator.
    t.wait_for(&["modelgate · demo personas", "Ben Okafor", "CAN SIGN"]);
    t.keys(&["j", "j", "Enter"]);
    t.wait_for(&[
        "modelgate · queue",
        "12 pending",
        "✖ -",
        "as Ben Okafor · validator",
    ]);
    // The 1 Hz countdown and the background gates need no key press.
    t.wait_for(&["GATES", "✓ pass"]);
    t.keys(&["j", "k", "Enter"]);
    t.wait_for(&["modelgate · review", "▶Overview", "Lineage"]);
    for tab in [
        "Metrics",
        "Schema",
        "Explainability",
        "Fairness",
        "Security",
        "Records",
        "Monitoring",
    ] {
        t.keys(&["Tab"]);
        t.wait_for(&[&format!("▶{tab}")]);
    }
    t.wait_for(&["Reopen records"]);
    t.keys(&["BTab"]);
    t.wait_for(&["▶Records", "Signed records"]);
    t.keys(&["BTab"]);
    t.wait_for(&["▶Security", "Security scan (modelscan)"]);
    t.keys(&["?"]);
    t.wait_for(&["Keys · review", "next tab"]);
    t.keys(&["Escape"]);
    let s = t.wait_gone("Keys · review");
    assert!(
        s.contains("▶Security"),
        "help closed, the review stays:\n{s}"
    );
    t.keys(&["Escape"]);
    t.wait_for(&["modelgate · queue"]);
    t.keys(&["/"]);
    t.keys(&["fraud"]);
    t.wait_for(&["filter /fraud", "3 of 17 shown"]);
    // Esc and `:` sent together would read as Alt-: (a terminal cannot tell).
    t.keys(&["Escape"]);
    t.wait_for(&["(/ to filter)", "17 of 17 shown"]);
    t.keys(&[":"]);
    t.wait_for(&[":queue", ":audit"]);
    t.keys(&["au", "Tab", "Enter"]);
    t.wait_for(&["modelgate · audit", "AT (UTC)", "verification"]);
    t.keys(&["Escape"]);
    t.wait_for(&["modelgate · queue"]);
    t.keys(&[":"]);
    t.wait_for(&[":deploy"]);
    t.keys(&["dep", "Tab", "Enter"]);
    t.wait_for(&["modelgate · deploy", "ALIAS", "FLAGS"]);
    t.keys(&["Escape"]);
    t.wait_for(&["modelgate · queue"]);
    // `:as` switches persona: the header follows.
    t.keys(&[":"]);
    t.wait_for(&[":as"]);
    t.keys(&["as eli", "Enter"]);
    t.wait_for(&["as Eli Nakamura · compliance"]);
    t.keys(&["q"]);
    assert_eq!(t.exit_code(), 0);
    t.assert_restored();
}

#[test]
fn a_panic_still_restores_the_terminal() {
    let t = Tmux::new("panic");
    let db = demo_db(t.dir.path());
    t.start(
        "RUST_BACKTRACE=0 MODELGATE_TEST_PANIC=1",
        &format!("{BIN} --db {} demo", db.display()),
    );
    assert_eq!(t.exit_code(), 101, "a panic exits with Rust's panic code");
    t.assert_restored();
    let s = t.screen();
    assert!(
        s.contains("deliberate panic"),
        "the panic message is readable on the restored screen:\n{s}"
    );
}

#[test]
fn hostile_registry_text_leaves_the_screen_intact() {
    let t = Tmux::new("hostile");
    let db = t.path("hostile.db");
    let metrics = t.path("metrics.json");
    std::fs::write(&metrics, "{\"auc\": 0.9}").unwrap();
    // Escape sequences that would clear the screen, move the cursor, retitle
    // the window and reverse text, if they reached the terminal.
    let evil = "x\x1b[2J\x1b[H\x1b]0;pwned\x07\u{202E}desserp\x1b[?1049l 表👨\u{200D}👩\u{200D}👧";
    let out = hermetic::modelgate(t.dir.path())
        .arg("--db")
        .arg(&db)
        .args(["register", "evil-model", "--run-metrics"])
        .arg(&metrics)
        .args(["--description", evil])
        .args(["--tag", "modelgate.review=pending"])
        .arg("--tag")
        .arg(format!("modelgate.submitted_by={evil}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    t.start("", &format!("{BIN} --db {}", db.display()));
    t.wait_for(&["modelgate · queue", "evil-model", "1 pending"]);
    t.keys(&["Enter"]);
    let s = t.wait_for(&["modelgate · review", "Version description", "^[[2J"]);
    let lines: Vec<&str> = s.lines().collect();
    assert!(lines[0].starts_with("┌ modelgate · review"), "{s}");
    assert!(
        lines[35].starts_with('└') && lines[35].ends_with('┘'),
        "{s}"
    );
    for (i, l) in lines.iter().enumerate().take(35).skip(1) {
        assert!(
            l.starts_with('│') && l.ends_with('│'),
            "row {i} lost its frame: {l:?}\n{s}"
        );
    }
    assert!(
        s.contains("desserp") && !s.contains('\u{202E}'),
        "the bidi override is stripped, the text kept"
    );
    t.keys(&["q"]);
    assert_eq!(t.exit_code(), 0);
    t.assert_restored();
}

/// The console's process id: the child of the pane's shell.
fn console_pid(t: &Tmux) -> String {
    let out = t.tmux(&["display-message", "-p", "-t", "mg", "#{pane_pid}"]);
    let shell = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).unwrap();
    let pid = children.split_whitespace().next().unwrap_or_default();
    assert!(!pid.is_empty(), "the pane's shell {shell} has no child");
    pid.to_owned()
}

#[test]
fn sigterm_sighup_and_sigint_restore_the_terminal_and_exit_128_plus_the_signal() {
    let t = Tmux::new("signals");
    let db = demo_db(t.dir.path());
    for (signal, code) in [("TERM", 143), ("HUP", 129), ("INT", 130)] {
        let _ = std::fs::remove_file(t.path("status"));
        t.start("", &format!("{BIN} --db {} demo --as fay", db.display()));
        t.wait_for(&["modelgate · queue", "12 pending", "as Fay Lindqvist"]);
        let pid = console_pid(&t);
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
        assert!(killed.success(), "kill -{signal} {pid}");
        assert_eq!(t.exit_code(), code, "SIG{signal}");
        t.assert_restored();
        t.tmux(&["kill-session", "-t", "mg"]);
    }
}
