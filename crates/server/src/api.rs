//! HTTP handlers: a thin layer over [`crate::runtime`]. Paths and error shapes follow
//! `shared/design/interfaces.md`.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use futures_util::stream::Stream;
use futures_util::StreamExt as _;
use serde_json::json;
use skytale_model::{Definition, Rejection};
use skytale_tlog::tiles::{encode_entry_bundle, TilePath, TILE_WIDTH};
use tokio_stream::wrappers::BroadcastStream;

use crate::publisher::SNAPSHOT_HEADER;
use crate::runtime::{ElectionRuntime, Outcome, SubmitError};
use crate::site::Feed;
use crate::AppState;

/// Largest request body: one signed note (C2SP entry bundles cap entries at 64 KiB).
pub const MAX_BODY: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(crate::site::archive))
        .route("/api/v1/elections", get(list_elections))
        .route("/api/v1/schema/election.json", get(schema))
        .route("/api/v1/elections/{id}", get(election))
        .route("/api/v1/elections/{id}/results", get(results))
        .route(
            "/api/v1/elections/{id}/results/{contest}",
            get(contest_results),
        )
        .route("/api/v1/elections/{id}/cdf.json", get(cdf_json))
        .route("/api/v1/elections/{id}/cdf.xml", get(cdf_xml))
        .route("/api/v1/elections/{id}/cdf.google.xml", get(cdf_google_xml))
        .route("/api/v1/elections/{id}/eml.510.xml", get(eml_510))
        .route("/api/v1/elections/{id}/eml.520.xml", get(eml_520))
        .route("/api/v1/elections/{id}/events", get(events))
        .route("/api/v1/elections/{id}/snapshot", get(snapshot))
        .route(
            "/api/v1/elections/{id}/changes",
            get(crate::changes::changes),
        )
        .route(
            "/api/v1/elections/{id}/approvals",
            get(crate::approvals::approvals),
        )
        .route("/api/v1/elections/{id}/submissions", post(submit))
        .route(
            "/api/v1/elections/{id}/submissions/batch",
            post(crate::batch::submit_batch),
        )
        .merge(crate::sealed::routes())
        .merge(crate::console::routes())
        .merge(crate::push::webhooks::routes())
        .merge(crate::push::activitypub::routes())
        .route("/log/{id}/checkpoint", get(checkpoint))
        .route("/log/{id}/{*tile}", get(tile))
        .fallback(crate::site::fallback)
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(state)
}

/// An error answer: `{"error": {"code", "message", "field"}}` with a fitting status.
pub struct ApiError {
    status: StatusCode,
    code: String,
    message: String,
    field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            field: None,
        }
    }

    /// The same error, naming the request field at fault.
    pub fn at(mut self, field: &str) -> ApiError {
        self.field = Some(field.to_string());
        self
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> ApiError {
        ApiError {
            status: StatusCode::from_u16(r.code.http_status())
                .unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
            code: r.code.as_str().to_string(),
            message: r.message,
            field: r.field,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            json!({"error": {"code": self.code, "message": self.message, "field": self.field}});
        let mut resp = (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response();
        resp.extensions_mut()
            .insert(crate::metrics::ErrorCode(self.code));
        resp
    }
}

/// On a node that follows the sequencer ([`ElectionRuntime::following`]): the answer that
/// sends a submission to `path` on the sequencer (`307`: the client sends the same body
/// there), or `503` when the sequencer is not known. `None` on the sequencer itself.
pub(crate) fn to_sequencer(state: &AppState, rt: &ElectionRuntime, path: &str) -> Option<Response> {
    if !rt.following() {
        return None;
    }
    Some(match &state.sequencer {
        Some(base) => (
            StatusCode::TEMPORARY_REDIRECT,
            [(header::LOCATION, format!("{base}{path}"))],
        )
            .into_response(),
        None => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_sequencer",
            "this node does not sequence this election".to_string(),
        )
        .into_response(),
    })
}

pub(crate) fn runtime(state: &AppState, id: &str) -> Result<Arc<ElectionRuntime>, ApiError> {
    state.election(id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_election",
            format!("no election {id:?} on this server"),
        )
    })
}

fn json_bytes(
    bytes: Arc<Vec<u8>>,
    etag: Option<String>,
    headers: &HeaderMap,
    cache: &'static str,
) -> Response {
    if let Some(tag) = &etag {
        let matches = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
        if matches {
            return (StatusCode::NOT_MODIFIED, [(header::ETAG, tag.clone())]).into_response();
        }
    }
    let mut resp = Response::new(Body::from(Bytes::from_owner(ArcBytes(bytes))));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Some(tag) = etag.and_then(|t| HeaderValue::from_str(&t).ok()) {
        h.insert(header::ETAG, tag);
    }
    resp
}

