//! The change feed, `GET /api/v1/elections/<id>/changes?since=<cursor>`: the contests and units
//! whose figures moved since a follower's cursor, with the cursor to follow next.
//!
//! The cursor is a published tree size. [`ChangeLog`] keeps the log's change index
//! ([`ChangeIndex`]: every results and CVR statement's index, unit and contests), so a cursor
//! gives the statements sequenced between it and the snapshot served now, and so the contests
//! and units they changed: each change is provable from the log (the statements at those
//! indexes), not a diff of two tallies, and `skytale verify` recomputes the document. A follower that keeps `next` and asks again gets every change once;
//! with `wait` it is told as soon as a snapshot moves past its cursor. Asked with `Accept:
//! text/event-stream`, the same feed is a stream of server-sent events ([`stream`]): one
//! `changes` event per publication past the cursor, whose `id` is the next cursor, so a
//! reconnecting `EventSource` resumes where it stopped (`Last-Event-ID`).

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use skytale_model::{Statement, ValidDefinition};
use skytale_tally::changes::{document_of, ChangeIndex};
use skytale_tally::{LogPosition, Tally};

use crate::api::{named, runtime, ApiError};
use crate::publisher::{snapshot_header, Publisher, Shared};
use crate::site::SiteFile;
use crate::AppState;

/// Longest a `wait` holds a request, in seconds (below the server's idle timeout).
pub const MAX_WAIT: u64 = 55;

/// The change feed moves to a newer snapshot at most this often. During an upload wave the
/// log is published many times a second; if the feed followed each, every follower would hold
/// its own cursor and need its own document (a thousand followers took a server from 14,000
/// to 45 accepted statements a second). Paced, the followers of one poll interval hold a
/// handful of cursors and share a handful of documents, each built once.
pub const FEED_PACE: Duration = Duration::from_secs(1);

/// The change index of an election's log (sealed statements included: a reader asks only up
/// to the published size), appended to by the start-up replay and then by the publisher
/// thread, read by the handlers.
#[derive(Default)]
pub struct ChangeLog {
    index: RwLock<ChangeIndex>,
    /// The last documents made, by (cursor, tree size): followers at one cursor, and everyone
    /// starting from the beginning, share one rendering (and one compression) per snapshot.
    made: std::sync::Mutex<std::collections::VecDeque<(u64, u64, Arc<SiteFile>)>>,
    /// The snapshot the feed answers from and when it was taken (see [`FEED_PACE`]).
    paced: tokio::sync::Mutex<Option<(Instant, Shared)>>,
    /// Documents are built one at a time: requests for one being built wait and share it.
    building: tokio::sync::Mutex<()>,
}

/// Documents kept in [`ChangeLog`]'s cache.
const KEPT_DOCUMENTS: usize = 32;

impl ChangeLog {
    /// Remembers statement `st` at log `index` (see [`ChangeIndex::record`]).
    pub fn record(&self, def: &ValidDefinition, index: u64, st: &Statement) {
        self.index
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .record(def, index, st);
    }

    /// The snapshot the feed answers from: the published one, taken again only when it moved
    /// and [`FEED_PACE`] has passed since the last was taken. `None` once the publisher stops.
    pub async fn paced(&self, publisher: &Publisher) -> Option<Shared> {
        let mut held = self.paced.lock().await;
        let served = *publisher.served().borrow();
        let take = match &*held {
            None => true,
            Some((at, s)) => s.pos.tree_size < served && at.elapsed() >= FEED_PACE,
        };
        if take {
            *held = Some((Instant::now(), publisher.share_async().await?));
        }
        held.as_ref().map(|(_, s)| s.clone())
    }

