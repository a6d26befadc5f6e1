//! Redirects: followed only within the configured server's origin (scheme,
//! host and port), a bounded number of times, and never in a way that turns a
//! write into a GET. Anything else is a configuration error naming both URLs:
//! following it would send the credentials, and a write, to a server nobody
//! configured (a 307 to another host makes a POST there; https to http would
//! send them in the clear).

use reqwest::header::LOCATION;
use reqwest::{Method, Url};

use super::client::{Body, Http, SendError};
use crate::registry::RegistryError;

/// Same-origin redirects followed for one request.
const MAX_REDIRECTS: usize = 5;

impl Http {
    /// Sends a request, following same-origin redirects a bounded number of
    /// times. A redirect to another origin (https to http included) is refused:
    /// the credentials, and a write, would go to a server nobody configured.
    pub(super) async fn send(
        &self,
        method: &Method,
        url: &Url,
        body: &Body,
        what: &str,
    ) -> std::result::Result<reqwest::Response, SendError> {
        let mut url = url.clone();
        let mut hops = 0;
        loop {
            let resp = self
                .send_once(method, &url, body)
                .await
                .map_err(SendError::Transport)?;
            let status = resp.status();
            if !matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
                return Ok(resp);
            }
            let from = shown_url(&url);
            let target = resp
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok());
            let Some(mut target) = target else {
                return Err(SendError::Refused(RegistryError::InvalidResponse {
                    message: format!(
                        "{what}: {from} answered HTTP {} without a usable Location",
                        status.as_u16()
                    ),
                }));
            };
            let _ = target.set_username("");
            let _ = target.set_password(None);
            let to = shown_url(&target);
            if target.origin() != self.base.origin() {
                let downgrade = if url.scheme() == "https" && target.scheme() == "http" {
                    ", from https to plain http"
                } else {
                    ""
                };
                return Err(SendError::Refused(RegistryError::InvalidRequest {
                    message: format!(
                        "configuration: {what}: {from} redirected (HTTP {}) to {to}, another origin{downgrade}; modelgate follows redirects only within {} so that credentials and writes never go elsewhere. If {} is the right server, set the tracking URI to it",
                        status.as_u16(),
                        self.describe(),
                        crate::text::sanitize_line(&target.origin().ascii_serialization()),
                    ),
                }));
            }
            if *method != Method::GET && !matches!(status.as_u16(), 307 | 308) {
                return Err(SendError::Refused(RegistryError::InvalidRequest {
                    message: format!(
                        "configuration: {what}: {from} redirected a {method} with HTTP {} to {to}, which would turn the write into a GET; set the tracking URI to the address the server expects",
                        status.as_u16()
                    ),
                }));
            }
            hops += 1;
            if hops > MAX_REDIRECTS {
                return Err(SendError::Refused(RegistryError::InvalidResponse {
                    message: format!(
                        "{what}: more than {MAX_REDIRECTS} redirects, the last from {from} to {to}"
                    ),
                }));
            }
            url = target;
        }
    }
}

/// A URL for a message: no user info, no query (it may carry tokens).
fn shown_url(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_query(None);
    u.set_fragment(None);
    crate::text::sanitize_line(u.as_str()).into_owned()
}