struct ArcBytes(Arc<Vec<u8>>);
impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

async fn list_elections(State(state): State<AppState>) -> impl IntoResponse {
    let list: Vec<_> = state
        .all()
        .iter()
        .map(|rt| {
            let snap = rt.publisher.current();
            let d = rt.definition.definition();
            json!({
                "id": rt.id, "name": d.name, "date": d.date,
                "tree_size": snap.pos.tree_size, "root_hash": snap.pos.root_hash,
                "results": format!("/api/v1/elections/{}/results", rt.id),
                "log": format!("/log/{}/", rt.id),
            })
        })
        .collect();
    axum::Json(json!({ "elections": list }))
}

/// Names the snapshot a response was made from (`Skytale-Snapshot: <size> <root>`).
pub(crate) fn named(mut resp: Response, snapshot: Option<&HeaderValue>) -> Response {
    if let Some(v) = snapshot {
        resp.headers_mut()
            .insert(header::HeaderName::from_static(SNAPSHOT_HEADER), v.clone());
    }
    resp
}

async fn schema() -> impl IntoResponse {
    axum::Json(Definition::json_schema())
}

async fn election(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let rt = runtime(&state, &id)?;
    Ok(json_bytes(
        rt.definition_json.clone(),
        None,
        &headers,
        "public, max-age=60",
    ))
}

async fn results(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let rt = runtime(&state, &id)?;
    let snap = rt.publisher.current();
    Ok(named(
        snap.results.respond(&headers, false),
        Some(&snap.header),
    ))
}

/// `GET /api/v1/elections/<id>/snapshot`: the snapshots served now, the results document's
/// and the site's (pages and per-contest feeds, which may lag it while they render).
async fn snapshot(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let rt = runtime(&state, &id)?;
    let snap = rt.publisher.current();
    let site = rt.site.current();
    let body = json!({
        "election": rt.id,
        "tree_size": snap.pos.tree_size,
        "root_hash": snap.pos.root_hash,
        "published_at": snap.pos.published_at,
        "site": site.pos.as_ref().map(|p| json!({
            "tree_size": p.tree_size, "root_hash": p.root_hash, "complete": site.complete,
        })),
    });
    let resp = ([(header::CACHE_CONTROL, "no-cache")], axum::Json(body)).into_response();
    Ok(named(resp, Some(&snap.header)))
}

/// One of the feeds of the current site snapshot, or 404 naming what is missing.
fn feed(rt: &ElectionRuntime, which: Feed, headers: &HeaderMap) -> Result<Response, ApiError> {
    let map = rt.site.current();
    let file = map.feed(&rt.id, &which).ok_or_else(|| {
        let (what, c) = match &which {
            Feed::Rounds(c) => ("is not ranked-choice: it has no rounds", c.as_str()),
            Feed::Contest(c) | Feed::Csv(c) => ("does not exist", c.as_str()),
            Feed::CdfJson | Feed::CdfXml | Feed::CdfGoogleXml | Feed::Eml510 | Feed::Eml520 => {
                ("is not rendered yet", "")
            }
        };
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_contest",
            format!("contest {c:?} of election {:?} {what}", rt.id),
        )
    })?;
    Ok(named(file.respond(headers, false), map.header()))
}

async fn contest_results(
    State(state): State<AppState>,
    Path((id, contest)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let rt = runtime(&state, &id)?;
    let which = match (
        contest.strip_suffix(".rounds.csv"),
        contest.strip_suffix(".csv"),
    ) {
        (Some(c), _) => Feed::Rounds(c.to_string()),
        (None, Some(c)) => Feed::Csv(c.to_string()),
        (None, None) => Feed::Contest(contest),
    };
    feed(&rt, which, &headers)
}

async fn cdf_json(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let rt = runtime(&state, &id)?;
    feed(&rt, Feed::CdfJson, &headers)
}

/// `GET …/cdf.xml[?profile=P]`: the NIST SP 1500-100 v2 report, or with `profile=google` the
/// same report in Google's profile (`cdf.google.xml`, the static feed's name). Any other
/// query is refused, so a misspelt profile is never answered with the plain report.
async fn cdf_xml(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let which = cdf_xml_profile(query.as_deref())?;
    let rt = runtime(&state, &id)?;
    feed(&rt, which, &headers)
}

/// The feed `cdf.xml`'s query asks for: none or `profile=nist` the plain report,
/// `profile=google` Google's profile.
fn cdf_xml_profile(query: Option<&str>) -> Result<Feed, ApiError> {
    let mut which = Feed::CdfXml;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k != "profile" {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_query",
                format!("cdf.xml takes one query parameter, profile; not {k:?}"),
            )
            .at(k));
        }
        which = match v {
            "nist" => Feed::CdfXml,
            "google" => Feed::CdfGoogleXml,
            other => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "unknown_profile",
                    format!(
                        "profile {other:?} is not known; cdf.xml has the profiles \"nist\" \
                         (the default: NIST SP 1500-100 v2) and \"google\" (Google's \
                         civics CDF profile)"
                    ),
                )
                .at("profile"))
            }
        };
    }
    Ok(which)
}

