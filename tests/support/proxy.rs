//! A fault-injecting HTTP proxy on loopback, between modelgate and the real
//! MLflow server. Each client connection carries one request; rules pick the
//! requests to break (by method and path) and how, a given number of times.
//! Test-only and deliberately small: HTTP/1.1 with Content-Length bodies, which
//! is what reqwest sends and uvicorn answers with `Connection: close`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How to break a matching request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Wait this long, then forward as usual (past the client's read timeout).
    Delay(Duration),
    /// Close the connection without an answer; the server never sees the request.
    Reset,
    /// Forward (so the server applies it), then close without an answer.
    ResetAfterForward,
    /// Answer with this status and an MLflow error body; the server never sees it.
    Status(u16),
    /// Answer 429 with `Retry-After` seconds.
    TooMany(u64),
    /// Forward, then send the headers and only half of the body.
    Truncate,
    /// Answer 200 with a body that is not JSON.
    InvalidJson,
    /// Answer 200 with this many bytes; with or without a Content-Length.
    Huge { bytes: usize, content_length: bool },
    /// Answer 401 quoting the request's Authorization header back.
    EchoAuth,
    /// Forward (so the server applies it), then answer with this status and
    /// an error body: a write applied but reported failed.
    StatusAfterForward(u16),
    /// Forward, then stay silent this long before answering (past the
    /// client's read timeout): a timeout after the write.
    DelayAfterForward(Duration),
    /// Answer 401 quoting the Authorization header's value as this function
    /// rewrites it (percent-encoded, upper case...).
    EchoAuthAs(fn(&str) -> String),
    /// Answer with this status and the body this function makes of the number
    /// of earlier hits of the rule (0 for the first).
    Answer(u16, fn(usize) -> String),
    /// Answer `status` with `Location: <location>`; the server never sees it.
    Redirect(u16, String),
    /// Send a 200 with a Content-Length, then one byte of the body per interval.
    Trickle(Duration),
    /// Read the request and never answer (for at most 10 minutes).
    Silent,
}

#[derive(Debug, Clone)]
struct Rule {
    method: Option<String>,
    path_contains: String,
    /// Only requests whose body contains this.
    body_contains: Option<String>,
    fault: Fault,
    times: usize,
    used: usize,
}

#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub fault: Option<String>,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    seen: Vec<Seen>,
}

/// A running proxy; it stops when the test's runtime ends.
pub struct Proxy {
    pub uri: String,
    state: Arc<Mutex<State>>,
}

impl Proxy {
    /// Starts a proxy to `upstream` (`http://127.0.0.1:PORT`).
    pub async fn start(upstream: &str) -> Proxy {
        let upstream = upstream
            .trim_end_matches('/')
            .strip_prefix("http://")
            .expect("the test server is plain http")
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let (state, upstream) = (shared.clone(), upstream.clone());
                tokio::spawn(async move {
                    // A broken connection is the point of many faults: ignore errors.
                    let _ = serve(client, &upstream, &state).await;
                });
            }
        });
        Proxy { uri, state }
    }

    /// Breaks the next `times` requests whose path contains `path` (and method, if given).
    pub fn fail(&self, method: Option<&str>, path: &str, fault: Fault, times: usize) {
        self.state.lock().unwrap().rules.push(Rule {
            method: method.map(str::to_owned),
            path_contains: path.to_owned(),
            body_contains: None,
            fault,
            times,
            used: 0,
        });
    }

    /// `fail`, only for requests whose body contains `body` (one tag key, say).
    pub fn fail_body(&self, method: &str, path: &str, body: &str, fault: Fault, times: usize) {
        self.state.lock().unwrap().rules.push(Rule {
            method: Some(method.to_owned()),
            path_contains: path.to_owned(),
            body_contains: Some(body.to_owned()),
            fault,
            times,
            used: 0,
        });
    }

    pub fn clear(&self) {
        let mut s = self.state.lock().unwrap();
        s.rules.clear();
        s.seen.clear();
    }

    /// Requests seen whose path contains `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.seen().iter().filter(|s| s.path.contains(path)).count()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }
}

struct Request {
    method: String,
    path: String,
    head: String,
    body: Vec<u8>,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

async fn read_request(client: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut body = buf[end + 4..].to_vec();
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while body.len() < length {
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let mut first = head.lines().next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_owned();
    let path = first.next().unwrap_or_default().to_owned();
    Ok(Some(Request {
        method,
        path,
        head,
        body,
    }))
}

/// Sends the request upstream on a fresh connection and reads the whole answer.
async fn forward(req: &Request, upstream: &str) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).await?;
    let mut head = String::new();
    for (i, line) in req.head.lines().enumerate() {
        let lower = line.to_ascii_lowercase();
        if i > 0 && (lower.starts_with("connection:") || lower.starts_with("keep-alive:")) {
            continue;
        }
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    up.write_all(head.as_bytes()).await?;
    up.write_all(&req.body).await?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer).await?;
    Ok(answer)
}

/// Closes with a TCP reset rather than a clean FIN.
// Deprecated because a non-zero linger blocks on drop; zero resets at once.
#[allow(deprecated)]
fn reset(client: TcpStream) {
    let _ = client.set_linger(Some(Duration::ZERO));
    drop(client);
}

async fn respond(
    client: &mut TcpStream,
    status: &str,
    extra: &str,
    body: &[u8],
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n",
        body.len()
    );
    client.write_all(head.as_bytes()).await?;
    client.write_all(body).await?;
    client.shutdown().await
}

