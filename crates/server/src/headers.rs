//! Response hygiene for everything the router answers: the security headers on every response
//! (the site's files bring their own, made by `skytale_render::security_headers`; every other
//! response, API JSON, CSV, CDF, tiles, errors, gets a policy that lets a browser run nothing
//! from it), and CORS for the public read-only GETs, so browser verifiers and media widgets on
//! other origins can read the results and the log. Write endpoints (submissions, sign-in),
//! sealed reads and `/metrics` get no CORS: a page elsewhere has no business calling them.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// What a path is, for CORS, the metrics and the limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// The site: pages, assets, cards, embeds, feeds of the site.
    Page,
    /// Public API documents: results, CDF, CSV, snapshot, approvals, events, definition.
    Api,
    /// The log: checkpoint and tiles.
    Log,
    /// Submissions (writes).
    Submit,
    /// The officials' sign-in (writes).
    SignIn,
    /// Reads behind a session: sealed entries and held submissions.
    Sealed,
    /// `/metrics`.
    Metrics,
    /// The officials' console (`/console/…`): pages behind a session.
    Console,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Page => "page",
            Class::Api => "api",
            Class::Log => "log",
            Class::Submit => "submit",
            Class::SignIn => "sign_in",
            Class::Sealed => "sealed",
            Class::Metrics => "metrics",
            Class::Console => "console",
        }
    }

    /// Readable by anybody: answered with `Access-Control-Allow-Origin: *` to GET and HEAD.
    pub fn is_public(self) -> bool {
        matches!(self, Class::Page | Class::Api | Class::Log)
    }
}

/// The class of a request path (method-independent: a GET on a write path is not public).
pub fn classify(path: &str) -> Class {
    if path == "/metrics" {
        return Class::Metrics;
    }
    if path.starts_with("/log/") {
        return Class::Log;
    }
    if path == "/console" || path.starts_with("/console/") {
        return Class::Console;
    }
    let Some(rest) = path.strip_prefix("/api/v1/elections/") else {
        return if path.starts_with("/api/") {
            Class::Api
        } else {
            Class::Page
        };
    };
    // `<id>/<what>…`
    let what = rest.split_once('/').map_or("", |(_, w)| w);
    let first = what.split('/').next().unwrap_or("");
    match first {
        "submissions" => Class::Submit,
        "auth" => Class::SignIn,
        "sealed" | "held" | "webhooks" => Class::Sealed,
        _ => Class::Api,
    }
}

/// The policy of a response that is not a page: nothing in it may run, load or be framed.
const NOT_A_PAGE_CSP: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

/// Headers a cross-origin reader may see besides the safelisted ones.
const EXPOSED: &str = "Skytale-Snapshot, ETag, Retry-After";

/// The security headers every response without its own carry.
fn base_headers() -> &'static [(HeaderName, HeaderValue)] {
    static SET: std::sync::OnceLock<Vec<(HeaderName, HeaderValue)>> = std::sync::OnceLock::new();
    SET.get_or_init(|| {
        skytale_render::security_headers("/")
            .into_iter()
            .filter(|(k, _)| *k != "content-security-policy")
            .filter_map(|(k, v)| {
                Some((HeaderName::from_static(k), HeaderValue::from_str(&v).ok()?))
            })
            .chain([(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(NOT_A_PAGE_CSP),
            )])
            .collect()
    })
}

fn harden(h: &mut HeaderMap, public: bool) {
    // A site file sent its own set (the page policy, or the embed's framing rules): keep it.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        for (k, v) in base_headers() {
            h.insert(k.clone(), v.clone());
        }
    }
    if public {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED),
        );
        h.insert(
            HeaderName::from_static("cross-origin-resource-policy"),
            HeaderValue::from_static("cross-origin"),
        );
    } else {
        h.entry(HeaderName::from_static("cross-origin-resource-policy"))
            .or_insert(HeaderValue::from_static("same-origin"));
    }
}

/// The answer to a CORS preflight for a public path.
fn preflight() -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, HEAD, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("If-None-Match, If-Modified-Since, Cache-Control"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    harden(h, true);
    resp
}

/// Middleware: security headers on every response, CORS on the public reads.
pub async fn middleware(req: Request<Body>, next: Next) -> Response {
    let class = classify(req.uri().path());
    let method = req.method().clone();
    if method == Method::OPTIONS && class.is_public() {
        return preflight();
    }
    let public = class.is_public() && (method == Method::GET || method == Method::HEAD);
    let mut resp = next.run(req).await;
    harden(resp.headers_mut(), public);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_classified() {
        assert_eq!(classify("/"), Class::Page);
        assert_eq!(classify("/e/en/"), Class::Page);
        assert_eq!(classify("/metrics"), Class::Metrics);
        assert_eq!(classify("/log/e/checkpoint"), Class::Log);
        assert_eq!(classify("/log/e/tile/0/000"), Class::Log);
        assert_eq!(classify("/api/v1/elections"), Class::Api);
        assert_eq!(classify("/api/v1/schema/election.json"), Class::Api);
        assert_eq!(classify("/api/v1/elections/e"), Class::Api);
        assert_eq!(classify("/api/v1/elections/e/results/c.csv"), Class::Api);
        assert_eq!(classify("/api/v1/elections/e/approvals"), Class::Api);
        assert_eq!(classify("/api/v1/elections/e/submissions"), Class::Submit);
        assert_eq!(
            classify("/api/v1/elections/e/submissions/batch"),
            Class::Submit
        );
        assert_eq!(classify("/api/v1/elections/e/auth/session"), Class::SignIn);
        assert_eq!(
            classify("/api/v1/elections/e/sealed/entries"),
            Class::Sealed
        );
        assert_eq!(classify("/api/v1/elections/e/held"), Class::Sealed);
        assert_eq!(classify("/api/v1/elections/e/webhooks/1"), Class::Sealed);
    }
}