/// `GET …/cdf.google.xml`: `cdf.xml?profile=google` under a name a static copy can have.
async fn cdf_google_xml(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let rt = runtime(&state, &id)?;
    feed(&rt, Feed::CdfGoogleXml, &headers)
}

async fn eml_510(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let rt = runtime(&state, &id)?;
    feed(&rt, Feed::Eml510, &headers)
}

async fn eml_520(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let rt = runtime(&state, &id)?;
    feed(&rt, Feed::Eml520, &headers)
}

async fn events(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let rt = runtime(&state, &id)?;
    let rx = rt.events.subscribe();
    let stream = BroadcastStream::new(rx).filter_map(|ev| async move {
        let ev = ev.ok()?;
        let data = serde_json::to_string(&ev).ok()?;
        Some(Ok(Event::default().event("publication").data(data)))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

async fn submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let rt = runtime(&state, &id)?;
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("a submission is one signed note of at most {MAX_BODY} bytes"),
        )
    })?;
    if let Some(redirect) =
        to_sequencer(&state, &rt, &format!("/api/v1/elections/{id}/submissions"))
    {
        return Ok(redirect);
    }
    let outcome = match crate::limits::submit(&state, &rt, Arc::from(&bytes[..])).await {
        Ok(outcome) => outcome,
        Err(refused) => return Ok(refused),
    };
    match outcome {
        Outcome::Accepted(receipt) => {
            let status = if receipt.duplicate {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            Ok((status, axum::Json(receipt)).into_response())
        }
        Outcome::Held { id, reasons } => {
            let reasons: Vec<_> = reasons
                .iter()
                .map(|r| json!({"field": r.field, "why": r.why}))
                .collect();
            Ok((
                StatusCode::ACCEPTED,
                axum::Json(json!({"held": {"id": id, "reasons": reasons,
                    "message": "held for review by an official: the counts look implausible"}})),
            )
                .into_response())
        }
    }
}

/// The answer to a submission that was not sequenced.
pub(crate) fn submit_error(e: SubmitError) -> ApiError {
    match e {
        SubmitError::Rejected(r) => r.into(),
        SubmitError::TooManyHeld { pending } => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_held",
            format!(
                "the signing key already has {pending} submissions held for review, the most one key may have waiting ({}); this one was not stored; the election's officials must review the held submissions (`skytale held list`)",
                skytale_store::MAX_HELD_PER_KEY
            ),
        ),
        SubmitError::Busy => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "too many submissions are waiting; retry in a moment",
        ),
        SubmitError::Unavailable(why) => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", why)
        }
    }
}

async fn checkpoint(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let rt = runtime(&state, &id)?;
    let cp = rt
        .log
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .checkpoint
        .clone();
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        cp.to_vec(),
    )
        .into_response())
}

async fn tile(
    State(state): State<AppState>,
    Path((id, tile)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let rt = runtime(&state, &id)?;
    let path = TilePath::parse(&tile).map_err(|e| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{tile:?} is not a tile path: {e}"),
        )
    })?;
    let log = rt.log.read().unwrap_or_else(|p| p.into_inner());
    let missing = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("tile {tile} does not exist at tree size {}", log.size),
        )
    };
    let body = match path {
        TilePath::Hash {
            level,
            index,
            width,
        } => log
            .tree
            .hash_tile(level, index, width, log.size)
            .map_err(|_| missing())?,
        TilePath::Entries { index, width } => {
            let start = index.checked_mul(TILE_WIDTH).ok_or_else(missing)?;
            let end = start.checked_add(u64::from(width)).ok_or_else(missing)?;
            if end > log.size {
                return Err(missing());
            }
            // The embargo: entries after the published size are sealed (hash tiles, which
            // commit to them without revealing them, stay public).
            if end > log.published {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "sealed",
                    format!(
                        "tile {tile} holds entries beyond the published size {}: they are sealed until the approvers' go-ahead",
                        log.published
                    ),
                ));
            }
            // Older entries come from the store: read them after letting go of the lock.
            let entries = log.entries.clone();
            drop(log);
            let bundle = entries.range(start, end).map_err(|e| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
            })?;
            let refs: Vec<&[u8]> = bundle.iter().map(|e| &e[..]).collect();
            encode_entry_bundle(&refs).map_err(|e| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
            })?
        }
    };
    // A tile's bytes never change, partial ones included (a wider partial tile has another
    // path), so every tile can be cached forever (tlog-tiles §"Immutability").
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        body,
    )
        .into_response())
}
