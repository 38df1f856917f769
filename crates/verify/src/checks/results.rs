//! The results feeds: `api/v1/elections/<id>/results` (whole) and `.../results/<contest>`.
//!
//! A document claims the tree size `N` it was computed from. The checker requires that the
//! log published size `N` at some point (the election's publication policy, replayed), then
//! recomputes the document with the same code the server uses ([`skytale_tally`]) at `N`, with
//! the root hash of the verified tree at `N` and the publication time recorded in the log, and
//! compares the bytes.

use serde_json::Value;
use skytale_model::encode_hash;
use skytale_tally::LogPosition;
use skytale_tlog::Tree;

use crate::replay::Replayer;
use crate::report::{Failure, Step};

/// A fetched results document.
#[derive(Clone, Debug)]
pub struct Published {
    /// Where it was read (URL or file).
    pub location: String,
    /// `None` for the whole document, else the contest id.
    pub contest: Option<String>,
    /// The bytes as published.
    pub bytes: Vec<u8>,
}

impl Published {
    /// The tree size the document claims, if it is JSON with a `tree_size`.
    pub fn tree_size(&self) -> Option<u64> {
        serde_json::from_slice::<Value>(&self.bytes)
            .ok()?
            .get("tree_size")?
            .as_u64()
    }
}

/// Checks one document against the replay. `live`: the source is a running site, where a
/// document may lag the latest publication by a render interval (a note, not a failure).
pub fn check(doc: &Published, replay: &Replayer, tree: &Tree, live: bool, step: &mut Step) {
    let Some(n) = doc.tree_size() else {
        step.fail(Failure::new(
            "results_malformed",
            doc.location.clone(),
            "not a results document (no JSON tree_size field)",
        ));
        return;
    };
    let Some(time) = replay.published_time(n) else {
        step.fail(Failure::new(
            "results_not_published",
            format!("{} field tree_size", doc.location),
            format!(
                "claims tree size {n}, which the log never published (latest published size: {})",
                replay.published_size()
            ),
        ));
        return;
    };
    let latest = replay.published_size();
    if n != latest {
        let msg =
            format!("shows published size {n}, but the log's latest publication is size {latest}");
        if live && n < latest {
            step.note(format!("{}: {msg} (a live site may lag)", doc.location));
        } else {
            step.fail(Failure::new("results_stale", doc.location.clone(), msg));
        }
    }
    let Some(tally) = replay.tally_at(n) else {
        step.note(format!(
            "{}: size {n} is before this verifier's replay state; not recomputed",
            doc.location
        ));
        return;
    };
    let Ok(root) = tree.root_at(n) else {
        step.fail(Failure::new(
            "results_not_published",
            doc.location.clone(),
            format!("tree size {n} is beyond the verified log"),
        ));
        return;
    };
    let pos = LogPosition {
        tree_size: n,
        root_hash: encode_hash(&root),
        published_at: time.map(str::to_owned),
    };
    let expected = match &doc.contest {
        None => tally.document(&pos).to_bytes(),
        Some(c) => match tally.contest_document(c, &pos) {
            Some(d) => d.to_bytes(),
            None => {
                step.fail(Failure::new(
                    "results_unknown_contest",
                    doc.location.clone(),
                    format!("contest {c:?} is not in the election definition"),
                ));
                return;
            }
        },
    };
    if expected == doc.bytes {
        return;
    }
    let published: Result<Value, _> = serde_json::from_slice(&doc.bytes);
    let recomputed: Result<Value, _> = serde_json::from_slice(&expected);
    let why = match (published, recomputed) {
        (Ok(p), Ok(e)) => match super::first_difference(&p, &e) {
            Some((field, got, want)) => {
                return step.fail(Failure::new(
                    "results_mismatch",
                    format!("{} field {field}", doc.location),
                    format!("published {got}, but the log gives {want} (at tree size {n})"),
                ))
            }
            None => "same JSON values but not the canonical bytes (formatting differs)".to_owned(),
        },
        (Err(e), _) => format!("not valid JSON: {e}"),
        (_, Err(e)) => format!("the recomputed document is not JSON: {e}"),
    };
    step.fail(Failure::new("results_mismatch", doc.location.clone(), why));
}
