//! What only the MLflow backend has: MLflow 3 logged-model sources, prompts in
//! the registry, servers that do not proxy artifacts, and real authentication
//! (MLflow's basic-auth app: 401 and 403).

use modelgate::registry::mlflow::auth::{Credentials, Secret};
use modelgate::registry::mlflow::{MlflowOptions, MlflowRegistry};
use modelgate::registry::{Metric, Registry, RegistryError, RegistryWriter, Tags};
use serde_json::{Value, json};

use crate::hermetic;
use crate::support::*;

/// Plain REST calls for what modelgate never does itself (logged models, prompts, users).
async fn rest(method: reqwest::Method, uri: &str, path: &str, body: Value) -> Value {
    let client = http();
    let url = format!("{uri}/api/2.0/{path}");
    let resp = client
        .request(method, &url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert!(status.is_success(), "{url}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

#[tokio::test]
async fn logged_model_sources_resolve_through_the_download_uri() {
    let uri = mlflow_uri();
    let name = format!("{}lm", unique_prefix("logged"));
    let reg = mlflow_registry(&uri);
    reg.ensure_registered_model(&name, None, &Tags::new())
        .await
        .unwrap();
    let run = reg.create_run(&name, 1, &Tags::new()).await.unwrap();
    let run_info = &reg.get_runs(std::slice::from_ref(&run)).await.unwrap()[0];
    // MLflow 3's `log_model`: a logged model `m-<id>` with its own artifact location.
    let created = rest(
        reqwest::Method::POST,
        &uri,
        "mlflow/logged-models",
        json!({"experiment_id": run_info.experiment_id, "name": "model", "source_run_id": run}),
    )
    .await;
    let model_id = created["model"]["info"]["model_id"].as_str().unwrap();
    let location = created["model"]["info"]["artifact_uri"].as_str().unwrap();
    let path = location.strip_prefix("mlflow-artifacts:/").unwrap();
    let client = http();
    for (file, bytes) in [
        ("MLmodel", &b"flavors: {}\n"[..]),
        ("sub/w.bin", &b"01234"[..]),
    ] {
        let url = format!("{uri}/api/2.0/mlflow-artifacts/artifacts/{path}/{file}");
        let r = client.put(&url).body(bytes.to_vec()).send().await.unwrap();
        assert!(r.status().is_success(), "{url}: {}", r.status());
    }
    let source = format!("models:/{model_id}");
    // As `log_model(registered_model_name=...)` registers it: with the model id.
    let created = rest(
        reqwest::Method::POST,
        &uri,
        "mlflow/model-versions/create",
        json!({"name": name, "source": source, "run_id": run, "model_id": model_id}),
    )
    .await;
    let v = created["model_version"]["version"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(reg.get_version(&name, &v).await.unwrap().source, source);
    let files: Vec<(String, u64)> = reg
        .list_model_files(&name, &v)
        .await
        .unwrap()
        .into_iter()
        .map(|f| (f.path, f.size))
        .collect();
    assert_eq!(
        files,
        [("MLmodel".to_owned(), 12), ("sub/w.bin".to_owned(), 5)]
    );
    assert_eq!(
        reg.read_model_file(&name, &v, "sub/w.bin", 5)
            .await
            .unwrap(),
        b"01234"
    );
}

#[tokio::test]
async fn prompts_are_not_models_to_review() {
    let uri = mlflow_uri();
    let prefix = unique_prefix("prompt");
    let name = format!("{prefix}greeting");
    // How MLflow 3 stores a prompt: a registered model and version tagged as one.
    let prompt_tag = json!([{"key": "mlflow.prompt.is_prompt", "value": "true"}]);
    rest(
        reqwest::Method::POST,
        &uri,
        "mlflow/registered-models/create",
        json!({"name": name, "tags": prompt_tag}),
    )
    .await;
    rest(
        reqwest::Method::POST,
        &uri,
        "mlflow/model-versions/create",
        json!({"name": name, "source": "dummy-source", "tags": [
            {"key": "mlflow.prompt.is_prompt", "value": "true"},
            {"key": "modelgate.review", "value": "pending"}]}),
    )
    .await;
    let reg = mlflow_registry(&uri);
    let listed = reg.list_registered_models().await.unwrap();
    assert!(!listed.iter().any(|m| m.name == name));
    let pending = reg
        .search_versions_by_tag("modelgate.review", "pending")
        .await
        .unwrap();
    assert!(!pending.iter().any(|v| v.name == name));
}

#[tokio::test]
async fn artifacts_the_server_does_not_proxy_are_explained() {
    let uri = mlflow_uri();
    let prefix = unique_prefix("noproxy");
    let dir = tempfile::TempDir::new().unwrap();
    // An experiment whose artifacts go straight to storage, bypassing the proxy.
    let location = format!("file://{}", dir.path().display());
    rest(
        reqwest::Method::POST,
        &uri,
        "mlflow/experiments/create",
        json!({"name": format!("{prefix}direct"), "artifact_location": location}),
    )
    .await;
    let reg = Prefixed::new(mlflow_registry(&uri), &prefix);
    let run = reg.create_run("direct", 1, &Tags::new()).await.unwrap();
    for err in [
        reg.list_run_artifacts(&run, "").await.unwrap_err(),
        reg.read_run_artifact(&run, "a.txt", 10).await.unwrap_err(),
        reg.upload_artifact(&run, "a.txt", b"x").await.unwrap_err(),
    ] {
        let text = err.to_string();
        assert!(
            matches!(err, RegistryError::InvalidRequest { .. }),
            "{text}"
        );
        assert!(text.contains("does not proxy"), "{text}");
        assert!(text.contains("--serve-artifacts"), "{text}");
        assert!(text.contains("--artifacts-destination"), "{text}");
    }
}

#[tokio::test]
async fn infinite_metrics_come_back_as_the_largest_float() {
    // MLflow's SQL store keeps +-Infinity as +-1.7976931348623157e308 (NaN stays
    // "NaN"); modelgate reports what the server holds.
    let reg = Prefixed::new(mlflow_registry(&mlflow_uri()), &unique_prefix("inf"));
    let run = reg.create_run("inf", 1, &Tags::new()).await.unwrap();
    let m = |key: &str, value: f64| Metric {
        key: key.into(),
        value,
        timestamp: 1,
        step: 0,
    };
    reg.log_metrics(
        &run,
        &[m("up", f64::INFINITY), m("down", f64::NEG_INFINITY)],
    )
    .await
    .unwrap();
    let r = &reg.get_runs(&[run]).await.unwrap()[0];
    assert_eq!((r.metrics["up"], r.metrics["down"]), (f64::MAX, f64::MIN));
}

fn auth_registry(credentials: Credentials) -> MlflowRegistry {
    let mut o: MlflowOptions = test_options(&mlflow_auth_uri());
    o.credentials = credentials;
    MlflowRegistry::new(o).unwrap()
}

fn basic(user: &str, password: &str) -> Credentials {
    Credentials::Basic {
        username: user.into(),
        password: Secret::new(password),
    }
}

#[tokio::test]
async fn basic_auth_works_and_refusals_name_the_way_out() {
    let (admin, password) = mlflow_admin();
    let reg = auth_registry(basic(&admin, &password));
    let name = format!("{}secured", unique_prefix("auth"));
    reg.ensure_registered_model(&name, None, &Tags::new())
        .await
        .unwrap();
    assert!(
        reg.list_registered_models()
            .await
            .unwrap()
            .iter()
            .any(|m| m.name == name)
    );

    let wrong = "wrong-password-5521";
    let token = "tok-4b8d2e6f1a";
    for (creds, secret) in [
        (basic(&admin, wrong), wrong),
        (Credentials::Bearer(Secret::new(token)), token),
        (Credentials::None, "\u{0}"),
    ] {
        let err = auth_registry(creds)
            .get_registered_model(&name)
            .await
            .unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(matches!(err, RegistryError::Unauthorized { .. }), "{text}");
        assert!(text.contains("HTTP 401"), "{text}");
        assert!(text.contains("MLFLOW_TRACKING_TOKEN"), "{text}");
        assert!(text.contains("MLFLOW_TRACKING_USERNAME"), "{text}");
        assert!(text.contains("modelgate login"), "{text}");
        assert!(!text.contains(secret), "{text}");
    }

    // A user who may read but not edit the admin's model: 403.
    let user = format!("{}reader", unique_prefix("u")).replace('-', "_");
    let client = http();
    let r = client
        .post(format!("{}/api/2.0/mlflow/users/create", mlflow_auth_uri()))
        .basic_auth(&admin, Some(&password))
        .header("content-type", "application/json")
        .body(json!({"username": user, "password": "reader-password-77"}).to_string())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let reader = auth_registry(basic(&user, "reader-password-77"));
    reader.get_registered_model(&name).await.unwrap();
    let err = reader
        .set_model_tag(&name, "modelgate.risk", "low")
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, RegistryError::Unauthorized { .. }), "{text}");
    assert!(text.contains("HTTP 403"), "{text}");
    assert!(!text.contains("reader-password-77"), "{text}");
    assert!(
        reg.get_registered_model(&name)
            .await
            .unwrap()
            .tags
            .is_empty()
    );
}

mod tls_server {
    use super::*;
    use crate::support::tls::{TlsFront, ca_signed, self_signed};

    fn over_tls(port: u16, host: &str, ca: Option<&std::path::Path>) -> MlflowRegistry {
        let mut o = test_options(&format!("https://{host}:{port}"));
        o.http.ca_cert = ca.map(Into::into);
        MlflowRegistry::new(o).unwrap()
    }

    fn refused(r: Result<impl std::fmt::Debug, RegistryError>) -> String {
        match r {
            Err(RegistryError::InvalidRequest { message }) => message,
            other => panic!("expected a configuration error, got {other:?}"),
        }
    }

    /// Plain `openssl req -x509` (CA:TRUE, the server's own certificate), given
    /// in MLFLOW_TRACKING_SERVER_CERT_PATH, is trusted as Python's MLflow does.
    #[tokio::test]
    async fn a_self_signed_certificate_in_the_cert_path_is_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = self_signed(dir.path(), "server", "IP:127.0.0.1,DNS:localhost");
        let text = std::process::Command::new("openssl")
            .args(["x509", "-noout", "-text", "-in"])
            .arg(&cert)
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&text.stdout).contains("CA:TRUE"),
            "the test certificate is a CA certificate, as openssl makes it"
        );
        let front = TlsFront::start(&cert, &key, &mlflow_uri());
        let reg = over_tls(front.port, "127.0.0.1", Some(&cert));
        reg.list_registered_models().await.unwrap();
        over_tls(front.port, "localhost", Some(&cert))
            .check_access()
            .await
            .unwrap();

        // A server certificate signed by a private CA in the file: webpki's path.
        let dir = tempfile::tempdir().unwrap();
        let (ca, leaf, leaf_key) = ca_signed(dir.path(), "IP:127.0.0.1");
        let front = TlsFront::start(&leaf, &leaf_key, &mlflow_uri());
        over_tls(front.port, "127.0.0.1", Some(&ca))
            .list_registered_models()
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn certificate_errors_are_not_retried_and_say_what_to_fix() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = self_signed(dir.path(), "server", "IP:127.0.0.1");
        let (other, _) = self_signed(dir.path(), "other", "IP:127.0.0.1");
        let front = TlsFront::start(&cert, &key, &mlflow_uri());

        // No cert path: not trusted, and the variable to set is named.
        let message = refused(over_tls(front.port, "127.0.0.1", None).check_access().await);
        assert!(message.contains("is not trusted"), "{message}");
        assert!(
            message.contains("MLFLOW_TRACKING_SERVER_CERT_PATH"),
            "{message}"
        );
        assert!(!message.contains("check that it runs"), "{message}");
        assert_eq!(front.connections(), 1, "a certificate error is not retried");

        // Another certificate in the file: not trusted, naming the file.
        let message = refused(
            over_tls(front.port, "127.0.0.1", Some(&other))
                .check_access()
                .await,
        );
        assert!(message.contains("is not trusted"), "{message}");
        assert!(message.contains(&other.display().to_string()), "{message}");
        assert_eq!(front.connections(), 2);

        // The right certificate, but it does not name the host used.
        let message = refused(
            over_tls(front.port, "localhost", Some(&cert))
                .check_access()
                .await,
        );
        assert!(message.contains("does not name that host"), "{message}");
        assert!(message.contains("subjectAltName"), "{message}");
        assert_eq!(front.connections(), 3);

        // https to a plain-HTTP server: said so, not retried.
        let plain = mlflow_uri().replace("http://", "https://");
        let mut o = test_options(&plain);
        o.http.ca_cert = Some(cert.clone());
        let message = refused(MlflowRegistry::new(o).unwrap().check_access().await);
        assert!(message.contains("speaks https"), "{message}");
    }

    /// A redirect from https to plain http (same host and port) is refused:
    /// the credentials would travel in the clear.
    #[tokio::test]
    async fn a_redirect_from_https_to_http_is_refused_naming_both() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = self_signed(dir.path(), "server", "IP:127.0.0.1");
        let plain = format!("{}/api/2.0/mlflow/registered-models/search", mlflow_uri());
        let front = TlsFront::redirecting(&cert, &key, &plain);
        let mut o = test_options(&format!("https://127.0.0.1:{}", front.port));
        o.http.ca_cert = Some(cert.clone());
        o.credentials = Credentials::Bearer(Secret::new("tok-redirect-1234"));
        let message = refused(
            MlflowRegistry::new(o)
                .unwrap()
                .list_registered_models()
                .await,
        );
        assert!(message.contains("from https to plain http"), "{message}");
        assert!(
            message.contains(&format!("https://127.0.0.1:{}", front.port)),
            "{message}"
        );
        assert!(message.contains(&mlflow_uri()), "{message}");
        assert!(!message.contains("tok-redirect"), "{message}");
        assert_eq!(front.connections(), 1, "not retried");
    }
}