    /// The paced snapshot once it is past `since`, or the last one at `deadline`.
    async fn past(&self, publisher: &Publisher, since: u64, deadline: Instant) -> Option<Shared> {
        let mut served = publisher.served();
        loop {
            let shared = self.paced(publisher).await?;
            if shared.pos.tree_size > since || Instant::now() >= deadline {
                return Some(shared);
            }
            let moved = tokio::time::timeout_at(deadline.into(), async {
                served.wait_for(|n| *n > since).await.map(|_| ())
            })
            .await;
            match moved {
                // Published past the cursor: the feed follows once its pace allows.
                Ok(Ok(())) => {
                    let next = (Instant::now() + FEED_PACE / 4).min(deadline);
                    tokio::time::sleep_until(next.into()).await;
                }
                Ok(Err(_)) => return None,
                Err(_) => {}
            }
        }
    }

    /// [`ChangeLog::document`] off the async workers, built once for everyone asking for it.
    async fn shared_document(
        &self,
        rt: &Arc<crate::runtime::ElectionRuntime>,
        since: u64,
        shared: &Shared,
    ) -> Option<Arc<SiteFile>> {
        if let Some(f) = self.kept(since, shared.pos.tree_size) {
            return Some(f);
        }
        // One build at a time; whoever waited finds the document kept (`document` looks first).
        let _one_at_a_time = self.building.lock().await;
        let (rt, shared) = (rt.clone(), shared.clone());
        tokio::task::spawn_blocking(move || {
            rt.publisher
                .changes()
                .document(&rt.id, &shared.tally, since, &shared.pos)
        })
        .await
        .ok()
    }

    fn kept(&self, since: u64, size: u64) -> Option<Arc<SiteFile>> {
        find_kept(
            &self.made.lock().unwrap_or_else(|p| p.into_inner()),
            since,
            size,
        )
    }

    /// The change feed's document of `election` for cursor `since` at `pos` of `tally`, as a
    /// servable file. The index is read only for what moved, so the publisher thread never
    /// waits while a large document is built.
    pub fn document(
        &self,
        election: &str,
        tally: &Tally,
        since: u64,
        pos: &LogPosition,
    ) -> Arc<SiteFile> {
        if let Some(f) = self.kept(since, pos.tree_size) {
            return f;
        }
        let moved = self
            .index
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .between(since, pos.tree_size);
        let body = document_of(tally, moved, since, pos);
        let file = Arc::new(SiteFile::new(
            &format!("/api/v1/elections/{election}/changes"),
            skytale_render::Rendered::new(
                "application/json",
                body,
                skytale_render::CacheClass::Short,
            ),
        ));
        let mut made = self.made.lock().unwrap_or_else(|p| p.into_inner());
        if find_kept(&made, since, pos.tree_size).is_none() {
            if made.len() == KEPT_DOCUMENTS {
                made.pop_front();
            }
            made.push_back((since, pos.tree_size, file.clone()));
        }
        file
    }
}

/// The kept document for (cursor, tree size), if there is one.
fn find_kept(
    made: &std::collections::VecDeque<(u64, u64, Arc<SiteFile>)>,
    since: u64,
    size: u64,
) -> Option<Arc<SiteFile>> {
    made.iter()
        .find(|(s, n, _)| (*s, *n) == (since, size))
        .map(|(_, _, f)| f.clone())
}

/// What a follower asks: the cursor it holds, and how long it will wait for a change.
#[derive(Debug, PartialEq, Eq)]
struct Ask {
    since: u64,
    wait: u64,
}

fn parse(query: Option<&str>) -> Result<Ask, ApiError> {
    let mut ask = Ask { since: 0, wait: 0 };
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match k {
            "since" => &mut ask.since,
            "wait" => &mut ask.wait,
            _ => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_query",
                    format!("changes takes the query parameters since and wait; not {k:?}"),
                )
                .at(k))
            }
        };
        *slot = v.parse().map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_query",
                format!("{k} must be a whole number (a tree size for since, seconds for wait), not {v:?}"),
            )
            .at(k)
        })?;
    }
    if ask.wait > MAX_WAIT {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            format!("wait is at most {MAX_WAIT} seconds, not {}", ask.wait),
        )
        .at("wait"));
    }
    Ok(ask)
}

