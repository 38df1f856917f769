//! skytale-render: the public results site as a pure function (floor 4; no I/O, no HTTP, no
//! clock).
//!
//! From an election definition and a tally at a log position, [`Site`] produces every page,
//! feed and asset of the public site as bytes keyed by URL path: the same inputs give the same bytes,
//! which is what lets `skytale verify` recompute pages and `skytale publish` write exactly
//! what the server sends.
//!
//! ## What is in scope
//! - Pages (server-rendered HTML that works without JavaScript): election overview, contest
//!   page (results table with change since the previous publication, SVG bar chart, seats,
//!   choropleth map when boundaries are given, drill-down by area with breadcrumbs), every
//!   reporting unit down to the polling station, the verification page, and the archive
//!   ([`render_archive`]).
//! - Embeds under `/embed/…` (chrome-less widgets for iframes), Open Graph cards under
//!   `/og/…` (SVG, and the PNG that `og:image` names, see [`card`]), the Atom feed of
//!   publications, JSON and CSV downloads of the results.
//! - UI messages in the 24 official EU languages (Fluent, `locales/*.ftl`), locale-aware
//!   numbers, percentages and dates ([`i18n`]); names from the definition in each of its
//!   languages, falling back to its default language.
//! - Live updates: a few kilobytes of JavaScript (hashed asset) that listens to the
//!   `publication` server-sent event and swaps the results region in place, announced
//!   through an `aria-live` region.
//! - Precompressed gzip and brotli bodies at fixed levels, and the security headers the
//!   server applies ([`security_headers`]).
//!
//! ## What is not
//! Serving (the server crate), writing files (`skytale publish`), the NIST CDF export (the
//! formats crate; pages only link to it), the log tiles and checkpoint. Map boundaries come
//! from the definition's `map` (TopoJSON or GeoJSON, decoded by the model), or from
//! [`Site::with_boundaries`].
//!
//! ## Incremental re-rendering
//! Page bodies never show the tree size (only the overview, the verification page, feeds and
//! JSON do), so a unit's page depends only on the numbers of that unit and its children. Each
//! page has a digest of exactly those inputs; [`Site::render_changed`] renders only the pages
//! whose digest moved since the [`RenderState`] it is given, and [`Site::render_all`] is the
//! same code with an empty state, so both always agree byte for byte.

pub mod card;
pub mod console;
pub mod feeds;
pub mod html;
pub mod i18n;
pub mod map;
mod pages;
mod rounds;
pub mod social;
pub mod svg;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::{Arc, OnceLock};

use sha2::{Digest, Sha256};
use skytale_model::{LocalizedText, Publication, ValidDefinition};
use skytale_tally::{LogPosition, ResultsDoc, SelectionTotals, Tally};

pub use map::Boundaries;
pub use pages::{MAX_INDEXED_PLACES, MAX_QUERY_BYTES, MAX_SEARCH_HITS};

/// gzip level of precompressed bodies (fixed, so the bytes are reproducible). Level 6 (zlib's
/// default) compresses the results JSON of a 200,000-station election ~6x faster than 9 for
/// ~6 % more bytes; it is rebuilt several times a second on election night, and browsers take
/// the brotli body anyway.
pub const GZIP_LEVEL: u32 = 6;
/// Brotli quality of precompressed bodies (fixed, so the bytes are reproducible). Quality 5
/// compresses a page ~40x faster than 9 (measured on the test site: 0.15 s instead of 3.5 s) for a
/// few per cent more bytes, which matters when a publication re-renders thousands of pages.
pub const BROTLI_QUALITY: u32 = 5;
/// Brotli window (log2 bytes).
pub const BROTLI_WINDOW: u32 = 18;
/// Most publications listed in the Atom feed (newest first).
pub const MAX_FEED_ENTRIES: usize = 50;
/// Most rows shown in a chart before the rest is summed up in the table only.
pub const MAX_CHART_ROWS: usize = 12;
/// HSTS lifetime in seconds (two years, the preload list's minimum is one).
pub const HSTS_MAX_AGE: u64 = 63_072_000;

/// How long a client or CDN may keep a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CacheClass {
    /// Content-hashed: cache forever (`max-age=31536000, immutable`).
    Immutable,
    /// Changes with each publication: cache briefly, revalidate with the ETag.
    Short,
}

