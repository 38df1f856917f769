//! `GET /api/v1/elections/<id>/approvals`: where the officials' go-ahead stands, for approvers
//! (`skytale approve` reads it to approve what others are approving) and for everyone (the
//! verification page shows the progress; a verifier proves publications with it).
//!
//! It reveals no result: tree sizes, roots, the approvers' names, and the approval statements
//! themselves (signed notes naming a size and a root). Those after the published size sit in
//! the sealed part of the log during an embargo, where nobody could otherwise check them, so
//! each is listed with its index (its leaf hash is in the public hash tiles).

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use skytale_model::encode_hash;
use skytale_tlog::Tree;

use crate::api::{runtime, ApiError};
use crate::AppState;

/// A size and its root, with the consistency proof from it to the checkpoint's size.
fn at(tree: &Tree, size: u64, proofs: &mut serde_json::Map<String, Value>) -> Value {
    let root = tree
        .root_at(size)
        .map(|r| encode_hash(&r))
        .unwrap_or_default();
    if let Ok(p) = tree.consistency_proof(size, tree.len()) {
        proofs.insert(
            size.to_string(),
            Value::from(p.iter().map(encode_hash).collect::<Vec<_>>()),
        );
    }
    json!({ "tree_size": size, "root_hash": root })
}

/// The document (see the module doc).
pub fn document(rt: &crate::ElectionRuntime) -> Value {
    let def = rt.definition.definition();
    let log = rt.log.read().unwrap_or_else(|p| p.into_inner());
    let mut proofs = serde_json::Map::new();
    let published = log.publications.last().map(|p| {
        let mut v = at(&log.tree, p.tree_size, &mut proofs);
        v["published_at"] = Value::from(p.published_at.clone());
        v["approved_by"] = Value::from(p.approvers.clone());
        v
    });
    let content = at(&log.tree, log.content_size, &mut proofs);
    let pending: Vec<Value> = log
        .pending
        .iter()
        .map(|p| {
            let mut v = at(&log.tree, p.tree_size, &mut proofs);
            v["approved_by"] = Value::from(p.approved_by.clone());
            v["waiting_for"] = Value::from(p.waiting_for.clone());
            v
        })
        .collect();
    let statements: Vec<Value> = log
        .approval_indexes
        .iter()
        .filter(|&&i| i >= log.published)
        .filter_map(|&i| {
            let e = log.entries.get(i)?;
            Some(json!({ "index": i, "note": String::from_utf8_lossy(&e) }))
        })
        .collect();
    json!({
        "election": rt.id,
        "mode": match def.publication.mode {
            skytale_model::PublicationMode::Approval => "approval",
            skytale_model::PublicationMode::Automatic => "automatic",
        },
        "quorum": def.publication.quorum,
        "approvers": def.publication.approvers.iter().map(|k| k.name().to_string()).collect::<Vec<_>>(),
        "published": published,
        "pending": pending,
        "content": content,
        "checkpoint": String::from_utf8_lossy(&log.checkpoint),
        "proofs": proofs,
        "statements": statements,
    })
}

/// The handler.
pub async fn approvals(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let rt = runtime(&state, &id)?;
    let doc = document(&rt);
    Ok((
        [
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_TYPE, "application/json"),
        ],
        serde_json::to_vec_pretty(&doc).unwrap_or_default(),
    )
        .into_response())
}
