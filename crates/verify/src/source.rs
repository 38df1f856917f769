//! Where the published election comes from: a base URL (a Skytale server, a CDN, any static
//! host) or a published directory with the same paths.
//!
//! Directory layout (paths of the server, files without extension): `log/<id>/checkpoint`,
//! `log/<id>/tile/...`, `api/v1/elections/<id>` (definition JSON),
//! `api/v1/elections/<id>/results`, `api/v1/elections/<id>/results/<contest>`. Because a
//! filesystem cannot hold both a file `<id>` and a directory `<id>/`, a path that is a
//! directory is read from `<path>/index.json` (then `<path>/index`), as static hosts do.

use std::path::PathBuf;
use std::time::Duration;

/// Largest response or file read, in bytes (a results document of a very large election is a
/// few tens of MiB; tiles are at most 256 × 64 KiB).
pub const MAX_FETCH_SIZE: usize = 256 * 1024 * 1024;
/// Per-request timeout for URL sources.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(60);

/// A fetch that failed for another reason than "not there".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {why}")]
pub struct SourceError {
    /// The URL or file.
    pub location: String,
    /// What went wrong.
    pub why: String,
}

/// The response header naming the snapshot an artefact belongs to (`<tree size> <root>`).
pub const SNAPSHOT_HEADER: &str = "skytale-snapshot";

/// A content coding a published artefact is served in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
}

impl Coding {
    /// Every coding a verifier reads, identity first.
    pub const ALL: [Coding; 3] = [Coding::Identity, Coding::Gzip, Coding::Brotli];

    /// The `Accept-Encoding` token (none for identity).
    pub fn name(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Brotli => Some("br"),
        }
    }

    /// The sibling file's extension in a published directory (nginx `gzip_static`).
    pub fn extension(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gz"),
            Coding::Brotli => Some("br"),
        }
    }

    /// Decodes a body in this coding (bounded by [`MAX_FETCH_SIZE`]).
    pub fn decode(self, bytes: &[u8]) -> Result<Vec<u8>, String> {
        use std::io::Read as _;
        let mut out = Vec::new();
        let limit = MAX_FETCH_SIZE as u64 + 1;
        let r = match self {
            Coding::Identity => return Ok(bytes.to_vec()),
            Coding::Gzip => flate2::read::GzDecoder::new(bytes)
                .take(limit)
                .read_to_end(&mut out),
            Coding::Brotli => brotli::Decompressor::new(bytes, 4096)
                .take(limit)
                .read_to_end(&mut out),
        };
        r.map_err(|e| format!("not valid {}: {e}", self.name().unwrap_or("identity")))?;
        if out.len() > MAX_FETCH_SIZE {
            return Err(format!("decodes to more than {MAX_FETCH_SIZE} bytes"));
        }
        Ok(out)
    }
}

/// An artefact as fetched.
#[derive(Clone, Debug)]
pub struct Fetched {
    /// The body as sent (still in `coding`).
    pub bytes: Vec<u8>,
    /// The coding it came in (a server may answer identity to an `Accept-Encoding`).
    pub coding: Coding,
    /// The raw `Skytale-Snapshot` header, if any.
    pub snapshot: Option<String>,
    /// The `ETag`, if any.
    pub etag: Option<String>,
    /// The server answered 304 to `If-None-Match`: the body is the one that ETag names.
    pub not_modified: bool,
}

/// The file of `path` in a published directory: a path that is a folder is read from its
/// `index.json` (else `index`), as static hosts do.
fn resolve(dir: &std::path::Path, path: &str) -> std::path::PathBuf {
    let p = dir.join(path);
    if p.is_dir() {
        let json = p.join("index.json");
        if json.is_file() {
            json
        } else {
            p.join("index")
        }
    } else {
        p
    }
}

/// A published election's origin.
#[derive(Clone, Debug)]
pub enum Source {
    /// A base URL, e.g. `https://results.example.org`.
    Url {
        /// Without trailing slash.
        base: String,
        /// Shared connection pool.
        http: reqwest::Client,
    },
    /// A directory written by `skytale publish`.
    Dir(PathBuf),
}

impl Source {
    /// `http://` and `https://` are URLs; anything else is a directory.
    pub fn parse(s: &str) -> Source {
        if s.starts_with("http://") || s.starts_with("https://") {
            let http = reqwest::Client::builder()
                .timeout(FETCH_TIMEOUT)
                .build()
                .unwrap_or_default();
            Source::Url {
                base: s.trim_end_matches('/').to_owned(),
                http,
            }
        } else {
            Source::Dir(PathBuf::from(s))
        }
    }

    /// Where `path` (relative, no leading slash) is, for messages.
    pub fn locate(&self, path: &str) -> String {
        match self {
            Source::Url { base, .. } => format!("{base}/{path}"),
            Source::Dir(d) => d.join(path).display().to_string(),
        }
    }

    /// Whether the source is a directory (then published files must match the latest
    /// published state exactly; a live server may lag by a render interval).
    pub fn is_static(&self) -> bool {
        matches!(self, Source::Dir(_))
    }

