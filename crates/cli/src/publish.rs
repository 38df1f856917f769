//! `skytale publish`: an election's public site, feeds and log as static files, for nginx, a
//! CDN or an archive.
//!
//! The files are the bytes the server sends for the same URL paths: the election is loaded
//! from the data directory exactly as `skytale serve` loads it (every entry re-checked), and
//! every file is fetched through the server's own router and written by
//! [`skytale_server::site::publish_dir`] (see it for the layout and the atomic swap).
//!
//! A matching nginx configuration (extension-less files need a type):
//!
//! ```nginx
//! root /srv/skytale;  gzip_static on;  default_type application/octet-stream;
//! location / { try_files $uri $uri/index.html $uri/index.json =404; }
//! location /api/ { default_type application/json; try_files $uri $uri/index.json =404; }
//! location ~ ^/log/[^/]+/checkpoint$ { default_type text/plain; }
//! ```

use std::path::Path;

use anyhow::{Context, Result};
use skytale_store::Location;

pub use skytale_server::site::Published;

/// Writes election `election` of `data_dir` to `out`.
pub async fn publish(data_dir: &Path, election: &str, out: &Path) -> Result<Published> {
    publish_at(data_dir, &Location::Sqlite, election, out).await
}

/// Writes election `election` of the store at `location` to `out`.
pub async fn publish_at(
    data_dir: &Path,
    location: &Location,
    election: &str,
    out: &Path,
) -> Result<Published> {
    let state = skytale_server::AppState::open_at(data_dir, location)
        .with_context(|| format!("cannot load {}", data_dir.display()))?;
    Ok(skytale_server::site::publish_dir(&state, election, out).await?)
}
