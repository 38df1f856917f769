//! `POST /api/v1/elections/<id>/submissions/batch`: a file's statements in one request,
//! admitted all or none (see `runtime::batch` for the sequencer's side).
//!
//! The body is a JSON array of signed notes, each a string (the note's text with its signature
//! lines), at most [`MAX_BATCH_STATEMENTS`] of them and [`MAX_BATCH_BODY`] bytes in all. Every
//! note is parsed and signature-checked here (on the blocking pool, in parallel, a few dozen
//! signatures together) before the batch reaches the sequencer; any problem refuses the whole
//! batch. Answers:
//! - `200` (some already in the log) or `201`: `{"election", "accepted", "duplicates", "held",
//!   "results": [...]}`, one result per note in order: `{"status": "accepted", "receipt"}`
//!   (the receipt of a single submission, `duplicate` set when the note or a retry of it was
//!   already in the log) or `{"status": "held", "held": {"id", "reasons"}}`;
//! - `4xx` with `{"error": {...}, "refused": [{"position", "status", "code", "message",
//!   "field"}]}` naming every refused note (with the status it would get alone): nothing of
//!   the batch was appended.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use rayon::prelude::*;
use serde_json::json;
use skytale_model::{
    verify_notes, RejectCode, Rejection, Statement, VerifiedNote, VERIFY_TOGETHER,
};

use crate::api::{runtime, ApiError};
use crate::runtime::{BatchError, Outcome, SubmitError, MAX_BATCH_STATEMENTS};
use crate::AppState;

/// Largest body of a batch request: 32 MiB (a county's file of a few thousand statements;
/// a larger file is sent in several batches).
pub const MAX_BATCH_BODY: usize = 32 * 1024 * 1024;

pub(crate) async fn submit_batch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let rt = runtime(&state, &id)?;
    let bytes = axum::body::to_bytes(body, MAX_BATCH_BODY)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!(
                    "a batch is at most {MAX_BATCH_BODY} bytes; send the file in several batches"
                ),
            )
        })?;
    if let Some(redirect) = crate::api::to_sequencer(
        &state,
        &rt,
        &format!("/api/v1/elections/{id}/submissions/batch"),
    ) {
        return Ok(redirect);
    }
    let notes: Vec<String> = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_batch",
            format!("a batch is a JSON array of signed notes, each a string: {e}"),
        )
    })?;
    if notes.is_empty() || notes.len() > MAX_BATCH_STATEMENTS {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_batch",
            format!(
                "a batch holds 1 to {MAX_BATCH_STATEMENTS} notes, not {}",
                notes.len()
            ),
        ));
    }
    let keys = rt.keys.read().unwrap_or_else(|p| p.into_inner()).clone();
    let election = rt.id.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let notes: Vec<Arc<[u8]>> = notes
            .into_iter()
            .map(|n| Arc::from(n.into_bytes()))
            .collect();
        notes
            .par_chunks(VERIFY_TOGETHER)
            .flat_map_iter(|chunk| {
                let verdicts = verify_notes(&keys, &election, chunk);
                chunk.iter().zip(verdicts).map(|(bytes, v)| {
                    let v = v.and_then(batchable)?;
                    Ok((bytes.clone(), v))
                })
            })
            .collect::<Vec<Result<(Arc<[u8]>, VerifiedNote), Rejection>>>()
    })
    .await
    .map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!("the batch could not be checked: {e}"),
        )
    })?;
    let refused: Vec<(usize, Rejection)> = checked
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.as_ref().err().map(|e| (i, e.clone())))
        .collect();
    if !refused.is_empty() {
        return Ok(refusal(refused, checked.len()));
    }
    let total = checked.len();
    let items: Vec<(Arc<[u8]>, VerifiedNote)> =
        checked.into_iter().filter_map(Result::ok).collect();
    let _place = match crate::limits::admit_batch(
        &state,
        &rt,
        items.iter().filter_map(|(_, v)| v.signers.first().copied()),
    ) {
        Ok(place) => place,
        Err(refused) => return Ok(refused),
    };
    let outcomes = match rt.submit_batch(items).await {
        Ok(o) => o,
        Err(BatchError::Refused(r)) => return Ok(refusal(r, total)),
        Err(BatchError::Busy) => return Ok(crate::limits::queue_full()),
        Err(BatchError::Unavailable(why)) => {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                why,
            ))
        }
    };
    let (mut accepted, mut duplicates, mut held) = (0, 0, 0);
    let mut results = Vec::with_capacity(outcomes.len());
    for o in outcomes {
        results.push(match o {
            Ok(Outcome::Accepted(receipt)) => {
                if receipt.duplicate {
                    duplicates += 1;
                } else {
                    accepted += 1;
                }
                Item::Accepted(receipt)
            }
            Ok(Outcome::Held { id, reasons }) => {
                held += 1;
                let reasons: Vec<_> = reasons
                    .iter()
                    .map(|r| json!({"field": r.field, "why": r.why}))
                    .collect();
                Item::Other(json!({"status": "held", "held": {"id": id, "reasons": reasons,
                    "message": "held for review by an official: the counts look implausible"}}))
            }
            // Only a store failure (holding a statement) gets here: the process stops on a
            // failed append before answering anything.
            Err(SubmitError::Rejected(r)) => {
                Item::Other(json!({"status": "refused", "error": reject_json(&r)}))
            }
            // Held, but not stored: its key already has the most held submissions one key may
            // have waiting. The rest of the batch stands (holding is not refusal).
            Err(SubmitError::TooManyHeld { pending }) => Item::Other(json!({"status": "refused", "error": {
                "code": "too_many_held",
                "message": format!(
                    "held for review, but not stored: the signing key already has {pending} submissions held, the most one key may have waiting ({})",
                    skytale_store::MAX_HELD_PER_KEY
                ),
            }})),
            Err(SubmitError::Busy) | Err(SubmitError::Unavailable(_)) => {
                Item::Other(json!({"status": "unavailable"}))
            }
        });
    }
    let status = if accepted > 0 || held > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        axum::Json(Answer {
            election: &rt.id,
            accepted,
            duplicates,
            held,
            results,
        }),
    )
        .into_response())
}

