//! Credentials for an MLflow server, as MLflow users already set them up, and
//! the token `modelgate login` keeps in the OS keyring.
//!
//! A secret never reaches a log, an error or the screen: `Secret` prints as
//! `<redacted>`, headers carrying it are marked sensitive, and every message
//! built from a server's answer has the secrets cut out (`Credentials::redact`).

use std::fmt;
use std::time::Duration;

use base64::Engine;
use zeroize::Zeroize;

use crate::secrets;

/// How long a keyring look-up may take before modelgate goes on without it: a
/// secret service that hangs must not stall every command.
const KEYRING_TIMEOUT: Duration = Duration::from_secs(3);

const REDACTED: &str = "<redacted>";

/// A token or password. Debug and Display never show it; it is wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// How modelgate authenticates to the server.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Credentials {
    #[default]
    None,
    /// `Authorization: Bearer <token>` (`MLFLOW_TRACKING_TOKEN`, or the keyring).
    Bearer(Secret),
    /// `Authorization: Basic` (`MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD`).
    Basic { username: String, password: Secret },
}

/// Where the credentials came from, for messages ("the token from the keyring").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialSource {
    None,
    Environment,
    Keyring,
    Explicit,
}

impl Credentials {
    /// `MLFLOW_TRACKING_TOKEN` first, then username and password, as MLflow does.
    pub fn from_env() -> Credentials {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        if let Some(token) = var("MLFLOW_TRACKING_TOKEN") {
            return Credentials::Bearer(Secret::new(token));
        }
        match (
            var("MLFLOW_TRACKING_USERNAME"),
            var("MLFLOW_TRACKING_PASSWORD"),
        ) {
            (Some(username), Some(password)) => Credentials::Basic {
                username,
                password: Secret::new(password),
            },
            _ => Credentials::None,
        }
    }

    pub fn is_none(&self) -> bool {
        matches!(self, Credentials::None)
    }

    /// The `Authorization` header value, marked sensitive so that it is never
    /// logged; `Err` when the secret holds what no header can carry.
    #[allow(clippy::result_unit_err)]
    pub fn header(&self) -> Result<Option<reqwest::header::HeaderValue>, ()> {
        let text = match self {
            Credentials::None => return Ok(None),
            Credentials::Bearer(t) => format!("Bearer {}", t.expose()),
            Credentials::Basic { username, password } => {
                format!("Basic {}", basic_blob(username, password))
            }
        };
        let mut value = reqwest::header::HeaderValue::from_str(&text).map_err(|_| ())?;
        value.set_sensitive(true);
        Ok(Some(value))
    }

    /// Cuts every form of the secret out of `text` that a server may echo: as
    /// is, percent-encoded (either hex case, `+` for space), in base64 (the
    /// Basic header's `user:password` and the secret alone, standard and URL
    /// alphabets), each matched without regard to ASCII case.
    pub fn redact(&self, text: &str) -> String {
        let secrets: Vec<String> = match self {
            Credentials::None => return text.to_owned(),
            Credentials::Bearer(t) => vec![t.expose().to_owned()],
            Credentials::Basic { username, password } => vec![
                password.expose().to_owned(),
                format!("{username}:{}", password.expose()),
            ],
        };
        let mut needles = Vec::new();
        for s in &secrets {
            needles.extend(encodings(s));
        }
        // Longest first, so that a longer form is not left half-cut by a shorter one.
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        needles.dedup();
        let mut out = text.to_owned();
        for n in &needles {
            // Short needles would mangle ordinary words; no real secret is that short.
            if n.len() >= 4 {
                out = replace_ignore_ascii_case(&out, n, REDACTED);
            }
        }
        out
    }
}

/// The forms a secret may take in a server's echo.
fn encodings(secret: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let mut out = vec![secret.to_owned()];
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
    let mut some = String::new();
    let mut all = String::new();
    let mut form = String::new();
    for &b in secret.as_bytes() {
        if unreserved(b) {
            some.push(char::from(b));
            form.push(char::from(b));
        } else {
            some.push_str(&format!("%{b:02X}"));
            form.push_str(&if b == b' ' {
                "+".to_owned()
            } else {
                format!("%{b:02X}")
            });
        }
        all.push_str(&format!("%{b:02X}"));
    }
    // Hex case does not matter: the match ignores ASCII case.
    out.extend([some, all, form]);
    for engine in [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD] {
        out.push(engine.encode(secret));
    }
    out
}

