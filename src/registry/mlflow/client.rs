//! HTTP to an MLflow server: timeouts and deadlines, bounded concurrency,
//! retries with jittered backoff, size caps, same-origin redirects only, and
//! MLflow's error bodies mapped to `RegistryError` (`failure.rs`).
//!
//! Retry rules. Reads (the POST searches included) and idempotent writes (tags,
//! aliases, log-batch, artifact uploads: the same request twice leaves the same
//! state) are retried on connection errors, timeouts, cut-off answers, 429
//! (honouring `Retry-After`) and 5xx. Writes that create something (a run, a
//! model version) are retried only when the request surely never reached the
//! server (the connection could not be made, or 429), so nothing is created
//! twice. Never retried: an answer that arrived whole but is not the JSON
//! expected, certificate errors, refused redirects, 4xx other than 429.
//!
//! Time. Each attempt has a total limit (`request_timeout` for JSON calls),
//! besides the idle `read_timeout`; each operation (one registry primitive,
//! its pages and retries included) ends by its deadline (`read_deadline` or
//! `write_deadline`), so a server that trickles or never answers costs at most
//! that long.

use std::future::Future;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::auth::{CredentialSource, Credentials};
pub(super) use super::body::{BodyError, read_capped};
use super::wire;
use crate::registry::{RegistryError, Result};

/// Error bodies are short; anything longer is cut before it is read whole.
pub(super) const ERROR_BODY_MAX: u64 = 64 * 1024;
/// Entries of all lists in one JSON answer together (tags, versions, files...):
/// with the byte cap, this bounds the memory an answer can take once parsed.
pub const MAX_ITEMS_PER_ANSWER: usize = 1_000_000;

/// Tunables of the HTTP layer (`[mlflow]` in config.toml).
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub connect_timeout: Duration,
    /// Longest silence while waiting for or reading an answer.
    pub read_timeout: Duration,
    /// Longest one JSON request may take, from sending to the last byte.
    pub request_timeout: Duration,
    /// Longest one read operation may take, its pages and retries included.
    pub read_deadline: Duration,
    /// The same for a write.
    pub write_deadline: Duration,
    /// Tries per request, the first included (at least 1).
    pub attempts: u32,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Cap on one JSON answer (artifact reads have their own `max_bytes`).
    pub max_response_bytes: u64,
    /// First backoff delay; it doubles per attempt, with jitter, up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// A `Retry-After` longer than this is not waited for: the request fails.
    pub max_retry_after: Duration,
    /// `MLFLOW_TRACKING_INSECURE_TLS`: accept any server certificate.
    pub insecure_tls: bool,
    /// `MLFLOW_TRACKING_SERVER_CERT_PATH`: the PEM certificates trusted for the server.
    pub ca_cert: Option<PathBuf>,
    /// Where the credentials came from, to name it when they cannot be sent.
    pub credential_source: CredentialSource,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
            read_deadline: Duration::from_secs(60),
            write_deadline: Duration::from_secs(120),
            attempts: 5,
            concurrency: 16,
            max_response_bytes: 256 * 1024 * 1024,
            backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(60),
            insecure_tls: false,
            ca_cert: None,
            credential_source: CredentialSource::Explicit,
        }
    }
}

/// Whether a request may be sent again after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// A read or an idempotent write.
    Always,
    /// A write that creates something: again only if it never reached the server.
    Unsent,
}

/// A request body.
#[derive(Debug, Clone)]
pub enum Body {
    None,
    Json(Vec<u8>),
    Bytes(Vec<u8>),
}

/// The outcome of one attempt.
pub(super) enum Attempt<T> {
    Done(T),
    /// Worth another try; `error` is what the caller gets if none is left.
    Again {
        error: RegistryError,
        after: Option<Duration>,
    },
    Fail(RegistryError),
}

/// Why a request got no answer to look at.
pub(super) enum SendError {
    Transport(reqwest::Error),
    /// A redirect modelgate does not follow: a configuration error.
    Refused(RegistryError),
}

/// Runs a whole command under one deadline of `kind`, `budget` long: every
/// registry operation it makes shares it, so a command of many operations
/// against a slow server gives up once, at its deadline, not once per
/// operation. Operations outside such a scope get a deadline of their own.
pub async fn command<F: Future>(kind: Kind, budget: Duration, f: F) -> F::Output {
    let deadline = Deadline {
        at: Instant::now() + budget,
        budget,
        kind,
    };
    DEADLINE.scope(deadline, f).await
}

