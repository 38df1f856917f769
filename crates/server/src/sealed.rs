//! The officials' reads of what the public does not see yet: the committed log entries above
//! the published size (sealed under an `approval` embargo) and the held submissions.
//!
//! Every read needs a session ([`crate::auth::authorize`]) and answers only for the session's
//! scope: a reporting authority gets its own units' statements and is told which indexes were
//! withheld, never what they say. **Invariant:** no sealed statement is served without a
//! session whose scope covers it. Answers are marked `Cache-Control: no-store`, so no cache or
//! CDN in front of the server keeps a copy for the next reader.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;

use crate::api::{runtime, ApiError};
use crate::auth::authorize;
use crate::AppState;

/// Most log entries examined per page of `sealed/entries`.
pub const MAX_ENTRIES: u64 = 1_000;

/// Most note bytes served in one page of `sealed/entries` (entries are up to 64 KiB each, so
/// a full page could otherwise reach 64 MiB); a page always holds at least one entry.
pub const MAX_PAGE_BYTES: usize = 8 << 20;

/// Most held submissions examined per page of `held` (each up to 64 KiB).
pub const MAX_HELD: u64 = 100;

/// The sign-in and the sealed reads, merged into [`crate::api::router`].
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/elections/{id}/sealed/entries", get(entries))
        .route("/api/v1/elections/{id}/held", get(held))
        .merge(crate::auth::routes())
        .layer(axum::middleware::map_response(private))
}

/// Nothing here may be cached, and a 401 names the scheme to use (RFC 6750).
pub(crate) async fn private(mut resp: Response) -> Response {
    let unauthorized = resp.status() == StatusCode::UNAUTHORIZED;
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if unauthorized {
        h.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"skytale\""),
        );
    }
    resp
}

/// `GET …/sealed/entries?from=N&limit=M`: committed entries `[from, from+limit)` that the
/// session may read, the indexes it may not (`withheld`), and `next`, the index to ask for
/// next. `from` equal to the log size is an empty page (a poller that is caught up); beyond
/// it is `416 out_of_range`, since such an index does not exist yet.
async fn entries(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let rt = runtime(&state, &id)?;
    let session = authorize(&state, &rt, &headers)?;
    let from: u64 = param(query.as_deref(), "from")?.unwrap_or(0);
    let limit = param(query.as_deref(), "limit")?
        .unwrap_or(MAX_ENTRIES)
        .min(MAX_ENTRIES);
    // Take a handle on the entries and let go of the lock (the sequencer needs it to commit);
    // older entries are read from the store after.
    let (size, entries, end) = {
        let log = rt.log.read().unwrap_or_else(|p| p.into_inner());
        if from > log.size {
            return Err(ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "out_of_range",
                format!("the log has {} entries; ask from at most that", log.size),
            )
            .at("from"));
        }
        let end = from.saturating_add(limit).min(log.size);
        (log.size, log.entries.clone(), end)
    };
    let page: Vec<Arc<[u8]>> = entries.range(from, end).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("cannot read the log's entries: {e}"),
        )
    })?;
    let def = crate::auth::definition(&rt);
    // Parsing a page of statements for a reporter's scope is CPU work: keep it off the
    // async workers.
    let body = tokio::task::spawn_blocking(move || {
        let mut entries = Vec::new();
        let mut withheld = Vec::new();
        let mut bytes = 0usize;
        let mut next = from;
        for (index, e) in (from..).zip(&page) {
            if bytes >= MAX_PAGE_BYTES {
                break;
            }
            if session.may_read_note(e, &def) {
                bytes += e.len();
                entries.push(json!({"index": index, "note": String::from_utf8_lossy(e)}));
            } else {
                withheld.push(index);
            }
            next = index + 1;
        }
        json!({"log_size": size, "entries": entries, "withheld": withheld, "next": next})
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok(axum::Json(body).into_response())
}

/// `GET …/held?after=ID&limit=M[&all=1]`: the held (implausible) submissions the session may
/// read, oldest first, from the store's ids above `after`. `next_after` is the cursor for the
/// next page, `null` once there is none. Submissions outside a reporter's scope are left out
/// without a trace: unlike log indexes, their existence is not public.
///
/// Only the ones waiting for review are listed unless `all=1`: the log says which were
/// released or rejected (`state`, with the review's `decided_at` index) and which a newer
/// accepted version of their unit overtook (`superseded`). Each comes with its `digest` (what
/// a review names), its `unit` and `version`, and `previous`, the unit's last accepted results
/// statement, for a diff.
async fn held(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let rt = runtime(&state, &id)?;
    let session = authorize(&state, &rt, &headers)?;
    let after: i64 = param(query.as_deref(), "after")?.unwrap_or(0);
    let limit = param(query.as_deref(), "limit")?
        .unwrap_or(MAX_HELD)
        .min(MAX_HELD);
    let all = param::<u8>(query.as_deref(), "all")?.unwrap_or(0) == 1;
    let def = crate::auth::definition(&rt);
    let store = state.store.clone();
    let (rows, next_after) = tokio::task::spawn_blocking(move || {
        let rows = store.held_page(&id, after, limit as usize)?;
        let next_after = (rows.len() as u64 == limit && limit > 0)
            .then(|| rows.last().map(|r| r.id))
            .flatten();
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|r| session.may_read_note(&r.note, &def))
            .collect();
        Ok::<_, skytale_store::StoreError>((rows, next_after))
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
    .map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            e.to_string(),
        )
    })?;
    let list: Vec<_> = held_entries(&rt, rows, all)
        .await?
        .iter()
        .map(HeldEntry::to_json)
        .collect();
    Ok(axum::Json(json!({"held": list, "next_after": next_after})).into_response())
}

