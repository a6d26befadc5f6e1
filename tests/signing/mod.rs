//! A demo registry with its roster and keys, driven through the real binary:
//! shared by the decision, audit and deployment tests.
#![allow(dead_code)]

use std::path::PathBuf;

use assert_cmd::Command;
use tempfile::TempDir;

pub struct Demo {
    _dir: TempDir,
    pub home: PathBuf,
    pub db: PathBuf,
    pub roster: PathBuf,
}

/// A fresh demo registry in its own directory (config, data and state too).
pub fn demo() -> Demo {
    let dir = TempDir::new().unwrap();
    let home = dir.path().to_path_buf();
    let d = Demo {
        db: home.join("demo.db"),
        roster: home.join("demo-roster/roster.toml"),
        home,
        _dir: dir,
    };
    d.cmd(None).args(["demo", "--no-open"]).assert().success();
    d
}

impl Demo {
    /// The binary on this registry and roster, signing as `who` (a demo
    /// identity without its `@demo.modelgate`) when given.
    pub fn cmd(&self, who: Option<&str>) -> Command {
        let mut c = Command::cargo_bin("modelgate").unwrap();
        c.env("XDG_CONFIG_HOME", self.home.join("config"))
            .env("XDG_DATA_HOME", self.home.join("data"))
            .env("XDG_STATE_HOME", self.home.join("state"))
            .env_remove("MODELGATE_CONFIG")
            .env_remove("MODELGATE_KEY_FILE")
            .arg("--db")
            .arg(&self.db)
            .arg("--roster")
            .arg(&self.roster);
        if let Some(id) = who {
            let id = format!("{id}@demo.modelgate");
            c.arg("--identity")
                .arg(&id)
                .arg("--key-file")
                .arg(modelgate::demo::key_path(
                    self.roster.parent().unwrap(),
                    &id,
                ));
        }
        c
    }

    /// Runs a command that must succeed; its stdout.
    pub fn stdout(&self, who: Option<&str>, args: &[&str]) -> String {
        let out = self.cmd(who).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs a command that must be refused (exit 1); its stderr.
    pub fn refusal(&self, who: &str, args: &[&str]) -> String {
        let out = self.cmd(Some(who)).args(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?} should be refused: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// One SQL statement on the registry file, behind modelgate's back.
    pub fn sql(&self, q: &str) -> usize {
        rusqlite::Connection::open(&self.db)
            .unwrap()
            .execute(q, [])
            .unwrap()
    }
}
