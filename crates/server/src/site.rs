//! The public HTML site, served from memory.
//!
//! Each election has a [`SiteView`]: an immutable map from URL path to a [`SiteFile`] (body,
//! precompressed gzip and brotli bodies, precomputed `Content-Type`, `Cache-Control`, ETag
//! and security headers), replaced as a whole after each publication. Rendering happens on a
//! per-election **site thread**, never on the sequencer: the sequencer only hands over a
//! "published" signal ([`SiteView::notify`]) and goes back to receipts. The site thread takes
//! a copy of the published tally, asks [`skytale_render::Site::render_changed`] for the files
//! whose inputs changed, builds the next map (unchanged files are shared, not copied), swaps
//! it in, and only then sends the server-sent event, so a browser that refetches its page on
//! the event sees the new numbers. Readers take an `Arc` of the current map and never wait for
//! a render.
//!
//! What is served from here: pages in every language of the election, embeds, Open Graph
//! cards, the Atom feed, the hashed assets, the archive of all elections at `/` and
//! `/<lang>/`, and the language-less entry URL `/<election>/`, which redirects to the language
//! chosen from `Accept-Language` ([`skytale_render::negotiate_language`]). The JSON, CSV and
//! CDF feeds and the log keep their own handlers in [`crate::api`] (one implementation per
//! URL); the renderer's copies of the JSON and CSV downloads are not kept here.
//!
//! **Publication history.** Pages show "change since the previous publication" and the Atom
//! feed lists every publication. Both are a pure function of the log prefix (so `skytale
//! publish`, a restarted server and a verifier get the same bytes), never of which renders
//! this server happened to make: the sequencer keeps the history of the published size
//! ([`crate::runtime::Published::history`], from the ledger's publications) and the site thread
//! renders with it.
//!
//! **Start-up.** [`start`] renders the shallow pages (archive line, overview, contest pages,
//! feeds, cards and the first [`SHALLOW_DEPTH`] levels of areas) before it returns, so before
//! the listener accepts a request; the site thread then renders the rest. Until it is done a
//! page not yet rendered answers 503 with `Retry-After`, never 404.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use skytale_model::Statement;
use skytale_render::{
    i18n::{REFERENCE_LANGUAGE, UI_LANGUAGES},
    negotiate_language, render_archive, security_headers, ArchiveEntry, PublicationRecord,
    RenderState, Rendered, Site,
};
use skytale_tally::{LogPosition, Tally};

use crate::runtime::{ElectionRuntime, PublicationEvent};
use crate::AppState;

/// One file of the site, ready to send: every header value is computed once, when the file is
/// rendered, not per request.
#[derive(Debug)]
pub struct SiteFile {
    content_type: HeaderValue,
    cache_control: HeaderValue,
    /// Hex of the first 16 bytes of the body's SHA-256 (no quotes).
    tag: String,
    etag: HeaderValue,
    etag_gzip: HeaderValue,
    etag_br: HeaderValue,
    body: Bytes,
    /// The compressed bodies: given when the file was precompressed, else made on the first
    /// request that wants them (see [`SiteFile::new`]).
    gzip: OnceLock<Option<Bytes>>,
    br: OnceLock<Option<Bytes>>,
    embed: bool,
}