/// Which deadline an operation runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Read,
    Write,
}

#[derive(Debug, Clone, Copy)]
struct Deadline {
    at: Instant,
    budget: Duration,
    kind: Kind,
}

tokio::task_local! {
    /// The deadline of the registry operation being run on this task.
    static DEADLINE: Deadline;
}

pub struct Http {
    client: reqwest::Client,
    /// The server's base URL, ending in `/`, without user info.
    pub(super) base: Url,
    pub(super) credentials: Credentials,
    auth_header: Option<HeaderValue>,
    permits: Arc<Semaphore>,
    pub(super) opts: HttpOptions,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("base", &self.base.as_str())
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl Http {
    pub fn new(base: Url, credentials: Credentials, opts: HttpOptions) -> Result<Http> {
        // reqwest is built without a default crypto provider (aws-lc-rs is slow to
        // build); ring is installed once per process. A second install fails harmlessly.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let auth_header = credentials
            .header()
            .map_err(|()| unsendable_credentials(&credentials, opts.credential_source))?;
        let mut builder = reqwest::Client::builder()
            .connect_timeout(opts.connect_timeout)
            .read_timeout(opts.read_timeout)
            .user_agent(concat!("modelgate/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(opts.concurrency.max(1))
            // Redirects are followed by `send`, same origin only.
            .redirect(reqwest::redirect::Policy::none());
        if opts.insecure_tls {
            builder = builder.tls_danger_accept_invalid_certs(true);
        } else if let Some(path) = &opts.ca_cert {
            builder = builder.tls_backend_preconfigured(super::tls::client_config(path)?);
        }
        let client = builder.build().map_err(|e| RegistryError::Unavailable {
            message: format!("cannot set up HTTP: {}", chain(&e)),
        })?;
        let permits = Arc::new(Semaphore::new(opts.concurrency.max(1)));
        Ok(Http {
            client,
            base,
            credentials,
            auth_header,
            permits,
            opts,
        })
    }

    pub fn options(&self) -> &HttpOptions {
        &self.opts
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Runs `f` as one operation: every request in it shares one deadline
    /// (an operation already running, or a command run with [`command`],
    /// keeps its own).
    pub async fn operation<F: Future>(&self, kind: Kind, f: F) -> F::Output {
        if DEADLINE.try_with(|_| ()).is_ok() {
            f.await
        } else {
            DEADLINE.scope(self.deadline(kind), f).await
        }
    }

    fn deadline(&self, kind: Kind) -> Deadline {
        let budget = match kind {
            Kind::Read => self.opts.read_deadline,
            Kind::Write => self.opts.write_deadline,
        };
        Deadline {
            at: Instant::now() + budget,
            budget,
            kind,
        }
    }

    /// `api/2.0/mlflow/<endpoint>`.
    pub fn api(&self, endpoint: &str) -> Result<Url> {
        self.base
            .join(&format!("api/2.0/mlflow/{endpoint}"))
            .map_err(|e| invalid_url(&self.base, e))
    }

    /// The artifact proxy's URL of `path` (`<experiment>/<run>/artifacts/...`),
    /// each segment percent-encoded; a path with `.` or `..` segments is refused.
    pub fn artifact(&self, path: &str) -> Result<Url> {
        check_proxy_path(path)?;
        let mut url = self
            .base
            .join("api/2.0/mlflow-artifacts/artifacts")
            .map_err(|e| invalid_url(&self.base, e))?;
        if let Ok(mut segments) = url.path_segments_mut() {
            segments
                .pop_if_empty()
                .extend(path.split('/').filter(|s| !s.is_empty()));
        }
        Ok(url)
    }

    /// The artifact proxy's listing URL for directory `path`.
    pub fn artifact_listing(&self, path: &str) -> Result<Url> {
        check_proxy_path(path)?;
        let mut url = self
            .base
            .join("api/2.0/mlflow-artifacts/artifacts")
            .map_err(|e| invalid_url(&self.base, e))?;
        url.query_pairs_mut().append_pair("path", path);
        Ok(url)
    }

    /// A JSON request; `what` names the object for NotFound and other messages.
    pub async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
        retry: Retry,
        what: &str,
    ) -> Result<T> {
        self.json_page(method, url, body, retry, what, usize::MAX)
            .await
    }

    /// A JSON request whose answer holds at most `page_max` entries in its page.
    pub async fn json_page<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
        retry: Retry,
        what: &str,
        page_max: usize,
    ) -> Result<T> {
        let body =
            match body {
                Some(v) => Body::Json(serde_json::to_vec(v).map_err(|e| {
                    RegistryError::InvalidRequest {
                        message: format!("cannot encode the request for {what}: {e}"),
                    }
                })?),
                None => Body::None,
            };
        let max = self.opts.max_response_bytes;
        let limit = Some(self.opts.request_timeout);
        self.run(what, &method, retry, limit, || async {
            let resp = match self.send(&method, &url, &body, what).await {
                Ok(r) => r,
                Err(e) => return self.send_failure(e, retry, what),
            };
            if !resp.status().is_success() {
                return self.status_failure(resp, retry, what).await;
            }
            let body = match read_capped(resp, max).await {
                Ok(b) => b,
                Err(BodyError::TooLarge(size)) => {
                    return Attempt::Fail(RegistryError::InvalidResponse {
                        message: format!(
                            "{what}: the answer of {} is over {max} bytes (at least {size}); raise [mlflow] max_response_mib if that is expected",
                            url.path()
                        ),
                    });
                }
                Err(BodyError::Read(e)) => return self.read_failure(&e, retry, what),
            };
            let size = body.len();
            match wire::parse_bounded::<T>(body, page_max, MAX_ITEMS_PER_ANSWER) {
                Ok(v) => Attempt::Done(v),
                Err(e) => {
                    let error = RegistryError::InvalidResponse {
                        message: format!(
                            "{what}: the answer of {} ({size} bytes) is not the JSON modelgate expects: {}",
                            url.path(),
                            self.quote(&e.to_string())
                        ),
                    };
                    // Only an answer that ended early may come out whole next time.
                    if e.is_eof() && retry == Retry::Always {
                        Attempt::Again { error, after: None }
                    } else {
                        Attempt::Fail(error)
                    }
                }
            }
        })
        .await
    }

    /// A file's bytes, at most `max_bytes`; `TooLarge` past it without reading it all.
    pub async fn download(&self, url: Url, max_bytes: u64, what: &str) -> Result<Vec<u8>> {
        self.run(what, &Method::GET, Retry::Always, None, || async {
            let resp = match self.send(&Method::GET, &url, &Body::None, what).await {
                Ok(r) => r,
                Err(e) => return self.send_failure(e, Retry::Always, what),
            };
            if !resp.status().is_success() {
                return self.status_failure(resp, Retry::Always, what).await;
            }
            match read_capped(resp, max_bytes).await {
                Ok(mut chunks) => {
                    let mut bytes = Vec::with_capacity(chunks.len());
                    match chunks.read_to_end(&mut bytes) {
                        Ok(_) => Attempt::Done(bytes),
                        Err(e) => Attempt::Fail(RegistryError::InvalidResponse {
                            message: format!("{what}: {e}"),
                        }),
                    }
                }
                Err(BodyError::TooLarge(size)) => Attempt::Fail(RegistryError::TooLarge {
                    what: what.to_owned(),
                    size,
                    limit: max_bytes,
                }),
                Err(BodyError::Read(e)) => self.read_failure(&e, Retry::Always, what),
            }
        })
        .await
    }

    /// PUT of raw bytes (an artifact upload: idempotent, it overwrites).
    pub async fn upload(&self, url: Url, bytes: Vec<u8>, what: &str) -> Result<()> {
        let body = Body::Bytes(bytes);
        self.run(what, &Method::PUT, Retry::Always, None, || async {
            let resp = match self.send(&Method::PUT, &url, &body, what).await {
                Ok(r) => r,
                Err(e) => return self.send_failure(e, Retry::Always, what),
            };
            if !resp.status().is_success() {
                return self.status_failure(resp, Retry::Always, what).await;
            }
            // Drain the (small) answer so the connection can be reused.
            match read_capped(resp, ERROR_BODY_MAX).await {
                Ok(_) | Err(BodyError::TooLarge(_)) => Attempt::Done(()),
                Err(BodyError::Read(e)) => self.read_failure(&e, Retry::Always, what),
            }
        })
        .await
    }

    pub(super) async fn send_once(
        &self,
        method: &Method,
        url: &Url,
        body: &Body,
    ) -> std::result::Result<reqwest::Response, reqwest::Error> {
        let mut req = self.client.request(method.clone(), url.clone());
        if let Some(auth) = &self.auth_header {
            req = req.header(AUTHORIZATION, auth.clone());
        }
        req = match body {
            Body::None => req,
            Body::Json(b) => req
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(b.clone()),
            Body::Bytes(b) => req
                .header(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/octet-stream"),
                )
                .body(b.clone()),
        };
        req.send().await
    }

    /// Runs attempts until one is done, fails for good, none is left, or the
    /// operation's deadline passes. `limit` bounds each attempt as a whole.
    async fn run<T, F, Fut>(
        &self,
        what: &str,
        method: &Method,
        retry: Retry,
        limit: Option<Duration>,
        mut attempt: F,
    ) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Attempt<T>>,
    {
        let deadline = DEADLINE.try_with(|d| *d).unwrap_or_else(|_| {
            self.deadline(if *method == Method::GET {
                Kind::Read
            } else {
                Kind::Write
            })
        });
        let attempts = self.opts.attempts.max(1);
        let mut n = 1;
        let mut last: Option<RegistryError> = None;
        loop {
            let left = deadline.at.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.past_deadline(last, what, n - 1, deadline));
            }
            let this = limit.map_or(left, |l| l.min(left));
            let outcome = {
                let permit = tokio::time::timeout(this, self.permits.acquire()).await;
                match permit {
                    Err(_) => {
                        return Err(self.past_deadline(last, what, n - 1, deadline));
                    }
                    Ok(Err(_)) => {
                        return Err(RegistryError::Unavailable {
                            message: format!("{what}: the HTTP client was shut down"),
                        });
                    }
                    Ok(Ok(_permit)) => match tokio::time::timeout(this, attempt()).await {
                        Ok(o) => o,
                        Err(_) => self.too_slow(retry, what, this),
                    },
                }
            };
            match outcome {
                Attempt::Done(v) => return Ok(v),
                Attempt::Fail(e) => return Err(e),
                Attempt::Again { error, after } => {
                    if n >= attempts {
                        return Err(gave_up(
                            error,
                            &format!("gave up after {attempts} attempts"),
                        ));
                    }
                    let delay = after.unwrap_or_else(|| self.backoff(n));
                    if Instant::now() + delay >= deadline.at {
                        return Err(self.past_deadline(Some(error), what, n, deadline));
                    }
                    tokio::time::sleep(delay).await;
                    last = Some(error);
                    n += 1;
                }
            }
        }
    }