impl CacheClass {
    /// The `Cache-Control` value the server should send.
    pub fn cache_control(self) -> &'static str {
        match self {
            CacheClass::Immutable => "public, max-age=31536000, immutable",
            CacheClass::Short => "public, max-age=5, stale-while-revalidate=30",
        }
    }
}

/// One file of the site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub cache: CacheClass,
    /// The body gzip-compressed at [`GZIP_LEVEL`] (when the site precompresses).
    pub gzip: Option<Vec<u8>>,
    /// The body brotli-compressed at [`BROTLI_QUALITY`] (when the site precompresses).
    pub br: Option<Vec<u8>>,
}

impl Rendered {
    pub fn new(content_type: &'static str, body: Vec<u8>, cache: CacheClass) -> Rendered {
        Rendered {
            content_type,
            body,
            cache,
            gzip: None,
            br: None,
        }
    }

    /// Adds the gzip and brotli bodies (deterministic: fixed levels, no timestamps). PNG is
    /// compressed already and keeps its body only.
    pub fn precompressed(mut self) -> Rendered {
        if !self.is_compressible() {
            return self;
        }
        self.gzip = Some(gzip(&self.body));
        self.br = Some(brotli(&self.body));
        self
    }

    /// Whether compressing the body is worthwhile (not for PNG, which is compressed already).
    pub fn is_compressible(&self) -> bool {
        self.content_type != "image/png"
    }

    /// A strong ETag: the first 16 bytes of the body's SHA-256, quoted.
    pub fn etag(&self) -> String {
        let h = Sha256::digest(&self.body);
        format!("\"{}\"", hex::encode(&h[..16]))
    }
}

/// gzip with [`GZIP_LEVEL`], no file name and mtime 0, so equal input gives equal bytes.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::GzBuilder::new().mtime(0).write(
        Vec::with_capacity(data.len() / 3 + 64),
        flate2::Compression::new(GZIP_LEVEL),
    );
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

/// brotli with [`BROTLI_QUALITY`] and [`BROTLI_WINDOW`].
pub fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 3 + 64);
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, BROTLI_QUALITY, BROTLI_WINDOW);
        let _ = w.write_all(data);
        let _ = w.flush();
    }
    out
}

/// Errors building a [`Site`].
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A compiled-in message file does not parse (caught by the tests; here for robustness).
    #[error("messages for language {lang:?} are broken: {why}")]
    Messages { lang: String, why: String },
    /// The boundaries GeoJSON is not usable.
    #[error("boundaries: {field}: {why}")]
    Boundaries { field: String, why: String },
}

/// One earlier publication, as much of it as the site shows: the feed entry and the totals
/// the "change since last publication" column compares with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicationRecord {
    pub tree_size: u64,
    pub root_hash: String,
    pub published_at: Option<String>,
    /// Contest id → selection id → total votes at that publication.
    pub totals: BTreeMap<String, BTreeMap<String, u64>>,
}

impl PublicationRecord {
    /// The history the site shows at published size `upto`: the log's publications up to it
    /// (the newest [`MAX_FEED_ENTRIES`], oldest first) with `previous` (the totals at the
    /// publication just before `upto`) on that one record; the others need no totals. The
    /// server, `publish` and `verify` all build it here, so they give the renderer the same
    /// input. Empty in `automatic` mode, which has no publications: no change column then,
    /// and the Atom feed lists the current state only.
    pub fn history(
        publications: &[Publication],
        upto: u64,
        previous: Option<&SelectionTotals>,
    ) -> Vec<PublicationRecord> {
        let end = publications.partition_point(|p| p.tree_size <= upto);
        let start = end.saturating_sub(MAX_FEED_ENTRIES);
        let mut v: Vec<PublicationRecord> = publications[start..end]
            .iter()
            .map(|p| PublicationRecord {
                tree_size: p.tree_size,
                root_hash: p.root_hash.clone(),
                published_at: Some(p.published_at.clone()),
                totals: BTreeMap::new(),
            })
            .collect();
        if let (Some(prev), Some(totals)) =
            (v.iter_mut().rev().find(|r| r.tree_size < upto), previous)
        {
            prev.totals = totals.clone();
        }
        v
    }

    /// The record of a publication, from its whole results document.
    pub fn from_document(doc: &ResultsDoc) -> PublicationRecord {
        PublicationRecord {
            tree_size: doc.tree_size,
            root_hash: doc.root_hash.clone(),
            published_at: doc.published_at.clone(),
            totals: doc
                .contests
                .iter()
                .map(|c| {
                    (
                        c.id.clone(),
                        c.selections
                            .iter()
                            .map(|s| (s.id.clone(), s.votes))
                            .collect(),
                    )
                })
                .collect(),
        }
    }
}