impl SiteFile {
    /// Prepares a rendered file for serving at `path`. A file rendered with its compressed
    /// bodies keeps exactly those; a compressible file rendered without them is compressed on
    /// the first request that accepts gzip or brotli, once per coding. The site thread renders
    /// pages uncompressed: a national election re-renders tens of thousands of area pages that
    /// nobody may read before the next render, and compressing each up front was half of the
    /// site thread's time.
    pub fn new(path: &str, r: Rendered) -> SiteFile {
        let quoted = r.etag();
        let tag = quoted.trim_matches('"').to_string();
        let ready = r.gzip.is_some() || r.br.is_some() || !r.is_compressible();
        let value = |s: String| {
            HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static("\"\""))
        };
        let file = SiteFile {
            content_type: HeaderValue::from_static(r.content_type),
            cache_control: HeaderValue::from_static(r.cache.cache_control()),
            etag: value(format!("\"{tag}\"")),
            etag_gzip: value(format!("\"{tag}-gz\"")),
            etag_br: value(format!("\"{tag}-br\"")),
            tag,
            gzip: OnceLock::new(),
            br: OnceLock::new(),
            body: Bytes::from(r.body),
            embed: path.starts_with("/embed/"),
        };
        if ready {
            let _ = file.gzip.set(r.gzip.map(Bytes::from));
            let _ = file.br.set(r.br.map(Bytes::from));
        }
        file
    }

    pub fn content_type(&self) -> &str {
        self.content_type.to_str().unwrap_or("")
    }
    pub fn body(&self) -> &Bytes {
        &self.body
    }
    /// The gzip body (made now if it is made lazily and not yet made).
    pub fn gzip(&self) -> Option<&Bytes> {
        self.gzip
            .get_or_init(|| Some(Bytes::from(skytale_render::gzip(&self.body))))
            .as_ref()
    }
    /// The brotli body (made now if it is made lazily and not yet made).
    pub fn br(&self) -> Option<&Bytes> {
        self.br
            .get_or_init(|| Some(Bytes::from(skytale_render::brotli(&self.body))))
            .as_ref()
    }
    /// The strong ETag of the identity body, quoted.
    pub fn etag(&self) -> &str {
        self.etag.to_str().unwrap_or("")
    }

    /// Whether `If-None-Match` names this version of the file (in any content coding: the
    /// three variants of one body share their hex prefix).
    fn matches(&self, if_none_match: &str) -> bool {
        if_none_match.split(',').any(|t| {
            let t = t.trim();
            if t == "*" {
                return true;
            }
            let t = t.strip_prefix("W/").unwrap_or(t).trim_matches('"');
            let t = t
                .strip_suffix("-gz")
                .or_else(|| t.strip_suffix("-br"))
                .unwrap_or(t);
            t == self.tag
        })
    }

    /// The answer to a GET (or HEAD) with these request headers: 304 when the client has this
    /// version, else the body in the best coding the client accepts, with `Vary`.
    pub fn respond(&self, req: &HeaderMap, head: bool) -> Response {
        let (enc, body, etag) = match choose_encoding(
            req.get(header::ACCEPT_ENCODING)
                .and_then(|v| v.to_str().ok()),
        ) {
            Encoding::Br if self.br().is_some() => (Some("br"), self.br(), &self.etag_br),
            Encoding::Br | Encoding::Gzip if self.gzip().is_some() => {
                (Some("gzip"), self.gzip(), &self.etag_gzip)
            }
            _ => (None, Some(&self.body), &self.etag),
        };
        let not_modified = req
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| self.matches(v));
        let mut resp = if not_modified {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            r
        } else if head {
            let mut r = Response::new(Body::empty());
            if let Some(b) = body {
                r.headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(b.len()));
            }
            r
        } else {
            Response::new(Body::from(body.cloned().unwrap_or_default()))
        };
        let h = resp.headers_mut();
        h.insert(header::ETAG, etag.clone());
        h.insert(header::CACHE_CONTROL, self.cache_control.clone());
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if !not_modified {
            h.insert(header::CONTENT_TYPE, self.content_type.clone());
            if let Some(e) = enc {
                h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
            }
        }
        for (k, v) in security(self.embed) {
            h.insert(k.clone(), v.clone());
        }
        resp
    }
}

/// The security headers of [`skytale_render::security_headers`], as header values built once
/// (one set for `/embed/…`, one for everything else).
fn security(embed: bool) -> &'static [(HeaderName, HeaderValue)] {
    static SETS: OnceLock<[Vec<(HeaderName, HeaderValue)>; 2]> = OnceLock::new();
    let sets = SETS.get_or_init(|| {
        let build = |path: &str| {
            security_headers(path)
                .into_iter()
                .filter_map(|(k, v)| {
                    Some((HeaderName::from_static(k), HeaderValue::from_str(&v).ok()?))
                })
                .collect()
        };
        [build("/"), build("/embed/")]
    });
    &sets[usize::from(embed)]
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Br,
    Gzip,
    Identity,
}

