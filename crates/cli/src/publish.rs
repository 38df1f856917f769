//! `skytale publish`: an election's public site, feeds and log as static files, for nginx, a
//! CDN or an archive.
//!
//! The files are the bytes the server sends for the same URL paths: the election is loaded
//! from the data directory exactly as `skytale serve` loads it (every entry re-checked), and
//! every file is fetched through the server's own router ([`skytale_server::site::export`]).
//!
//! Layout: URL path → file path under `--out`. A URL ending in `/` is a folder and gets
//! `index.html` (or `index.json` for JSON); a URL that is also the prefix of other URLs (e.g.
//! `/api/v1/elections/<id>` and `/api/v1/elections/<id>/results`) is a folder too, so its
//! document goes to `<path>/index.json`, which is where `skytale verify DIR` reads it. Each
//! compressible file gets `.gz` and `.br` siblings (the server's own precompressed bodies where
//! it has them) for nginx's `gzip_static` / `brotli_static`. The language-less entry URL
//! `/<id>/` becomes a small page that sends the reader to the default language (a static host
//! cannot read `Accept-Language`).
//!
//! Atomicity: everything is written to a temporary directory beside `--out`, which then
//! replaces `--out` in one `rename` (on Linux an atomic exchange when `--out` already
//! exists), so a web server or CDN reading `--out` never sees half a site.
//!
//! A matching nginx configuration (extension-less files need a type):
//!
//! ```nginx
//! root /srv/skytale;  gzip_static on;  default_type application/octet-stream;
//! location / { try_files $uri $uri/index.html $uri/index.json =404; }
//! location /api/ { default_type application/json; try_files $uri $uri/index.json =404; }
//! location ~ ^/log/[^/]+/checkpoint$ { default_type text/plain; }
//! ```

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use skytale_server::site::ExportedFile;

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Files written, compressed siblings not counted.
    pub files: usize,
    /// Bytes of those files.
    pub bytes: u64,
    /// Tree size of the checkpoint written.
    pub tree_size: u64,
}

/// Content types whose files get `.gz` / `.br` siblings.
fn compressible(content_type: &str) -> bool {
    let ct = content_type.split(';').next().unwrap_or("").trim();
    ct.starts_with("text/")
        || ct.ends_with("json")
        || ct.ends_with("xml")
        || ct == "image/svg+xml"
        || ct == "text/javascript"
}

/// Smallest file worth a compressed sibling (nginx's `gzip_min_length` default is 20).
const MIN_COMPRESS: usize = 256;

/// Writes election `election` of `data_dir` to `out`.
pub async fn publish(data_dir: &Path, election: &str, out: &Path) -> Result<Published> {
    let state = skytale_server::AppState::open(data_dir)
        .with_context(|| format!("cannot load {}", data_dir.display()))?;
    let files = skytale_server::site::export(&state, election).await?;
    let rt = state
        .election(election)
        .ok_or_else(|| anyhow!("no election {election:?}"))?;
    let tree_size = rt.log.read().unwrap_or_else(|p| p.into_inner()).size;
    let default_language = rt
        .published
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .tally
        .definition()
        .definition()
        .default_language
        .clone();
    let out = out.to_path_buf();
    let election = election.to_string();
    tokio::task::spawn_blocking(move || {
        write_site(&out, &files, &election, &default_language, tree_size)
    })
    .await?
}

fn write_site(
    out: &Path,
    files: &[ExportedFile],
    election: &str,
    default_language: &str,
    tree_size: u64,
) -> Result<Published> {
    let name = out
        .file_name()
        .ok_or_else(|| anyhow!("--out {} has no directory name", out.display()))?
        .to_string_lossy()
        .into_owned();
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).with_context(|| format!("cannot remove {}", tmp.display()))?;
    }
    let written = (|| -> Result<Published> {
        let folders = folders(files.iter().map(|f| f.path.as_str()));
        let mut report = Published {
            files: 0,
            bytes: 0,
            tree_size,
        };
        for f in files {
            let rel = file_for(&f.path, &f.content_type, &folders)?;
            let path = tmp.join(&rel);
            write_file(&path, &f.body)?;
            report.files += 1;
            report.bytes += f.body.len() as u64;
            if compressible(&f.content_type) && f.body.len() >= MIN_COMPRESS {
                let gz = f
                    .gzip
                    .clone()
                    .unwrap_or_else(|| skytale_render::gzip(&f.body).into());
                let br =
                    f.br.clone()
                        .unwrap_or_else(|| skytale_render::brotli(&f.body).into());
                write_file(&sibling(&path, "gz"), &gz)?;
                write_file(&sibling(&path, "br"), &br)?;
            }
        }
        // `/<id>/`: the server negotiates the language; a static host sends the default one.
        let seg = skytale_render::html::seg;
        let target = format!("/{}/{}/", seg(default_language), seg(election));
        let page = format!(
            "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"refresh\" content=\"0; url={target}\">\n<title>{id}</title>\n</head>\n<body><p><a href=\"{target}\">{target}</a></p></body>\n</html>\n",
            lang = seg(default_language),
            id = seg(election),
        );
        write_file(
            &tmp.join(decode_rel(&format!("/{}/", seg(election)))?)
                .join("index.html"),
            page.as_bytes(),
        )?;
        Ok(report)
    })();
    let report = match written {
        Ok(r) => r,
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    swap_into_place(&tmp, out)?;
    Ok(report)
}

