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

    /// The `Authorization` header value, marked sensitive so that it is never logged.
    pub fn header(&self) -> Option<reqwest::header::HeaderValue> {
        let text = match self {
            Credentials::None => return None,
            Credentials::Bearer(t) => format!("Bearer {}", t.expose()),
            Credentials::Basic { username, password } => {
                format!("Basic {}", basic_blob(username, password))
            }
        };
        let mut value = reqwest::header::HeaderValue::from_str(&text).ok()?;
        value.set_sensitive(true);
        Some(value)
    }

    /// Cuts every form of the secret out of `text` (a server may echo a header back).
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        let mut cut = |needle: &str| {
            // Short needles would mangle ordinary words; no real secret is that short.
            if needle.len() >= 4 {
                out = out.replace(needle, REDACTED);
            }
        };
        match self {
            Credentials::None => {}
            Credentials::Bearer(t) => cut(t.expose()),
            Credentials::Basic { username, password } => {
                cut(&basic_blob(username, password));
                cut(password.expose());
            }
        }
        out
    }
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
        let header = creds.header().unwrap();
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
}