/// The preferred coding from `Accept-Encoding`: brotli, then gzip, else none. A coding with
/// `q=0` is refused; `*` accepts both.
fn choose_encoding(accept: Option<&str>) -> Encoding {
    let Some(accept) = accept else {
        return Encoding::Identity;
    };
    let (mut br, mut gzip) = (false, false);
    for part in accept.split(',').take(32) {
        let mut it = part.split(';');
        let coding = it.next().unwrap_or("").trim();
        let refused = it.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .is_some_and(|q| q.trim().parse::<f32>().map_or(true, |q| q <= 0.0))
        });
        if refused {
            continue;
        }
        if coding.eq_ignore_ascii_case("br") || coding == "*" {
            br = true;
        }
        if coding.eq_ignore_ascii_case("gzip")
            || coding.eq_ignore_ascii_case("x-gzip")
            || coding == "*"
        {
            gzip = true;
        }
    }
    if br {
        Encoding::Br
    } else if gzip {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// Levels of areas below a contest rendered before the server accepts requests.
pub const SHALLOW_DEPTH: usize = 1;

/// The site files of one election at one publication.
#[derive(Debug, Default)]
pub struct SiteMap {
    /// The publication the files show; `None` until the shallow render is done.
    pub pos: Option<LogPosition>,
    /// Whether every page of `pos` is rendered (false after the shallow render at start-up).
    pub complete: bool,
    /// The election's line in the archive.
    pub archive: Option<ArchiveEntry>,
    files: HashMap<String, Arc<SiteFile>>,
}

impl SiteMap {
    pub fn get(&self, path: &str) -> Option<&Arc<SiteFile>> {
        self.files.get(path)
    }
    /// Every URL path, sorted.
    pub fn paths(&self) -> Vec<String> {
        let mut v: Vec<String> = self.files.keys().cloned().collect();
        v.sort();
        v
    }
}

/// An election's current site and the hand-over from the sequencer to the site thread.
#[derive(Debug, Default)]
pub struct SiteView {
    current: RwLock<Arc<SiteMap>>,
    /// Set by the sequencer after a publication, taken by the site thread (coalescing).
    pending: Mutex<Option<PublicationEvent>>,
    wake: Condvar,
    /// Statements published since the site thread last took them, in log order, and the
    /// position and history they lead to (see [`SiteView::publish`]).
    feed: Mutex<Feed>,
}

#[derive(Debug, Default)]
struct Feed {
    statements: Vec<Statement>,
    at: Option<(LogPosition, Arc<Vec<PublicationRecord>>)>,
}

impl SiteView {
    pub fn new() -> SiteView {
        SiteView::default()
    }

    /// Called by the sequencer for each publication, in log order and under the published
    /// tally's write lock, with the statements it folded in: the site thread folds the same
    /// ones into its own copy (`Tally::apply_statement` picks the kinds that count). Cloning the whole tally for each render instead copied tens
    /// of megabytes several times a second at 200,000 polling stations.
    pub fn publish(
        &self,
        statements: Vec<Statement>,
        pos: LogPosition,
        history: Arc<Vec<PublicationRecord>>,
    ) {
        let mut f = self.feed.lock().unwrap_or_else(|p| p.into_inner());
        f.statements.extend(statements);
        f.at = Some((pos, history));
    }

    fn take_feed(&self) -> Feed {
        std::mem::take(&mut *self.feed.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The current map (readers keep it as long as they need; a render never waits for them).
    pub fn current(&self) -> Arc<SiteMap> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Called after a publication: wakes the site thread, which renders and then sends `ev`'s
    /// successor to the SSE listeners. Never blocks on rendering.
    pub fn notify(&self, ev: PublicationEvent) {
        *self.pending.lock().unwrap_or_else(|p| p.into_inner()) = Some(ev);
        self.wake.notify_one();
    }

    fn wait(&self) -> PublicationEvent {
        let mut g = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(ev) = g.take() {
                return ev;
            }
            g = self.wake.wait(g).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn swap(&self, map: SiteMap) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(map);
    }
}

/// Pages are refreshed from the published tally, which never waits for them; under a burst of
/// submissions the CPU belongs first to acceptance (signatures, the sequencer, receipts) and
/// to the results JSON. So the site thread runs at nice 10: on an idle machine it renders as
/// often as its pacing allows, on a saturated one it renders less often, and a page lags a
/// little more rather than a receipt.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 10) {
        tracing::warn!(error = %e, "cannot lower the site thread's priority");
    }
}

/// Renders the shallow pages of the current publication (in the caller's thread, so before
/// the listener accepts requests), then starts the site thread, which renders the rest at once
/// and every publication after.
pub fn start(rt: &Arc<ElectionRuntime>) -> std::io::Result<()> {
    let def = rt
        .published
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .tally
        .definition()
        .clone();
    // The server serves the JSON and CSV feeds itself (crate::api).
    let site = match Site::new(def.clone()) {
        // Uncompressed: each SiteFile compresses on the first request that wants it.
        Ok(s) => Some(s.with_feeds(false).with_precompression(false)),
        Err(e) => {
            tracing::error!(election = %rt.id, error = %e, "the site cannot be rendered; serving feeds only");
            None
        }
    };
    let mut state = RenderState::new();
    let copy = published_copy(rt);
    if let Some(site) = &site {
        let (tally, pos, history) = &copy;
        let files = site.render_shallow(tally, pos, history, &mut state, SHALLOW_DEPTH);
        rt.site.swap(next_map(
            &rt.site.current(),
            files,
            &def,
            tally,
            pos.clone(),
            false,
        ));
    }
    let rt = rt.clone();
    std::thread::Builder::new()
        .name(format!("site-{}", rt.id))
        .spawn(move || run(rt, site, state, copy))
        .map(|_| ())
}

/// A copy of the published tally, position and history, taken once: the site thread then
/// follows the sequencer's feed. What the feed holds at the moment of the copy is already in
/// it (the sequencer feeds under the write lock), so it is dropped.
fn published_copy(
    rt: &ElectionRuntime,
) -> (
    skytale_tally::Tally,
    LogPosition,
    Arc<Vec<PublicationRecord>>,
) {
    let p = rt.published.read().unwrap_or_else(|p| p.into_inner());
    rt.site.take_feed();
    (p.tally.clone(), p.pos.clone(), p.history.clone())
}

/// The map after a render: `cur`'s files (shared, not copied) with `changed` on top.
fn next_map(
    cur: &SiteMap,
    changed: std::collections::BTreeMap<String, Rendered>,
    def: &skytale_model::ValidDefinition,
    tally: &skytale_tally::Tally,
    pos: LogPosition,
    complete: bool,
) -> SiteMap {
    let mut files = if cur.files.is_empty() {
        skytale_render::assets()
            .files
            .iter()
            .map(|(p, r)| (p.clone(), Arc::new(SiteFile::new(p, r.clone()))))
            .collect()
    } else {
        cur.files.clone()
    };
    for (path, r) in changed {
        let f = Arc::new(SiteFile::new(&path, r));
        files.insert(path, f);
    }
    // Nothing is published before the first results statement is in the tally.
    let status = (tally.statements() > 0).then(|| tally.status().to_string());
    let archive = Some(ArchiveEntry::from_definition(def, status.as_deref()));
    SiteMap {
        pos: Some(pos),
        complete,
        archive,
        files,
    }
}

fn run(
    rt: Arc<ElectionRuntime>,
    site: Option<Site>,
    mut state: RenderState,
    copy: (Tally, LogPosition, Arc<Vec<PublicationRecord>>),
) {
    lower_priority();
    let (mut tally, mut pos, mut history) = copy;
    let mut last_sent: Option<u64> = None;
    let mut first = true;
    let mut last_cost = Duration::ZERO;
    let mut last_end: Option<Instant> = None;
    loop {
        let notified = if first { None } else { Some(rt.site.wait()) };
        first = false;
        let Some(site) = &site else {
            rt.site.take_feed();
            if let Some(ev) = notified {
                let _ = rt.events.send(ev);
            }
            continue;
        };
        // Pace: rendering a large election is costly, so leave three times the last render's
        // cost between renders (at most a quarter of a core, whatever the arrival rate). The
        // results JSON is not paced; it is rendered by the sequencer.
        if let Some(end) = last_end {
            let wait = (end + last_cost * 3).saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                std::thread::sleep(wait);
            }
        }
        let started = Instant::now();
        // Everything published until now, including what arrived while pacing.
        let feed = rt.site.take_feed();
        for r in &feed.statements {
            tally.apply_statement(r);
        }
        if let Some((p, h)) = feed.at {
            pos = p;
            history = h;
        }
        let cur = rt.site.current();
        if cur.pos.as_ref() != Some(&pos) || !cur.complete {
            let changed = site.render_changed(&tally, &pos, &history, &mut state);
            rt.site.swap(next_map(
                &cur,
                changed,
                site.definition(),
                &tally,
                pos.clone(),
                true,
            ));
        }
        last_cost = started.elapsed();
        last_end = Some(Instant::now());
        tracing::debug!(election = %rt.id, statements = feed.statements.len(), tree_size = pos.tree_size, cost_ms = last_cost.as_secs_f64() * 1e3, "site rendered");
        if notified.is_some() && last_sent != Some(pos.tree_size) {
            last_sent = Some(pos.tree_size);
            let _ = rt.events.send(PublicationEvent {
                election: rt.id.clone(),
                tree_size: pos.tree_size,
                root_hash: pos.root_hash.clone(),
            });
        }
    }
}