/// A held submission as the officials see it: placed in the log by the sequencer (see
/// [`held`]).
pub(crate) struct HeldEntry {
    pub row: skytale_store::HeldRow,
    /// SHA-256 of the note (hex): what a review names.
    pub digest: String,
    pub statement: skytale_model::ResultsStatement,
    /// `waiting`, `released`, `rejected` or `superseded`.
    pub state: &'static str,
    /// The log index of the review that decided it.
    pub decided_at: Option<u64>,
    /// The unit's accepted version that overtook it.
    pub accepted_version: Option<u64>,
    /// The unit's last accepted results (log index and statement), for a diff.
    pub previous: Option<(u64, skytale_model::ResultsStatement)>,
}

impl HeldEntry {
    /// Why it was held, one line per problem.
    pub fn reasons(&self) -> Vec<String> {
        serde_json::from_str::<Vec<serde_json::Value>>(&self.row.reasons)
            .unwrap_or_default()
            .iter()
            .map(|r| {
                format!(
                    "{}: {}",
                    r["field"].as_str().unwrap_or(""),
                    r["why"].as_str().unwrap_or("")
                )
            })
            .collect()
    }

    fn to_json(&self) -> serde_json::Value {
        let r = &self.row;
        json!({"id": r.id, "state": self.state, "received_at": r.received_at,
            "digest": self.digest,
            "unit": self.statement.unit, "version": self.statement.version,
            "decided_at": self.decided_at, "accepted_version": self.accepted_version,
            "reasons": serde_json::from_str::<serde_json::Value>(&r.reasons).unwrap_or_default(),
            "note": String::from_utf8_lossy(&r.note),
            "statement": self.statement,
            "previous": self.previous.as_ref().map(|(i, p)| json!({"index": i, "version": p.version, "statement": p}))})
    }
}

/// The results statement of log entry `index` (a results entry or a release), if it has one.
pub(crate) fn results_at(
    rt: &crate::runtime::ElectionRuntime,
    index: u64,
) -> Option<skytale_model::ResultsStatement> {
    let entries = rt
        .log
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .entries
        .clone();
    let e = entries.get(index)?;
    let note = skytale_note::Note::parse(&e).ok()?;
    skytale_model::Statement::parse(&note.text)
        .ok()?
        .results()
        .cloned()
}

/// The held rows placed in the log; only the waiting ones unless `all`.
pub(crate) async fn held_entries(
    rt: &crate::runtime::ElectionRuntime,
    rows: Vec<skytale_store::HeldRow>,
    all: bool,
) -> Result<Vec<HeldEntry>, ApiError> {
    use skytale_model::{HeldState, ReviewDecision, Statement};

    let parsed: Vec<Option<skytale_model::ResultsStatement>> = rows
        .iter()
        .map(|r| {
            let note = skytale_note::Note::parse(&r.note).ok()?;
            match Statement::parse(&note.text) {
                Ok(Statement::Results(s)) => Some(s),
                _ => None,
            }
        })
        .collect();
    let items: Vec<_> = rows
        .iter()
        .zip(&parsed)
        .filter_map(|(r, s)| Some((skytale_model::hex_sha256(&r.note), s.clone()?)))
        .collect();
    let places = rt
        .held_places(items)
        .await
        .map_err(crate::api::submit_error)?;
    let mut places = places.into_iter();
    let mut out = Vec::new();
    for (row, s) in rows.into_iter().zip(parsed) {
        let Some(statement) = s else { continue };
        let Some(place) = places.next() else { break };
        let (state, decided_at, accepted_version) = match place.state {
            HeldState::Waiting => ("waiting", None, None),
            HeldState::Decided(ReviewDecision::Release, i) => ("released", Some(i), None),
            HeldState::Decided(ReviewDecision::Reject, i) => ("rejected", Some(i), None),
            HeldState::Superseded { accepted_version } => {
                ("superseded", None, Some(accepted_version))
            }
        };
        if !all && state != "waiting" {
            continue;
        }
        let previous = place
            .unit_last_entry
            .and_then(|i| Some((i, results_at(rt, i)?)));
        out.push(HeldEntry {
            digest: skytale_model::hex_sha256(&row.note),
            row,
            statement,
            state,
            decided_at,
            accepted_version,
            previous,
        });
    }
    Ok(out)
}

/// A numeric query parameter (`None` when absent); a malformed one is `400 bad_query` naming it.
fn param<T: std::str::FromStr>(query: Option<&str>, name: &str) -> Result<Option<T>, ApiError> {
    for pair in query.unwrap_or("").split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k == name {
            return v.parse().map(Some).map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_query",
                    format!("{name} must be a whole number, not {v:?}"),
                )
                .at(name)
            });
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_whole_numbers_or_absent() {
        assert_eq!(
            param::<u64>(Some("from=3&limit=7"), "limit").ok(),
            Some(Some(7))
        );
        assert_eq!(param::<u64>(Some("from=3"), "limit").ok(), Some(None));
        assert_eq!(param::<u64>(None, "from").ok(), Some(None));
        assert!(param::<u64>(Some("from=-1"), "from").is_err());
        assert!(param::<u64>(Some("from"), "from").is_err());
    }
}
