//! A minimal HTTP/1.1 keep-alive connection for the load tool.
//!
//! `bench ingest` measures the server; its load client shares the same two cores, so every
//! microsecond the client spends is taken from the server. A general client (reqwest: pool,
//! tower layers, header maps, a JSON tree per answer) cost ~50 µs of CPU per submission, about
//! a quarter of the server's own. This one writes a fixed request head and reads the answer
//! with `httparse`, as wrk does: one connection per load task, no pool, no redirects, no TLS.

use anyhow::{anyhow, bail, Context, Result};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longest answer head we accept (the server's are a few hundred bytes).
const MAX_HEAD: usize = 16 * 1024;
/// Largest answer body we read (the whole results document of a national election).
const MAX_BODY: usize = 1 << 30;

/// One answer: status, the ETag if any, and the body.
pub struct Answer {
    pub status: u16,
    pub etag: Option<String>,
    /// The tree size of the `Skytale-Snapshot` header, when the answer names one.
    pub snapshot: Option<u64>,
    pub body: Vec<u8>,
}

/// A keep-alive connection to one server.
pub struct LoadConn {
    stream: TcpStream,
    host: String,
    /// Bytes read past the previous answer (none with a server that answers one at a time,
    /// kept for correctness).
    buf: Vec<u8>,
}

impl LoadConn {
    /// Connects to `addr` (`host:port`).
    pub async fn connect(addr: &str) -> Result<LoadConn> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("cannot connect to {addr}"))?;
        stream.set_nodelay(true)?;
        Ok(LoadConn {
            stream,
            host: addr.to_string(),
            buf: Vec::with_capacity(8192),
        })
    }

    /// Connects to `addr` from the local address `from` (another loopback address such as
    /// 127.0.0.2 makes a second client as the server sees it, for per-address limits).
    pub async fn connect_from(addr: &str, from: std::net::IpAddr) -> Result<LoadConn> {
        let to: std::net::SocketAddr = addr
            .parse()
            .with_context(|| format!("bad address {addr}"))?;
        let socket = if to.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.bind(std::net::SocketAddr::new(from, 0))?;
        let stream = socket
            .connect(to)
            .await
            .with_context(|| format!("cannot connect to {addr} from {from}"))?;
        stream.set_nodelay(true)?;
        Ok(LoadConn {
            stream,
            host: addr.to_string(),
            buf: Vec::with_capacity(8192),
        })
    }

    /// Writes raw bytes (a deliberately bad or partial request) and does not wait for an answer.
    pub async fn send_raw(&mut self, bytes: &[u8]) -> Result<()> {
        self.stream.write_all(bytes).await?;
        Ok(())
    }

    /// Reads one answer to a request sent with [`LoadConn::send_raw`].
    pub async fn answer(&mut self) -> Result<Answer> {
        self.read_answer().await
    }

    /// `POST path` with a text body.
    pub async fn post(&mut self, path: &str, body: &[u8]) -> Result<Answer> {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        let mut req = Vec::with_capacity(head.len() + body.len());
        req.extend_from_slice(head.as_bytes());
        req.extend_from_slice(body);
        self.stream.write_all(&req).await?;
        self.read_answer().await
    }

    /// `GET path`, conditional on `etag` when given (a 304 then has no body).
    pub async fn get(&mut self, path: &str, etag: Option<&str>) -> Result<Answer> {
        self.get_encoded(path, etag, None).await
    }

    /// [`LoadConn::get`] asking for a content coding (`gzip`, `br`), as browsers and feed
    /// readers do.
    pub async fn get_encoded(
        &mut self,
        path: &str,
        etag: Option<&str>,
        coding: Option<&str>,
    ) -> Result<Answer> {
        let mut cond = etag
            .map(|e| format!("If-None-Match: {e}\r\n"))
            .unwrap_or_default();
        if let Some(c) = coding {
            cond.push_str(&format!("Accept-Encoding: {c}\r\n"));
        }
        let req = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n{cond}\r\n", self.host);
        self.stream.write_all(req.as_bytes()).await?;
        self.read_answer().await
    }

    async fn read_answer(&mut self) -> Result<Answer> {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut resp = httparse::Response::new(&mut headers);
            match resp
                .parse(&self.buf)
                .context("the server's answer is not HTTP")?
            {
                httparse::Status::Complete(head_len) => {
                    let status = resp
                        .code
                        .ok_or_else(|| anyhow!("answer without a status"))?;
                    let mut length = 0usize;
                    let mut etag = None;
                    let mut snapshot = None;
                    for h in resp.headers.iter() {
                        if h.name.eq_ignore_ascii_case("skytale-snapshot") {
                            snapshot = std::str::from_utf8(h.value)
                                .ok()
                                .and_then(|v| v.split(' ').next())
                                .and_then(|n| n.parse().ok());
                        }
                        if h.name.eq_ignore_ascii_case("content-length") {
                            length = std::str::from_utf8(h.value)
                                .ok()
                                .and_then(|v| v.trim().parse().ok())
                                .ok_or_else(|| anyhow!("bad Content-Length"))?;
                        } else if h.name.eq_ignore_ascii_case("etag") {
                            etag = std::str::from_utf8(h.value).ok().map(str::to_string);
                        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                            bail!("chunked answers are not supported by the load client");
                        }
                    }
                    if length > MAX_BODY {
                        bail!("answer body of {length} bytes is too large");
                    }
                    while self.buf.len() < head_len + length {
                        self.fill().await?;
                    }
                    let body = self.buf[head_len..head_len + length].to_vec();
                    self.buf.drain(..head_len + length);
                    return Ok(Answer {
                        status,
                        etag,
                        snapshot,
                        body,
                    });
                }
                httparse::Status::Partial => {
                    if self.buf.len() > MAX_HEAD {
                        bail!("answer head longer than {MAX_HEAD} bytes");
                    }
                    self.fill().await?;
                }
            }
        }
    }

    async fn fill(&mut self) -> Result<()> {
        let start = self.buf.len();
        self.buf.resize(start + 64 * 1024, 0);
        let n = self.stream.read(&mut self.buf[start..]).await;
        let n = match n {
            Ok(n) => n,
            Err(e) => {
                self.buf.truncate(start);
                return Err(e.into());
            }
        };
        self.buf.truncate(start + n);
        if n == 0 {
            bail!("the server closed the connection");
        }
        Ok(())
    }
}