/// One election in the archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchiveEntry {
    pub id: String,
    pub name: LocalizedText,
    /// Election day `YYYY-MM-DD`.
    pub date: String,
    pub default_language: String,
    /// Languages its pages exist in (the link goes to the reader's language when offered).
    pub languages: Vec<String>,
    /// `unofficial` or `certified`, as in the results document; `None` before any publication.
    pub status: Option<String>,
}

impl ArchiveEntry {
    pub fn from_definition(def: &ValidDefinition, status: Option<&str>) -> ArchiveEntry {
        let d = def.definition();
        ArchiveEntry {
            id: d.id.clone(),
            name: d.name.clone(),
            date: d.date.clone(),
            default_language: d.default_language.clone(),
            languages: d.languages.clone(),
            status: status.map(str::to_string),
        }
    }
}

/// The hashed static assets (CSS, JavaScript), identical for every election.
pub struct Assets {
    pub css_path: String,
    pub js_path: String,
    pub files: BTreeMap<String, Rendered>,
}

const SITE_CSS: &str = include_str!("../assets/site.css");
const LIVE_JS: &str = include_str!("../assets/live.js");

fn hashed(name: &str, ext: &str, body: &str) -> String {
    let h = Sha256::digest(body.as_bytes());
    format!("/assets/{name}.{}.{ext}", hex::encode(&h[..4]))
}

/// The process-wide assets (built once).
pub fn assets() -> &'static Assets {
    static ASSETS: OnceLock<Assets> = OnceLock::new();
    ASSETS.get_or_init(|| {
        let css_path = hashed("site", "css", SITE_CSS);
        let js_path = hashed("live", "js", LIVE_JS);
        let mut files = BTreeMap::new();
        files.insert(
            css_path.clone(),
            Rendered::new(
                "text/css; charset=utf-8",
                SITE_CSS.as_bytes().to_vec(),
                CacheClass::Immutable,
            )
            .precompressed(),
        );
        files.insert(
            js_path.clone(),
            Rendered::new(
                "text/javascript; charset=utf-8",
                LIVE_JS.as_bytes().to_vec(),
                CacheClass::Immutable,
            )
            .precompressed(),
        );
        Assets {
            css_path,
            js_path,
            files,
        }
    })
}

/// Digests of the inputs of each page at the last render, so the next render can skip pages
/// whose inputs did not change. Keys are page families (language-independent).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RenderState {
    digests: BTreeMap<String, [u8; 32]>,
}

impl RenderState {
    pub fn new() -> RenderState {
        RenderState::default()
    }
    /// Number of page families tracked.
    pub fn len(&self) -> usize {
        self.digests.len()
    }
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }
}

/// The site of one election: built once from its definition, then asked to render each
/// publication.
pub struct Site {
    def: Arc<ValidDefinition>,
    boundaries: Boundaries,
    precompress: bool,
    /// Whether the deep per-unit pages are left out of the bulk renders (see
    /// [`Site::with_pages_on_demand`]).
    pub(crate) on_demand: bool,
    pub(crate) feeds: bool,
    /// The folded names searches compare, made on the first search in each language.
    pub(crate) search: pages::SearchIndex,
}

/// The answer to a search of the site ([`Site::render_search`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Search {
    /// Nothing to search for (an empty query): the index page answers, as without a query.
    Empty,
    /// The results page: what matched, at most [`MAX_SEARCH_HITS`].
    Results(Rendered),
    /// The query is longer than [`MAX_QUERY_BYTES`]: a page saying so (a client error).
    TooLong(Rendered),
}

/// Above this many polling stations (units without children), the deep per-unit pages are
/// rendered on demand ([`Site::render_unit`]) instead of with the rest: a national election's
/// hundreds of thousands of stations × contests × languages would be millions of pages held in
/// memory and rewritten all night, when readers look at a few of them.
pub const MAX_LEAF_PAGES: usize = 20_000;

/// In an election whose deep pages are rendered on demand, the units at least this many
/// levels below the root (and every polling station) are the deep ones: with a nation, its
/// regions and their counties, the county pages (each listing hundreds of stations) and the
/// station pages. The overview, the contest pages and the first level of areas stay rendered
/// with every publication.
pub const ON_DEMAND_DEPTH: u32 = 2;