/// Waits (polling, up to `timeout`) until the site of `rt` shows its current publication.
pub async fn ready(rt: &ElectionRuntime, timeout: std::time::Duration) -> bool {
    let start = std::time::Instant::now();
    loop {
        let want = rt
            .published
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .pos
            .clone();
        let cur = rt.site.current();
        if cur.complete && cur.pos.as_ref() == Some(&want) {
            return true;
        }
        if start.elapsed() > timeout {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// The archive pages, rendered once per language and set of elections.
type ArchiveCache = Mutex<(Vec<ArchiveEntry>, HashMap<String, Arc<SiteFile>>)>;

fn archive_file(state: &AppState, lang: &str) -> Arc<SiteFile> {
    static CACHE: OnceLock<ArchiveCache> = OnceLock::new();
    let entries: Vec<ArchiveEntry> = state
        .all()
        .iter()
        .filter_map(|rt| rt.site.current().archive.clone())
        .collect();
    let cache = CACHE.get_or_init(Default::default);
    let mut g = cache.lock().unwrap_or_else(|p| p.into_inner());
    if g.0 != entries {
        *g = (entries, HashMap::new());
    }
    if let Some(f) = g.1.get(lang) {
        return f.clone();
    }
    let f = Arc::new(SiteFile::new(
        "/",
        render_archive(&g.0, lang).precompressed(),
    ));
    g.1.insert(lang.to_string(), f.clone());
    f
}

/// The archive's languages, the reference language first (the answer without preferences).
fn archive_languages() -> &'static [String] {
    static L: OnceLock<Vec<String>> = OnceLock::new();
    L.get_or_init(|| {
        let mut v = vec![REFERENCE_LANGUAGE.to_string()];
        v.extend(
            UI_LANGUAGES
                .iter()
                .map(|(l, _)| l.to_string())
                .filter(|l| l != REFERENCE_LANGUAGE),
        );
        v
    })
}

fn with_vary_language(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static("accept-encoding, accept-language"),
    );
    r
}

/// `GET /`: the archive in the language of `Accept-Language`.
pub async fn archive(State(state): State<AppState>, req: Request) -> Response {
    let lang = negotiate_language(None, accept_language(req.headers()), archive_languages());
    with_vary_language(
        archive_file(&state, &lang).respond(req.headers(), req.method() == Method::HEAD),
    )
}

fn accept_language(h: &HeaderMap) -> Option<&str> {
    h.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())
}

