//! HTTP to an MLflow server: timeouts, bounded concurrency, retries with
//! jittered backoff, size caps, and MLflow's error bodies mapped to
//! `RegistryError` with messages that say what to do.
//!
//! Retry rules. Reads (the POST searches included) and idempotent writes (tags,
//! aliases, log-batch, artifact uploads: the same request twice leaves the same
//! state) are retried on connection errors, timeouts, truncated or unreadable
//! answers, 429 (honouring `Retry-After`) and 5xx. Writes that create something
//! (a run, a model version) are retried only when the request surely never
//! reached the server (the connection could not be made, or 429), so nothing is
//! created twice.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;

use super::auth::Credentials;
use super::wire::ErrorBody;
use crate::registry::{RegistryError, Result};

/// Error bodies are short; anything longer is cut before it is read whole.
const ERROR_BODY_MAX: u64 = 64 * 1024;
/// Server text quoted in an error message is cut to this many characters.
const QUOTE_MAX: usize = 400;

/// Tunables of the HTTP layer (`[mlflow]` in config.toml).
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub connect_timeout: Duration,
    /// Longest silence while waiting for or reading an answer.
    pub read_timeout: Duration,
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
    /// `MLFLOW_TRACKING_SERVER_CERT_PATH`: a PEM bundle of extra trusted CAs.
    pub ca_cert: Option<PathBuf>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            attempts: 5,
            concurrency: 16,
            max_response_bytes: 256 * 1024 * 1024,
            backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(60),
            insecure_tls: false,
            ca_cert: None,
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
enum Attempt<T> {
    Done(T),
    /// Worth another try; `error` is what the caller gets if none is left.
    Again {
        error: RegistryError,
        after: Option<Duration>,
    },
    Fail(RegistryError),
}

enum BodyError {
    TooLarge(u64),
    Read(reqwest::Error),
}

