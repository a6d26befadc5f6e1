//! A TLS front on loopback for the real MLflow server: rustls terminates TLS
//! with a certificate the test made with the openssl CLI and forwards each
//! request (one per connection) to the plain-HTTP server. It counts
//! connections, so a test can tell a certificate error was not retried.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Runs the openssl CLI, failing the test with its output if it fails.
pub fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the openssl CLI is needed for the TLS tests (apt-get install -y openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A self-signed certificate as plain `openssl req -x509` makes it (CA:TRUE,
/// used as the server's own), naming `san`. Returns (cert, key).
pub fn self_signed(dir: &Path, name: &str, san: &str) -> (PathBuf, PathBuf) {
    let (cert, key) = (format!("{name}.pem"), format!("{name}.key"));
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &cert,
            "-days",
            "2",
            "-subj",
            "/CN=modelgate-test",
            "-addext",
            &format!("subjectAltName={san}"),
        ],
    );
    (dir.join(cert), dir.join(key))
}

/// A private CA and a server certificate it signed for `san`.
/// Returns (ca cert, server cert, server key).
pub fn ca_signed(dir: &Path, san: &str) -> (PathBuf, PathBuf, PathBuf) {
    let (ca, _) = self_signed(dir, "ca", "DNS:modelgate-test-ca");
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=leaf",
        ],
    );
    std::fs::write(
        dir.join("leaf.ext"),
        format!("subjectAltName={san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"),
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "2",
            "-extfile",
            "leaf.ext",
        ],
    );
    (ca, dir.join("leaf.pem"), dir.join("leaf.key"))
}

pub struct TlsFront {
    pub port: u16,
    connections: Arc<AtomicUsize>,
}

/// What the front does with a request.
#[derive(Clone)]
enum Mode {
    /// Forward to this `host:port`.
    Forward(String),
    /// Answer 307 to this URL.
    Redirect(String),
}

impl TlsFront {
    /// Serves `cert`/`key` on 127.0.0.1, forwarding to `upstream` (`http://host:port`).
    pub fn start(cert: &Path, key: &Path, upstream: &str) -> TlsFront {
        let upstream = upstream
            .trim_end_matches('/')
            .strip_prefix("http://")
            .expect("the test server is plain http")
            .to_owned();
        Self::run(cert, key, Mode::Forward(upstream))
    }

    /// Serves `cert`/`key`, answering every request with a 307 to `location`.
    pub fn redirecting(cert: &Path, key: &Path, location: &str) -> TlsFront {
        Self::run(cert, key, Mode::Redirect(location.to_owned()))
    }

    fn run(cert: &Path, key: &Path, mode: Mode) -> TlsFront {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
            .unwrap()
            .map(|c| c.unwrap())
            .collect();
        let key = PrivateKeyDer::from_pem_file(key).unwrap();
        let config = Arc::new(
            rustls::ServerConfig::builder()
                .with_no_client_auth()
                .with_single_cert(certs, key)
                .unwrap(),
        );
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        std::thread::spawn(move || {
            for tcp in listener.incoming() {
                let Ok(tcp) = tcp else { return };
                count.fetch_add(1, Ordering::SeqCst);
                let (config, mode) = (config.clone(), mode.clone());
                std::thread::spawn(move || {
                    // A refused handshake is the point of some tests: ignore errors.
                    let _ = serve(tcp, config, &mode);
                });
            }
        });
        TlsFront { port, connections }
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn serve(tcp: TcpStream, config: Arc<rustls::ServerConfig>, mode: &Mode) -> std::io::Result<()> {
    tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
    let conn = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = tls.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = buf[end + 4..].to_vec();
    while body.len() < length {
        let n = tls.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let upstream = match mode {
        Mode::Forward(u) => u,
        Mode::Redirect(location) => {
            let answer = format!(
                "HTTP/1.1 307 Temporary Redirect\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
            tls.write_all(answer.as_bytes())?;
            tls.conn.send_close_notify();
            return tls.flush();
        }
    };
    let mut up = TcpStream::connect(upstream)?;
    let mut out = String::new();
    for (i, line) in head.lines().enumerate() {
        let lower = line.to_ascii_lowercase();
        if i > 0 && (lower.starts_with("connection:") || lower.starts_with("keep-alive:")) {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    up.write_all(out.as_bytes())?;
    up.write_all(&body)?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer)?;
    tls.write_all(&answer)?;
    tls.conn.send_close_notify();
    tls.flush()
}