/// The number after `"key":` in the first bytes of a JSON object (the results document names
/// its tree size near the start), without parsing the rest.
pub fn leading_number(body: &[u8], key: &str) -> Option<u64> {
    let window = &body[..body.len().min(4096)];
    let pat = format!("\"{key}\":");
    let at = window
        .windows(pat.len())
        .position(|w| w == pat.as_bytes())?;
    let digits: Vec<u8> = window[at + pat.len()..]
        .iter()
        .copied()
        .skip_while(|b| *b == b' ')
        .take_while(u8::is_ascii_digit)
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_leading_number() {
        let doc = br#"{"election":"bench","tree_size": 1234,"root_hash":"x"}"#;
        assert_eq!(leading_number(doc, "tree_size"), Some(1234));
        assert_eq!(leading_number(doc, "statements"), None);
        assert_eq!(leading_number(b"{\"tree_size\":\"x\"}", "tree_size"), None);
    }

    #[tokio::test]
    async fn reads_answers_in_order_over_one_connection() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            // Two requests: answer both at once, the second split across writes.
            while got.windows(4).filter(|w| w == b"\r\n\r\n").count() < 2
                || !got.ends_with(b"hello")
            {
                let n = s.read(&mut buf).await.unwrap();
                got.extend_from_slice(&buf[..n]);
            }
            s.write_all(b"HTTP/1.1 201 Created\r\nContent-Length: 4\r\nETag: \"a\"\r\n\r\nbodyHTTP/1.1 304 Not Modified\r\n")
                .await
                .unwrap();
            s.write_all(b"Content-Length: 0\r\n\r\n").await.unwrap();
        });
        let mut c = LoadConn::connect(&addr).await.unwrap();
        let head = format!("POST /x HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 5\r\n\r\nhello");
        // Write both requests before reading, to exercise leftover bytes between answers.
        c.stream
            .write_all(b"GET /y HTTP/1.1\r\nHost: h\r\n\r\n")
            .await
            .unwrap();
        c.stream.write_all(head.as_bytes()).await.unwrap();
        let a = c.read_answer().await.unwrap();
        assert_eq!(
            (a.status, a.etag.as_deref(), &a.body[..]),
            (201, Some("\"a\""), &b"body"[..])
        );
        let b = c.read_answer().await.unwrap();
        assert_eq!((b.status, b.body.len()), (304, 0));
        server.await.unwrap();
    }
}
