//! Options of the MLflow client: what `MlflowRegistry::new` needs, the
//! `[mlflow]` settings of config.toml, and parsing the tracking URI (user info
//! becomes credentials and never appears in a message).

use reqwest::Url;

use super::auth::{self, Credentials};
use super::client::HttpOptions;
use crate::registry::{RegistryError, Result};

/// Everything needed to talk to one server.
#[derive(Debug, Clone)]
pub struct MlflowOptions {
    /// The tracking URI (`http(s)://host:port[/path]`).
    pub uri: String,
    /// The configured `registry_id`; `None` derives it from the URI (PROTOCOL 2).
    pub registry_id: Option<String>,
    pub credentials: Credentials,
    pub http: HttpOptions,
    /// Results per page of every paginated search.
    pub page_size: u32,
    /// Pages one search may take before it is refused.
    pub max_pages: u32,
}

impl MlflowOptions {
    pub fn new(uri: impl Into<String>) -> Self {
        MlflowOptions {
            uri: uri.into(),
            registry_id: None,
            credentials: Credentials::None,
            http: HttpOptions::default(),
            page_size: 1000,
            max_pages: 10_000,
        }
    }

    /// Adds what MLflow users set in the environment: credentials (unless
    /// already given), `MLFLOW_TRACKING_INSECURE_TLS`, `MLFLOW_TRACKING_SERVER_CERT_PATH`.
    pub fn with_env(mut self) -> Self {
        if self.credentials.is_none() {
            self.credentials = Credentials::from_env();
            if !self.credentials.is_none() {
                self.http.credential_source = auth::CredentialSource::Environment;
            }
        }
        if let Ok(v) = std::env::var("MLFLOW_TRACKING_INSECURE_TLS") {
            self.http.insecure_tls = matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1");
        }
        if let Some(p) =
            std::env::var_os("MLFLOW_TRACKING_SERVER_CERT_PATH").filter(|p| !p.is_empty())
        {
            self.http.ca_cert = Some(p.into());
        }
        self
    }
}

/// `[mlflow]` in config.toml (top level or a profile; a profile overrides field by field).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlflowSettings {
    /// Requests in flight at once (default 16).
    pub concurrency: Option<usize>,
    /// Tries per request, the first included (default 5).
    pub attempts: Option<u32>,
    pub connect_timeout_seconds: Option<f64>,
    /// Longest silence while waiting for or reading an answer (default 60).
    pub read_timeout_seconds: Option<f64>,
    /// Results per page of searches (default 1000).
    pub page_size: Option<u32>,
    /// Cap on one JSON answer in MiB (default 256).
    pub max_response_mib: Option<u64>,
    /// Longest one JSON request may take as a whole (default 30).
    pub request_timeout_seconds: Option<f64>,
    /// Longest one read operation may take, pages and retries included (default 60).
    pub read_deadline_seconds: Option<f64>,
    /// The same for one write (default 120).
    pub write_deadline_seconds: Option<f64>,
    /// Pages one search may take (default 10000).
    pub max_pages: Option<u32>,
}

impl MlflowSettings {
    pub fn merge(&mut self, over: &MlflowSettings) {
        macro_rules! take {
            ($($f:ident),*) => { $( if over.$f.is_some() { self.$f = over.$f; } )* };
        }
        take!(
            concurrency,
            attempts,
            connect_timeout_seconds,
            read_timeout_seconds,
            page_size,
            max_response_mib,
            request_timeout_seconds,
            read_deadline_seconds,
            write_deadline_seconds,
            max_pages
        );
    }

    /// Refuses values that would make the client useless (zero, negative, NaN).
    pub fn checked(self) -> anyhow::Result<Self> {
        let positive_int = |name: &str, v: Option<u64>| match v {
            Some(0) => Err(anyhow::anyhow!("mlflow.{name} must be at least 1")),
            _ => Ok(()),
        };
        positive_int("concurrency", self.concurrency.map(|v| v as u64))?;
        positive_int("attempts", self.attempts.map(u64::from))?;
        positive_int("page_size", self.page_size.map(u64::from))?;
        positive_int("max_response_mib", self.max_response_mib)?;
        positive_int("max_pages", self.max_pages.map(u64::from))?;
        for (name, v) in [
            ("connect_timeout_seconds", self.connect_timeout_seconds),
            ("read_timeout_seconds", self.read_timeout_seconds),
            ("request_timeout_seconds", self.request_timeout_seconds),
            ("read_deadline_seconds", self.read_deadline_seconds),
            ("write_deadline_seconds", self.write_deadline_seconds),
        ] {
            if let Some(v) = v
                && !(v.is_finite() && v > 0.0 && v <= 86_400.0)
            {
                anyhow::bail!("mlflow.{name}: {v} is not a number of seconds between 0 and 86400");
            }
        }
        Ok(self)
    }

    /// The deadline of one whole command of `kind` under these settings.
    pub fn command_deadline(&self, kind: super::client::Kind) -> std::time::Duration {
        let mut opts = MlflowOptions::new("http://127.0.0.1");
        self.apply(&mut opts);
        match kind {
            super::client::Kind::Read => opts.http.read_deadline,
            super::client::Kind::Write => opts.http.write_deadline,
        }
    }

