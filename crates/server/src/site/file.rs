//! One servable file of the site: its body, lazily made compressed bodies, and every header
//! value computed once.

use std::sync::OnceLock;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use skytale_render::{security_headers, Rendered};

/// One file of the site, ready to send: every header value is computed once, when the file is
/// rendered, not per request.
#[derive(Debug)]
pub struct SiteFile {
    content_type: HeaderValue,
    cache_control: HeaderValue,
    /// Hex of the first 16 bytes of the body's SHA-256 (no quotes).
    tag: String,
    etag: HeaderValue,
    etag_gzip: HeaderValue,
    etag_br: HeaderValue,
    body: Bytes,
    /// The compressed bodies: given when the file was precompressed, else made on the first
    /// request that wants them (see [`SiteFile::new`]).
    gzip: OnceLock<Option<Bytes>>,
    br: OnceLock<Option<Bytes>>,
    embed: bool,
}

impl SiteFile {
    /// Prepares a rendered file for serving at `path`. A file rendered with its compressed
    /// bodies keeps exactly those; a compressible file rendered without them is compressed on
    /// the first request that accepts gzip or brotli, once per coding. The site thread renders
    /// pages uncompressed: a national election re-renders tens of thousands of area pages that
    /// nobody may read before the next render, and compressing each up front was half of the
    /// site thread's time.
    pub fn new(path: &str, r: Rendered) -> SiteFile {
        let quoted = r.etag();
        let tag = quoted.trim_matches('"').to_string();
        let ready = r.gzip.is_some() || r.br.is_some() || !r.is_compressible();
        let value = |s: String| {
            HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static("\"\""))
        };
        let file = SiteFile {
            content_type: HeaderValue::from_static(r.content_type),
            cache_control: HeaderValue::from_static(r.cache.cache_control()),
            etag: value(format!("\"{tag}\"")),
            etag_gzip: value(format!("\"{tag}-gz\"")),
            etag_br: value(format!("\"{tag}-br\"")),
            tag,
            gzip: OnceLock::new(),
            br: OnceLock::new(),
            body: Bytes::from(r.body),
            embed: path.starts_with("/embed/"),
        };
        if ready {
            let _ = file.gzip.set(r.gzip.map(Bytes::from));
            let _ = file.br.set(r.br.map(Bytes::from));
        }
        file
    }

    pub fn content_type(&self) -> &str {
        self.content_type.to_str().unwrap_or("")
    }
    pub fn body(&self) -> &Bytes {
        &self.body
    }
    /// The gzip body (made now if it is made lazily and not yet made).
    pub fn gzip(&self) -> Option<&Bytes> {
        self.gzip
            .get_or_init(|| Some(Bytes::from(skytale_render::gzip(&self.body))))
            .as_ref()
    }
    /// The brotli body (made now if it is made lazily and not yet made).
    pub fn br(&self) -> Option<&Bytes> {
        self.br
            .get_or_init(|| Some(Bytes::from(skytale_render::brotli(&self.body))))
            .as_ref()
    }
    /// Bytes this file holds: its body, the compressed bodies made so far and its headers.
    pub fn bytes_held(&self) -> usize {
        let made =
            |b: &OnceLock<Option<Bytes>>| b.get().and_then(Option::as_ref).map_or(0, Bytes::len);
        self.body.len() + made(&self.gzip) + made(&self.br) + self.tag.len() * 4
    }
    /// The strong ETag of the identity body, quoted.
    pub fn etag(&self) -> &str {
        self.etag.to_str().unwrap_or("")
    }

    /// Whether `If-None-Match` names this version of the file (in any content coding: the
    /// three variants of one body share their hex prefix).
    fn matches(&self, if_none_match: &str) -> bool {
        if_none_match.split(',').any(|t| {
            let t = t.trim();
            if t == "*" {
                return true;
            }
            let t = t.strip_prefix("W/").unwrap_or(t).trim_matches('"');
            let t = t
                .strip_suffix("-gz")
                .or_else(|| t.strip_suffix("-br"))
                .unwrap_or(t);
            t == self.tag
        })
    }

    /// The answer to a GET (or HEAD) with these request headers: 304 when the client has this
    /// version, else the body in the best coding the client accepts, with `Vary`.
    pub fn respond(&self, req: &HeaderMap, head: bool) -> Response {
        let (enc, body, etag) = match choose_encoding(
            req.get(header::ACCEPT_ENCODING)
                .and_then(|v| v.to_str().ok()),
        ) {
            Encoding::Br if self.br().is_some() => (Some("br"), self.br(), &self.etag_br),
            Encoding::Br | Encoding::Gzip if self.gzip().is_some() => {
                (Some("gzip"), self.gzip(), &self.etag_gzip)
            }
            _ => (None, Some(&self.body), &self.etag),
        };
        let not_modified = req
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| self.matches(v));
        let mut resp = if not_modified {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            r
        } else if head {
            let mut r = Response::new(Body::empty());
            if let Some(b) = body {
                r.headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(b.len()));
            }
            r
        } else {
            Response::new(Body::from(body.cloned().unwrap_or_default()))
        };
        let h = resp.headers_mut();
        h.insert(header::ETAG, etag.clone());
        h.insert(header::CACHE_CONTROL, self.cache_control.clone());
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if !not_modified {
            h.insert(header::CONTENT_TYPE, self.content_type.clone());
            if let Some(e) = enc {
                h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
            }
        }
        for (k, v) in security(self.embed) {
            h.insert(k.clone(), v.clone());
        }
        resp
    }
}

