//! The public site and the per-contest feeds, served from memory as snapshots of their own.
//!
//! Each election has a [`SiteView`]: the current [`SiteMap`], an immutable map from URL path to
//! a [`SiteFile`] (body, compressed bodies, precomputed `Content-Type`, `Cache-Control`, ETag
//! and security headers) rendered at one published position, which every response made from
//! it names (`Skytale-Snapshot`). A map is replaced as a whole, with one atomic store; readers
//! never wait for a render.
//!
//! The **site thread** ([`render`]) renders a map from an immutable handle on the publisher's
//! tally ([`crate::publisher::Publisher::share`]): it asks [`skytale_render::Site::render_changed`]
//! for the files whose inputs changed, builds the next map (unchanged files are shared, not
//! copied), swaps it in, and only then sends the server-sent event, so a browser that refetches
//! its page on the event sees the new numbers. Pages may lag the publisher's results document
//! (a large election's pages take a while); each names its own position, so a verifier checks
//! it against that position.
//!
//! The per-contest results documents, their CSVs and the NIST CDF exports belong to the map
//! too ([`SiteMap::feed`]): made on the first request from the map's own tally and kept for the
//! map's lifetime, so a feed and the pages of one map always agree.
//!
//! What else is served from here ([`routes`]): embeds, Open Graph cards, the Atom feed, the
//! hashed assets, the archive of all elections at `/` and `/<lang>/`, and the language-less
//! entry URL `/<election>/`, which redirects to the language chosen from `Accept-Language`,
//! and the search's results pages ([`search`]: `search/?q=`, made per request, no artefact).
//! [`export`] writes everything the server serves for an election as static files.
//!
//! **Publication history.** Pages show "change since the previous publication" and the Atom
//! feed lists every publication. Both are a pure function of the log prefix (so `skytale
//! publish`, a restarted server and a verifier get the same bytes): the publisher builds the
//! history from the ledger's publications, and the site thread renders with it.
//!
//! **Start-up.** [`render::start`] renders the shallow pages (overview, contest pages, feeds,
//! cards and the first [`render::SHALLOW_DEPTH`] levels of areas) before it returns, so before
//! the listener accepts a request; the site thread then renders the rest. Until it is done a
//! page not yet rendered answers 503 with `Retry-After`, never 404.

mod directory;
mod export;
mod file;
pub(crate) mod on_demand;
pub(crate) mod render;
mod routes;
mod search;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use arc_swap::ArcSwap;
use axum::http::HeaderValue;
use skytale_render::{ArchiveEntry, Rendered, Site};
use skytale_tally::LogPosition;

use crate::publisher::{snapshot_header, Shared};

pub use directory::{file_for, publish_dir, PublishError, Published};
pub use export::{export, ExportError, ExportedFile};
pub use file::SiteFile;
pub use on_demand::PageCache;
pub use render::ready;
pub use routes::{archive, fallback};

/// A feed made from a map's tally on request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Feed {
    /// `results/<contest>`: one contest's results document, every level down to the station.
    Contest(String),
    /// `results/<contest>.csv`.
    Csv(String),
    /// `results/<contest>.rounds.csv` (ranked-choice contests).
    Rounds(String),
    /// `cdf.json`: NIST SP 1500-100 election report, JSON.
    CdfJson,
    /// `cdf.xml`: the same, XML.
    CdfXml,
    /// `cdf.google.xml` (also `cdf.xml?profile=google`): the XML in Google's profile.
    CdfGoogleXml,
    /// `eml.510.xml`: EML 510 count per reporting unit (EML_NL).
    Eml510,
    /// `eml.520.xml`: EML 520 result, the lists that won seats (EML_NL).
    Eml520,
}

/// The site files of one election at one published position.
#[derive(Default)]
pub struct SiteMap {
    /// The position the files show; `None` until the shallow render is done.
    pub pos: Option<LogPosition>,
    /// `Skytale-Snapshot`'s value for `pos`.
    header: Option<HeaderValue>,
    /// Whether every page of `pos` is rendered (false after the shallow render at start-up).
    pub complete: bool,
    /// The election's line in the archive.
    pub archive: Option<ArchiveEntry>,
    files: HashMap<String, Arc<SiteFile>>,
    /// The tally the files were rendered from, for the feeds made on request.
    source: Option<Shared>,
    feeds: Mutex<HashMap<Feed, Option<Arc<SiteFile>>>>,
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
    /// `Skytale-Snapshot`'s value for the map's position.
    pub fn header(&self) -> Option<&HeaderValue> {
        self.header.as_ref()
    }
    /// The published tally the map was rendered from (what its on-demand pages and feeds are
    /// made from).
    pub fn source(&self) -> Option<&Shared> {
        self.source.as_ref()
    }

