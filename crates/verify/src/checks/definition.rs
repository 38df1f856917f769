//! The election document `api/v1/elections/<id>`: the definition it shows must be entry 0's
//! (signed by the authority), and its origin the checkpoint's.

use serde_json::Value;
use skytale_model::Ledger;

use crate::report::{Failure, Step};

/// Compares the published definition with the one signed in entry 0.
pub fn check(location: &str, doc: &Value, ledger: &Ledger, step: &mut Step) {
    let signed = match serde_json::to_value(ledger.definition().definition()) {
        Ok(v) => v,
        Err(e) => {
            step.fail(Failure::new(
                "definition_mismatch",
                location.to_owned(),
                format!("cannot serialise entry 0's definition: {e}"),
            ));
            return;
        }
    };
    match doc.get("definition") {
        None => step.fail(Failure::new(
            "definition_mismatch",
            format!("{location} field definition"),
            "the election document has no definition",
        )),
        Some(shown) => {
            if let Some((field, got, want)) = super::first_difference(shown, &signed) {
                step.fail(Failure::new(
                    "definition_mismatch",
                    format!("{location} field definition.{field}"),
                    format!("published {got}, but entry 0 (signed by the authority) says {want}"),
                ));
            }
        }
    }
    let origin = ledger.definition().definition().origin();
    if let Some(o) = doc.pointer("/log/origin").and_then(Value::as_str) {
        if o != origin {
            step.fail(Failure::new(
                "definition_mismatch",
                format!("{location} field log.origin"),
                format!("published {o:?}, but entry 0 gives the origin {origin:?}"),
            ));
        }
    }
}
