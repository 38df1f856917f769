//! Pages rendered on demand: a national election's deep pages (every polling station's and
//! county's, see [`skytale_render::Site::with_pages_on_demand`]) are not in the site map; the
//! first request for one renders it from the map's own tally, so it names the map's snapshot
//! like every other file of it, and keeps it in a cache bounded by bytes.
//!
//! The cache is one per server, shared by its elections: least recently used pages leave
//! first, and its bytes (bodies, compressed bodies as they are made, keys) never exceed the
//! bound. A page is kept with the snapshot it was rendered at; a later snapshot renders it
//! again, so no reader gets figures older than the map's.

use std::sync::{Arc, Mutex};

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use lru::LruCache;

use super::SiteFile;
use crate::api::{named, ApiError};
use crate::runtime::ElectionRuntime;

/// What one cached page costs beyond its bytes (key, entry and bookkeeping), so a cache of
/// tiny pages is bounded too.
const ENTRY_OVERHEAD: usize = 256;

/// A page of an election at one snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    election: String,
    path: String,
}

/// A cached page: the file, the snapshot it shows and what it was counted as.
struct Entry {
    tree_size: u64,
    file: Arc<SiteFile>,
    header: Option<HeaderValue>,
    weight: usize,
}

/// The bounded cache of on-demand pages (see the module doc).
pub struct PageCache {
    bound: usize,
    inner: Mutex<Inner>,
}

struct Inner {
    pages: LruCache<Key, Entry>,
    bytes: usize,
}

/// A page found in (or put into) the cache, ready to serve.
pub struct CachedPage {
    pub file: Arc<SiteFile>,
    /// `Skytale-Snapshot` of the snapshot the page was rendered at.
    pub header: Option<HeaderValue>,
}

impl PageCache {
    /// A cache of at most `bound` bytes.
    pub fn new(bound: usize) -> PageCache {
        PageCache {
            bound,
            inner: Mutex::new(Inner {
                pages: LruCache::unbounded(),
                bytes: 0,
            }),
        }
    }

    /// The bound, in bytes.
    pub fn bound(&self) -> usize {
        self.bound
    }