fn not_found() -> Response {
    crate::api::ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such page").into_response()
}

fn redirect(to: &str) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::FOUND;
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    with_vary_language(r)
}

/// Every other GET: a file of some election's site, the archive in a chosen language, or the
/// language-less entry URL of an election.
pub async fn fallback(State(state): State<AppState>, req: Request) -> Response {
    let head = req.method() == Method::HEAD;
    if req.method() != Method::GET && !head {
        return not_found();
    }
    let path = req.uri().path();
    let elections = state.elections.read().unwrap_or_else(|p| p.into_inner());
    // The election named in the path (`/<lang>/<id>/…`, `/embed/<lang>/<id>/…`, `/og/<id>/…`,
    // `/feeds/<id>.atom`), else every election (assets are shared).
    let mut segs = path.trim_start_matches('/').split('/');
    let first = segs.next().unwrap_or("");
    let second = segs.next().unwrap_or("");
    let named = match first {
        "embed" => segs.next(),
        "og" => Some(second),
        "feeds" => second.strip_suffix(".atom"),
        _ => Some(second),
    };
    let hit = named
        .and_then(|id| elections.get(id))
        .and_then(|rt| rt.site.current().get(path).cloned())
        .or_else(|| {
            path.starts_with("/assets/")
                .then(|| {
                    elections
                        .values()
                        .find_map(|rt| rt.site.current().get(path).cloned())
                })
                .flatten()
        });
    if let Some(f) = hit {
        return f.respond(req.headers(), head);
    }
    // `/<lang>/`: the archive in that language.
    if second.is_empty() && segs.next().is_none() {
        if let Some(lang) = archive_languages().iter().find(|l| *l == first) {
            let lang = lang.clone();
            drop(elections);
            return archive_file(&state, &lang).respond(req.headers(), head);
        }
    }
    // `/<id>/`: the election in the reader's language.
    if let Some(rt) = elections.get(first) {
        if second.is_empty() {
            let site = rt.site.current();
            let langs: Vec<String> = site
                .archive
                .as_ref()
                .map(|a| {
                    let mut v = vec![a.default_language.clone()];
                    v.extend(
                        a.languages
                            .iter()
                            .filter(|l| **l != a.default_language)
                            .cloned(),
                    );
                    v
                })
                .unwrap_or_default();
            if !langs.is_empty() {
                let lang = negotiate_language(None, accept_language(req.headers()), &langs);
                return redirect(&format!(
                    "/{}/{}/",
                    skytale_render::html::seg(&lang),
                    skytale_render::html::seg(first)
                ));
            }
        }
    }
    // A unit page not rendered yet at start-up (the shallow pages, everything down to
    // `/<lang>/<id>/<contest>/`, are there before the listener accepts; deeper ones follow).
    let unit_page = path
        .trim_start_matches("/embed")
        .trim_matches('/')
        .split('/')
        .count()
        >= 4;
    if let Some(rt) = named.and_then(|id| elections.get(id)) {
        if unit_page && !rt.site.current().complete {
            let mut r = crate::api::ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "rendering",
                "the site is being rendered; retry in a moment",
            )
            .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return r;
        }
    }
    not_found()
}

