//! The MLflow client against faults: a proxy on loopback between modelgate and
//! the real server injects delays past the timeout, connection resets, 500s and
//! 429s, truncated bodies, invalid JSON and a 50 MB body; and it answers for a
//! hostile server itself: endless pages, trickling and silent answers, pages
//! over the size asked for, endless directory trees, `..` artifact locations,
//! redirects to another origin, echoed secrets, multi-line SQL errors. Each
//! gives a clear error or succeeds after a retry; nothing is written twice;
//! nothing panics; nothing takes longer than its deadline.

use std::time::Duration;

use modelgate::registry::mlflow::MlflowRegistry;
use modelgate::registry::mlflow::auth::{Credentials, Secret};
use modelgate::registry::{Registry, RegistryError, RegistryWriter, Tags};

use crate::support::proxy::{Fault, Proxy};
use crate::support::*;

const MB: usize = 1024 * 1024;

/// A model `<prefix>m` with two versions on one run with a model directory and
/// a report, written straight to the server (not through the proxy).
async fn fixture(tag: &str) -> (String, String) {
    let prefix = unique_prefix(tag);
    let reg = Prefixed::new(mlflow_registry(&mlflow_uri()), &prefix);
    reg.ensure_registered_model("m", None, &Tags::new())
        .await
        .unwrap();
    let run = reg.create_run("faults", 1, &Tags::new()).await.unwrap();
    reg.upload_artifact(&run, "model/MLmodel", b"flavors: {}\n")
        .await
        .unwrap();
    reg.upload_artifact(&run, "modelgate/model_card.md", b"# card\n")
        .await
        .unwrap();
    for _ in 0..2 {
        reg.create_model_version("m", &format!("runs:/{run}/model"), &run, None, &Tags::new())
            .await
            .unwrap();
    }
    (format!("{prefix}m"), run)
}

/// A client through the proxy: 3 attempts, 3 s read timeout, quick backoff.
fn through(proxy: &Proxy) -> MlflowRegistry {
    mlflow_registry(&proxy.uri)
}