fn sibling(path: &Path, ext: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// Every proper prefix of every URL path (`/a/b/c` → `/a`, `/a/b`): URLs that must be folders.
fn folders<'a>(paths: impl Iterator<Item = &'a str>) -> HashSet<String> {
    let mut set = HashSet::new();
    for p in paths {
        let trimmed = p.trim_end_matches('/');
        for (i, _) in trimmed.match_indices('/').skip(1) {
            set.insert(trimmed[..i].to_string());
        }
    }
    set
}

/// The relative file path of a URL path (see the module doc for the rule).
pub fn file_for(url: &str, content_type: &str, folders: &HashSet<String>) -> Result<PathBuf> {
    let index = if content_type.contains("json") {
        "index.json"
    } else {
        "index.html"
    };
    if url.ends_with('/') {
        return Ok(decode_rel(url)?.join(index));
    }
    if folders.contains(url) {
        return Ok(decode_rel(url)?.join(index));
    }
    decode_rel(url)
}

/// A URL path as a relative file path: percent-decoded segment by segment, refusing any
/// segment that could leave the output directory or is not a plain name.
fn decode_rel(url: &str) -> Result<PathBuf> {
    let mut out = PathBuf::new();
    for raw in url.split('/').filter(|s| !s.is_empty()) {
        let seg = percent_decode(raw).ok_or_else(|| anyhow!("bad URL path {url:?}"))?;
        if seg == "." || seg == ".." || seg.contains(['/', '\\', '\0']) {
            bail!("URL path {url:?} cannot be a file name");
        }
        out.push(seg);
    }
    Ok(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Puts the finished `tmp` at `out`: a plain rename when `out` does not exist; otherwise, on
/// Linux, an atomic exchange of the two directories (then the old one is removed), elsewhere
/// two renames in quick succession.
fn swap_into_place(tmp: &Path, out: &Path) -> Result<()> {
    if !out.exists() {
        return fs::rename(tmp, out)
            .with_context(|| format!("cannot move {} to {}", tmp.display(), out.display()));
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        if renameat_with(CWD, tmp, CWD, out, RenameFlags::EXCHANGE).is_ok() {
            // `tmp` now holds the previous site.
            return fs::remove_dir_all(tmp)
                .with_context(|| format!("cannot remove the old site at {}", tmp.display()));
        }
    }
    let old = sibling(tmp, "old");
    fs::rename(out, &old).with_context(|| format!("cannot move {} aside", out.display()))?;
    fs::rename(tmp, out)
        .with_context(|| format!("cannot move {} to {}", tmp.display(), out.display()))?;
    fs::remove_dir_all(&old).with_context(|| format!("cannot remove {}", old.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_map_to_files_and_folders_get_an_index() {
        let paths = [
            "/api/v1/elections/x",
            "/api/v1/elections/x/results",
            "/api/v1/elections/x/results/mayor",
            "/en/x/",
            "/log/x/checkpoint",
        ];
        let f = folders(paths.iter().copied());
        let json = "application/json";
        assert_eq!(
            file_for("/api/v1/elections/x", json, &f).unwrap(),
            PathBuf::from("api/v1/elections/x/index.json")
        );
        assert_eq!(
            file_for("/api/v1/elections/x/results", json, &f).unwrap(),
            PathBuf::from("api/v1/elections/x/results/index.json")
        );
        assert_eq!(
            file_for("/api/v1/elections/x/results/mayor", json, &f).unwrap(),
            PathBuf::from("api/v1/elections/x/results/mayor")
        );
        assert_eq!(
            file_for("/en/x/", "text/html; charset=utf-8", &f).unwrap(),
            PathBuf::from("en/x/index.html")
        );
        assert_eq!(
            file_for("/", "text/html", &f).unwrap(),
            PathBuf::from("index.html")
        );
        assert_eq!(
            file_for("/en/a%20b/", "text/html", &f).unwrap(),
            PathBuf::from("en/a b/index.html")
        );
        assert!(file_for("/en/%2E%2E/", "text/html", &f).is_err());
        assert!(file_for("/en/a%2Fb", "text/html", &f).is_err());
        assert!(file_for("/en/%zz", "text/html", &f).is_err());
    }
}