/// One file of a published directory: the URL path and the bytes the server sends for it.
#[derive(Debug, Clone)]
pub struct ExportedFile {
    pub path: String,
    pub content_type: String,
    pub body: Bytes,
    pub gzip: Option<Bytes>,
    pub br: Option<Bytes>,
}

/// Why an election could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("no election {0:?} in this data directory")]
    UnknownElection(String),
    #[error("the site of election {0:?} was not rendered in time")]
    NotReady(String),
    #[error("GET {path} answered {status}")]
    Status { path: String, status: StatusCode },
    #[error("GET {path}: {why}")]
    Body { path: String, why: String },
}

/// Everything the server serves for election `id` as static files (pages, assets, feeds, the
/// JSON, CSV and CDF documents, the definition, the checkpoint and every tile at its size, the
/// archive), each fetched through the server's own router, so the bytes are by construction
/// the ones the server sends for that URL path. Compressed variants are the server's own for
/// site files (absent for the rest).
pub async fn export(state: &AppState, id: &str) -> Result<Vec<ExportedFile>, ExportError> {
    use tower::ServiceExt as _;

    let rt = state
        .election(id)
        .ok_or_else(|| ExportError::UnknownElection(id.to_string()))?;
    if !ready(&rt, std::time::Duration::from_secs(600)).await {
        return Err(ExportError::NotReady(id.to_string()));
    }
    let e = skytale_render::html::seg(id);
    let mut paths: Vec<String> = rt.site.current().paths();
    paths.push("/".to_string());
    paths.extend(archive_languages().iter().map(|l| format!("/{l}/")));
    paths.extend([
        "/api/v1/elections".to_string(),
        "/api/v1/schema/election.json".to_string(),
        format!("/api/v1/elections/{e}"),
        format!("/api/v1/elections/{e}/results"),
        format!("/api/v1/elections/{e}/cdf.json"),
        format!("/api/v1/elections/{e}/cdf.xml"),
        format!("/log/{e}/checkpoint"),
    ]);
    let def = rt
        .published
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .tally
        .definition()
        .clone();
    for c in def.contests() {
        let rounds = c.kind == skytale_model::ContestKind::RankedChoice;
        let c = skytale_render::html::seg(&c.id);
        paths.push(format!("/api/v1/elections/{e}/results/{c}"));
        paths.push(format!("/api/v1/elections/{e}/results/{c}.csv"));
        if rounds {
            paths.push(format!("/api/v1/elections/{e}/results/{c}.rounds.csv"));
        }
    }
    // The tiles at the size of the checkpoint that is served with them.
    let (size, cp_body) = {
        let log = rt.log.read().unwrap_or_else(|p| p.into_inner());
        (log.size, log.checkpoint.clone())
    };
    for t in skytale_tlog::tiles::tiles_for_size(size) {
        paths.push(format!("/log/{e}/{}", t.to_path()));
    }
    paths.sort();
    paths.dedup();

    let router = crate::api::router(state.clone());
    let get = |path: String, enc: Option<&'static str>| {
        let router = router.clone();
        async move {
            let mut req = axum::http::Request::builder().uri(path.as_str());
            if let Some(enc) = enc {
                req = req.header(header::ACCEPT_ENCODING, enc);
            }
            let req = req.body(Body::empty()).map_err(|e| ExportError::Body {
                path: path.clone(),
                why: e.to_string(),
            })?;
            let resp = router.oneshot(req).await.map_err(|e| ExportError::Body {
                path: path.clone(),
                why: e.to_string(),
            })?;
            if resp.status() != StatusCode::OK {
                return Err(ExportError::Status {
                    path,
                    status: resp.status(),
                });
            }
            let ct = resp
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/octet-stream")
                .to_string();
            let coding = resp
                .headers()
                .get(header::CONTENT_ENCODING)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .map_err(|e| ExportError::Body {
                    path: path.clone(),
                    why: e.to_string(),
                })?;
            Ok::<_, ExportError>((ct, coding, body))
        }
    };
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        let (content_type, _, body) = get(path.clone(), None).await?;
        let (_, gz_coding, gz) = get(path.clone(), Some("gzip")).await?;
        let (_, br_coding, br) = get(path.clone(), Some("br")).await?;
        out.push(ExportedFile {
            path,
            content_type,
            body,
            gzip: (gz_coding.as_deref() == Some("gzip")).then_some(gz),
            br: (br_coding.as_deref() == Some("br")).then_some(br),
        });
    }
    // The checkpoint must not have moved while the tiles were read (a quiet runtime: publish
    // loads its own, which takes no submissions).
    let cp_now = rt
        .log
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .checkpoint
        .clone();
    if cp_now != cp_body {
        return Err(ExportError::Body {
            path: format!("/log/{e}/checkpoint"),
            why: "the log grew while it was being exported".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_prefers_brotli_then_gzip_and_honours_q0() {
        assert_eq!(choose_encoding(None), Encoding::Identity);
        assert_eq!(choose_encoding(Some("gzip, deflate, br")), Encoding::Br);
        assert_eq!(choose_encoding(Some("gzip")), Encoding::Gzip);
        assert_eq!(choose_encoding(Some("br;q=0, gzip")), Encoding::Gzip);
        assert_eq!(
            choose_encoding(Some("br;q=0.0, gzip;q=0")),
            Encoding::Identity
        );
        assert_eq!(choose_encoding(Some("gzip;q=0.5")), Encoding::Gzip);
        assert_eq!(choose_encoding(Some("*")), Encoding::Br);
        assert_eq!(choose_encoding(Some("identity")), Encoding::Identity);
    }

    #[test]
    fn etag_matches_every_coding_of_the_same_body_only() {
        let f = SiteFile::new(
            "/en/x/",
            Rendered::new(
                "text/html",
                b"hello".to_vec(),
                skytale_render::CacheClass::Short,
            )
            .precompressed(),
        );
        let tag = f.etag().to_string();
        assert!(f.matches(&tag));
        let gz = format!("{}-gz\"", tag.trim_end_matches('"'));
        assert!(f.matches(&format!("\"x\", {gz}")));
        assert!(f.matches(&format!("W/{tag}")));
        assert!(f.matches("*"));
        assert!(!f.matches("\"0123\""));
        let other = SiteFile::new(
            "/en/x/",
            Rendered::new(
                "text/html",
                b"hello!".to_vec(),
                skytale_render::CacheClass::Short,
            ),
        );
        assert!(!other.matches(&tag));
    }
}

#[cfg(all(test, target_os = "linux"))]
mod priority_tests {
    #[test]
    fn the_site_thread_yields_to_acceptance() {
        let me = || rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap();
        let before = me();
        let nice = std::thread::spawn(|| {
            super::lower_priority();
            rustix::process::getpriority_process(Some(rustix::thread::gettid()))
        })
        .join()
        .unwrap()
        .unwrap();
        assert!(nice >= 10, "the site thread runs at nice {nice}");
        assert_eq!(
            me(),
            before,
            "only the site thread is lowered, not its caller"
        );
    }
}
