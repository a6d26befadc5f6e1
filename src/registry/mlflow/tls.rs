//! TLS for `MLFLOW_TRACKING_SERVER_CERT_PATH`, with the semantics of MLflow's
//! Python client (requests' `verify=<path>`): the file is the whole trust
//! store for the server, and a self-signed certificate in it is trusted as the
//! server's own even when it carries `CA:TRUE` (what plain `openssl req -x509`
//! makes), which webpki alone refuses as `CaUsedAsEndEntity`.
//!
//! The verifier accepts an end-entity certificate byte-identical to one in the
//! file when it names the host (subjectAltName) and is within its validity
//! period; the handshake signature is still checked against its key. Anything
//! else goes to webpki with the file's certificates as the only roots.
//!
//! Certificate errors are configuration errors: never retried, and explained
//! (`describe_failure`).

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{WebPkiServerVerifier, verify_server_name};
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::registry::{RegistryError, Result};

const VAR: &str = "MLFLOW_TRACKING_SERVER_CERT_PATH";

/// A rustls client configuration trusting exactly the certificates in `path`.
pub fn client_config(path: &Path) -> Result<rustls::ClientConfig> {
    let shown = path.display();
    let pem =
        std::fs::read(path).map_err(|e| invalid(format!("cannot read {shown} ({VAR}): {e}")))?;
    let mut certs = Vec::new();
    for item in CertificateDer::pem_slice_iter(&pem) {
        certs.push(item.map_err(|e| {
            invalid(format!(
                "{shown} ({VAR}) is not a PEM certificate bundle: {e}"
            ))
        })?);
    }
    if certs.is_empty() {
        return Err(invalid(format!(
            "{shown} ({VAR}) holds no PEM certificate (`-----BEGIN CERTIFICATE-----`)"
        )));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(certs.iter().cloned());
    let webpki = if added > 0 {
        Some(
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| invalid(format!("{shown} ({VAR}): {e}")))?,
        )
    } else {
        None
    };
    let verifier = PinnedOrWebPki {
        pinned: certs,
        webpki,
        algorithms: provider.signature_verification_algorithms,
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(format!("cannot set up TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(config)
}

#[derive(Debug)]
struct PinnedOrWebPki {
    pinned: Vec<CertificateDer<'static>>,
    webpki: Option<Arc<WebPkiServerVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedOrWebPki {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        if self
            .pinned
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref())
        {
            let parsed = ParsedCertificate::try_from(end_entity)?;
            verify_server_name(&parsed, server_name)?;
            check_validity(end_entity.as_ref(), now)?;
            return Ok(ServerCertVerified::assertion());
        }
        match &self.webpki {
            Some(v) => {
                v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            None => Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// notBefore <= now <= notAfter, read from the DER (webpki checks it only on
/// the path it builds, which a pinned certificate skips).
fn check_validity(der: &[u8], now: UnixTime) -> std::result::Result<(), rustls::Error> {
    let bad = || rustls::Error::InvalidCertificate(CertificateError::BadEncoding);
    let (not_before, not_after) = validity(der).ok_or_else(bad)?;
    let now = now.as_secs() as i64;
    if now < not_before {
        return Err(rustls::Error::InvalidCertificate(
            CertificateError::NotValidYet,
        ));
    }
    if now > not_after {
        return Err(rustls::Error::InvalidCertificate(CertificateError::Expired));
    }
    Ok(())
}

/// One DER element: (tag, content, rest).
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The validity period of a certificate, in Unix seconds.
fn validity(cert: &[u8]) -> Option<(i64, i64)> {
    let (0x30, cert, _) = der(cert)? else {
        return None;
    };
    let (0x30, tbs, _) = der(cert)? else {
        return None;
    };
    let (tag, _, mut rest) = der(tbs)?;
    if tag == 0xa0 {
        rest = der(rest)?.2; // the serial number follows the explicit version
    }
    let rest = der(rest)?.2; // signature algorithm
    let rest = der(rest)?.2; // issuer
    let (0x30, validity, _) = der(rest)? else {
        return None;
    };
    let (t1, before, rest) = der(validity)?;
    let (t2, after, _) = der(rest)?;
    Some((time(t1, before)?, time(t2, after)?))
}

fn time(tag: u8, text: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(text).ok()?.strip_suffix('Z')?;
    let full = match tag {
        // UTCTime: YY >= 50 is 19YY (RFC 5280 4.1.2.5.1).
        0x17 if text.len() == 12 => {
            let yy: u32 = text[..2].parse().ok()?;
            format!("{}{text}", if yy >= 50 { "19" } else { "20" })
        }
        0x18 if text.len() == 14 => text.to_owned(),
        _ => return None,
    };
    chrono::NaiveDateTime::parse_from_str(&full, "%Y%m%d%H%M%S")
        .ok()
        .map(|t| t.and_utc().timestamp())
}

/// The rustls error somewhere in `e`'s causes (io::Error hides its inner
/// error from `source()`, so it is opened on the way).
pub fn rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = next {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(r) = rustls_error(inner)
        {
            return Some(r);
        }
        next = err.source();
    }
    None
}

/// What failed in the TLS handshake with `server`, and how to fix it.
pub fn describe_failure(e: &rustls::Error, server: &str, cert_path: Option<&Path>) -> String {
    let trust = match cert_path {
        Some(p) => format!(
            "it is neither in {} ({VAR}) nor signed by a CA certificate in that file; put the server's certificate or its CA there",
            p.display()
        ),
        None => format!(
            "if the server uses a self-signed certificate or a private CA, set {VAR} to a PEM file holding that certificate or CA"
        ),
    };
    let testing = "(MLFLOW_TRACKING_INSECURE_TLS=true turns checking off, for testing only)";
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                format!("the TLS certificate of {server} is not trusted: {trust} {testing}")
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!(
                    "the TLS certificate of {server} does not name that host in its subjectAltName; use a host name the certificate names in the URI, or reissue it (e.g. `openssl req -x509 ... -addext subjectAltName=DNS:<host>,IP:<address>`)"
                )
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                format!("the TLS certificate of {server} has expired; renew it on the server")
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => format!(
                "the TLS certificate of {server} is not valid yet; check the clocks of this machine and the server"
            ),
            // What plain `openssl req -x509` makes, seen without a cert path.
            CertificateError::Other(o) if format!("{o:?}").contains("CaUsedAsEndEntity") => {
                format!(
                    "the TLS certificate of {server} is not trusted: it is a CA certificate used as the server's own (a self-signed one, as `openssl req -x509` makes); {trust} {testing}"
                )
            }
            other => format!(
                "the TLS certificate of {server} was refused ({other:?}); {trust} {testing}"
            ),
        },
        other => format!(
            "the TLS handshake with {server} failed ({other}); check that the server speaks https on that port (use http:// for a plain-HTTP server)"
        ),
    }
}

fn invalid(message: String) -> RegistryError {
    RegistryError::InvalidRequest { message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_times_parse() {
        assert_eq!(time(0x17, b"700101000000Z"), Some(0));
        assert_eq!(time(0x17, b"491231235959Z"), Some(2_524_607_999));
        assert_eq!(time(0x18, b"19700101000100Z"), Some(60));
        assert_eq!(time(0x18, b"1970010100Z"), None);
        assert_eq!(validity(b"\x30\x03\x02\x01\x00"), None);
    }
}