/// `GET /api/v1/elections/<id>/changes?since=<tree size>[&wait=<seconds>]`: the contests whose
/// figures moved since the cursor, each with its totals and the rows of the units that
/// reported (and the areas above them); `next` is the cursor to ask with next time, given
/// also when nothing moved. With `wait`, a request whose cursor is the snapshot served now is
/// answered as soon as a newer one is published (a long poll), or with no change after `wait`
/// seconds. ETag and `If-None-Match` spare the body of an unchanged answer; gzip and brotli
/// are made once per document.
pub async fn changes(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut ask = parse(query.as_deref())?;
    let rt = runtime(&state, &id)?;
    if wants_events(&headers) {
        if let Some(last) = last_event_id(&headers)? {
            ask.since = last;
        }
        return stream(rt, ask.since).await;
    }
    let stopped = || {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the election's publisher has stopped",
        )
    };
    let feed = rt.publisher.changes();
    let mut shared = feed.paced(&rt.publisher).await.ok_or_else(stopped)?;
    let now = shared.pos.tree_size;
    if ask.since > now {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "cursor_ahead",
            format!(
                "since {} is past the published size {now}: a cursor is the next of an earlier answer",
                ask.since
            ),
        )
        .at("since"));
    }
    if ask.since == now && ask.wait > 0 {
        let deadline = Instant::now() + Duration::from_secs(ask.wait);
        shared = feed
            .past(&rt.publisher, ask.since, deadline)
            .await
            .ok_or_else(stopped)?;
    }
    let snapshot = snapshot_header(&shared.pos);
    let last_modified = shared.pos.published_at.as_deref().and_then(http_date);
    // A document of every unit of a large election takes a while: off the async workers,
    // once for every follower at that cursor.
    let file = feed
        .shared_document(&rt, ask.since, &shared)
        .await
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the change feed's document could not be made",
            )
        })?;
    // The kept document answers with its ETag (If-None-Match gives 304) and compressed as
    // asked, compressed once.
    let mut resp = file.respond(&headers, false);
    if let Some(v) = last_modified {
        resp.headers_mut().insert(header::LAST_MODIFIED, v);
    }
    Ok(named(resp, Some(&snapshot)))
}

/// Whether the client asks for server-sent events (an `EventSource` sends `Accept:
/// text/event-stream`).
fn wants_events(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|m| m.split(';').next().unwrap_or("").trim() == "text/event-stream")
}

/// The cursor a reconnecting `EventSource` sends back: the `id` of the last event it got.
fn last_event_id(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(v) = headers.get("last-event-id") else {
        return Ok(None);
    };
    let text = v.to_str().unwrap_or("").trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            format!("Last-Event-ID must be a tree size (the id of a changes event), not {text:?}"),
        )
        .at("Last-Event-ID")
    })
}

/// The change feed as server-sent events from cursor `since`: at once the changes up to the
/// snapshot served now (when there are any), then one event per publication, each the same
/// document as `changes?since=<previous id>` with `id` the next cursor. Comments keep the
/// connection alive between publications.
async fn stream(
    rt: Arc<crate::runtime::ElectionRuntime>,
    since: u64,
) -> Result<Response, ApiError> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use axum::response::IntoResponse as _;

    let now = match rt.publisher.changes().paced(&rt.publisher).await {
        Some(s) => s.pos.tree_size,
        None => *rt.publisher.served().borrow(),
    };
    if since > now {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "cursor_ahead",
            format!(
                "since {since} is past the published size {now}: a cursor is the id of an earlier event"
            ),
        )
        .at("since"));
    }
    let events = futures_util::stream::unfold((rt, since), |(rt, cursor)| async move {
        // Wait for a feed snapshot past the cursor (a stopped publisher ends the stream);
        // keep-alive comments flow meanwhile.
        let shared = loop {
            let far = Instant::now() + Duration::from_secs(3600);
            let s = rt
                .publisher
                .changes()
                .past(&rt.publisher, cursor, far)
                .await?;
            if s.pos.tree_size > cursor {
                break s;
            }
        };
        let file = rt
            .publisher
            .changes()
            .shared_document(&rt, cursor, &shared)
            .await?;
        let next = shared.pos.tree_size;
        let body = String::from_utf8_lossy(file.body());
        let event = Event::default()
            .event("changes")
            .id(next.to_string())
            .data(body.trim_end_matches('\n'));
        Some((Ok::<_, std::convert::Infallible>(event), (rt, next)))
    });
    let mut resp = Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// An RFC 3339 time as an HTTP date (`Last-Modified`), in UTC.
