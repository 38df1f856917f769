//! A published directory: everything the server serves for an election, as static files for
//! nginx, a CDN or an archive (what `skytale publish` writes).
//!
//! Layout: URL path → file path under the output directory. A URL ending in `/` is a folder
//! and gets `index.html` (or `index.json` for JSON); a URL that is also the prefix of other URLs
//! (e.g. `/api/v1/elections/<id>` and `/api/v1/elections/<id>/results`) is a folder too, so its
//! document goes to `<path>/index.json`, which is where `skytale verify DIR` reads it. Each
//! compressible file gets `.gz` and `.br` siblings (the server's own precompressed bodies where
//! it has them) for nginx's `gzip_static` / `brotli_static`. The language-less entry URL
//! `/<id>/` becomes a small page that sends the reader to the default language (a static host
//! cannot read `Accept-Language`). The whole directory is one snapshot, which
//! `api/v1/elections/<id>/snapshot` names.
//!
//! The pages a national election renders on demand (its county and station pages, millions
//! of files) are rendered here unit by unit on every core with the renderer the server's
//! on-demand answer uses, from the same snapshot's tally, compressed with the same functions,
//! and written as they come: never all in memory.
//!
//! Atomicity: everything is written to a temporary directory beside the output, which then
//! replaces it in one `rename` (on Linux an atomic exchange when it already exists), so a web
//! server or CDN reading it never sees half a site.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::export::{export, ExportError, ExportedFile};
use crate::AppState;

/// What was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// Files written, compressed siblings not counted.
    pub files: usize,
    /// Bytes of those files.
    pub bytes: u64,
    /// HTML pages among them (pages and embeds).
    pub pages: usize,
    /// Bytes of every file written, compressed siblings included.
    pub bytes_with_siblings: u64,
    /// Seconds the whole publication took (loading excluded, writing included).
    pub seconds: f64,
    /// Tree size of the checkpoint written.
    pub tree_size: u64,
    /// The snapshot every artefact of the directory belongs to: its published size and root.
    pub snapshot: u64,
    pub snapshot_root: String,
}