/// `text` with every ASCII-case-insensitive occurrence of `needle` replaced.
fn replace_ignore_ascii_case(text: &str, needle: &str, with: &str) -> String {
    let hay = text.as_bytes();
    let n = needle.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i + n.len() <= hay.len() {
        if hay[i..i + n.len()].eq_ignore_ascii_case(n)
            && text.is_char_boundary(i)
            && text.is_char_boundary(i + n.len())
        {
            out.push_str(&text[copied..i]);
            out.push_str(with);
            i += n.len();
            copied = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

fn basic_blob(username: &str, password: &Secret) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{username}:{}", password.expose()))
}

/// Why the OS keyring cannot be used here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyringUnavailable(pub String);

impl fmt::Display for KeyringUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Runs a blocking keyring call off the async worker threads, with a deadline.
async fn keyring_call<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, KeyringUnavailable> {
    let task = tokio::task::spawn_blocking(f);
    match tokio::time::timeout(KEYRING_TIMEOUT, task).await {
        Ok(Ok(r)) => r.map_err(KeyringUnavailable),
        Ok(Err(e)) => Err(KeyringUnavailable(format!("the keyring task failed: {e}"))),
        Err(_) => Err(KeyringUnavailable(format!(
            "the OS keyring did not answer within {} s",
            KEYRING_TIMEOUT.as_secs()
        ))),
    }
}

/// Whether an OS keyring (secret service, Keychain, Credential Manager) is there.
pub async fn keyring_available() -> Result<(), KeyringUnavailable> {
    keyring_call(secrets::status).await
}

/// Stores `token` for the server `key` (its normalised URI).
pub async fn store_token(key: &str, token: &Secret) -> Result<(), KeyringUnavailable> {
    let (key, token) = (key.to_owned(), token.clone());
    keyring_call(move || secrets::set(&key, token.expose())).await
}

/// The token `login` stored for `key`; `None` when there is none or no keyring.
pub async fn stored_token(key: &str) -> Option<Secret> {
    let key = key.to_owned();
    let found =
        keyring_call(move || secrets::get(&key).map(|t| t.map(|t| Secret::new(t.as_str())))).await;
    found.ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let token = Secret::new("tok-3f9a1c");
        assert_eq!(format!("{token} {token:?}"), "<redacted> <redacted>");
        let creds = Credentials::Basic {
            username: "ana".into(),
            password: Secret::new("hunter22"),
        };
        let shown = format!("{creds:?}");
        assert!(!shown.contains("hunter22"), "{shown}");
        let header = creds.header().unwrap().unwrap();
        assert!(header.is_sensitive());
        let echoed = format!("refused {:?} and hunter22", header.to_str().unwrap());
        let redacted = creds.redact(&echoed);
        assert!(
            !redacted.contains("hunter22") && !redacted.contains("YW5hOmh1bnRlcjIy"),
            "{redacted}"
        );
        let bearer = Credentials::Bearer(Secret::new("tok-3f9a1c"));
        assert_eq!(bearer.redact("x tok-3f9a1c y"), "x <redacted> y");
    }

    #[test]
    fn echoed_secrets_are_cut_in_every_encoding() {
        let creds = Credentials::Basic {
            username: "bob".into(),
            password: Secret::new("S3cret/pass word"),
        };
        let echoes = [
            "S3cret/pass word",
            "s3cret/PASS WORD",
            "S3cret%2Fpass%20word",
            "s3cret%2fpass%20word",
            "S3cret%2Fpass+word",
            "%53%33%63%72%65%74%2F%70%61%73%73%20%77%6F%72%64",
            "Ym9iOlMzY3JldC9wYXNzIHdvcmQ=",
            "UzNjcmV0L3Bhc3Mgd29yZA",
        ];
        for echo in echoes {
            let shown = creds.redact(&format!("said: {echo}."));
            assert_eq!(shown, "said: <redacted>.", "{echo}");
        }
        assert!(
            Credentials::Bearer(Secret::new("tok\nsecond"))
                .header()
                .is_err()
        );
        assert!(
            Credentials::Bearer(Secret::new("tok-1\r\nX: y"))
                .header()
                .is_err()
        );
    }
}