    pub fn apply(&self, opts: &mut MlflowOptions) {
        let secs = std::time::Duration::from_secs_f64;
        if let Some(v) = self.concurrency {
            opts.http.concurrency = v;
        }
        if let Some(v) = self.attempts {
            opts.http.attempts = v;
        }
        if let Some(v) = self.connect_timeout_seconds {
            opts.http.connect_timeout = secs(v);
        }
        if let Some(v) = self.read_timeout_seconds {
            opts.http.read_timeout = secs(v);
        }
        if let Some(v) = self.page_size {
            opts.page_size = v;
        }
        if let Some(v) = self.max_response_mib {
            opts.http.max_response_bytes = v.saturating_mul(1024 * 1024);
        }
        if let Some(v) = self.request_timeout_seconds {
            opts.http.request_timeout = secs(v);
        }
        if let Some(v) = self.read_deadline_seconds {
            opts.http.read_deadline = secs(v);
        }
        if let Some(v) = self.write_deadline_seconds {
            opts.http.write_deadline = secs(v);
        }
        if let Some(v) = self.max_pages {
            opts.max_pages = v;
        }
    }
}

/// The server URL without user info, query or fragment, its path ending in `/`,
/// and the credentials user info held (`http://user:pass@host`).
pub fn parse_uri(uri: &str) -> Result<(Url, Credentials)> {
    let mut url = Url::parse(uri.trim()).map_err(|e| RegistryError::InvalidRequest {
        message: format!(
            "the MLflow URI `{}` is not a URL ({e}); use http(s)://host:port",
            crate::text::sanitize(&redact_userinfo(uri))
        ),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(RegistryError::InvalidRequest {
            message: format!(
                "the MLflow URI `{}` is not an http(s) server address; use http(s)://host:port: modelgate talks to `mlflow server` over REST (databricks, file and sqlite URIs are not supported)",
                crate::text::sanitize(&redact_userinfo(uri))
            ),
        });
    }
    let creds = match (url.username(), url.password()) {
        ("", _) => Credentials::None,
        (user, pass) => Credentials::Basic {
            username: percent_decode(user),
            password: auth::Secret::new(percent_decode(pass.unwrap_or_default())),
        },
    };
    // Neither can fail for an http(s) URL with a host.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok((url, creds))
}

/// PROTOCOL 2: the URI's scheme, host, port and path in lower case.
pub fn registry_id_for(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    let port = url
        .port_or_known_default()
        .map(|p| format!(":{p}"))
        .unwrap_or_default();
    let path = url.path().trim_end_matches('/');
    format!("{}://{host}{port}{path}", url.scheme()).to_lowercase()
}

/// `uri` with any user info replaced, whether or not it parses as a URL:
/// `bob:SECRET@host:5000` (no scheme) parses with `bob` as the scheme.
/// A tracking URI has no `@` in its path, so everything before the last one goes.
pub fn redact_userinfo(uri: &str) -> String {
    let (scheme, rest) = match uri.find("://") {
        Some(i) => uri.split_at(i + 3),
        None => ("", uri),
    };
    // Anything up to the last `@` may be user info (a password can hold `/`).
    match rest.rfind('@') {
        Some(at) => format!("{scheme}<redacted>@{}", &rest[at + 1..]),
        None => uri.to_owned(),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(h, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_id_is_scheme_host_port_and_path_in_lower_case() {
        let id = |u: &str| registry_id_for(&parse_uri(u).unwrap().0);
        assert_eq!(id("http://127.0.0.1:5000"), "http://127.0.0.1:5000");
        assert_eq!(
            id("HTTPS://Ana:pw@MLflow.Example.com/Team/?x=1#f"),
            "https://mlflow.example.com:443/team"
        );
        assert_eq!(id("http://h/"), id("http://h:80"));
        assert!(parse_uri("file:///tmp/mlruns").is_err());
        assert!(parse_uri("databricks").is_err());
    }

    #[test]
    fn user_info_becomes_basic_credentials_and_leaves_the_url() {
        let (url, creds) = parse_uri("http://ana:p%40ss@host:5000/x").unwrap();
        assert_eq!(url.as_str(), "http://host:5000/x/");
        match creds {
            Credentials::Basic { username, password } => {
                assert_eq!((username.as_str(), password.expose()), ("ana", "p@ss"))
            }
            other => panic!("{other:?}"),
        }
        let err = parse_uri("ftp://ana:hunter22@host")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter22"), "{err}");
    }

    #[test]
    fn deadline_and_page_settings_parse_apply_and_are_checked() {
        let s: MlflowSettings = toml::from_str(
            "request_timeout_seconds = 5\nread_deadline_seconds = 20\nwrite_deadline_seconds = 40\nmax_pages = 9\n",
        )
        .unwrap();
        let mut o = MlflowOptions::new("http://h");
        s.clone().checked().unwrap().apply(&mut o);
        assert_eq!(o.http.request_timeout.as_secs(), 5);
        assert_eq!(o.http.read_deadline.as_secs(), 20);
        assert_eq!(o.http.write_deadline.as_secs(), 40);
        assert_eq!(o.max_pages, 9);
        for bad in [
            "read_deadline_seconds = 0",
            "max_pages = 0",
            "request_timeout_seconds = -1",
        ] {
            let s: MlflowSettings = toml::from_str(bad).unwrap();
            assert!(s.checked().is_err(), "{bad}");
        }
    }
}