    /// Bytes held now (never above [`PageCache::bound`]).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Pages held now.
    pub fn len(&self) -> usize {
        self.lock().pages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The page at `path` of `election` rendered at snapshot `tree_size`, if kept (and marks
    /// it as the most recently used).
    pub fn get(&self, election: &str, path: &str, tree_size: u64) -> Option<CachedPage> {
        let key = Key {
            election: election.to_string(),
            path: path.to_string(),
        };
        let mut g = self.lock();
        let e = g.pages.get(&key)?;
        (e.tree_size == tree_size).then(|| CachedPage {
            file: e.file.clone(),
            header: e.header.clone(),
        })
    }

    /// Keeps a page rendered at snapshot `tree_size` (replacing the one kept for that path),
    /// then drops the least recently used pages until the cache is within its bound. A page
    /// larger than the whole bound is not kept.
    pub fn put(
        &self,
        election: &str,
        path: &str,
        tree_size: u64,
        file: Arc<SiteFile>,
        header: Option<HeaderValue>,
    ) {
        let weight = weigh(election, path, &file);
        let mut g = self.lock();
        let key = Key {
            election: election.to_string(),
            path: path.to_string(),
        };
        if let Some(old) = g.pages.pop(&key) {
            g.bytes -= old.weight;
        }
        if weight > self.bound {
            return;
        }
        g.bytes += weight;
        g.pages.put(
            key,
            Entry {
                tree_size,
                file,
                header,
                weight,
            },
        );
        self.shrink(&mut g);
    }

    /// Counts again what `file` (kept at `path`) holds: its compressed bodies are made on the
    /// first request that wants them, after it was put here.
    pub fn reweigh(&self, election: &str, path: &str, file: &Arc<SiteFile>) {
        let key = Key {
            election: election.to_string(),
            path: path.to_string(),
        };
        let weight = weigh(election, path, file);
        let mut g = self.lock();
        let inner = &mut *g;
        let Some(e) = inner.pages.peek_mut(&key) else {
            return;
        };
        if !Arc::ptr_eq(&e.file, file) || e.weight == weight {
            return;
        }
        let old = std::mem::replace(&mut e.weight, weight);
        inner.bytes = inner.bytes - old + weight;
        if weight > self.bound {
            if let Some(e) = g.pages.pop(&key) {
                g.bytes -= e.weight;
            }
        }
        self.shrink(&mut g);
    }

    fn shrink(&self, g: &mut Inner) {
        while g.bytes > self.bound {
            match g.pages.pop_lru() {
                Some((_, e)) => g.bytes -= e.weight,
                None => break,
            }
        }
        crate::metrics::page_cache(g.bytes, g.pages.len());
    }
}

/// Answers a GET (or HEAD) of `path`, the on-demand page of `unit` in `lang` (see
/// [`skytale_render::Site::on_demand_page`]), from the cache or rendered now from the current
/// map's tally (every page of the unit in that language is rendered and kept: a reader of one
/// contest's page often opens the next). It names the map's snapshot. 404 when the unit has
/// no page at `path`.
pub(crate) async fn respond(
    cache: &PageCache,
    rt: &ElectionRuntime,
    path: &str,
    (unit, lang): (usize, String),
    req: &HeaderMap,
    head: bool,
) -> Response {
    let map = rt.site.current();
    let (Some(source), Some(site)) = (map.source().cloned(), rt.site.renderer()) else {
        return rendering();
    };
    let tree_size = source.pos.tree_size;
    let header = map.header().cloned();
    let serve = |file: &Arc<SiteFile>, header: Option<&HeaderValue>| {
        let r = named(file.respond(req, head), header);
        cache.reweigh(&rt.id, path, file);
        r
    };
    if let Some(hit) = cache.get(&rt.id, path, tree_size) {
        return serve(&hit.file, hit.header.as_ref());
    }
    // Rendering a county's page (hundreds of rows) takes milliseconds: off the async workers.
    let rendered = tokio::task::spawn_blocking(move || {
        site.render_unit(
            &source.tally,
            &source.pos,
            &source.history,
            unit,
            Some(&lang),
        )
    })
    .await
    .unwrap_or_default();
    crate::metrics::pages_on_demand(&rt.id, rendered.len());
    let mut wanted = None;
    for (p, r) in rendered {
        let file = Arc::new(SiteFile::new(&p, r));
        if p == path {
            wanted = Some(file.clone());
        }
        cache.put(&rt.id, &p, tree_size, file, header.clone());
    }
    match wanted {
        Some(file) => serve(&file, header.as_ref()),
        None => ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such page").into_response(),
    }
}

/// 503 while an election's site has no map yet (or, for a unit's page, not the complete one).
pub(crate) fn rendering() -> Response {
    let mut r = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "rendering",
        "the site is being rendered; retry in a moment",
    )
    .into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

fn weigh(election: &str, path: &str, file: &SiteFile) -> usize {
    file.bytes_held() + election.len() + path.len() + ENTRY_OVERHEAD
}

#[cfg(test)]
mod tests {
    use super::*;
    use skytale_render::{CacheClass, Rendered};

    fn page(n: usize) -> Arc<SiteFile> {
        // Varied text, so its compressed bodies are not negligible.
        let body: Vec<u8> = (0..n)
            .map(|i| b"abcdefghij"[(i * 7 + i / 13) % 10])
            .collect();
        Arc::new(SiteFile::new(
            "/en/x/c/u/",
            Rendered::new("text/html; charset=utf-8", body, CacheClass::Short),
        ))
    }

    #[test]
    fn stays_within_its_bound_and_drops_the_least_recently_used() {
        let cache = PageCache::new(100_000);
        for i in 0..100 {
            cache.put("x", &format!("/en/x/c/u{i}/"), 7, page(10_000), None);
            assert!(cache.bytes() <= cache.bound(), "{} bytes", cache.bytes());
            // The first page is read after each put, so it stays.
            assert!(cache.get("x", "/en/x/c/u0/", 7).is_some(), "after {i}");
        }
        assert!(
            cache.len() < 10 && cache.len() >= 8,
            "{} pages",
            cache.len()
        );
        assert!(
            cache.get("x", "/en/x/c/u1/", 7).is_none(),
            "least recently used"
        );
        assert!(cache.get("x", "/en/x/c/u99/", 7).is_some());
        // Another snapshot is a miss: the page is rendered again there.
        assert!(cache.get("x", "/en/x/c/u99/", 8).is_none());
        // A page larger than the whole cache is not kept.
        cache.put("x", "/en/x/c/big/", 7, page(200_000), None);
        assert!(cache.get("x", "/en/x/c/big/", 7).is_none());
        assert!(cache.bytes() <= cache.bound());
    }

    #[test]
    fn compressed_bodies_made_later_count() {
        let cache = PageCache::new(60_000);
        let files: Vec<_> = (0..5).map(|_| page(10_000)).collect();
        for (i, f) in files.iter().enumerate() {
            cache.put("x", &format!("/p{i}/"), 1, f.clone(), None);
        }
        let before = cache.bytes();
        assert_eq!(cache.len(), 5);
        for (i, f) in files.iter().enumerate() {
            let _ = (f.gzip(), f.br());
            cache.reweigh("x", &format!("/p{i}/"), f);
            assert!(cache.bytes() <= cache.bound(), "{} bytes", cache.bytes());
        }
        assert!(
            cache.bytes() > before || cache.len() < 5,
            "the compressed bodies count"
        );
        let held: usize = files
            .iter()
            .enumerate()
            .filter(|(i, _)| cache.get("x", &format!("/p{i}/"), 1).is_some())
            .map(|(i, f)| weigh("x", &format!("/p{i}/"), f))
            .sum();
        assert_eq!(held, cache.bytes(), "the count is exact");
    }
}