    /// Fetches `path`; `Ok(None)` when it does not exist (404 / no such file).
    pub async fn get(&self, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
        let location = self.locate(path);
        let err = |why: String| SourceError {
            location: location.clone(),
            why,
        };
        match self {
            Source::Url { http, .. } => {
                let resp = http
                    .get(&location)
                    .send()
                    .await
                    .map_err(|e| err(e.to_string()))?;
                if resp.status() == reqwest::StatusCode::NOT_FOUND {
                    return Ok(None);
                }
                if !resp.status().is_success() {
                    return Err(err(format!("HTTP status {}", resp.status())));
                }
                if resp.content_length().unwrap_or(0) > MAX_FETCH_SIZE as u64 {
                    return Err(err(format!("larger than {MAX_FETCH_SIZE} bytes")));
                }
                let b = resp.bytes().await.map_err(|e| err(e.to_string()))?;
                if b.len() > MAX_FETCH_SIZE {
                    return Err(err(format!("larger than {MAX_FETCH_SIZE} bytes")));
                }
                Ok(Some(b.to_vec()))
            }
            Source::Dir(d) => {
                let p = resolve(d, path);
                match tokio::fs::metadata(&p).await {
                    Ok(m) if m.len() > MAX_FETCH_SIZE as u64 => {
                        return Err(err(format!("larger than {MAX_FETCH_SIZE} bytes")))
                    }
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(err(e.to_string())),
                }
                tokio::fs::read(&p)
                    .await
                    .map(Some)
                    .map_err(|e| err(e.to_string()))
            }
        }
    }

    /// Fetches `path` as a published artefact: its bytes in the content coding asked for (a
    /// URL is asked with `Accept-Encoding`; a directory's `.gz`/`.br` sibling is read), the
    /// coding it actually came in, and the snapshot it names (the `Skytale-Snapshot` header;
    /// a directory names none per file: the whole directory is one snapshot). `Ok(None)` when
    /// it does not exist (for a sibling: when the directory has no such sibling).
    pub async fn get_artefact(
        &self,
        path: &str,
        coding: Coding,
        if_none_match: Option<&str>,
    ) -> Result<Option<Fetched>, SourceError> {
        match self {
            Source::Url { http, .. } => {
                let location = self.locate(path);
                let err = |why: String| SourceError {
                    location: location.clone(),
                    why,
                };
                let mut req = http.get(&location);
                if let Some(c) = coding.name() {
                    req = req.header("accept-encoding", c);
                }
                if let Some(tag) = if_none_match {
                    req = req.header("if-none-match", tag);
                }
                let resp = req.send().await.map_err(|e| err(e.to_string()))?;
                if resp.status() == reqwest::StatusCode::NOT_FOUND {
                    return Ok(None);
                }
                let not_modified = resp.status() == reqwest::StatusCode::NOT_MODIFIED;
                if !resp.status().is_success() && !not_modified {
                    return Err(err(format!("HTTP status {}", resp.status())));
                }
                let header = |name: &str| {
                    resp.headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                let snapshot = header(SNAPSHOT_HEADER);
                let etag = header("etag");
                let came = match header("content-encoding").as_deref() {
                    None | Some("identity") => Coding::Identity,
                    Some("gzip") => Coding::Gzip,
                    Some("br") => Coding::Brotli,
                    Some(other) => {
                        return Err(err(format!("unknown content coding {other:?}")));
                    }
                };
                let b = resp.bytes().await.map_err(|e| err(e.to_string()))?;
                if b.len() > MAX_FETCH_SIZE {
                    return Err(err(format!("larger than {MAX_FETCH_SIZE} bytes")));
                }
                Ok(Some(Fetched {
                    bytes: b.to_vec(),
                    coding: came,
                    snapshot,
                    etag,
                    not_modified,
                }))
            }
            Source::Dir(d) => {
                let mut p = resolve(d, path).into_os_string();
                if let Some(ext) = coding.extension() {
                    p.push(".");
                    p.push(ext);
                }
                let p = std::path::PathBuf::from(p);
                let location = p.display().to_string();
                let bytes = match tokio::fs::read(&p).await {
                    Ok(b) => b,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => {
                        return Err(SourceError {
                            location,
                            why: e.to_string(),
                        })
                    }
                };
                if bytes.len() > MAX_FETCH_SIZE {
                    return Err(SourceError {
                        location,
                        why: format!("larger than {MAX_FETCH_SIZE} bytes"),
                    });
                }
                Ok(Some(Fetched {
                    bytes,
                    coding,
                    snapshot: None,
                    etag: None,
                    not_modified: false,
                }))
            }
        }
    }

    /// Like [`Source::get`], but a missing file is an error.
    pub async fn require(&self, path: &str) -> Result<Vec<u8>, SourceError> {
        self.get(path).await?.ok_or_else(|| SourceError {
            location: self.locate(path),
            why: "not found".into(),
        })
    }
}
