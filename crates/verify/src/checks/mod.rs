//! Step 4: one checker per kind of published artefact. Each compares what the source
//! publishes with what the verifier recomputed from the log, byte for byte, and on a
//! difference names the first differing field with both values.
//!
//! Implemented: the results JSON (whole and per contest: [`results`]), the election
//! definition document ([`definition`]) and the export feeds, NIST CDF JSON/XML and CSV
//! ([`feeds`]), and the HTML pages of the public site ([`pages`]).

pub mod definition;
pub mod feeds;
pub mod pages;
pub mod results;

use serde_json::Value;

use crate::report::{Failure, Step};

/// An artefact differs from the latest publication (`latest`): if `shows(n)` holds for one
/// of the other published `sizes`, it shows that older publication, which a live site may do
/// for a moment (a note) but a published directory must not (`<kind>_stale`). Returns
/// whether it was such an older publication; if not, the caller reports the difference.
pub(crate) fn judge_stale(
    kind: &str,
    location: &str,
    sizes: &[u64],
    latest: u64,
    live: bool,
    step: &mut Step,
    mut shows: impl FnMut(u64) -> bool,
) -> bool {
    let Some(n) = sizes.iter().copied().find(|&n| n != latest && shows(n)) else {
        return false;
    };
    let msg =
        format!("shows published size {n}, but the log's latest publication is size {latest}");
    if live && n < latest {
        step.note(format!("{location}: {msg} (a live site may lag)"));
    } else {
        step.fail(Failure::new(&format!("{kind}_stale"), location, msg));
    }
    true
}

/// The first place where two JSON values differ, as `(path, published, expected)`.
pub fn first_difference(published: &Value, expected: &Value) -> Option<(String, String, String)> {
    fn walk(path: &mut String, a: &Value, b: &Value) -> Option<(String, String, String)> {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                for (k, vb) in y {
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                    let r = match x.get(k) {
                        Some(va) => walk(path, va, vb),
                        None => Some((path.clone(), "(missing)".into(), short(vb))),
                    };
                    if r.is_some() {
                        return r;
                    }
                    path.truncate(len);
                }
                for (k, va) in x {
                    if !y.contains_key(k) {
                        let p = if path.is_empty() {
                            k.clone()
                        } else {
                            format!("{path}.{k}")
                        };
                        return Some((p, short(va), "(not in the recomputed document)".into()));
                    }
                }
                None
            }
            (Value::Array(x), Value::Array(y)) => {
                for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                    let len = path.len();
                    // Name array items by their "id" when they have one: contests[mayor].
                    match vb.get("id").and_then(Value::as_str) {
                        Some(id) => path.push_str(&format!("[{id}]")),
                        None => path.push_str(&format!("[{i}]")),
                    }
                    if let Some(r) = walk(path, va, vb) {
                        return Some(r);
                    }
                    path.truncate(len);
                }
                if x.len() != y.len() {
                    return Some((
                        format!("{path} (length)"),
                        x.len().to_string(),
                        y.len().to_string(),
                    ));
                }
                None
            }
            _ if a == b => None,
            _ => Some((path.clone(), short(a), short(b))),
        }
    }
    walk(&mut String::new(), published, expected)
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 120 {
        format!(
            "{}…",
            &s[..s.char_indices().nth(117).map_or(s.len(), |(i, _)| i)]
        )
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_the_field() {
        let a = json!({"contests":[{"id":"mayor","selections":[{"id":"alice","votes":5}]}]});
        let b = json!({"contests":[{"id":"mayor","selections":[{"id":"alice","votes":4}]}]});
        assert_eq!(
            first_difference(&a, &b),
            Some((
                "contests[mayor].selections[alice].votes".into(),
                "5".into(),
                "4".into()
            ))
        );
        assert_eq!(first_difference(&a, &a), None);
    }
}
