//! The results feeds: `api/v1/elections/<id>/results` (whole) and `.../results/<contest>`.
//!
//! A document is recomputed with the same code the server uses ([`skytale_tally`]) at the
//! snapshot it names (see [`crate::compare`]), with the root hash of the verified tree there and
//! the publication time recorded in the log; a difference is named by its first JSON field.

use serde_json::Value;

use crate::report::{Failure, Step};

/// Names the first differing field of a results document that is not the recomputed one.
pub fn report_difference(location: &str, got: &[u8], expected: &[u8], n: u64, step: &mut Step) {
    let published: Result<Value, _> = serde_json::from_slice(got);
    let recomputed: Result<Value, _> = serde_json::from_slice(expected);
    let why = match (published, recomputed) {
        (Ok(p), Ok(e)) => match super::first_difference(&p, &e) {
            Some((field, got, want)) => {
                return step.fail(Failure::new(
                    "results_mismatch",
                    format!("{location} field {field}"),
                    format!("published {got}, but the log gives {want} (at tree size {n})"),
                ))
            }
            None => "same JSON values but not the canonical bytes (formatting differs)".to_owned(),
        },
        (Err(e), _) => format!("not valid JSON: {e}"),
        (_, Err(e)) => format!("the recomputed document is not JSON: {e}"),
    };
    step.fail(Failure::new(
        "results_mismatch",
        location.to_owned(),
        format!("{why} (at tree size {n})"),
    ));
}