    /// The error of an operation whose deadline passed, with its last failure.
    fn past_deadline(
        &self,
        last: Option<RegistryError>,
        what: &str,
        tries: u32,
        deadline: Deadline,
    ) -> RegistryError {
        let key = match deadline.kind {
            Kind::Read => "read_deadline_seconds",
            Kind::Write => "write_deadline_seconds",
        };
        let note = format!(
            "gave up after {tries} attempts at the {} s deadline ([mlflow] {key})",
            deadline.budget.as_secs_f64()
        );
        let last = last.unwrap_or_else(|| RegistryError::Unavailable {
            message: format!("{what}: no answer from {}", self.describe()),
        });
        gave_up(last, &note)
    }

    /// An attempt that ran past its total time limit.
    fn too_slow<T>(&self, retry: Retry, what: &str, limit: Duration) -> Attempt<T> {
        let message = format!(
            "{what}: {} did not send its whole answer within {:.1} s",
            self.describe(),
            limit.as_secs_f64()
        );
        again_unless_unsent(retry, message, MAY_HAVE_APPLIED)
    }

    /// Exponential backoff with "equal jitter": half fixed, half random, so that
    /// clients that failed together do not come back together.
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .opts
            .backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.opts.max_backoff);
        let half = exp / 2;
        let r = getrandom::u32().unwrap_or(u32::MAX / 2);
        half + half.mul_f64(f64::from(r) / f64::from(u32::MAX))
    }

    fn send_failure<T>(&self, e: SendError, retry: Retry, what: &str) -> Attempt<T> {
        match e {
            SendError::Transport(e) => self.transport_failure(&e, retry, what),
            SendError::Refused(e) => Attempt::Fail(e),
        }
    }

    fn transport_failure<T>(&self, e: &reqwest::Error, retry: Retry, what: &str) -> Attempt<T> {
        let server = self.describe();
        if let Some(tls) = super::tls::rustls_error(e) {
            // A certificate does not get better by asking again.
            return Attempt::Fail(RegistryError::InvalidRequest {
                message: format!(
                    "configuration: {what}: {}",
                    super::tls::describe_failure(tls, &server, self.opts.ca_cert.as_deref())
                ),
            });
        }
        if e.is_connect() {
            // Nothing reached the server: safe to try again whatever the request.
            return Attempt::Again {
                error: RegistryError::Unavailable {
                    message: format!("{what}: cannot connect to {server}: {}", chain(e)),
                },
                after: None,
            };
        }
        let message = if e.is_timeout() {
            format!(
                "{what}: {server} did not answer within {} s",
                self.opts.read_timeout.as_secs_f64()
            )
        } else {
            format!("{what}: the connection to {server} failed: {}", chain(e))
        };
        again_unless_unsent(retry, message, MAY_HAVE_APPLIED)
    }

    pub(super) fn read_failure<T>(
        &self,
        e: &reqwest::Error,
        retry: Retry,
        what: &str,
    ) -> Attempt<T> {
        let message = format!(
            "{what}: the answer from {} was cut off: {}",
            self.describe(),
            chain(e)
        );
        again_unless_unsent(retry, message, APPLIED)
    }

    /// The server as shown to people: scheme, host, port and path, never user info.
    pub fn describe(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_owned()
    }
}