/// Which pages a render makes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scope<'a> {
    /// Every page but the on-demand ones, down to `max_depth` levels of areas when given.
    Bulk { max_depth: Option<usize> },
    /// Only the pages of one unit (every kind of per-unit page), in one language when given.
    Unit { unit: usize, lang: Option<&'a str> },
}

impl Site {
    pub fn new(def: Arc<ValidDefinition>) -> Result<Site, RenderError> {
        if let Some((lang, why)) = i18n::messages().errors.first() {
            return Err(RenderError::Messages {
                lang: lang.clone(),
                why: why.clone(),
            });
        }
        let leaves = (0..def.units().len())
            .filter(|&i| def.children(i).is_empty())
            .count();
        // The definition's own map (validated with it), so the server, `publish` and `verify`
        // all draw the same maps.
        let boundaries = match &def.definition().map {
            Some(m) => Boundaries::from_map(m, &def)?,
            None => Boundaries::default(),
        };
        Ok(Site {
            def,
            boundaries,
            precompress: true,
            on_demand: leaves > MAX_LEAF_PAGES,
            feeds: true,
            search: Default::default(),
        })
    }

    /// Adds unit boundaries for maps: a GeoJSON `FeatureCollection` whose features carry the
    /// unit id in `properties.id` and a `Polygon` or `MultiPolygon` geometry (WGS 84 lon/lat).
    pub fn with_boundaries(mut self, geojson: &str) -> Result<Site, RenderError> {
        self.boundaries = Boundaries::parse(geojson, &self.def)?;
        Ok(self)
    }

    /// Whether the deep per-unit pages (every polling station's, and those of units at least
    /// [`ON_DEMAND_DEPTH`] levels down) are left out of [`Site::render_all`] and
    /// [`Site::render_changed`], to be rendered one unit at a time by [`Site::render_unit`].
    /// Defaults to yes above [`MAX_LEAF_PAGES`] stations. Every page exists either way, with
    /// the same bytes: only when it is made changes.
    pub fn with_pages_on_demand(mut self, on: bool) -> Site {
        self.on_demand = on;
        self
    }

    /// Whether some pages are rendered on demand (see [`Site::with_pages_on_demand`]).
    pub fn pages_on_demand(&self) -> bool {
        self.on_demand
    }

    /// Whether the pages of unit `i` are rendered on demand rather than with every render.
    /// A unit's descendants are on demand whenever it is.
    pub fn is_on_demand(&self, i: usize) -> bool {
        self.on_demand && (self.def.children(i).is_empty() || self.def.depth(i) >= ON_DEMAND_DEPTH)
    }

    /// The units whose pages are rendered on demand, in definition order.
    pub fn on_demand_units(&self) -> Vec<usize> {
        (0..self.def.units().len())
            .filter(|&i| self.is_on_demand(i))
            .collect()
    }

    /// The on-demand unit and language of a page's URL path, if it is the page of one. Every
    /// per-unit page's path is `[/embed]/<lang>/<election>/…/<unit>/`: the unit's id is its
    /// last segment. A path that merely looks like one renders nothing ([`Site::render_unit`]
    /// has no page at it), so callers answer 404 then.
    pub fn on_demand_page(&self, path: &str) -> Option<(usize, String)> {
        if !self.on_demand {
            return None;
        }
        let rest = path.strip_prefix("/embed").unwrap_or(path);
        let inner = rest.strip_prefix('/')?.strip_suffix('/')?;
        let mut segs = inner.split('/');
        let lang = segs.next()?;
        let election = segs.next()?;
        let last = segs.next_back()?;
        if election != html::seg(self.def.id()) {
            return None;
        }
        let lang = self
            .languages()
            .into_iter()
            .find(|l| html::seg(l) == lang)?;
        let id = percent_decoded(last)?;
        let unit = self.def.unit_index(&id)?;
        // Only the path as the site spells it (one page, one URL).
        (html::seg(&id) == last && self.is_on_demand(unit)).then_some((unit, lang))
    }

    /// Every page of unit `i` (each kind of per-unit page, each contest held there), in
    /// `lang` only when given: the pages [`Site::render_all`] leaves out when `i` is on demand,
    /// byte for byte as a bulk render would make them (the same code makes both). The server
    /// renders these when a reader asks and `skytale publish` writes them, unit by unit.
    pub fn render_unit(
        &self,
        tally: &Tally,
        pos: &LogPosition,
        history: &[PublicationRecord],
        unit: usize,
        lang: Option<&str>,
    ) -> BTreeMap<String, Rendered> {
        let mut scratch = RenderState::new();
        let out = pages::render(
            self,
            tally,
            pos,
            history,
            &mut scratch,
            Scope::Unit { unit, lang },
        );
        self.finish(out)
    }