    /// A feed at the map's position, made on the first request (`None`: no such contest, or
    /// no rounds for a contest that is not ranked-choice).
    pub fn feed(&self, election: &str, which: &Feed) -> Option<Arc<SiteFile>> {
        let source = self.source.as_ref()?;
        if let Some(f) = self
            .feeds
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(which)
        {
            return f.clone();
        }
        // Made outside the lock: a national election's contest document takes a while, and
        // other feeds of the map need not wait for it. Two racing requests make the same bytes.
        let made = make_feed(source, which).map(|(content_type, body)| {
            let path = feed_path(election, which);
            let r = Rendered::new(content_type, body, skytale_render::CacheClass::Short);
            Arc::new(SiteFile::new(&path, r))
        });
        self.feeds
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(which.clone())
            .or_insert(made)
            .clone()
    }
}

/// The URL path of a feed.
fn feed_path(election: &str, which: &Feed) -> String {
    let base = format!("/api/v1/elections/{election}");
    match which {
        Feed::Contest(c) => format!("{base}/results/{c}"),
        Feed::Csv(c) => format!("{base}/results/{c}.csv"),
        Feed::Rounds(c) => format!("{base}/results/{c}.rounds.csv"),
        Feed::CdfJson => format!("{base}/cdf.json"),
        Feed::CdfXml => format!("{base}/cdf.xml"),
        Feed::CdfGoogleXml => format!("{base}/cdf.google.xml"),
        Feed::Eml510 => format!("{base}/eml.510.xml"),
        Feed::Eml520 => format!("{base}/eml.520.xml"),
    }
}

/// A feed's content type and bytes, with the exporters `skytale verify` recomputes them with.
fn make_feed(source: &Shared, which: &Feed) -> Option<(&'static str, Vec<u8>)> {
    let tally = &source.tally;
    let pos = &source.pos;
    let def = tally.definition();
    let contest = |c: &str| tally.contest_document(c, pos);
    match which {
        Feed::Contest(c) => Some(("application/json", contest(c)?.to_bytes())),
        Feed::Csv(c) => {
            let doc = contest(c)?;
            let body = skytale_formats::export::contest_csv(def, doc.contests.first()?);
            Some(("text/csv; charset=utf-8", body))
        }
        Feed::Rounds(c) => {
            let doc = contest(c)?;
            let body = skytale_formats::export::rounds_csv(def, doc.contests.first()?)?;
            Some(("text/csv; charset=utf-8", body))
        }
        Feed::CdfJson | Feed::CdfXml | Feed::CdfGoogleXml => {
            let contests = skytale_formats::export::tally_contests(tally, pos);
            Some(match which {
                Feed::CdfJson => (
                    "application/json",
                    skytale_formats::export::cdf_json(def, &contests, pos),
                ),
                Feed::CdfXml => (
                    "application/xml",
                    skytale_formats::export::cdf_xml(def, &contests, pos),
                ),
                _ => (
                    "application/xml",
                    skytale_formats::export::cdf_xml_google(def, &contests, pos),
                ),
            })
        }
        Feed::Eml510 => Some((
            "application/xml",
            skytale_formats::export::eml_510(tally, pos),
        )),
        Feed::Eml520 => Some((
            "application/xml",
            skytale_formats::export::eml_520(tally, pos),
        )),
    }
}

/// An election's current site.
#[derive(Default)]
pub struct SiteView {
    current: ArcSwap<SiteMap>,
    /// The renderer, for the pages made on demand (set when the site thread starts).
    renderer: OnceLock<Arc<Site>>,
}

impl SiteView {
    pub fn new() -> SiteView {
        SiteView::default()
    }

    /// The current map (readers keep it as long as they need; a render never waits for them).
    pub fn current(&self) -> Arc<SiteMap> {
        self.current.load_full()
    }

    fn swap(&self, map: SiteMap) {
        self.current.store(Arc::new(map));
    }

    /// The renderer, once the site thread has started.
    pub fn renderer(&self) -> Option<Arc<Site>> {
        self.renderer.get().cloned()
    }

    /// The unit and language of `path` when it is a page rendered on demand.
    pub fn on_demand_page(&self, path: &str) -> Option<(usize, String)> {
        self.renderer.get()?.on_demand_page(path)
    }
}

impl SiteMap {
    /// A map at `source`'s position with these files.
    fn new(
        files: HashMap<String, Arc<SiteFile>>,
        archive: Option<ArchiveEntry>,
        source: Shared,
        complete: bool,
    ) -> SiteMap {
        SiteMap {
            header: Some(snapshot_header(&source.pos)),
            pos: Some(source.pos.clone()),
            complete,
            archive,
            files,
            source: Some(source),
            feeds: Mutex::new(HashMap::new()),
        }
    }
}