/// What a failed write that may have reached the server tells its caller.
pub(super) const MAY_HAVE_APPLIED: &str =
    "the server may have applied the write: check before trying again";
/// What a write whose answer was cut off tells its caller.
const APPLIED: &str = "the server applied the write, check its result";

/// A failure after the request may have reached the server: tried again when
/// the request may be repeated; otherwise given up, with `note` saying what
/// may have happened to the write.
fn again_unless_unsent<T>(retry: Retry, message: String, note: &str) -> Attempt<T> {
    match retry {
        Retry::Always => Attempt::Again {
            error: RegistryError::Unavailable { message },
            after: None,
        },
        Retry::Unsent => Attempt::Fail(RegistryError::Unavailable {
            message: format!("{message}; {note}"),
        }),
    }
}

/// Credentials that cannot be put in a header (a newline in a token, say):
/// refused up front, naming where they came from, rather than silently not sent.
fn unsendable_credentials(creds: &Credentials, source: CredentialSource) -> RegistryError {
    let origin = match (creds, source) {
        (Credentials::Bearer(_), CredentialSource::Environment) => "MLFLOW_TRACKING_TOKEN",
        (Credentials::Bearer(_), CredentialSource::Keyring) => {
            "the token `modelgate login` stored in the OS keyring"
        }
        (Credentials::Basic { .. }, CredentialSource::Environment) => {
            "MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD"
        }
        (Credentials::Basic { .. }, _) => "the user name and password (in the URI's user info?)",
        _ => "the token",
    };
    RegistryError::InvalidRequest {
        message: format!(
            "{origin} holds a character that cannot be sent in an HTTP header (a newline, a control character or non-ASCII text?); set it again without it"
        ),
    }
}

