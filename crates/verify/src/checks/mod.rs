//! Step 4: one module per kind of published artefact: how it is recomputed and how a
//! difference is named (the first differing field or line, with both values). The comparison
//! itself, at the snapshot each artefact names, is [`crate::compare`].
//!
//! The results JSON (whole and per contest: [`results`]), the election definition document
//! ([`definition`]), the export feeds, NIST CDF JSON/XML and CSV ([`feeds`]), and every file of
//! the public site ([`pages`]).

pub mod definition;
pub mod feeds;
pub mod pages;
pub mod results;

use serde_json::Value;

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
