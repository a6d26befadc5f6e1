//! An HTTP error answer as a `RegistryError`: MLflow's `error_code` decides
//! the kind; what the server said is summarised (first line, bounded, secrets
//! cut out, controls made visible), never dumped whole: a SQL error from the
//! store runs over many lines with the statement and its parameters.

use std::io::Read;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};

use super::client::{
    Attempt, BodyError, ERROR_BODY_MAX, Http, MAY_HAVE_APPLIED, Retry, read_capped,
};
use super::wire::ErrorBody;
use crate::registry::RegistryError;

/// Server text quoted in an error message is cut to this many characters.
const QUOTE_MAX: usize = 300;
/// The start of a body that is not MLflow's error JSON, when it is shown.
const RAW_MAX: usize = 120;

impl Http {
    pub(super) async fn status_failure<T>(
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
        let content_type = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| crate::text::truncate_chars(&crate::text::sanitize_line(v), 60).into_owned());
        let text = match read_capped(resp, ERROR_BODY_MAX).await {
            Ok(mut chunks) => {
                let mut b = Vec::new();
                let _ = chunks.read_to_end(&mut b);
                String::from_utf8_lossy(&b).into_owned()
            }
            Err(BodyError::TooLarge(_)) => String::new(),
            Err(BodyError::Read(_)) => String::new(),
        };
        let body: Option<ErrorBody> = serde_json::from_str(&text).ok();
        let code = body
            .as_ref()
            .and_then(|b| b.error_code.clone())
            .unwrap_or_default();
        let said = match body.as_ref().and_then(ErrorBody::said) {
            Some(s) => self.summarise(&s),
            None => self.raw_summary(&text, content_type.as_deref()),
        };
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
                    message: format!("{what}: {message}; {MAY_HAVE_APPLIED}"),
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

    /// Server text for a message: secrets cut out (before anything is cut
    /// short, so no part of one survives), controls made visible, shortened.
    pub fn quote(&self, text: &str) -> String {
        let clean = crate::text::sanitize(&self.credentials.redact(text)).into_owned();
        crate::text::truncate_chars(&clean, QUOTE_MAX).into_owned()
    }

    /// MLflow's message, first line only, with a note of what was left out.
    fn summarise(&self, said: &str) -> String {
        let redacted = self.credentials.redact(said);
        let mut lines = redacted.lines().map(str::trim).filter(|l| !l.is_empty());
        let first = lines.next().unwrap_or("(an empty message)");
        let more = lines.count();
        let first =
            crate::text::truncate_chars(&crate::text::sanitize_line(first), QUOTE_MAX).into_owned();
        match more {
            0 => first,
            n => format!("{first} [{n} more lines not shown]"),
        }
    }

    /// A body that is not MLflow's error JSON (a proxy's HTML page, say): its
    /// size and the start of its first line only.
    fn raw_summary(&self, text: &str, content_type: Option<&str>) -> String {
        if text.trim().is_empty() {
            return "(no error message)".to_owned();
        }
        let redacted = self.credentials.redact(text);
        let first = redacted
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or_default();
        let first = crate::text::sanitize_line(first).into_owned();
        let first = crate::text::truncate_chars(&first, RAW_MAX);
        format!(
            "a {} body of {} bytes that is not MLflow's error JSON, starting `{first}`",
            content_type.unwrap_or("untyped"),
            text.len()
        )
    }
}