/// `show` on a version whose model directory never ends: the walk stops at
/// its limit and the review still shows, with the problem named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_reports_an_endless_model_directory_as_a_problem() {
    use crate::support::proxy::{Fault, Proxy};
    let uri = mlflow_uri();
    let prefix = unique_prefix("walk");
    let reg = Prefixed::new(mlflow_registry(&uri), &prefix);
    reg.ensure_registered_model("m", None, &Tags::new())
        .await
        .unwrap();
    let run = reg.create_run("walk", 1, &Tags::new()).await.unwrap();
    reg.upload_artifact(&run, "model/MLmodel", b"flavors: {}\n")
        .await
        .unwrap();
    reg.create_model_version("m", &format!("runs:/{run}/model"), &run, None, &Tags::new())
        .await
        .unwrap();
    let proxy = Proxy::start(&uri).await;
    proxy.fail(
        None,
        "artifacts%2Fmodel",
        Fault::Answer(200, |_| {
            r#"{"files": [{"path": "d", "is_dir": true}]}"#.to_owned()
        }),
        usize::MAX,
    );
    let home = tempfile::tempdir().unwrap();
    let name = format!("{prefix}m");
    let proxy_uri = proxy.uri.clone();
    let out = tokio::task::spawn_blocking(move || {
        let h = home.path();
        hermetic::modelgate(h)
            .args(["--uri", &proxy_uri, "show", &name, "1", "--json"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let show: Value = serde_json::from_str(&stdout).unwrap();
    let problems = show["problems"].to_string();
    assert!(problems.contains("more than 16 levels deep"), "{problems}");
    assert_eq!(show["version"], "1");
    // Each walk stops after 17 listings (the root and 16 levels); `show`
    // walks the model directory twice.
    let hits = proxy.hits("artifacts%2Fmodel");
    assert_eq!(hits, 2 * 17, "{hits} listings");
}
