//! Step 4's first half: reading every published artefact, each in every content coding, with
//! the snapshot it names.
//!
//! A live site moves on while it is read, so the artefacts are read **before** the checkpoint:
//! every snapshot they name is then at most the checkpoint's size, and each is recomputed at the
//! size it names (see [`crate::compare`]). A URL source names the snapshot of every response in
//! its `Skytale-Snapshot` header; a published directory is one snapshot, named in its
//! `api/v1/elections/<id>/snapshot` document.
//!
//! Every coding counts: what nginx's `gzip_static` sends is the `.gz` sibling, not the page, so
//! each sibling (or each `Accept-Encoding` answer) is decoded and must equal the identity body
//! of its snapshot. Bodies are kept compressed until they are compared (tens of thousands of
//! pages of a national site).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use futures_util::stream::{self, StreamExt as _};
use serde_json::Value;

use crate::checks::feeds::FeedKind;
use crate::report::{Failure, Step};
use crate::source::{Coding, Source};

/// Artefacts read at once.
const CONCURRENCY: usize = 16;

/// Which artefact.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// The results document: whole (`None`) or one contest's.
    Results(Option<String>),
    /// An export feed (CDF, CSV, rounds CSV).
    Feed(FeedKind),
    /// A file of the site (page, embed, card, Atom feed), by URL path.
    Page(String),
    /// A hashed asset of the site (CSS, script): the same at every snapshot, named by none.
    Asset(String),
}

/// The snapshot an artefact names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    pub tree_size: u64,
    /// Base64 root, when named.
    pub root: Option<String>,
}

/// One artefact as read, in one coding.
pub struct Artefact {
    pub kind: Kind,
    /// URL or file, with the coding when not identity.
    pub location: String,
    /// The snapshot it names; `None` when it names none (a failure on a live site).
    pub named: Option<Named>,
    /// The decoded body, gzip-compressed for keeping.
    kept: Vec<u8>,
}

impl Artefact {
    /// The decoded body.
    pub fn body(&self) -> Vec<u8> {
        Coding::Gzip.decode(&self.kept).unwrap_or_default()
    }
}

/// A body compressed for keeping (fast: it is decoded once, when compared).
fn keep(body: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = e.write_all(body);
    e.finish().unwrap_or_default()
}

/// Everything read from a source.
#[derive(Default)]
pub struct Collected {
    pub artefacts: Vec<Artefact>,
    /// Site files expected and read (sample or all), and how many the site has in all.
    pub pages_read: usize,
    pub pages_total: usize,
    /// Bodies read in all codings (siblings that equal their identity body are not kept).
    pub bodies_read: usize,
    /// Whether only a sample of the site's files was read.
    pub sampled: bool,
    /// Bodies the source said were unchanged since the last round.
    pub unchanged: usize,
    /// Artefacts a live source could not serve (not compared), with the first one's place
    /// and reason.
    pub unreadable: usize,
    pub first_unreadable: Option<String>,
    /// The ETags and bodies read, for the next round.
    pub remembered: Remembered,
}

/// One coding of one artefact as read: kept, checked with its identity body already
/// (`Ok(None)`), or not readable.
type Read = Result<Option<Artefact>, Failure>;

/// What a monitor remembers of the artefacts it read: each coding's ETag and its body (kept
/// compressed), so the next round asks with `If-None-Match` and, when the server answers that
/// the body is unchanged, checks that same body against the snapshot the answer names now.
#[derive(Clone, Default)]
pub struct Remembered(HashMap<(Kind, Coding), Seen>);

/// An artefact's ETag in one coding, and its body as decoded then kept (compressed).
type Seen = (String, Arc<Vec<u8>>);

/// The snapshot a directory is, from its `snapshot` document.
async fn directory_snapshot(source: &Source, id: &str) -> Option<Named> {
    let b = source
        .get(&format!("api/v1/elections/{id}/snapshot"))
        .await
        .ok()??;
    let v: Value = serde_json::from_slice(&b).ok()?;
    Some(Named {
        tree_size: v.get("tree_size")?.as_u64()?,
        root: v.get("root_hash")?.as_str().map(str::to_owned),
    })
}

fn parse_header(h: &str) -> Option<Named> {
    let mut it = h.split_whitespace();
    let tree_size = it.next()?.parse().ok()?;
    Some(Named {
        tree_size,
        root: it.next().map(str::to_owned),
    })
}

/// Where a site file's URL path lives in the source (a published directory keeps
/// `index.html` for a folder URL).
pub fn page_source_path(source: &Source, url_path: &str) -> String {
    let p = url_path.trim_start_matches('/');
    match source {
        Source::Dir(_) if p.is_empty() || p.ends_with('/') => format!("{p}index.html"),
        _ => p.to_owned(),
    }
}

/// The path of an artefact below the source.
fn source_path(source: &Source, id: &str, kind: &Kind) -> String {
    match kind {
        Kind::Results(None) => format!("api/v1/elections/{id}/results"),
        Kind::Results(Some(c)) => format!("api/v1/elections/{id}/results/{c}"),
        Kind::Feed(f) => f.path(id),
        Kind::Page(p) | Kind::Asset(p) => page_source_path(source, p),
    }
}

