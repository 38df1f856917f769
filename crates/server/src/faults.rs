//! A fault hook for tests of the verifier: forges one artefact as a dishonest operator would,
//! for every reader alike. (An operator that shows different readers different bytes is caught
//! only by readers who compare what they were shown; the log itself cannot be split that way
//! without the witnesses noticing.)
//!
//! Only in builds with the `fault-injection` feature (the verifier's tests turn it on; the
//! `skytale` binary never does). A forgery replaces the first occurrence of a string in the
//! body served for one URL path, whatever snapshot that body belongs to, and serves it without
//! content coding, so each coding of the path shows the forged bytes.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

/// The forgeries in force, shared by every clone of the server's state.
#[derive(Clone, Default)]
pub struct Faults(Arc<Mutex<Vec<Forgery>>>);

#[derive(Clone, Debug)]
struct Forgery {
    path: String,
    edit: Edit,
}

#[derive(Clone, Debug)]
enum Edit {
    /// The first `find` becomes `replace`.
    Replace { find: Vec<u8>, replace: Vec<u8> },
    /// The first digit right after the first `after` that has one goes up by one (9 becomes
    /// 1): a figure changed whatever the figures are at the time.
    Bump { after: Vec<u8> },
}

impl Edit {
    fn apply(&self, body: &mut Vec<u8>) {
        match self {
            Edit::Replace { find, replace } => {
                if let Some(at) = body.windows(find.len().max(1)).position(|w| w == find) {
                    body.splice(at..at + find.len(), replace.iter().copied());
                }
            }
            Edit::Bump { after } => {
                let n = after.len().max(1);
                let hit = (0..body.len().saturating_sub(n)).find(|&i| {
                    body[i..].starts_with(after) && body.get(i + n).is_some_and(u8::is_ascii_digit)
                });
                if let Some(i) = hit {
                    let d = &mut body[i + n];
                    *d = if *d == b'9' { b'1' } else { *d + 1 };
                }
            }
        }
    }
}

impl Faults {
    /// From now on, the body served for `path` has its first `find` replaced by `replace`.
    pub fn forge(&self, path: &str, find: &str, replace: &str) {
        self.push(
            path,
            Edit::Replace {
                find: find.as_bytes().to_vec(),
                replace: replace.as_bytes().to_vec(),
            },
        );
    }

    /// From now on, the first figure after `after` in the body served for `path` is one more
    /// than it should be, whatever the figures of the snapshot served.
    pub fn bump(&self, path: &str, after: &str) {
        self.push(
            path,
            Edit::Bump {
                after: after.as_bytes().to_vec(),
            },
        );
    }

    fn push(&self, path: &str, edit: Edit) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Forgery {
                path: path.to_string(),
                edit,
            });
    }

    /// Removes every forgery.
    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    fn for_path(&self, path: &str) -> Option<Forgery> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|f| f.path == path)
            .cloned()
    }
}

/// The middleware: forges the responses of forged paths.
pub async fn forge(State(faults): State<Faults>, mut req: Request, next: Next) -> Response {
    let Some(f) = faults.for_path(req.uri().path()) else {
        return next.run(req).await;
    };
    // Everyone gets the forged bytes: no content coding, and no 304 that would let a client
    // keep an honest copy.
    req.headers_mut().remove(header::ACCEPT_ENCODING);
    req.headers_mut().remove(header::IF_NONE_MATCH);
    let resp = next.run(req).await;
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let mut out = bytes.to_vec();
    f.edit.apply(&mut out);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_ENCODING);
    parts.headers.remove(header::ETAG);
    Response::from_parts(parts, Body::from(out))
}