fn http_date(rfc3339: &str) -> Option<HeaderValue> {
    let t = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .ok()?
        .to_offset(time::UtcOffset::UTC);
    let f = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    HeaderValue::from_str(&t.format(&f).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn def() -> ValidDefinition {
        let auth = skytale_note::SigningKey::from_seed("authority", [1; 32])
            .unwrap()
            .verifier();
        let office = skytale_note::SigningKey::from_seed("office", [2; 32])
            .unwrap()
            .verifier();
        let text = format!(
            r#"
id = "t"
name = {{ en = "T" }}
date = "2026-11-25"
default_language = "en"
languages = ["en"]
authority_key = "{auth}"
[[units]]
id = "all"
name = {{ en = "All" }}
[[units]]
id = "a"
parent = "all"
name = {{ en = "A" }}
[[units]]
id = "b"
parent = "all"
name = {{ en = "B" }}
[[contests]]
id = "mayor"
name = {{ en = "Mayor" }}
kind = "candidate"
area = ["all"]
[[contests.selections]]
id = "x"
name = {{ en = "X" }}
[[reporters]]
name = "Office"
key = "{office}"
scope = ["all"]
"#
        );
        skytale_model::Definition::parse(&text, skytale_model::DefinitionFormat::Toml)
            .unwrap()
            .validate()
            .unwrap()
    }

    fn results(unit: &str) -> Statement {
        let json = format!(
            r#"{{"type":"results","election":"t","unit":"{unit}","version":1,"status":"partial","submitted_at":"2026-11-25T20:00:00Z","contests":[{{"contest":"mayor","selections":{{"x":{{"total":1}}}}}}]}}"#
        );
        serde_json::from_str(&json).unwrap()
    }

    #[test]
    fn the_query_is_a_cursor_and_a_wait() {
        assert_eq!(parse(None).ok(), Some(Ask { since: 0, wait: 0 }));
        assert_eq!(
            parse(Some("since=12&wait=30")).ok(),
            Some(Ask {
                since: 12,
                wait: 30
            })
        );
        assert!(parse(Some("since=-1")).is_err());
        assert!(parse(Some("since=1e3")).is_err());
        assert!(parse(Some("wait=3600")).is_err());
        assert!(parse(Some("cursor=3")).is_err());
    }

    #[test]
    fn last_modified_is_an_http_date_in_utc() {
        assert_eq!(
            http_date("2026-11-25T23:00:01.5+01:00").unwrap(),
            "Wed, 25 Nov 2026 22:00:01 GMT"
        );
        assert!(http_date("yesterday").is_none());
    }

    #[test]
    fn a_cursor_gives_the_statements_from_it_up_to_the_snapshot() {
        let def = def();
        let mut log = ChangeIndex::default();
        log.record(&def, 1, &results("a"));
        log.record(&def, 2, &results("b"));
        log.record(&def, 3, &results("a"));
        log.record(&def, 3, &results("b")); // a replayed index is not recorded twice
        let a = def.unit_index("a").unwrap();
        let b = def.unit_index("b").unwrap();
        assert_eq!(log.between(0, 4)[&0], BTreeSet::from([a, b]));
        assert_eq!(log.between(3, 4)[&0], BTreeSet::from([a]));
        assert_eq!(log.between(2, 3)[&0], BTreeSet::from([b]));
        assert!(log.between(4, 9).is_empty());
        assert!(log.between(1, 1).is_empty());
    }
}