    /// The results page of a search for `query` in `lang` (`None` when the site is not offered
    /// in `lang`): every contest and every place, polling stations included, whose name in
    /// `lang` or id contains the query (trimmed), ignoring case and accents as the live
    /// script does, at most [`MAX_SEARCH_HITS`] with a line saying how many more matched. It
    /// shows no figures, so it depends on the definition and the query only; a live server
    /// answers `search/?q=` with it, where a static copy serves the index page (which lists at
    /// most [`MAX_INDEXED_PLACES`] places). It is no published artefact: `publish` does not
    /// write it and `verify` does not recompute it.
    pub fn render_search(&self, lang: &str, query: &str) -> Option<Search> {
        pages::search(self, lang, query)
    }

    /// Whether to render the JSON and CSV feeds under `/api/` with the pages (default on). The
    /// server builds those itself (the results document on each publication, a contest's
    /// document on request), and a contest document lists every polling station: rendering
    /// it again only to throw it away cost its site thread most of its time at 200,000
    /// stations. Pages, the Atom feed and OG cards are the same either way.
    pub fn with_feeds(mut self, on: bool) -> Site {
        self.feeds = on;
        self
    }

    /// Whether to attach gzip and brotli bodies (default on; the server may prefer to
    /// compress on the fly for very large elections).
    pub fn with_precompression(mut self, on: bool) -> Site {
        self.precompress = on;
        self
    }

    pub fn definition(&self) -> &Arc<ValidDefinition> {
        &self.def
    }

    /// The languages the site is offered in: the definition's, default first.
    pub fn languages(&self) -> Vec<String> {
        let d = self.def.definition();
        let mut v = vec![d.default_language.clone()];
        v.extend(
            d.languages
                .iter()
                .filter(|l| **l != d.default_language)
                .cloned(),
        );
        v
    }

    /// Every file of the public site for this election at this publication, keyed by URL path
    /// (`/en/demo/`, `/en/demo/president/`, `/en/demo/president/r01/`,
    /// `/embed/en/demo/president/`, `/og/demo/president.svg`, `/feeds/demo.atom`,
    /// `/en/demo/verify/`, `/api/v1/elections/demo/results[/<contest>[.csv]]`, `/assets/…`).
    /// `history` lists earlier publications, oldest first (the current one may be included).
    /// Deterministic: same inputs, same bytes.
    pub fn render_all(
        &self,
        tally: &Tally,
        pos: &LogPosition,
        history: &[PublicationRecord],
    ) -> BTreeMap<String, Rendered> {
        let mut state = RenderState::new();
        let mut out = self.render_changed(tally, pos, history, &mut state);
        for (k, v) in &assets().files {
            out.insert(k.clone(), v.clone());
        }
        out
    }

    /// The files that differ from what was rendered with `state` (which is updated): the
    /// overview and verification pages, the Atom feed and the JSON and CSV downloads every time
    /// (they show the tree size or every unit), and contest, unit and embed pages and OG cards
    /// only when their own inputs changed (the numbers of the place and of the areas listed
    /// below it, the certification status, and for contest pages the previous publication's
    /// totals). With a fresh state this is [`Site::render_all`] without the static assets.
    /// Pages never disappear (the definition is fixed), so nothing has to be deleted.
    pub fn render_changed(
        &self,
        tally: &Tally,
        pos: &LogPosition,
        history: &[PublicationRecord],
        state: &mut RenderState,
    ) -> BTreeMap<String, Rendered> {
        let out = pages::render(
            self,
            tally,
            pos,
            history,
            state,
            Scope::Bulk { max_depth: None },
        );
        self.finish(out)
    }

    /// [`Site::render_changed`] without the pages of units more than `depth` levels below a
    /// contest's area (0: overview, contest pages, feeds and cards only; 1: also the first
    /// level of areas…). Their digests are not recorded, so the next
    /// [`Site::render_changed`] with the same `state` renders exactly what this one left out.
    /// The server renders this before it accepts requests, so the pages readers land on first
    /// never answer 503 while a large election's full render runs.
    pub fn render_shallow(
        &self,
        tally: &Tally,
        pos: &LogPosition,
        history: &[PublicationRecord],
        state: &mut RenderState,
        depth: usize,
    ) -> BTreeMap<String, Rendered> {
        let out = pages::render(
            self,
            tally,
            pos,
            history,
            state,
            Scope::Bulk {
                max_depth: Some(depth),
            },
        );
        self.finish(out)
    }