/// Why a directory could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Path(String),
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> PublishError {
    let path = path.to_path_buf();
    move |source| PublishError::Io { what, path, source }
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

/// Writes everything the server serves for election `id` of `state` to `out`, as one
/// snapshot (see the module doc).
pub async fn publish_dir(
    state: &AppState,
    id: &str,
    out: &Path,
) -> Result<Published, PublishError> {
    let started = std::time::Instant::now();
    let files = export(state, id).await?;
    let rt = state
        .election(id)
        .ok_or_else(|| ExportError::UnknownElection(id.to_string()))?;
    // The exported map's snapshot: its on-demand pages are rendered from the same tally.
    let map = rt.site.current();
    let on_demand = match (rt.site.renderer(), map.source()) {
        (Some(site), Some(source)) if site.pages_on_demand() => Some((site, source.clone())),
        _ => None,
    };
    let tree_size = rt.log.read().unwrap_or_else(|p| p.into_inner()).size;
    let snap = rt.publisher.current();
    let snapshot = (snap.pos.tree_size, snap.pos.root_hash.clone());
    let default_language = rt.definition.definition().default_language.clone();
    let out = out.to_path_buf();
    let id = id.to_string();
    let mut report = tokio::task::spawn_blocking(move || {
        write_site(
            &out,
            &files,
            on_demand.as_ref(),
            &id,
            &default_language,
            tree_size,
            &snapshot,
        )
    })
    .await
    .map_err(|e| PublishError::Path(format!("the writer stopped: {e}")))??;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// A file of the directory written with its compressed siblings; returns what it added to the
/// report (files, bytes, pages, bytes with siblings).
fn write_with_siblings(
    path: &Path,
    content_type: &str,
    body: &[u8],
    gzip: Option<&[u8]>,
    br: Option<&[u8]>,
) -> Result<(usize, u64, usize, u64), PublishError> {
    write_file(path, body)?;
    let mut all = body.len() as u64;
    if compressible(content_type) && body.len() >= MIN_COMPRESS {
        let gz = gzip.map_or_else(|| skytale_render::gzip(body), <[u8]>::to_vec);
        let br = br.map_or_else(|| skytale_render::brotli(body), <[u8]>::to_vec);
        write_file(&sibling(path, "gz"), &gz)?;
        write_file(&sibling(path, "br"), &br)?;
        all += (gz.len() + br.len()) as u64;
    }
    let page = usize::from(content_type.starts_with("text/html"));
    Ok((1, body.len() as u64, page, all))
}

/// Every page rendered on demand, unit by unit on every core, written under `tmp`.
fn write_on_demand(
    tmp: &Path,
    site: &skytale_render::Site,
    source: &crate::publisher::Shared,
    folders: &HashSet<String>,
    report: &mut Published,
) -> Result<(), PublishError> {
    use rayon::prelude::*;
    let units = site.on_demand_units();
    let sums = units
        .par_iter()
        .map(|&u| {
            let mut sum = (0usize, 0u64, 0usize, 0u64);
            let pages = site.render_unit(&source.tally, &source.pos, &source.history, u, None);
            for (url, r) in pages {
                let rel = file_for(&url, r.content_type, folders)?;
                let add = write_with_siblings(
                    &tmp.join(rel),
                    r.content_type,
                    &r.body,
                    r.gzip.as_deref(),
                    r.br.as_deref(),
                )?;
                sum = (sum.0 + add.0, sum.1 + add.1, sum.2 + add.2, sum.3 + add.3);
            }
            Ok::<_, PublishError>(sum)
        })
        .try_reduce(
            || (0, 0, 0, 0),
            |a, b| Ok((a.0 + b.0, a.1 + b.1, a.2 + b.2, a.3 + b.3)),
        )?;
    report.files += sums.0;
    report.bytes += sums.1;
    report.pages += sums.2;
    report.bytes_with_siblings += sums.3;
    Ok(())
}

fn write_site(
    out: &Path,
    files: &[ExportedFile],
    on_demand: Option<&(
        std::sync::Arc<skytale_render::Site>,
        crate::publisher::Shared,
    )>,
    election: &str,
    default_language: &str,
    tree_size: u64,
    snapshot: &(u64, String),
) -> Result<Published, PublishError> {
    let name = out
        .file_name()
        .ok_or_else(|| PublishError::Path(format!("{} has no directory name", out.display())))?
        .to_string_lossy()
        .into_owned();
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(io("cannot create", &parent))?;
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(io("cannot remove", &tmp))?;
    }
    let written = (|| -> Result<Published, PublishError> {
        let folders = folders(files.iter().map(|f| f.path.as_str()));
        let mut report = Published {
            files: 0,
            bytes: 0,
            pages: 0,
            bytes_with_siblings: 0,
            seconds: 0.0,
            tree_size,
            snapshot: snapshot.0,
            snapshot_root: snapshot.1.clone(),
        };
        for f in files {
            let rel = file_for(&f.path, &f.content_type, &folders)?;
            let add = write_with_siblings(
                &tmp.join(&rel),
                &f.content_type,
                &f.body,
                f.gzip.as_deref(),
                f.br.as_deref(),
            )?;
            report.files += add.0;
            report.bytes += add.1;
            report.pages += add.2;
            report.bytes_with_siblings += add.3;
        }
        if let Some((site, source)) = on_demand {
            write_on_demand(&tmp, site, source, &folders, &mut report)?;
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

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(io("cannot create", dir))?;
    }
    fs::write(path, bytes).map_err(io("cannot write", path))
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
pub fn file_for(
    url: &str,
    content_type: &str,
    folders: &HashSet<String>,
) -> Result<PathBuf, PublishError> {
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
fn decode_rel(url: &str) -> Result<PathBuf, PublishError> {
    let mut out = PathBuf::new();
    for raw in url.split('/').filter(|s| !s.is_empty()) {
        let seg = percent_decode(raw)
            .ok_or_else(|| PublishError::Path(format!("bad URL path {url:?}")))?;
        if seg == "." || seg == ".." || seg.contains(['/', '\\', '\0']) {
            return Err(PublishError::Path(format!(
                "URL path {url:?} cannot be a file name"
            )));
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
fn swap_into_place(tmp: &Path, out: &Path) -> Result<(), PublishError> {
    if !out.exists() {
        return fs::rename(tmp, out).map_err(io("cannot move into place", out));
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        if renameat_with(CWD, tmp, CWD, out, RenameFlags::EXCHANGE).is_ok() {
            // `tmp` now holds the previous site.
            return fs::remove_dir_all(tmp).map_err(io("cannot remove the old site at", tmp));
        }
    }
    let old = sibling(tmp, "old");
    fs::rename(out, &old).map_err(io("cannot move aside", out))?;
    fs::rename(tmp, out).map_err(io("cannot move into place", out))?;
    fs::remove_dir_all(&old).map_err(io("cannot remove", &old))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `publish` writes every page a large election renders on demand, with the bytes (and
    /// compressed siblings) of the same pages rendered in bulk.
    #[test]
    fn pages_made_on_demand_are_written_with_the_bulk_bytes() {
        use std::sync::Arc;
        let def = Arc::new(skytale_testkit::valid(&skytale_testkit::keys()));
        let plain = |on: bool| {
            skytale_render::Site::new(def.clone())
                .unwrap()
                .with_feeds(false)
                .with_precompression(false)
                .with_pages_on_demand(on)
        };
        let source = crate::publisher::Shared {
            tally: Arc::new(skytale_tally::Tally::new(def.clone())),
            pos: skytale_tally::LogPosition {
                tree_size: 1,
                root_hash: "00".repeat(32),
                published_at: None,
            },
            history: Arc::new(Vec::new()),
        };
        let bulk = plain(false).render_all(&source.tally, &source.pos, &[]);
        let lazy = plain(true);
        let dir = tempfile::tempdir().unwrap();
        let mut report = Published {
            files: 0,
            bytes: 0,
            pages: 0,
            bytes_with_siblings: 0,
            seconds: 0.0,
            tree_size: 1,
            snapshot: 1,
            snapshot_root: String::new(),
        };
        write_on_demand(dir.path(), &lazy, &source, &HashSet::new(), &mut report).unwrap();
        let mut want = 0;
        for u in lazy.on_demand_units() {
            for url in lazy
                .render_unit(&source.tally, &source.pos, &[], u, None)
                .into_keys()
            {
                want += 1;
                let path = dir
                    .path()
                    .join(decode_rel(&url).unwrap())
                    .join("index.html");
                let body = fs::read(&path).unwrap();
                assert_eq!(body, bulk[&url].body, "{url}");
                let mut unzipped = Vec::new();
                std::io::Read::read_to_end(
                    &mut flate2::read::GzDecoder::new(&fs::read(sibling(&path, "gz")).unwrap()[..]),
                    &mut unzipped,
                )
                .unwrap();
                assert_eq!(unzipped, body, "{url}.gz");
                assert!(sibling(&path, "br").exists());
            }
        }
        assert!(want > 0);
        assert_eq!((report.files, report.pages), (want, want));
        assert!(report.bytes_with_siblings > report.bytes);
    }

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