async fn serve(mut client: TcpStream, upstream: &str, state: &Mutex<State>) -> std::io::Result<()> {
    let Some(req) = read_request(&mut client).await? else {
        return Ok(());
    };
    let fault = {
        let mut s = state.lock().unwrap();
        let hit = s.rules.iter_mut().find(|r| {
            r.times > 0
                && req.path.contains(&r.path_contains)
                && r.method.as_deref().is_none_or(|m| m == req.method)
                && r.body_contains
                    .as_deref()
                    .is_none_or(|b| find(&req.body, b.as_bytes()).is_some())
        });
        let fault = hit.map(|r| {
            r.times -= 1;
            r.used += 1;
            (r.fault.clone(), r.used - 1)
        });
        s.seen.push(Seen {
            method: req.method.clone(),
            path: req.path.clone(),
            fault: fault.as_ref().map(|f| format!("{:?}", f.0)),
        });
        fault
    };
    let (fault, used) = match fault {
        Some((f, n)) => (Some(f), n),
        None => (None, 0),
    };
    match fault {
        None => {
            let answer = forward(&req, upstream).await?;
            client.write_all(&answer).await?;
            client.shutdown().await
        }
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(d).await;
            let answer = forward(&req, upstream).await?;
            client.write_all(&answer).await?;
            client.shutdown().await
        }
        Some(Fault::Reset) => {
            reset(client);
            Ok(())
        }
        Some(Fault::ResetAfterForward) => {
            forward(&req, upstream).await?;
            reset(client);
            Ok(())
        }
        Some(Fault::Status(code)) => {
            let body = format!(
                r#"{{"error_code": "INTERNAL_ERROR", "message": "injected failure {code}"}}"#
            );
            respond(
                &mut client,
                &format!("{code} Injected"),
                "",
                body.as_bytes(),
            )
            .await
        }
        Some(Fault::TooMany(secs)) => {
            let body = br#"{"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow down"}"#;
            let extra = format!("retry-after: {secs}\r\n");
            respond(&mut client, "429 Too Many Requests", &extra, body).await
        }
        Some(Fault::Truncate) => {
            let answer = forward(&req, upstream).await?;
            let body_at = find(&answer, b"\r\n\r\n").map(|i| i + 4).unwrap_or(0);
            let body_len = answer.len() - body_at;
            // Headers promise the full body; half of it arrives.
            client.write_all(&answer[..body_at + body_len / 2]).await?;
            reset(client);
            Ok(())
        }
        Some(Fault::InvalidJson) => {
            respond(
                &mut client,
                "200 OK",
                "",
                b"{\"model_versions\": [{\"name\": ",
            )
            .await
        }
        Some(Fault::Huge {
            bytes,
            content_length,
        }) => {
            let head = if content_length {
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {bytes}\r\nconnection: close\r\n\r\n"
                )
            } else {
                "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\nconnection: close\r\n\r\n"
                    .to_owned()
            };
            client.write_all(head.as_bytes()).await?;
            let block = vec![b'x'; 64 * 1024];
            let mut sent = 0;
            while sent < bytes {
                let n = block.len().min(bytes - sent);
                // The client hangs up once it has seen enough: stop quietly.
                if client.write_all(&block[..n]).await.is_err() {
                    return Ok(());
                }
                sent += n;
            }
            client.shutdown().await
        }
        Some(Fault::StatusAfterForward(code)) => {
            forward(&req, upstream).await?;
            let body = format!(
                r#"{{"error_code": "INVALID_PARAMETER_VALUE", "message": "injected failure {code} after the write"}}"#
            );
            respond(
                &mut client,
                &format!("{code} Injected"),
                "",
                body.as_bytes(),
            )
            .await
        }
        Some(Fault::DelayAfterForward(d)) => {
            let answer = forward(&req, upstream).await?;
            tokio::time::sleep(d).await;
            client.write_all(&answer).await?;
            client.shutdown().await
        }
        Some(Fault::EchoAuth) => {
            let auth = req
                .head
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
                .unwrap_or("no authorization header")
                .to_owned();
            let body = serde_json::json!({
                "error_code": "UNAUTHENTICATED",
                "message": format!("credentials refused: {auth}"),
            })
            .to_string();
            respond(&mut client, "401 Unauthorized", "", body.as_bytes()).await
        }
        Some(Fault::EchoAuthAs(rewrite)) => {
            let auth = req
                .head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("authorization")
                        .then(|| v.trim().to_owned())
                })
                .unwrap_or_default();
            let body = serde_json::json!({
                "error_code": "UNAUTHENTICATED",
                "message": format!("credentials refused: {}", rewrite(&auth)),
            })
            .to_string();
            respond(&mut client, "401 Unauthorized", "", body.as_bytes()).await
        }
        Some(Fault::Answer(status, make)) => {
            let body = make(used);
            respond(
                &mut client,
                &format!("{status} Injected"),
                "",
                body.as_bytes(),
            )
            .await
        }
        Some(Fault::Redirect(status, location)) => {
            let extra = format!("location: {location}\r\n");
            respond(&mut client, &format!("{status} Moved"), &extra, b"").await
        }
        Some(Fault::Trickle(every)) => {
            let body = br#"{"registered_model": {"name": "slow"}}"#;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            client.write_all(head.as_bytes()).await?;
            for b in body {
                tokio::time::sleep(every).await;
                // The client hangs up once it gives up: stop quietly.
                if client.write_all(&[*b]).await.is_err() {
                    return Ok(());
                }
            }
            client.shutdown().await
        }
        Some(Fault::Silent) => {
            tokio::time::sleep(Duration::from_secs(600)).await;
            Ok(())
        }
    }
}