/// The answer to a batch that was sequenced.
#[derive(serde::Serialize)]
struct Answer<'a> {
    election: &'a str,
    accepted: usize,
    duplicates: usize,
    held: usize,
    results: Vec<Item>,
}

/// One statement's outcome: receipts (nearly all of them) are written straight from the
/// receipt, not built as a JSON tree first.
enum Item {
    Accepted(crate::runtime::Receipt),
    Other(serde_json::Value),
}

impl serde::Serialize for Item {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        match self {
            Item::Accepted(receipt) => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("status", "accepted")?;
                m.serialize_entry("receipt", receipt)?;
                m.end()
            }
            Item::Other(v) => v.serialize(s),
        }
    }
}

/// Batches carry results and CVR batches only (see `runtime::batch`).
fn batchable(v: VerifiedNote) -> Result<VerifiedNote, Rejection> {
    match v.statement {
        Statement::Results(_) | Statement::Cvr(_) => Ok(v),
        _ => Err(Rejection::new(
            RejectCode::NotAllowed,
            "only results and cvr statements come in a batch; send approvals and key changes alone",
        )),
    }
}

fn reject_json(r: &Rejection) -> serde_json::Value {
    json!({"code": r.code.as_str(), "message": r.message, "field": r.field})
}

/// Nothing appended: every refused note, by position. The status is the one a single refusal
/// would get when all agree, else 422.
fn refusal(refused: Vec<(usize, Rejection)>, total: usize) -> Response {
    let first = refused.first().map(|(_, r)| r.code.http_status());
    let status = match first {
        Some(s) if refused.iter().all(|(_, r)| r.code.http_status() == s) => s,
        _ => 422,
    };
    let list: Vec<_> = refused
        .iter()
        .map(|(i, r)| {
            json!({"position": i, "status": r.code.http_status(), "code": r.code.as_str(),
                "message": r.message, "field": r.field})
        })
        .collect();
    let body = json!({
        "error": {
            "code": "batch_refused",
            "message": format!(
                "{} of {total} statement(s) refused; nothing of the batch was appended",
                refused.len()
            ),
            "field": null,
        },
        "refused": list,
    });
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