    fn finish(&self, mut out: BTreeMap<String, Rendered>) -> BTreeMap<String, Rendered> {
        if self.precompress {
            for r in out.values_mut() {
                let done = std::mem::replace(r, Rendered::new("", Vec::new(), CacheClass::Short));
                *r = done.precompressed();
            }
        }
        out
    }
}

/// Chooses the language: from the URL first, then `Accept-Language` (by quality, exact tag
/// then primary subtag), else `available[0]` (callers list the default language first).
pub fn negotiate_language(
    url_lang: Option<&str>,
    accept_language: Option<&str>,
    available: &[String],
) -> String {
    let find = |tag: &str| -> Option<String> {
        let tag = tag.trim();
        available
            .iter()
            .find(|a| a.eq_ignore_ascii_case(tag))
            .or_else(|| {
                let primary = tag.split('-').next().unwrap_or("");
                available.iter().find(|a| {
                    a.split('-')
                        .next()
                        .is_some_and(|p| p.eq_ignore_ascii_case(primary))
                })
            })
            .cloned()
    };
    if let Some(l) = url_lang.and_then(|l| available.iter().find(|a| a.eq_ignore_ascii_case(l))) {
        return l.clone();
    }
    if let Some(header) = accept_language {
        // (quality in thousandths, position, tag); at most 32 entries are considered.
        let mut prefs: Vec<(u32, usize, &str)> = header
            .split(',')
            .take(32)
            .enumerate()
            .filter_map(|(i, part)| {
                let mut it = part.split(';');
                let tag = it.next()?.trim();
                if tag.is_empty() {
                    return None;
                }
                let mut q = 1000u32;
                for p in it {
                    if let Some(v) = p.trim().strip_prefix("q=") {
                        q = parse_q(v)?;
                    }
                }
                (q > 0).then_some((q, i, tag))
            })
            .collect();
        prefs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, _, tag) in prefs {
            if tag == "*" {
                break;
            }
            if let Some(l) = find(tag) {
                return l;
            }
        }
    }
    available
        .first()
        .cloned()
        .unwrap_or_else(|| i18n::REFERENCE_LANGUAGE.to_string())
}

/// A percent-encoded path segment decoded (`None` if it is not valid UTF-8 or escapes).
fn percent_decoded(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(s.get(i + 1..i + 3)?, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// An HTTP quality value `0`, `0.5`, `1.000` in thousandths; `None` if malformed.
fn parse_q(v: &str) -> Option<u32> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let int: u32 = match int {
        "0" => 0,
        "1" => 1,
        _ => return None,
    };
    let mut f = 0u32;
    for (i, c) in frac.chars().enumerate() {
        f += c.to_digit(10)? * 10u32.pow(2 - i as u32);
    }
    let q = int * 1000 + f;
    (q <= 1000).then_some(q)
}

/// The archive page (`/` and `/<lang>/`): every election on the instance, by year, newest
/// first.
pub fn render_archive(elections: &[ArchiveEntry], lang: &str) -> Rendered {
    pages::archive(elections, lang)
}

/// The security headers for a path: a CSP without inline scripts or styles, HSTS, nosniff,
/// a referrer policy, and `frame-ancestors` that lets other origins frame only `/embed/…`.
pub fn security_headers(path: &str) -> Vec<(&'static str, String)> {
    let embed = path.starts_with("/embed/");
    let ancestors = if embed { "*" } else { "'none'" };
    let mut h = vec![
        (
            "content-security-policy",
            format!(
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
                 base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
            ),
        ),
        ("strict-transport-security", format!("max-age={HSTS_MAX_AGE}; includeSubDomains")),
        ("x-content-type-options", "nosniff".to_string()),
        ("referrer-policy", "strict-origin-when-cross-origin".to_string()),
        ("cross-origin-opener-policy", "same-origin".to_string()),
        ("permissions-policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()".to_string()),
    ];
    if !embed {
        h.push(("x-frame-options", "DENY".to_string()));
    } else {
        // Embeds are loaded cross-origin by media sites; allow that explicitly.
        h.push(("cross-origin-resource-policy", "cross-origin".to_string()));
    }
    h
}

fn digest(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().into()
}
