//! The real binary against real MLflow servers: `demo --mlflow`, `queue` and
//! `show` with `--registry mlflow --uri`, a profile and `MLFLOW_TRACKING_URI`;
//! the registry id warning; credentials from the environment; `login` on a
//! machine without a keyring; signing with the roster `demo --mlflow` writes.
//! Only `demo_into_mlflow_then_queue_and_show` writes unprefixed demo names
//! into the open server.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

use crate::hermetic;
use crate::support;
use crate::support::*;

/// The binary with this test's own HOME and XDG directories.
fn mg(dir: &Path) -> Command {
    hermetic::assert_modelgate(dir)
}

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn run(c: &mut Command) -> Out {
    let o = c.output().unwrap();
    Out {
        ok: o.status.success(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn ok(c: &mut Command) -> Out {
    let o = run(c);
    assert!(o.ok, "failed: {}\n{}", o.stderr, o.stdout);
    o
}

fn failed(c: &mut Command) -> Out {
    let o = run(c);
    assert!(!o.ok, "should fail: {}", o.stdout);
    o
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// Names other test binaries created on the shared server (`unique_prefix`).
fn from_other_tests(model: &str) -> bool {
    model
        .strip_prefix('t')
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()) && rest.contains('-'))
}

/// (model, version, metric verdicts) of each demo queue item, in queue order.
fn shape(queue: &Value) -> Vec<(String, String, Vec<String>)> {
    queue
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| !from_other_tests(i["model"].as_str().unwrap_or_default()))
        .map(|i| {
            (
                i["model"].as_str().unwrap().to_owned(),
                i["version"].as_str().unwrap().to_owned(),
                i["metrics"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| format!("{}:{}", m["name"], m["verdict"]))
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn demo_into_mlflow_then_queue_and_show() {
    let uri = mlflow_uri();
    let dir = TempDir::new().unwrap();
    let out = ok(mg(dir.path()).args(["demo", "--no-open", "--mlflow", &uri]));
    assert!(out.stdout.contains("Demo written to"), "{}", out.stdout);
    assert!(out.stdout.contains("pending reviews"), "{}", out.stdout);
    // A second demo into the same server is refused, naming the clash.
    let again = failed(mg(dir.path()).args(["demo", "--no-open", "--mlflow", &uri]));
    assert!(
        again.stderr.contains("already holds a model"),
        "{}",
        again.stderr
    );

    // The embedded demo with the same seed has the same queue.
    let db = dir.path().join("demo.db");
    ok(mg(dir.path()).args(["demo", "--no-open", "--db"]).arg(&db));
    let local = json(&ok(mg(dir.path()).args(["queue", "--json", "--db"]).arg(&db)).stdout);
    let remote =
        ok(mg(dir.path()).args(["--registry", "mlflow", "--uri", &uri, "queue", "--json"]));
    assert!(
        remote.stderr.contains("warning: registry_id is not set"),
        "{}",
        remote.stderr
    );
    assert_eq!(remote.stderr.lines().count(), 1, "{}", remote.stderr);
    let remote = json(&remote.stdout);
    assert!(shape(&local).len() >= 10);
    assert_eq!(shape(&local), shape(&remote));

    // The human queue names the server, never credentials.
    let human = ok(mg(dir.path()).args(["--uri", &uri, "queue"]));
    assert!(
        human.stdout.starts_with(&format!("registry {uri}")),
        "{}",
        human.stdout
    );

    // `show` reads reports and the model directory through the artifact proxy.
    let first = &shape(&remote)[0];
    let (model, version) = (first.0.as_str(), first.1.as_str());
    let show =
        json(&ok(mg(dir.path()).args(["--uri", &uri, "show", model, version, "--json"])).stdout);
    assert_eq!(show["schema"]["status"], "present");
    assert_eq!(show["model_card"]["status"], "present");
    assert!(show["evidence"].as_str().unwrap().starts_with("sha256:"));
    assert!(
        show["evidence_document"]["files"]
            .as_object()
            .unwrap()
            .contains_key("model/MLmodel")
    );

    // MLFLOW_TRACKING_URI is the default URI; a profile can name the server.
    let via_env = ok(mg(dir.path()).env("MLFLOW_TRACKING_URI", &uri).args([
        "--registry",
        "mlflow",
        "queue",
        "--json",
    ]));
    assert_eq!(shape(&json(&via_env.stdout)), shape(&remote));
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "default_profile = \"team\"\n[profiles.team]\nregistry = \"mlflow\"\nuri = \"{uri}\"\nregistry_id = \"mlflow:team\"\n[profiles.team.mlflow]\nconcurrency = 4\nattempts = 6\npage_size = 7\n"
        ),
    )
    .unwrap();
    let via_profile = ok(mg(dir.path())
        .env("MODELGATE_CONFIG", &config)
        .args(["queue", "--json"]));
    assert_eq!(shape(&json(&via_profile.stdout)), shape(&remote));
    assert!(
        !via_profile.stderr.contains("registry_id"),
        "a configured registry_id silences the warning: {}",
        via_profile.stderr
    );

    signed_decisions_and_deployments_on_mlflow(dir.path(), &uri);
}

/// The roster and keys `demo --mlflow` writes sign on that server with the
/// flags alone (the full decision, audit and deployment flows run on MLflow in
/// tests/decisions.rs, audit.rs, deploy.rs and tamper.rs).
fn signed_decisions_and_deployments_on_mlflow(dir: &Path, uri: &str) {
    let roster_dir = dir.join("data/modelgate/demo-mlflow-roster");
    let (m, v) = ("product-recommender", "7");
    let cmd = |id: &str, args: &[&str]| {
        let id = format!("{id}@demo.modelgate");
        let mut c = mg(dir);
        c.env("XDG_STATE_HOME", dir.join("state"))
            .args(["--uri", uri, "--roster"])
            .arg(roster_dir.join("roster.toml"))
            .args(["--identity", &id, "--key-file"])
            .arg(modelgate::demo::key_path(&roster_dir, &id))
            .args(args);
        c
    };
    ok(&mut cmd("ana.owner", &["submit", m, v]));
    let a = json(&ok(&mut cmd("ben.validator", &["approve", m, v, "--json"])).stdout);
    assert_eq!(a["state"], "approved", "{a}");
    let check = cmd("ben.validator", &["check", m, v]).output().unwrap();
    assert_eq!(check.status.code(), Some(0));
}

#[test]
fn bad_settings_and_unreachable_servers_are_clear() {
    let dir = TempDir::new().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[mlflow]\nattempts = 2\nread_timeout_seconds = 2\n",
    )
    .unwrap();
    let down = failed(mg(dir.path()).env("MODELGATE_CONFIG", &config).args([
        "--uri",
        &format!("http://127.0.0.1:{port}"),
        "queue",
    ]));
    assert!(down.stderr.contains("cannot connect"), "{}", down.stderr);
    assert!(
        down.stderr.contains("gave up after 2 attempts"),
        "{}",
        down.stderr
    );

    std::fs::write(&config, "[mlflow]\nattempts = 0\n").unwrap();
    let bad = failed(
        mg(dir.path())
            .env("MODELGATE_CONFIG", &config)
            .args(["queue"]),
    );
    assert!(bad.stderr.contains("mlflow.attempts"), "{}", bad.stderr);

    let no_uri = failed(mg(dir.path()).args(["--registry", "mlflow", "queue"]));
    assert!(
        no_uri.stderr.contains("MLFLOW_TRACKING_URI"),
        "{}",
        no_uri.stderr
    );
    let not_http = failed(mg(dir.path()).args(["--uri", "file:///tmp/mlruns", "queue"]));
    assert!(
        not_http.stderr.contains("not an http(s) server"),
        "{}",
        not_http.stderr
    );
}

#[test]
fn credentials_come_from_the_environment_and_never_show() {
    let uri = mlflow_auth_uri();
    let (admin, password) = mlflow_admin();
    let dir = TempDir::new().unwrap();
    let good = ok(mg(dir.path())
        .env("MLFLOW_TRACKING_USERNAME", &admin)
        .env("MLFLOW_TRACKING_PASSWORD", &password)
        .args(["--uri", &uri, "queue", "--json"]));
    assert!(good.stdout.trim_start().starts_with('['), "{}", good.stdout);

    let wrong = "not-the-password-8841";
    let refused = failed(
        mg(dir.path())
            .env("MLFLOW_TRACKING_USERNAME", &admin)
            .env("MLFLOW_TRACKING_PASSWORD", wrong)
            .args(["--uri", &uri, "queue"]),
    );
    for needle in ["HTTP 401", "MLFLOW_TRACKING_TOKEN", "modelgate login"] {
        assert!(
            refused.stderr.contains(needle),
            "{needle}: {}",
            refused.stderr
        );
    }
    assert!(!refused.stderr.contains(wrong), "{}", refused.stderr);

    let token = "tok-77aa31c9e0d4";
    let refused = failed(
        mg(dir.path())
            .env("MLFLOW_TRACKING_TOKEN", token)
            .args(["--uri", &uri, "queue"]),
    );
    assert!(refused.stderr.contains("HTTP 401"), "{}", refused.stderr);
    assert!(!refused.stderr.contains(token), "{}", refused.stderr);
    assert!(!refused.stdout.contains(token), "{}", refused.stdout);
}

#[test]
fn login_without_a_keyring_points_to_the_environment() {
    let dir = TempDir::new().unwrap();
    let token = "tok-headless-51f0";
    let out = failed(
        mg(dir.path())
            .args(["login", "--uri", &mlflow_uri()])
            .write_stdin(format!("{token}\n")),
    );
    assert!(out.stderr.contains("no OS keyring"), "{}", out.stderr);
    assert!(
        out.stderr.contains("MLFLOW_TRACKING_TOKEN"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("MLFLOW_TRACKING_USERNAME"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(token) && !out.stdout.contains(token));
    let no_uri = failed(mg(dir.path()).args(["login"]).write_stdin("x\n"));
    assert!(no_uri.stderr.contains("--uri"), "{}", no_uri.stderr);
}

/// Every request through a proxy that waits 1.5 s before answering, under a
/// 2 s read deadline: each operation alone would finish within it, the
/// command as a whole cannot, and it gives up at the command's deadline.
#[test]
fn a_command_gives_up_at_one_deadline_for_all_its_requests() {
    let dir = TempDir::new().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let proxy = rt.block_on(support::proxy::Proxy::start(&mlflow_uri()));
    proxy.fail(
        None,
        "/api/2.0/mlflow/",
        support::proxy::Fault::Delay(std::time::Duration::from_millis(1500)),
        10_000,
    );
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "registry_id = \"deadline-test\"\n[mlflow]\nread_deadline_seconds = 2\nrequest_timeout_seconds = 20\nread_timeout_seconds = 20\n",
    )
    .unwrap();
    let out = failed(
        mg(dir.path())
            .env("MODELGATE_CONFIG", &config)
            .args(["--uri", &proxy.uri, "queue", "--json"]),
    );
    assert!(
        out.stderr.contains("deadline") && out.stderr.contains("read_deadline_seconds"),
        "{}",
        out.stderr
    );
    let requests = proxy.seen().len();
    assert!(
        requests <= 3,
        "the command stopped at its deadline, not after every operation: {requests} requests"
    );
}
