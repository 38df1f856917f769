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
                let mut p = d.join(path);
                if p.is_dir() {
                    let json = p.join("index.json");
                    p = if json.is_file() {
                        json
                    } else {
                        p.join("index")
                    };
                }
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

    /// Like [`Source::get`], but a missing file is an error.
    pub async fn require(&self, path: &str) -> Result<Vec<u8>, SourceError> {
        self.get(path).await?.ok_or_else(|| SourceError {
            location: self.locate(path),
            why: "not found".into(),
        })
    }
}
