//! The search of a live site: `GET /<lang>/<election>/search/?q=TEXT` answered with the
//! results page ([`skytale_render::Site::render_search`]): every contest and every place,
//! polling stations included, whatever the size of the election. A static copy of the site
//! has no server to ask, so its index page (the same URL without a query) lists the contests
//! and up to [`skytale_render::MAX_INDEXED_PLACES`] places, and the live script narrows it.
//!
//! The results page is no published artefact: it is made for the query on each request (the
//! renderer keeps the folded names, so a search of 200,000 places costs milliseconds), never
//! kept in the site map, and `skytale verify` does not recompute it. It names the snapshot of
//! the map it was answered from, like every page, and is cached briefly like one.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use skytale_render::{Search, MAX_QUERY_BYTES};

use super::SiteFile;
use crate::api::named;
use crate::runtime::ElectionRuntime;

/// The election and language of `path` when it is an election's search page
/// (`/<lang>/<election>/search/`); the caller checks that the election's site has it.
pub(crate) fn search_page(path: &str) -> Option<(&str, &str)> {
    let inner = path.strip_prefix('/')?.strip_suffix("/search/")?;
    let (lang, election) = inner.split_once('/')?;
    (!lang.is_empty() && !election.is_empty() && !election.contains('/'))
        .then_some((lang, election))
}

/// What the query string asks: no search (no `q`, or an empty one), a search for a text, or
/// one longer than [`MAX_QUERY_BYTES`] (checked on the encoded text first, so an enormous query
/// is never decoded).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Asked {
    Nothing,
    Text(String),
    TooLong,
}

pub(crate) fn asked(query: Option<&str>) -> Asked {
    let Some(raw) = query.and_then(|q| {
        q.split('&')
            .find_map(|pair| pair.strip_prefix("q="))
            .or_else(|| q.split('&').any(|p| p == "q").then_some(""))
    }) else {
        return Asked::Nothing;
    };
    // Each byte of the text takes at most three in the URL.
    if raw.len() > 3 * MAX_QUERY_BYTES {
        return Asked::TooLong;
    }
    let text = percent_encoding::percent_decode_str(&raw.replace('+', " "))
        .decode_utf8_lossy()
        .trim()
        .to_string();
    if text.is_empty() {
        Asked::Nothing
    } else if text.len() > MAX_QUERY_BYTES {
        Asked::TooLong
    } else {
        Asked::Text(text)
    }
}

/// The answer to a search on `rt`'s site in `lang`: the results page (200), or the page saying
/// the text is too long (400); `None` when there is nothing to search for, so the index page
/// answers as without a query.
pub(crate) async fn respond(
    rt: &ElectionRuntime,
    path: &str,
    lang: &str,
    asked: Asked,
    req: &HeaderMap,
    head: bool,
) -> Option<Response> {
    let query = match asked {
        Asked::Nothing => return None,
        Asked::Text(t) => t,
        // The renderer makes the page that says so: any text over the bound will do.
        Asked::TooLong => "x".repeat(MAX_QUERY_BYTES + 1),
    };
    let map = rt.site.current();
    let Some(site) = rt.site.renderer() else {
        return Some(super::on_demand::rendering());
    };
    let lang = lang.to_string();
    // The first search in a language folds every name of the election (a tenth of a second
    // for a national one): off the async workers.
    let found = tokio::task::spawn_blocking(move || site.render_search(&lang, &query))
        .await
        .ok()
        .flatten()?;
    let (status, page) = match found {
        Search::Empty => return None,
        Search::Results(page) => (StatusCode::OK, page),
        Search::TooLong(page) => (StatusCode::BAD_REQUEST, page),
    };
    let file = Arc::new(SiteFile::new(path, page));
    let mut r = named(file.respond(req, head), map.header());
    if status != StatusCode::OK {
        *r.status_mut() = status;
        // An error says nothing worth keeping.
        r.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        );
    }
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_page_is_found_by_its_path() {
        assert_eq!(search_page("/en/x/search/"), Some(("en", "x")));
        assert_eq!(search_page("/en/x/search"), None);
        assert_eq!(search_page("/en/x/mayor/search/"), None);
        assert_eq!(search_page("/embed/en/x/search/"), None);
        assert_eq!(search_page("//x/search/"), None);
    }

    #[test]
    fn the_query_is_decoded_trimmed_and_bounded() {
        assert_eq!(asked(None), Asked::Nothing);
        assert_eq!(asked(Some("lang=en")), Asked::Nothing);
        assert_eq!(asked(Some("q=")), Asked::Nothing);
        assert_eq!(asked(Some("q")), Asked::Nothing);
        assert_eq!(asked(Some("q=+%20+")), Asked::Nothing);
        assert_eq!(
            asked(Some("x=1&q=%C3%89vry+n%C2%B0+1")),
            Asked::Text("Évry n° 1".into())
        );
        let at_bound = "a".repeat(MAX_QUERY_BYTES);
        assert_eq!(
            asked(Some(&format!("q={at_bound}"))),
            Asked::Text(at_bound.clone())
        );
        assert_eq!(asked(Some(&format!("q={at_bound}b"))), Asked::TooLong);
        assert_eq!(
            asked(Some(&format!("q={}", "%C3%A9".repeat(MAX_QUERY_BYTES)))),
            Asked::TooLong
        );
        assert_eq!(asked(Some(&"q=".repeat(100_000))), Asked::TooLong);
    }
}