fn unavailable(r: Result<impl std::fmt::Debug, RegistryError>) -> String {
    match r {
        Err(RegistryError::Unavailable { message }) => message,
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn a_delay_past_the_read_timeout_is_retried() {
    let (name, _) = fixture("delay").await;
    let proxy = Proxy::start(&mlflow_uri()).await;
    let reg = through(&proxy);
    proxy.fail(
        None,
        "model-versions/get?",
        Fault::Delay(Duration::from_secs(5)),
        1,
    );
    let v = reg.get_version(&name, "1").await.unwrap();
    assert_eq!(v.version, "1");
    assert_eq!(
        proxy.hits("model-versions/get?"),
        2,
        "one timeout, one retry"
    );

    // Always too slow: a clear error after the configured attempts.
    proxy.clear();
    proxy.fail(
        None,
        "model-versions/get?",
        Fault::Delay(Duration::from_secs(5)),
        3,
    );
    let message = unavailable(reg.get_version(&name, "1").await);
    assert!(message.contains("did not answer within 3 s"), "{message}");
    assert!(message.contains("gave up after 3 attempts"), "{message}");
    assert_eq!(proxy.hits("model-versions/get?"), 3);
}

#[tokio::test]
async fn resets_500s_and_429s_on_reads_are_retried() {
    let (name, _) = fixture("reset").await;
    let proxy = Proxy::start(&mlflow_uri()).await;
    let reg = through(&proxy);
    // The queue's search is a read: every kind of failure is retried.
    proxy.fail(None, "model-versions/search", Fault::Reset, 1);
    proxy.fail(None, "model-versions/search", Fault::Status(500), 1);
    assert_eq!(reg.list_versions(&name).await.unwrap().len(), 2);
    assert_eq!(proxy.hits("model-versions/search"), 3);

    proxy.clear();
    proxy.fail(None, "registered-models/get", Fault::TooMany(1), 1);
    reg.get_registered_model(&name).await.unwrap();
    assert_eq!(proxy.hits("registered-models/get"), 2);

    // The POST search of runs is a read too.
    proxy.clear();
    proxy.fail(Some("POST"), "runs/search", Fault::Status(503), 2);
    let v = reg.get_version(&name, "1").await.unwrap();
    let runs = reg.get_runs(&[v.run_id.clone().unwrap()]).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(proxy.hits("runs/search"), 3);

    // A 500 that does not go away: MLflow's error body is in the message.
    proxy.clear();
    proxy.fail(None, "registered-models/get", Fault::Status(500), 3);
    let message = unavailable(reg.get_registered_model(&name).await);
    assert!(message.contains("HTTP 500"), "{message}");
    assert!(
        message.contains("INTERNAL_ERROR: injected failure 500"),
        "{message}"
    );
    assert!(message.contains("gave up after 3 attempts"), "{message}");
}

#[tokio::test]
async fn a_long_retry_after_is_not_waited_for() {
    let (name, _) = fixture("429").await;
    let proxy = Proxy::start(&mlflow_uri()).await;
    let reg = through(&proxy);
    proxy.fail(None, "registered-models/get", Fault::TooMany(3600), 1);
    let message = unavailable(reg.get_registered_model(&name).await);
    assert!(message.contains("asks to wait 3600 s"), "{message}");
    assert_eq!(proxy.hits("registered-models/get"), 1);
}

#[tokio::test]
async fn truncated_and_invalid_answers_are_retried_then_reported() {
    let (name, _) = fixture("trunc").await;
    let proxy = Proxy::start(&mlflow_uri()).await;
    let reg = through(&proxy);
    proxy.fail(None, "model-versions/get?", Fault::Truncate, 1);
    proxy.fail(None, "model-versions/get?", Fault::InvalidJson, 1);
    assert_eq!(reg.get_version(&name, "2").await.unwrap().version, "2");
    assert_eq!(proxy.hits("model-versions/get?"), 3);

    proxy.clear();
    proxy.fail(None, "model-versions/get?", Fault::InvalidJson, 3);
    match reg.get_version(&name, "2").await {
        Err(RegistryError::InvalidResponse { message }) => {
            assert!(
                message.contains("not the JSON modelgate expects"),
                "{message}"
            );
            assert!(message.contains("gave up after 3 attempts"), "{message}");
        }
        other => panic!("expected InvalidResponse, got {other:?}"),
    }

    proxy.clear();
    proxy.fail(None, "model-versions/get?", Fault::Truncate, 3);
    let message = unavailable(reg.get_version(&name, "2").await);
    assert!(message.contains("cut off"), "{message}");
}

#[tokio::test]
async fn a_50_mb_body_is_refused_without_reading_it() {
    let (name, run) = fixture("huge").await;
    let proxy = Proxy::start(&mlflow_uri()).await;
    let reg = through(&proxy);
    let huge = |content_length| Fault::Huge {
        bytes: 50 * MB,
        content_length,
    };
    // An artifact: the declared length is refused before the body is read...
    proxy.fail(None, "model_card.md", huge(true), 1);
    match reg
        .read_run_artifact(&run, "modelgate/model_card.md", 10 * MB as u64)
        .await
    {
        Err(RegistryError::TooLarge { size, limit, .. }) => {
            assert_eq!((size, limit), (50 * MB as u64, 10 * MB as u64))
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    // ...and without a length, counting stops at the limit.
    proxy.fail(None, "model_card.md", huge(false), 1);
    match reg
        .read_run_artifact(&run, "modelgate/model_card.md", 10 * MB as u64)
        .await
    {
        Err(RegistryError::TooLarge { size, limit, .. }) => {
            assert!(size > limit && size < limit + MB as u64, "{size}");
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert_eq!(proxy.hits("model_card.md"), 2, "TooLarge is not retried");
    // The real file is still readable.
    assert_eq!(
        reg.read_run_artifact(&run, "modelgate/model_card.md", 100)
            .await
            .unwrap(),
        b"# card\n"
    );

    // A JSON answer over the configured cap is an error, not 50 MB in memory.
    let mut opts = test_options(&proxy.uri);
    opts.http.max_response_bytes = 8 * MB as u64;
    let capped = MlflowRegistry::new(opts).unwrap();
    proxy.fail(None, "registered-models/get", huge(false), 1);
    match capped.get_registered_model(&name).await {
        Err(RegistryError::InvalidResponse { message }) => {
            assert!(message.contains("max_response_mib"), "{message}")
        }
        other => panic!("expected InvalidResponse, got {other:?}"),
    }
}

#[tokio::test]
async fn a_tag_write_retried_after_a_reset_leaves_exactly_one_tag() {
    let (name, _) = fixture("tagw").await;
    let proxy = Proxy::start(&mlflow_uri()).await;
    let reg = through(&proxy);
    // The server applies the write, then the answer is lost: modelgate retries.
    proxy.fail(
        Some("POST"),
        "model-versions/set-tag",
        Fault::ResetAfterForward,
        1,
    );
    reg.set_version_tag(&name, "1", "modelgate.review", "pending")
        .await
        .unwrap();
    assert_eq!(proxy.hits("model-versions/set-tag"), 2);
    proxy.fail(
        Some("POST"),
        "registered-models/alias",
        Fault::ResetAfterForward,
        1,
    );
    reg.set_alias(&name, "champion", "2").await.unwrap();
    proxy.fail(
        Some("DELETE"),
        "model-versions/delete-tag",
        Fault::Status(502),
        1,
    );
    reg.set_version_tag(&name, "2", "k", "v").await.unwrap();
    reg.delete_version_tag(&name, "2", "k").await.unwrap();

    let direct = mlflow_registry(&mlflow_uri());
    let v1 = direct.get_version(&name, "1").await.unwrap();
    assert_eq!(v1.tags.len(), 1);
    assert_eq!(v1.tags["modelgate.review"], "pending");
    assert!(
        direct
            .get_version(&name, "2")
            .await
            .unwrap()
            .tags
            .is_empty()
    );
    let m = direct.get_registered_model(&name).await.unwrap();
    assert_eq!(m.aliases.len(), 1);
    assert_eq!(m.aliases["champion"], "2");
    let pending = direct
        .search_versions_by_tag("modelgate.review", "pending")
        .await
        .unwrap();
    assert_eq!(pending.iter().filter(|v| v.name == name).count(), 1);
}

#[tokio::test]
async fn a_version_create_is_never_sent_twice() {
    let (name, run) = fixture("create").await;
    let proxy = Proxy::start(&mlflow_uri()).await;
    let reg = through(&proxy);
    // The server creates version 3, the answer is lost: modelgate must not create 4.
    proxy.fail(
        Some("POST"),
        "model-versions/create",
        Fault::ResetAfterForward,
        1,
    );
    let message = unavailable(
        reg.create_model_version(
            &name,
            &format!("runs:/{run}/model"),
            &run,
            None,
            &Tags::new(),
        )
        .await,
    );
    assert!(message.contains("check before trying again"), "{message}");
    assert_eq!(proxy.hits("model-versions/create"), 1);
    // A request that never reached the server is sent again.
    proxy.fail(Some("POST"), "model-versions/create", Fault::TooMany(0), 1);
    let v = reg
        .create_model_version(
            &name,
            &format!("runs:/{run}/model"),
            &run,
            None,
            &Tags::new(),
        )
        .await
        .unwrap();
    assert_eq!(v, "4");
    let numbers: Vec<String> = mlflow_registry(&mlflow_uri())
        .list_versions(&name)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(numbers, ["1", "2", "3", "4"]);

    // A run create whose answer is lost is not repeated either.
    proxy.fail(Some("POST"), "runs/create", Fault::ResetAfterForward, 1);
    unavailable(
        reg.create_run(&format!("{name}-exp"), 1, &Tags::new())
            .await,
    );
    assert_eq!(proxy.hits("runs/create"), 1);
}

#[tokio::test]
async fn a_refused_run_batch_falls_back_to_single_calls() {
    let prefix = unique_prefix("batch");
    let direct = Prefixed::new(mlflow_registry(&mlflow_uri()), &prefix);
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(direct.create_run("batch", 1, &Tags::new()).await.unwrap());
    }
    let proxy = Proxy::start(&mlflow_uri()).await;
    let reg = through(&proxy);
    proxy.fail(Some("POST"), "runs/search", Fault::Status(400), 10);
    let runs = reg.get_runs(&ids).await.unwrap();
    let got: Vec<&str> = runs.iter().map(|r| r.run_id.as_str()).collect();
    let want: Vec<&str> = ids.iter().map(String::as_str).collect();
    assert_eq!(got, want);
    assert_eq!(proxy.hits("runs/get"), 4);
    // Without the fault, one search serves them all.
    proxy.clear();
    reg.get_runs(&ids).await.unwrap();
    assert_eq!((proxy.hits("runs/search"), proxy.hits("runs/get")), (1, 0));
}

#[tokio::test]
async fn no_server_is_a_clear_error() {
    // A port nothing listens on: bind, note it, close.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let reg = mlflow_registry(&format!("http://127.0.0.1:{port}"));
    let message = unavailable(reg.list_registered_models().await);
    assert!(
        message.contains("cannot connect to http://127.0.0.1"),
        "{message}"
    );
    assert!(message.contains("gave up after 3 attempts"), "{message}");
    let full = RegistryError::Unavailable { message }.to_string();
    assert!(
        full.contains("check that it runs and is reachable"),
        "{full}"
    );

    // A server that is not MLflow's API at that path: a plain 404 is not "not found".
    let wrong = mlflow_registry(&format!("{}/not-mlflow", mlflow_uri()));
    match wrong.get_registered_model("m").await {
        Err(RegistryError::InvalidResponse { message }) => {
            assert!(message.contains("HTTP 404"), "{message}");
            assert!(message.contains("an MLflow 3 tracking server"), "{message}");
        }
        other => panic!("expected InvalidResponse, got {other:?}"),
    }
}

#[tokio::test]
async fn a_token_echoed_in_a_401_never_reaches_the_error() {
    let proxy = Proxy::start(&mlflow_uri()).await;
    let token = "tok-9c1e5d0b7a2f";
    let mut opts = test_options(&proxy.uri);
    opts.credentials = Credentials::Bearer(Secret::new(token));
    let reg = MlflowRegistry::new(opts).unwrap();
    proxy.fail(None, "registered-models/search", Fault::EchoAuth, 1);
    let err = reg.list_registered_models().await.unwrap_err();
    let shown = format!("{err} {err:?} {reg:?}");
    assert!(matches!(err, RegistryError::Unauthorized { .. }), "{shown}");
    assert!(!shown.contains(token), "{shown}");
    assert!(shown.contains("<redacted>"), "{shown}");
    assert!(shown.contains("MLFLOW_TRACKING_TOKEN"), "{shown}");
    assert!(shown.contains("modelgate login"), "{shown}");
    assert_eq!(
        proxy.hits("registered-models/search"),
        1,
        "a 401 is not retried"
    );
}

fn invalid_response(r: Result<impl std::fmt::Debug, RegistryError>) -> String {
    match r {
        Err(RegistryError::InvalidResponse { message }) => message,
        other => panic!("expected InvalidResponse, got {other:?}"),
    }
}

fn invalid_request(r: Result<impl std::fmt::Debug, RegistryError>) -> String {
    match r {
        Err(RegistryError::InvalidRequest { message }) => message,
        other => panic!("expected InvalidRequest, got {other:?}"),
    }
}

#[tokio::test]
async fn endless_pagination_stops_with_a_clear_error() {
    let (name, _) = fixture("pages").await;
    let proxy = Proxy::start(&mlflow_uri()).await;
    let mut opts = test_options(&proxy.uri);
    opts.max_pages = 5;
    let reg = MlflowRegistry::new(opts).unwrap();
    let search = "model-versions/search";
    // An empty page that names a new next page, forever.
    proxy.fail(
        None,
        search,
        Fault::Answer(200, |n| {
            format!(r#"{{"model_versions": [], "next_page_token": "t{n}"}}"#)
        }),
        usize::MAX,
    );
    let message = invalid_response(reg.list_versions(&name).await);
    assert!(message.contains("empty page"), "{message}");
    assert_eq!(proxy.hits(search), 1);

    // Two tokens taking turns.
    proxy.clear();
    proxy.fail(
        None,
        search,
        Fault::Answer(200, |n| {
            format!(
                r#"{{"model_versions": [{{"name": "x", "version": "1"}}], "next_page_token": "{}"}}"#,
                ["a", "b"][n % 2]
            )
        }),
        usize::MAX,
    );
    let message = invalid_response(reg.list_versions(&name).await);
    assert!(message.contains("already sent"), "{message}");
    assert_eq!(proxy.hits(search), 3);

    // A new token each time, with content: the page limit ends it.
    proxy.clear();
    proxy.fail(
        None,
        search,
        Fault::Answer(200, |n| {
            format!(
                r#"{{"model_versions": [{{"name": "x", "version": "{}"}}], "next_page_token": "t{n}"}}"#,
                n + 1
            )
        }),
        usize::MAX,
    );
    let message = invalid_response(reg.list_versions(&name).await);
    assert!(message.contains("after 5 pages"), "{message}");
    assert!(message.contains("max_pages"), "{message}");
    assert_eq!(proxy.hits(search), 5);
}

#[tokio::test]
async fn a_trickling_or_silent_server_is_given_up_at_the_deadline() {
    let proxy = Proxy::start(&mlflow_uri()).await;
    let mut opts = test_options(&proxy.uri);
    opts.http.attempts = 100;
    opts.http.request_timeout = Duration::from_millis(1500);
    opts.http.read_deadline = Duration::from_secs(4);
    let reg = MlflowRegistry::new(opts).unwrap();
    let get = "registered-models/get";
    // One byte every 200 ms: never idle for the 3 s read timeout, never done.
    proxy.fail(
        None,
        get,
        Fault::Trickle(Duration::from_millis(200)),
        usize::MAX,
    );
    let message = unavailable(reg.get_registered_model("m").await);
    assert!(
        message.contains("did not send its whole answer within"),
        "{message}"
    );
    assert!(message.contains("4 s deadline"), "{message}");
    assert!(message.contains("read_deadline_seconds"), "{message}");
    let tries = proxy.hits(get);
    assert!(
        (2..=3).contains(&tries),
        "{tries} tries in 4 s of 1.5 s each"
    );

    // Never a byte: the same bound.
    proxy.clear();
    proxy.fail(None, get, Fault::Silent, usize::MAX);
    let message = unavailable(reg.get_registered_model("m").await);
    assert!(message.contains("4 s deadline"), "{message}");
    let tries = proxy.hits(get);
    assert!((2..=3).contains(&tries), "{tries} tries");
}

#[tokio::test]
async fn an_answer_that_is_not_json_is_not_fetched_again() {
    let proxy = Proxy::start(&mlflow_uri()).await;
    let reg = through(&proxy);
    let get = "registered-models/get";
    proxy.fail(
        None,
        get,
        Fault::Answer(200, |_| "<html>a login page</html>".to_owned()),
        usize::MAX,
    );
    let message = invalid_response(reg.get_registered_model("m").await);
    assert!(
        message.contains("not the JSON modelgate expects"),
        "{message}"
    );
    assert_eq!(
        proxy.hits(get),
        1,
        "a whole answer that is wrong is wrong again"
    );
}

#[tokio::test]
async fn a_page_over_the_size_asked_for_is_refused() {
    let proxy = Proxy::start(&mlflow_uri()).await;
    let reg = through(&proxy);
    // The client asks for 3 a page; the server sends 50.
    proxy.fail(
        None,
        "model-versions/search",
        Fault::Answer(200, |_| {
            let versions: Vec<String> = (1..=50)
                .map(|v| format!(r#"{{"name": "x", "version": "{v}"}}"#))
                .collect();
            format!(r#"{{"model_versions": [{}]}}"#, versions.join(","))
        }),
        usize::MAX,
    );
    let message = invalid_response(reg.search_versions_by_tag("k", "v").await);
    assert!(
        message.contains("more than 3 entries on one page"),
        "{message}"
    );
    assert_eq!(proxy.hits("model-versions/search"), 1);
}

#[tokio::test]
async fn an_endless_directory_tree_is_walked_to_a_limit() {
    let (name, _) = fixture("tree").await;
    let proxy = Proxy::start(&mlflow_uri()).await;
    let reg = through(&proxy);
    let listing = "mlflow-artifacts/artifacts?path=";
    // Every directory holds one more.
    proxy.fail(
        None,
        listing,
        Fault::Answer(200, |_| {
            r#"{"files": [{"path": "d", "is_dir": true}]}"#.to_owned()
        }),
        usize::MAX,
    );
    let message = invalid_response(reg.list_model_files(&name, "1").await);
    assert!(message.contains("more than 16 levels deep"), "{message}");
    assert_eq!(proxy.hits(listing), 17);

    // Wide instead of deep: 100 directories each, the request limit ends it.
    proxy.clear();
    proxy.fail(
        None,
        listing,
        Fault::Answer(200, |_| {
            let dirs: Vec<String> = (0..100)
                .map(|i| format!(r#"{{"path": "d{i}", "is_dir": true}}"#))
                .collect();
            format!(r#"{{"files": [{}]}}"#, dirs.join(","))
        }),
        usize::MAX,
    );
    let message = invalid_response(reg.list_model_files(&name, "2").await);
    assert!(message.contains("more than 1000 directories"), "{message}");
    assert_eq!(proxy.hits(listing), 1000);
}

#[tokio::test]
async fn an_artifact_location_with_dot_dot_is_neither_listed_nor_read() {
    let (name, _) = fixture("dotdot").await;
    let proxy = Proxy::start(&mlflow_uri()).await;
    let reg = through(&proxy);
    proxy.fail(
        None,
        "get-download-uri",
        Fault::Answer(200, |_| {
            r#"{"artifact_uri": "mlflow-artifacts:/../../../etc"}"#.to_owned()
        }),
        usize::MAX,
    );
    let listed = invalid_response(reg.list_model_files(&name, "1").await);
    let read = invalid_response(reg.read_model_file(&name, "1", "passwd", 100).await);
    for message in [listed, read] {
        assert!(message.contains("`.`, `..` or empty segments"), "{message}");
    }
    assert_eq!(proxy.hits("mlflow-artifacts/"), 0, "nothing was asked for");
}

#[tokio::test]
async fn redirects_stay_on_the_configured_origin() {
    let (name, _) = fixture("redirect").await;
    let proxy = Proxy::start(&mlflow_uri()).await;
    let elsewhere = Proxy::start(&mlflow_uri()).await;
    let reg = through(&proxy);
    let set = "model-versions/set-tag";
    // A 307 to another origin would make the write (and its credentials) go there.
    proxy.fail(
        Some("POST"),
        set,
        Fault::Redirect(
            307,
            format!("{}/api/2.0/mlflow/model-versions/set-tag", elsewhere.uri),
        ),
        1,
    );
    let message = invalid_request(reg.set_version_tag(&name, "1", "k", "v").await);
    assert!(message.contains("another origin"), "{message}");
    assert!(message.contains(&proxy.uri), "{message}");
    assert!(message.contains(&elsewhere.uri), "{message}");
    assert_eq!(
        elsewhere.seen().len(),
        0,
        "nothing was sent to the other origin"
    );
    assert_eq!(proxy.hits(set), 1, "a refused redirect is not retried");
    let direct = mlflow_registry(&mlflow_uri());
    assert!(
        direct
            .get_version(&name, "1")
            .await
            .unwrap()
            .tags
            .is_empty()
    );

    // On the same origin, a 307 keeps the method and body and is followed.
    proxy.clear();
    proxy.fail(
        Some("POST"),
        set,
        Fault::Redirect(
            307,
            "/api/2.0/mlflow/model-versions/set-tag?again=1".to_owned(),
        ),
        1,
    );
    reg.set_version_tag(&name, "1", "k", "v").await.unwrap();
    assert_eq!(proxy.hits(set), 2);
    assert_eq!(direct.get_version(&name, "1").await.unwrap().tags["k"], "v");

    // A 302 would turn the POST into a GET: refused. For a GET it is followed.
    proxy.clear();
    proxy.fail(
        Some("POST"),
        set,
        Fault::Redirect(302, "/elsewhere".to_owned()),
        1,
    );
    let message = invalid_request(reg.set_version_tag(&name, "1", "k", "w").await);
    assert!(message.contains("turn the write into a GET"), "{message}");
    proxy.fail(
        None,
        "registered-models/get",
        Fault::Redirect(
            302,
            format!("/api/2.0/mlflow/registered-models/get?name={name}"),
        ),
        1,
    );
    reg.get_registered_model(&name).await.unwrap();

    // A redirect loop on the same origin ends.
    proxy.fail(
        None,
        "registered-models/get",
        Fault::Redirect(
            302,
            format!("/api/2.0/mlflow/registered-models/get?name={name}"),
        ),
        usize::MAX,
    );
    let message = invalid_response(reg.get_registered_model(&name).await);
    assert!(message.contains("more than 5 redirects"), "{message}");
}

#[tokio::test]
async fn a_token_echoed_encoded_or_in_another_case_is_cut_out() {
    let proxy = Proxy::start(&mlflow_uri()).await;
    let token = "tok-9c1e5d0b/7a2f+x";
    let mut opts = test_options(&proxy.uri);
    opts.credentials = Credentials::Bearer(Secret::new(token));
    let reg = MlflowRegistry::new(opts).unwrap();
    let echoes: [fn(&str) -> String; 3] = [
        |h| h.to_uppercase(),
        |h| h.replace('/', "%2F").replace('+', "%2B"),
        |h| h.replace('/', "%2f").replace('+', "%2b").to_uppercase(),
    ];
    for echo in echoes {
        proxy.clear();
        proxy.fail(None, "registered-models/search", Fault::EchoAuthAs(echo), 1);
        let err = reg.list_registered_models().await.unwrap_err();
        let shown = format!("{err} {err:?}");
        let lower = shown.to_lowercase();
        assert!(!lower.contains("9c1e5d0b"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}

#[tokio::test]
async fn user_info_of_a_uri_without_a_scheme_is_never_printed() {
    for uri in [
        "bob:SECRET@127.0.0.1:5000",
        "bob:SE/CRET@host",
        "ftp://bob:SECRET@h",
    ] {
        let err = MlflowRegistry::new(test_options(uri))
            .unwrap_err()
            .to_string();
        assert!(!err.contains("SECRET") && !err.contains("CRET"), "{err}");
        assert!(err.contains("http(s)://"), "{err}");
    }
}

#[tokio::test]
async fn a_token_that_cannot_be_a_header_is_refused_naming_the_variable() {
    let mut opts = test_options(&mlflow_uri());
    opts.credentials = Credentials::Bearer(Secret::new("tok-1\n"));
    opts.http.credential_source = modelgate::registry::mlflow::auth::CredentialSource::Environment;
    let message = invalid_request(MlflowRegistry::new(opts));
    assert!(message.contains("MLFLOW_TRACKING_TOKEN"), "{message}");
    assert!(
        message.contains("cannot be sent in an HTTP header"),
        "{message}"
    );
    assert!(!message.contains("tok-1"), "{message}");
}

#[tokio::test]
async fn server_error_bodies_are_summarised_not_dumped() {
    let proxy = Proxy::start(&mlflow_uri()).await;
    let reg = through(&proxy);
    let get = "registered-models/get";
    // What MLflow's SQL store answers for a constraint violation.
    proxy.fail(
        None,
        get,
        Fault::Answer(400, |_| {
            serde_json::json!({
                "error_code": "INVALID_PARAMETER_VALUE",
                "message": "(sqlite3.IntegrityError) UNIQUE constraint failed: model_versions.name, model_versions.version\n[SQL: INSERT INTO model_versions (name, version) VALUES (?, ?)]\n[parameters: ('m', 3)]\n(Background on this error at: https://sqlalche.me/e/20/gkpj)",
            })
            .to_string()
        }),
        1,
    );
    let message = invalid_request(reg.get_registered_model("m").await);
    assert!(message.contains("UNIQUE constraint failed"), "{message}");
    assert!(message.contains("[3 more lines not shown]"), "{message}");
    assert!(
        !message.contains("INSERT INTO") && !message.contains('\n'),
        "{message}"
    );

    // A proxy's HTML page: its size and the start of its first line only.
    proxy.fail(
        None,
        get,
        Fault::Answer(502, |_| {
            format!(
                "<html><head><title>502 Bad Gateway</title></head>\n{}",
                "x".repeat(5000)
            )
        }),
        3,
    );
    let message = unavailable(reg.get_registered_model("m").await);
    assert!(message.contains("not MLflow's error JSON"), "{message}");
    assert!(message.contains("<html><head><title>502"), "{message}");
    assert!(!message.contains("xxxxxxxxxx"), "{message}");
}
