//! Every process a test starts gets directories of its own: a HOME and XDG
//! config, data, state, cache and runtime directories under the test's
//! temporary directory, no secret service (keyring look-ups fail fast and the
//! same everywhere), and nothing of the caller's modelgate or MLflow settings.
//! A test's result then never depends on what ran before it on this machine.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// Variables removed from every test process: they would change what it
/// reads, where it connects or what it signs with.
const REMOVED: &[&str] = &[
    "MODELGATE_CONFIG",
    "MODELGATE_KEY_FILE",
    "MLFLOW_TRACKING_URI",
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_SERVER_CERT_PATH",
    "MLFLOW_TRACKING_INSECURE_TLS",
    "NO_COLOR",
];

/// Points `cmd` at directories below `home` (created on demand by the
/// program) and strips the caller's settings.
pub fn isolate<'c>(cmd: &'c mut Command, home: &Path) -> &'c mut Command {
    cmd.env("HOME", home.join("home"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_RUNTIME_DIR", home.join("runtime"))
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/modelgate-test",
        );
    for var in REMOVED {
        cmd.env_remove(var);
    }
    cmd
}

/// The modelgate binary under test, isolated below `home`.
pub fn modelgate(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_modelgate"));
    isolate(&mut c, home);
    c
}

/// The same as an `assert_cmd` command.
pub fn assert_modelgate(home: &Path) -> assert_cmd::Command {
    assert_cmd::Command::from_std(modelgate(home))
}