pub struct Http {
    client: reqwest::Client,
    /// The server's base URL, ending in `/`, without user info.
    base: Url,
    credentials: Credentials,
    permits: Arc<Semaphore>,
    opts: HttpOptions,
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
        let mut builder = reqwest::Client::builder()
            .connect_timeout(opts.connect_timeout)
            .read_timeout(opts.read_timeout)
            .user_agent(concat!("modelgate/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(opts.concurrency.max(1))
            .tls_danger_accept_invalid_certs(opts.insecure_tls);
        if let Some(path) = &opts.ca_cert {
            let pem = std::fs::read(path).map_err(|e| RegistryError::InvalidRequest {
                message: format!(
                    "cannot read the CA bundle {} (MLFLOW_TRACKING_SERVER_CERT_PATH): {e}",
                    path.display()
                ),
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                RegistryError::InvalidRequest {
                    message: format!(
                        "{} (MLFLOW_TRACKING_SERVER_CERT_PATH) is not a PEM certificate bundle: {e}",
                        path.display()
                    ),
                }
            })?;
            if certs.is_empty() {
                return Err(RegistryError::InvalidRequest {
                    message: format!(
                        "{} (MLFLOW_TRACKING_SERVER_CERT_PATH) holds no PEM certificate",
                        path.display()
                    ),
                });
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder.build().map_err(|e| RegistryError::Unavailable {
            message: format!("cannot set up HTTP: {}", chain(&e)),
        })?;
        let permits = Arc::new(Semaphore::new(opts.concurrency.max(1)));
        Ok(Http {
            client,
            base,
            credentials,
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

    /// `api/2.0/mlflow/<endpoint>`.
    pub fn api(&self, endpoint: &str) -> Result<Url> {
        self.base
            .join(&format!("api/2.0/mlflow/{endpoint}"))
            .map_err(|e| invalid_url(&self.base, e))
    }

    /// The artifact proxy's URL of `path` (`<experiment>/<run>/artifacts/...`),
    /// each segment percent-encoded.
    pub fn artifact(&self, path: &str) -> Result<Url> {
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
        self.run(what, || async {
            let resp = match self.send(&method, &url, &body).await {
                Ok(r) => r,
                Err(e) => return self.transport_failure(&e, retry, what),
            };
            if !resp.status().is_success() {
                return self.status_failure(resp, retry, what).await;
            }
            match read_capped(resp, max).await {
                Ok(bytes) => match serde_json::from_slice::<T>(&bytes) {
                    Ok(v) => Attempt::Done(v),
                    Err(e) => {
                        let error = RegistryError::InvalidResponse {
                            message: format!(
                                "{what}: the answer of {} is not the JSON modelgate expects ({e}): {}",
                                url.path(),
                                self.quote(&String::from_utf8_lossy(&bytes))
                            ),
                        };
                        self.again_if(retry == Retry::Always, error, None)
                    }
                },
                Err(BodyError::TooLarge(size)) => Attempt::Fail(RegistryError::InvalidResponse {
                    message: format!(
                        "{what}: the answer of {} is over {max} bytes (at least {size}); raise [mlflow] max_response_bytes if that is expected",
                        url.path()
                    ),
                }),
                Err(BodyError::Read(e)) => self.read_failure(&e, retry, what),
            }
        })
        .await
    }

    /// A file's bytes, at most `max_bytes`; `TooLarge` past it without reading it all.
    pub async fn download(&self, url: Url, max_bytes: u64, what: &str) -> Result<Vec<u8>> {
        self.run(what, || async {
            let resp = match self.send(&Method::GET, &url, &Body::None).await {
                Ok(r) => r,
                Err(e) => return self.transport_failure(&e, Retry::Always, what),
            };
            if !resp.status().is_success() {
                return self.status_failure(resp, Retry::Always, what).await;
            }
            match read_capped(resp, max_bytes).await {
                Ok(bytes) => Attempt::Done(bytes),
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
        self.run(what, || async {
            let resp = match self.send(&Method::PUT, &url, &body).await {
                Ok(r) => r,
                Err(e) => return self.transport_failure(&e, Retry::Always, what),
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

    async fn send(
        &self,
        method: &Method,
        url: &Url,
        body: &Body,
    ) -> std::result::Result<reqwest::Response, reqwest::Error> {
        let mut req = self.client.request(method.clone(), url.clone());
        if let Some(auth) = self.credentials.header() {
            req = req.header(AUTHORIZATION, auth);
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

    /// Runs attempts until one is done, fails for good, or none is left.
    async fn run<T, F, Fut>(&self, what: &str, mut attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Attempt<T>>,
    {
        let attempts = self.opts.attempts.max(1);
        let mut n = 1;
        loop {
            let outcome = {
                let _permit =
                    self.permits
                        .acquire()
                        .await
                        .map_err(|_| RegistryError::Unavailable {
                            message: format!("{what}: the HTTP client was shut down"),
                        })?;
                attempt().await
            };
            match outcome {
                Attempt::Done(v) => return Ok(v),
                Attempt::Fail(e) => return Err(e),
                Attempt::Again { error, after } => {
                    if n >= attempts {
                        return Err(gave_up(error, attempts));
                    }
                    let delay = after.unwrap_or_else(|| self.backoff(n));
                    tokio::time::sleep(delay).await;
                    n += 1;
                }
            }
        }
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

    fn again_if<T>(
        &self,
        retry: bool,
        error: RegistryError,
        after: Option<Duration>,
    ) -> Attempt<T> {
        if retry {
            Attempt::Again { error, after }
        } else {
            Attempt::Fail(error)
        }
    }

    fn transport_failure<T>(&self, e: &reqwest::Error, retry: Retry, what: &str) -> Attempt<T> {
        let server = self.describe();
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
        match retry {
            Retry::Always => Attempt::Again {
                error: RegistryError::Unavailable { message },
                after: None,
            },
            Retry::Unsent => Attempt::Fail(RegistryError::Unavailable {
                message: format!(
                    "{message}; the server may have applied the write: check before trying again"
                ),
            }),
        }
    }

    fn read_failure<T>(&self, e: &reqwest::Error, retry: Retry, what: &str) -> Attempt<T> {
        let message = format!(
            "{what}: the answer from {} was cut off: {}",
            self.describe(),
            chain(e)
        );
        match retry {
            Retry::Always => Attempt::Again {
                error: RegistryError::Unavailable { message },
                after: None,
            },
            Retry::Unsent => Attempt::Fail(RegistryError::Unavailable {
                message: format!("{message}; the server applied the write, check its result"),
            }),
        }
    }

    async fn status_failure<T>(
        &self,
        resp: reqwest::Response,
        retry: Retry,
        what: &str,
    ) -> Attempt<T> {
        let status = resp.status();
        let path = resp.url().path().to_owned();
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = match read_capped(resp, ERROR_BODY_MAX).await {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(BodyError::TooLarge(_)) => String::from("(an error body too long to show)"),
            Err(BodyError::Read(_)) => String::new(),
        };
        let body: ErrorBody = serde_json::from_str(&text).unwrap_or_default();
        let code = body.error_code.clone().unwrap_or_default();
        let said = match (&body.error_code, &body.message, &body.detail) {
            (Some(c), Some(m), _) => format!("{c}: {m}"),
            (None, Some(m), _) => m.clone(),
            (Some(c), None, _) => c.clone(),
            (None, None, Some(serde_json::Value::String(d))) => d.clone(),
            (None, None, Some(d)) => d.to_string(),
            (None, None, None) => text.trim().to_owned(),
        };
        let said = self.quote(&said);
        let server = self.describe();
        let message = format!("HTTP {} from {server} ({path}): {said}", status.as_u16());
        if status == StatusCode::TOO_MANY_REQUESTS {
            // The server refused without doing anything: any request may come back.
            return match retry_after {
                Some(d) if d > self.opts.max_retry_after => {
                    Attempt::Fail(RegistryError::Unavailable {
                        message: format!(
                            "{what}: {message}; the server asks to wait {} s, longer than modelgate waits",
                            d.as_secs()
                        ),
                    })
                }
                after => Attempt::Again {
                    error: RegistryError::Unavailable {
                        message: format!("{what}: {message}"),
                    },
                    after,
                },
            };
        }
        if status.is_server_error() {
            let error = RegistryError::Unavailable {
                message: format!("{what}: {message}"),
            };
            return match retry {
                Retry::Always => Attempt::Again {
                    error,
                    after: retry_after.filter(|d| *d <= self.opts.max_retry_after),
                },
                Retry::Unsent => Attempt::Fail(RegistryError::Unavailable {
                    message: format!(
                        "{what}: {message}; the server may have applied the write: check before trying again"
                    ),
                }),
            };
        }
        let error = match (status, code.as_str()) {
            (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN, _)
            | (_, "UNAUTHENTICATED" | "PERMISSION_DENIED") => RegistryError::Unauthorized {
                message: format!("{what}: {message}"),
            },
            // Only MLflow's own code means "no such object": a bare 404 is a wrong
            // URL (a path prefix missing, another service), reported below.
            (_, "RESOURCE_DOES_NOT_EXIST" | "NOT_FOUND") => RegistryError::NotFound {
                what: what.to_owned(),
            },
            (_, "RESOURCE_ALREADY_EXISTS") => RegistryError::Conflict {
                what: format!("{what}: {message}"),
            },
            (s, _) if s == StatusCode::BAD_REQUEST || s == StatusCode::UNPROCESSABLE_ENTITY => {
                RegistryError::InvalidRequest {
                    message: format!("{what}: {message}"),
                }
            }
            (StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED, _) => {
                RegistryError::InvalidResponse {
                    message: format!(
                        "{what}: {message}; is {server} an MLflow 3 tracking server (`mlflow server`)?"
                    ),
                }
            }
            _ => RegistryError::InvalidResponse {
                message: format!("{what}: {message}"),
            },
        };
        Attempt::Fail(error)
    }

    /// Server text for a message: secrets cut out, controls made visible, shortened.
    pub fn quote(&self, text: &str) -> String {
        let clean = crate::text::sanitize(&self.credentials.redact(text)).into_owned();
        match clean.char_indices().nth(QUOTE_MAX) {
            Some((cut, _)) => format!("{}...", &clean[..cut]),
            None => clean,
        }
    }

    /// The server as shown to people: scheme, host, port and path, never user info.
    pub fn describe(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_owned()
    }
}

/// Reads a body, refusing it once it passes `max` (the declared length is
/// checked first, so an announced 50 MB answer is not read at all).
async fn read_capped(
    mut resp: reqwest::Response,
    max: u64,
) -> std::result::Result<Vec<u8>, BodyError> {
    if let Some(len) = resp.content_length()
        && len > max
    {
        return Err(BodyError::TooLarge(len));
    }
    let hint = resp.content_length().unwrap_or(0).min(1 << 20);
    let mut buf = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Read)? {
        let total = buf.len() as u64 + chunk.len() as u64;
        if total > max {
            return Err(BodyError::TooLarge(total));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// The last error of a request that ran out of attempts, saying so.
fn gave_up(error: RegistryError, attempts: u32) -> RegistryError {
    let note = format!(" (gave up after {attempts} attempts)");
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
fn chain(e: &dyn std::error::Error) -> String {
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