/// The security headers of [`skytale_render::security_headers`], as header values built once
/// (one set for `/embed/…`, one for everything else).
fn security(embed: bool) -> &'static [(HeaderName, HeaderValue)] {
    static SETS: OnceLock<[Vec<(HeaderName, HeaderValue)>; 2]> = OnceLock::new();
    let sets = SETS.get_or_init(|| {
        let build = |path: &str| {
            security_headers(path)
                .into_iter()
                .filter_map(|(k, v)| {
                    Some((HeaderName::from_static(k), HeaderValue::from_str(&v).ok()?))
                })
                .collect()
        };
        [build("/"), build("/embed/")]
    });
    &sets[usize::from(embed)]
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Br,
    Gzip,
    Identity,
}

/// The preferred coding from `Accept-Encoding`: brotli, then gzip, else none. A coding with
/// `q=0` is refused; `*` accepts both.
fn choose_encoding(accept: Option<&str>) -> Encoding {
    let Some(accept) = accept else {
        return Encoding::Identity;
    };
    let (mut br, mut gzip) = (false, false);
    for part in accept.split(',').take(32) {
        let mut it = part.split(';');
        let coding = it.next().unwrap_or("").trim();
        let refused = it.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .is_some_and(|q| q.trim().parse::<f32>().map_or(true, |q| q <= 0.0))
        });
        if refused {
            continue;
        }
        if coding.eq_ignore_ascii_case("br") || coding == "*" {
            br = true;
        }
        if coding.eq_ignore_ascii_case("gzip")
            || coding.eq_ignore_ascii_case("x-gzip")
            || coding == "*"
        {
            gzip = true;
        }
    }
    if br {
        Encoding::Br
    } else if gzip {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_prefers_brotli_then_gzip_and_honours_q0() {
        assert_eq!(choose_encoding(None), Encoding::Identity);
        assert_eq!(choose_encoding(Some("gzip, deflate, br")), Encoding::Br);
        assert_eq!(choose_encoding(Some("gzip")), Encoding::Gzip);
        assert_eq!(choose_encoding(Some("br;q=0, gzip")), Encoding::Gzip);
        assert_eq!(
            choose_encoding(Some("br;q=0.0, gzip;q=0")),
            Encoding::Identity
        );
        assert_eq!(choose_encoding(Some("gzip;q=0.5")), Encoding::Gzip);
        assert_eq!(choose_encoding(Some("*")), Encoding::Br);
        assert_eq!(choose_encoding(Some("identity")), Encoding::Identity);
    }

    #[test]
    fn etag_matches_every_coding_of_the_same_body_only() {
        let f = SiteFile::new(
            "/en/x/",
            Rendered::new(
                "text/html",
                b"hello".to_vec(),
                skytale_render::CacheClass::Short,
            )
            .precompressed(),
        );
        let tag = f.etag().to_string();
        assert!(f.matches(&tag));
        let gz = format!("{}-gz\"", tag.trim_end_matches('"'));
        assert!(f.matches(&format!("\"x\", {gz}")));
        assert!(f.matches(&format!("W/{tag}")));
        assert!(f.matches("*"));
        assert!(!f.matches("\"0123\""));
        let other = SiteFile::new(
            "/en/x/",
            Rendered::new(
                "text/html",
                b"hello!".to_vec(),
                skytale_render::CacheClass::Short,
            ),
        );
        assert!(!other.matches(&tag));
    }
}
