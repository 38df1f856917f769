//! A fault hook for tests of the verifier: forges one artefact as a dishonest operator would.
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
    find: Vec<u8>,
    replace: Vec<u8>,
}

impl Faults {
    /// From now on, the body served for `path` has its first `find` replaced by `replace`.
    pub fn forge(&self, path: &str, find: &str, replace: &str) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Forgery {
                path: path.to_string(),
                find: find.as_bytes().to_vec(),
                replace: replace.as_bytes().to_vec(),
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
    req.headers_mut().remove(header::ACCEPT_ENCODING);
    let resp = next.run(req).await;
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let mut out = bytes.to_vec();
    if let Some(at) = out.windows(f.find.len().max(1)).position(|w| w == f.find) {
        out.splice(at..at + f.find.len(), f.replace.iter().copied());
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_ENCODING);
    parts.headers.remove(header::ETAG);
    Response::from_parts(parts, Body::from(out))
}