/// Reads every artefact of `kinds` in every coding. `site_paths` is how many of the kinds are
/// site files; the caller says whether they are a sample.
pub async fn collect(
    source: &Source,
    id: &str,
    kinds: Vec<Kind>,
    before: Option<&Remembered>,
    step: &mut Step,
) -> Collected {
    let dir_snapshot = match source {
        Source::Dir(_) => directory_snapshot(source, id).await,
        Source::Url { .. } => None,
    };
    let live = !source.is_static();
    type Fresh = Vec<(Coding, String, Arc<Vec<u8>>, bool)>;
    let results: Vec<(Kind, Vec<Read>, Fresh)> = stream::iter(kinds)
        .map(|kind| {
            let dir_snapshot = dir_snapshot.clone();
            async move {
                let path = source_path(source, id, &kind);
                let mut out = Vec::new();
                let mut fresh = Vec::new();
                let mut identity: Option<(Option<Named>, Vec<u8>)> = None;
                for coding in Coding::ALL {
                    let location = match coding.extension() {
                        None => source.locate(&path),
                        Some(_) if !live => source.locate(&format!(
                            "{path}.{}",
                            coding.extension().unwrap_or_default()
                        )),
                        Some(_) => format!(
                            "{} (Accept-Encoding: {})",
                            source.locate(&path),
                            coding.name().unwrap_or_default()
                        ),
                    };
                    let prior = before.and_then(|r| r.0.get(&(kind.clone(), coding)));
                    let tag = prior.map(|(t, _)| t.as_str());
                    let fetched = match source.get_artefact(&path, coding, tag).await {
                        Ok(Some(f)) => f,
                        Ok(None) if coding == Coding::Identity => {
                            out.push(Err(Failure::new(
                                "artefact_missing",
                                location,
                                "not published (every artefact of the log's publication must be)",
                            )));
                            break;
                        }
                        // A directory need not have a sibling for every file (small files
                        // get none); a server answers each coding.
                        Ok(None) => continue,
                        Err(e) => {
                            out.push(Err(Failure::new("artefact_unreadable", e.location, e.why)));
                            continue;
                        }
                    };
                    let decoded = match (fetched.not_modified, prior) {
                        (true, Some((_, kept))) => Coding::Gzip.decode(kept),
                        (true, None) => Err("answered 304 Not Modified to no ETag".to_owned()),
                        (false, _) => fetched.coding.decode(&fetched.bytes),
                    };
                    let body = match decoded {
                        Ok(b) => b,
                        Err(why) => {
                            out.push(Err(Failure::new("artefact_unreadable", location, why)));
                            continue;
                        }
                    };
                    let kept = match (fetched.not_modified, prior) {
                        (true, Some((_, kept))) => kept.clone(),
                        _ => Arc::new(keep(&body)),
                    };
                    if let Some(tag) = &fetched.etag {
                        fresh.push((coding, tag.clone(), kept.clone(), fetched.not_modified));
                    }
                    let named = match &fetched.snapshot {
                        Some(h) => parse_header(h),
                        None => dir_snapshot.clone(),
                    };
                    // A sibling equal to the identity body of the same snapshot is checked
                    // once its identity body is.
                    if let Some((n, b)) = &identity {
                        if *n == named && *b == body {
                            out.push(Ok(None));
                            continue;
                        }
                    }
                    if coding == Coding::Identity {
                        identity = Some((named.clone(), body.clone()));
                    }
                    out.push(Ok(Some(Artefact {
                        kind: kind.clone(),
                        location,
                        named,
                        kept: kept.to_vec(),
                    })));
                }
                (kind, out, fresh)
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut c = Collected::default();
    let mut unreadable: BTreeSet<(String, String)> = BTreeSet::new();
    for (kind, rs, fresh) in results {
        if matches!(kind, Kind::Page(_) | Kind::Asset(_)) {
            c.pages_read += 1;
        }
        for (coding, tag, kept, unchanged) in fresh {
            c.unchanged += usize::from(unchanged);
            c.remembered.0.insert((kind.clone(), coding), (tag, kept));
        }
        for r in rs {
            match r {
                Ok(Some(a)) => {
                    c.bodies_read += 1;
                    c.artefacts.push(a);
                }
                Ok(None) => c.bodies_read += 1,
                // A live site answers 503 for a page while it renders after a start: a page
                // it cannot serve shows no number (noted); a directory must be readable.
                Err(f) if live && f.what == "artefact_unreadable" => {
                    unreadable.insert((f.location, f.why));
                }
                Err(f) => step.fail(f),
            }
        }
    }
    if let Some((at, why)) = unreadable.iter().next() {
        step.note(format!(
            "{} artefacts could not be read (not compared), e.g. {at}: {why}",
            unreadable.len()
        ));
        c.unreadable = unreadable.len();
        c.first_unreadable = Some(format!("{at}: {why}"));
    }
    c.artefacts.sort_by(|a, b| a.kind.cmp(&b.kind));
    c
}