/// A path below the artifact proxy: no `.`, `..` or empty segments, so that
/// what is listed and what is read are the same place.
pub fn check_proxy_path(path: &str) -> Result<()> {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(());
    }
    crate::registry::check_artifact_path(trimmed).map_err(|_| RegistryError::InvalidResponse {
        message: format!(
            "the artifact location `{}` is not a plain relative path (it has `.`, `..` or empty segments, or is absolute); modelgate refuses to read or list it",
            crate::text::truncate_chars(&crate::text::sanitize_line(path), 120)
        ),
    })
}

/// The last error of a request that ran out of attempts or time, saying so.
fn gave_up(error: RegistryError, why: &str) -> RegistryError {
    let note = format!(" ({why})");
    match error {
        RegistryError::Unavailable { message } => RegistryError::Unavailable {
            message: message + &note,
        },
        RegistryError::InvalidResponse { message } => RegistryError::InvalidResponse {
            message: message + &note,
        },
        other => other,
    }
}

/// An error and its causes on one line ("... : connection refused").
pub(super) fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

fn invalid_url(base: &Url, e: url_error::ParseError) -> RegistryError {
    RegistryError::InvalidRequest {
        message: format!("cannot build a request URL from {base}: {e}"),
    }
}

/// reqwest re-exports `Url` but not its error type under a stable path.
mod url_error {
    pub type ParseError = <reqwest::Url as std::str::FromStr>::Err;
}
