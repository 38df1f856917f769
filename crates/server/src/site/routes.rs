//! The site's routes: the archive of all elections, each election's files, and the
//! language-less entry URL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use skytale_render::{
    i18n::{REFERENCE_LANGUAGE, UI_LANGUAGES},
    negotiate_language, render_archive, ArchiveEntry,
};

use super::SiteFile;
use crate::api::named;
use crate::runtime::ElectionRuntime;
use crate::AppState;

/// The archive pages, rendered once per language and set of elections.
type ArchiveCache = Mutex<(Vec<ArchiveEntry>, HashMap<String, Arc<SiteFile>>)>;

fn archive_file(state: &AppState, lang: &str) -> Arc<SiteFile> {
    static CACHE: OnceLock<ArchiveCache> = OnceLock::new();
    let entries: Vec<ArchiveEntry> = state
        .all()
        .iter()
        .filter_map(|rt| rt.site.current().archive.clone())
        .collect();
    let cache = CACHE.get_or_init(Default::default);
    let mut g = cache.lock().unwrap_or_else(|p| p.into_inner());
    if g.0 != entries {
        *g = (entries, HashMap::new());
    }
    if let Some(f) = g.1.get(lang) {
        return f.clone();
    }
    let f = Arc::new(SiteFile::new(
        "/",
        render_archive(&g.0, lang).precompressed(),
    ));
    g.1.insert(lang.to_string(), f.clone());
    f
}

/// The archive's languages, the reference language first (the answer without preferences).
pub(crate) fn archive_languages() -> &'static [String] {
    static L: OnceLock<Vec<String>> = OnceLock::new();
    L.get_or_init(|| {
        let mut v = vec![REFERENCE_LANGUAGE.to_string()];
        v.extend(
            UI_LANGUAGES
                .iter()
                .map(|(l, _)| l.to_string())
                .filter(|l| l != REFERENCE_LANGUAGE),
        );
        v
    })
}

fn with_vary_language(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static("accept-encoding, accept-language"),
    );
    r
}

/// `GET /`: the archive in the language of `Accept-Language`.
pub async fn archive(State(state): State<AppState>, req: Request) -> Response {
    let lang = negotiate_language(None, accept_language(req.headers()), archive_languages());
    with_vary_language(
        archive_file(&state, &lang).respond(req.headers(), req.method() == Method::HEAD),
    )
}

fn accept_language(h: &HeaderMap) -> Option<&str> {
    h.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())
}

fn not_found() -> Response {
    crate::api::ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such page").into_response()
}

fn redirect(to: &str) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::FOUND;
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    with_vary_language(r)
}

/// Every other GET: a file of some election's site, the archive in a chosen language, or the
/// language-less entry URL of an election.
pub async fn fallback(State(state): State<AppState>, req: Request) -> Response {
    let head = req.method() == Method::HEAD;
    let get = req.method() == Method::GET || head;
    if let Some(r) = search(&state, get, req.uri(), req.headers(), head).await {
        return r;
    }
    match from_maps(&state, &req) {
        Ok(r) => r,
        Err((rt, found)) => {
            super::on_demand::respond(
                &state.pages,
                &rt,
                req.uri().path(),
                found,
                req.headers(),
                head,
            )
            .await
        }
    }
}

/// A search (`/<lang>/<election>/search/?q=TEXT`) of an election whose site has that index
/// page, answered by the server; `None` for everything else, an empty query included (the
/// index page answers it from the map).
async fn search(
    state: &AppState,
    get: bool,
    uri: &Uri,
    headers: &HeaderMap,
    head: bool,
) -> Option<Response> {
    if !get {
        return None;
    }
    let path = uri.path();
    let (lang, election) = super::search::search_page(path)?;
    let asked = super::search::asked(uri.query());
    if asked == super::search::Asked::Nothing {
        return None;
    }
    let rt = state
        .elections
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .get(election)?
        .clone();
    // Only where the index page is served: the election's site is rendered, in that language.
    rt.site.current().get(path)?;
    super::search::respond(&rt, path, lang, asked, headers, head).await
}

/// [`fallback`] from the elections' current maps, or the election and unit of a page to be
/// rendered on demand.
fn from_maps(
    state: &AppState,
    req: &Request,
) -> Result<Response, (Arc<ElectionRuntime>, (usize, String))> {
    let head = req.method() == Method::HEAD;
    if req.method() != Method::GET && !head {
        return Ok(not_found());
    }
    let path = req.uri().path();
    let elections = state.elections.read().unwrap_or_else(|p| p.into_inner());
    // The election named in the path (`/<lang>/<id>/…`, `/embed/<lang>/<id>/…`, `/og/<id>/…`,
    // `/feeds/<id>.atom`), else every election (assets are shared).
    let mut segs = path.trim_start_matches('/').split('/');
    let first = segs.next().unwrap_or("");
    let second = segs.next().unwrap_or("");
    let election = match first {
        "embed" => segs.next(),
        "og" => Some(second),
        "feeds" => second.strip_suffix(".atom"),
        _ => Some(second),
    };
    // A file of the election's current map is served with the map's snapshot name; the
    // hashed assets belong to no snapshot.
    let hit = election
        .and_then(|id| elections.get(id))
        .and_then(|rt| {
            let map = rt.site.current();
            let f = map.get(path).cloned()?;
            Some((f, map.header().cloned()))
        })
        .or_else(|| {
            path.starts_with("/assets/")
                .then(|| {
                    elections
                        .values()
                        .find_map(|rt| rt.site.current().get(path).cloned())
                        .map(|f| (f, None))
                })
                .flatten()
        });
    if let Some((f, snapshot)) = hit {
        return Ok(named(f.respond(req.headers(), head), snapshot.as_ref()));
    }
    // A deep page of a national election: rendered on demand, kept in the bounded cache.
    if let Some(rt) = election.and_then(|id| elections.get(id)) {
        if let Some(found) = rt.site.on_demand_page(path) {
            return Err((rt.clone(), found));
        }
    }
    // `/<lang>/`: the archive in that language.
    if second.is_empty() && segs.next().is_none() {
        if let Some(lang) = archive_languages().iter().find(|l| *l == first) {
            let lang = lang.clone();
            drop(elections);
            return Ok(archive_file(state, &lang).respond(req.headers(), head));
        }
    }
    // `/<id>/`: the election in the reader's language.
    if let Some(rt) = elections.get(first) {
        if second.is_empty() {
            let site = rt.site.current();
            let langs: Vec<String> = site
                .archive
                .as_ref()
                .map(|a| {
                    let mut v = vec![a.default_language.clone()];
                    v.extend(
                        a.languages
                            .iter()
                            .filter(|l| **l != a.default_language)
                            .cloned(),
                    );
                    v
                })
                .unwrap_or_default();
            if !langs.is_empty() {
                let lang = negotiate_language(None, accept_language(req.headers()), &langs);
                return Ok(redirect(&format!(
                    "/{}/{}/",
                    skytale_render::html::seg(&lang),
                    skytale_render::html::seg(first)
                )));
            }
        }
    }
    // A unit page not rendered yet at start-up (the shallow pages, everything down to
    // `/<lang>/<id>/<contest>/`, are there before the listener accepts; deeper ones follow).
    let unit_page = path
        .trim_start_matches("/embed")
        .trim_matches('/')
        .split('/')
        .count()
        >= 4;
    if let Some(rt) = election.and_then(|id| elections.get(id)) {
        if unit_page && !rt.site.current().complete {
            return Ok(super::on_demand::rendering());
        }
    }
    Ok(not_found())
}
